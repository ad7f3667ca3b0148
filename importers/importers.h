// Reading the files bureaus have, and writing exports.
//
// ParseFile() reads one file whole and returns either a whole-file error or
// every observation of the node's own province and its prefecture cities,
// together with every row problem it found. It stores nothing: the caller
// stores the observations only when `errors` is empty, so bad input never
// half-lands. CheckFile() and VisitObservations() do the same in two passes
// over the file, for files too large to hold their observations at once.
// Supported layouts:
//   - "portal": exports of the national statistics data portal, with title
//     lines (数据库：, 指标：, 地区：, 时间：) and footnotes (注：, 数据来源：), in
//     both layouts: regions as rows under one 指标： line, or indicators as
//     rows under one 地区： line;
//   - "long-csv": one observation per row, the layout WriteLongCsv() writes
//     (docs/IMPORT.md describes its columns);
//   - "mapping": any other table, read through a TOML mapping file that
//     names the region column and which columns hold which indicator;
//   - "sdmx-csv": recognized, and rejected as not supported yet.
// Text may be UTF-8 with or without BOM, or GB18030 (a superset of GBK), with
// CRLF or LF line ends.
#ifndef YREB_IMPORTERS_IMPORTERS_H_
#define YREB_IMPORTERS_IMPORTERS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "catalog/catalog.h"
#include "proto/record.pb.h"

namespace yreb::importers {

// Note attached to a cumulative February value when the file has no January
// value of that year: the January-February figure bureaus publish together.
inline constexpr std::string_view kJanuaryFebruaryNote = "1-2月累计值，1月数据不单独发布";

struct Observation {
  std::string indicator;  // catalog code, e.g. "gdp"
  std::string region;     // GB/T 2260 code, e.g. "320000"
  std::string period;     // SDMX, e.g. "2023", "2019-M02"
  std::string value;      // decimal text as written in the file
  std::string unit;       // the catalog unit of the indicator
  std::string note;       // e.g. kJanuaryFebruaryNote; empty if none
  proto::MeasureKind measure = proto::MEASURE_KIND_UNSPECIFIED;
  proto::ValueKind value_kind = proto::VALUE_KIND_UNSPECIFIED;
  // Status given by the file (only long CSV carries one); UNSPECIFIED
  // otherwise, and the caller applies its import option.
  proto::DataStatus status = proto::DATA_STATUS_UNSPECIFIED;
  int line = 0;        // 1-based line of the file where the value's row starts
  std::string column;  // header text of the value's column
};

// One problem in one row. `reason` is in the thread's language.
struct RowError {
  std::string file;
  int line = 0;
  std::string column;
  std::string value;
  std::string reason;
};

namespace internal {
struct CheckedFile;
}  // namespace internal

struct ImportOptions {
  std::string file_name;  // used in messages only
  std::string mapping;    // bytes of a TOML mapping file; empty if none
};

struct ParseResult {
  std::string format;    // "portal", "long-csv", "sdmx-csv" or "mapping"
  std::string encoding;  // "UTF-8", "UTF-8 with BOM", "GB18030", "UTF-16LE", "UTF-16BE"
  // Observations of the node's province and its prefectures, in file order,
  // identical duplicates removed.
  std::vector<Observation> observations;
  // Rows about other regions of the catalog, which are skipped, counted in
  // total and by region code.
  size_t skipped_rows_other_regions = 0;
  std::map<std::string, size_t> skipped_by_region;
  // Footnotes of a portal export (注：…, 数据来源：…), joined lines each.
  std::vector<std::string> footnotes;
  // Every row problem, in file order.
  std::vector<RowError> errors;
  // The observations once duplicates are merged, and whether any of them
  // carries no status of its own.
  size_t observation_count = 0;
  bool status_missing = false;
  // State CheckFile keeps about the file, for VisitObservations.
  std::shared_ptr<const internal::CheckedFile> checked;
};

// Parses one file. Returns InvalidArgument, naming the file, for problems of
// the whole file. These are: an empty or binary file (for example an Excel
// workbook), text that is neither UTF-8 nor GB18030, text whose Chinese was
// destroyed by a wrong re-encoding (mojibake), an unclosed quoted field, a
// layout it does not recognize, an invalid mapping file, and an SDMX-CSV
// header with an unknown or missing column.
// Row problems (a wrong column count, a value that is not a decimal number,
// an unknown region or indicator, an invalid period, conflicting duplicates)
// go to ParseResult::errors, all of them.
// REQUIRES: `node_province` is a province code such as "420000".
absl::StatusOr<ParseResult> ParseFile(std::string_view bytes, const ImportOptions& options,
                                      const catalog::Catalog& catalog,
                                      std::string_view node_province);

// The first pass: reads and checks the whole file like ParseFile, but keeps
// about 13 bytes per observation instead of the observations, which stay
// empty in the result. `bytes` must stay alive and unchanged until the last
// VisitObservations call on the result.
absl::StatusOr<ParseResult> CheckFile(std::string_view bytes, const ImportOptions& options,
                                      const catalog::Catalog& catalog,
                                      std::string_view node_province);

// The second pass: reads the file again and calls `visit` with each
// observation ParseFile would list, in the same order, until `visit` returns
// an error, which is returned. REQUIRES: `checked` comes from CheckFile,
// whose bytes and catalog are still alive.
absl::Status VisitObservations(const ParseResult& checked,
                               const std::function<absl::Status(Observation&&)>& visit);

enum class Encoding { kUtf8Bom, kGb18030 };

// One row of a long CSV export.
struct ExportRow {
  std::string indicator;
  std::string region;
  std::string region_name;
  std::string period;  // SDMX
  std::string value;   // decimal text
  std::string unit;
  proto::MeasureKind measure = proto::MEASURE_KIND_UNSPECIFIED;
  proto::ValueKind value_kind = proto::VALUE_KIND_UNSPECIFIED;
  proto::DataStatus status = proto::DATA_STATUS_UNSPECIFIED;
  uint32_t revision = 0;  // 0 writes an empty cell
  std::string note;
};

// Header of the long CSV layout, in column order.
inline constexpr std::string_view kLongCsvHeader =
    "indicator,region,region_name,period,value,unit,measure,value_kind,status,revision,note";

// Writes `rows` as long CSV: the header above, CRLF line ends, fields quoted
// where needed; UTF-8 with a BOM (which Excel needs to read UTF-8) or
// GB18030. Returns InvalidArgument naming the row for a value that is not a
// decimal number or a period that is not SDMX.
absl::StatusOr<std::string> WriteLongCsv(const std::vector<ExportRow>& rows, Encoding encoding);

// SDMX-CSV output. Version 2 (SDMX 3.0) starts each row with STRUCTURE
// ("dataflow"), STRUCTURE_ID and ACTION ("I"); version 1 (SDMX 2.1) with
// DATAFLOW. Both continue with the dimensions FREQ, REF_AREA and INDICATOR,
// then TIME_PERIOD, OBS_VALUE and the attributes OBS_STATUS, UNIT_MEASURE
// and UNIT_MULT.
inline constexpr std::string_view kSdmxAgency = "YREB";
inline constexpr std::string_view kSdmxDataflow = "YREB_SHARED";

struct SdmxOptions {
  int version = 2;  // 2 or 1
};

// Writes `rows` as SDMX-CSV in UTF-8 without a BOM, with CRLF line ends.
// OBS_STATUS codes: P preliminary (初步核算), E preliminary verification
// (初步核实), A final verification (最终核实), B revised (修订, a break in
// the series); empty when the status is unknown. UNIT_MULT is the catalog's
// power of ten. Returns InvalidArgument naming the row for an indicator the
// catalog lacks, a value that is not decimal text or a period that is not
// SDMX.
absl::StatusOr<std::string> WriteSdmxCsv(const std::vector<ExportRow>& rows,
                                         const catalog::Catalog& catalog,
                                         const SdmxOptions& options);

// Builds export rows from observations, taking region names from `catalog`.
std::vector<ExportRow> ToExportRows(const std::vector<Observation>& observations,
                                    const catalog::Catalog& catalog);

}  // namespace yreb::importers

#endif  // YREB_IMPORTERS_IMPORTERS_H_
