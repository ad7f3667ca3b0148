#include "importers/importers.h"

#include <utility>

#include "i18n/i18n.h"
#include "importers/collector.h"
#include "importers/layouts.h"
#include "importers/text.h"

namespace yreb::importers {
namespace {

// Records read to recognize a layout: a portal export's title and header
// lines, or a CSV header, come first.
constexpr size_t kLayoutRecords = 256;

// SDMX-CSV 1.0 starts with a DATAFLOW column, 2.0 with STRUCTURE.
bool LooksLikeSdmxCsv(const std::vector<internal::CsvRecord>& records) {
  if (records.empty() || records[0].fields.empty()) return false;
  std::string_view first = internal::Trim(records[0].fields[0]);
  return first == "STRUCTURE" || first == "DATAFLOW";
}

}  // namespace

absl::StatusOr<ParseResult> ParseFile(std::string_view bytes, const ImportOptions& options,
                                      const catalog::Catalog& catalog,
                                      std::string_view node_province) {
  const std::string file = options.file_name.empty() ? "-" : options.file_name;
  const catalog::Region* province = catalog.FindRegion(node_province);
  if (province == nullptr || province->level != catalog::RegionLevel::kProvince) {
    return absl::InvalidArgumentError(i18n::Tr(
        "node province \"{}\" is not a province in the catalog", std::string(node_province)));
  }

  absl::StatusOr<internal::DecodedText> decoded = internal::Decode(bytes, file);
  if (!decoded.ok()) return decoded.status();
  // The layout shows in the first records. Only a long CSV, the layout of
  // large files, is read without holding every record's fields at once.
  absl::StatusOr<std::vector<internal::CsvRecord>> records =
      internal::SplitCsv(decoded->text(), file, kLayoutRecords);
  if (!records.ok()) return records.status();
  auto read_all = [&]() -> absl::Status {
    records = internal::SplitCsv(decoded->text(), file);
    return records.status();
  };

  ParseResult result;
  result.encoding = decoded->encoding;
  internal::Collector collector(catalog, node_province, file, &result);
  absl::Status status;
  if (!options.mapping.empty()) {
    result.format = "mapping";
    status = read_all();
    if (status.ok()) status = internal::ReadWithMapping(*records, options.mapping, collector);
  } else if (LooksLikeSdmxCsv(*records)) {
    result.format = "sdmx-csv";
    status = internal::ReadSdmxCsv(*records, collector);
  } else if (internal::LooksLikePortal(*records)) {
    result.format = "portal";
    status = read_all();
    if (status.ok()) status = internal::ReadPortal(*records, collector, &result);
  } else if (internal::LooksLikeLongCsv(*records)) {
    result.format = "long-csv";
    status = internal::ReadLongCsv(decoded->text(), collector);
  } else {
    return absl::InvalidArgumentError(i18n::Tr(
        "{}: the layout is not recognized: expected a data portal export (title lines such as "
        "指标：), a long CSV with the header {}, or a table with a mapping file",
        file, kLongCsvHeader));
  }
  if (!status.ok()) return status;

  collector.Finish();
  return result;
}

}  // namespace yreb::importers
