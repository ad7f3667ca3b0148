// Internal to importers: one reader per file layout. Each reads the records
// of a decoded file into a Collector, and returns a non-OK status only for a
// problem of the whole file.
#ifndef YREB_IMPORTERS_LAYOUTS_H_
#define YREB_IMPORTERS_LAYOUTS_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "importers/collector.h"
#include "importers/importers.h"
#include "importers/text.h"

namespace yreb::importers::internal {

// Returns true when the records look like a data portal export: title lines,
// or a header row "地区" or "指标" followed by Chinese period labels.
bool LooksLikePortal(const std::vector<CsvRecord>& records);
absl::Status ReadPortal(const std::vector<CsvRecord>& records, Collector& collector,
                        ParseResult* result);

// Returns true when the first record has the long CSV's required columns.
bool LooksLikeLongCsv(const std::vector<CsvRecord>& records);
// Reads the long CSV `text` one record at a time, so that no more than one
// row's fields are held at once whatever the file's size.
absl::Status ReadLongCsv(std::string_view text, Collector& collector);
// Reads the rows in `rows`, a part of the long CSV `text` that starts at a
// record boundary on line `first_line`, with the columns of `text`'s header.
absl::Status ReadLongCsvRows(std::string_view text, std::string_view rows, int first_line,
                             Collector& collector);

// Reads SDMX-CSV 2.0 (first column STRUCTURE) or 1.0 (first column
// DATAFLOW) of the dataflow WriteSdmxCsv writes.
absl::Status ReadSdmxCsv(const std::vector<CsvRecord>& records, Collector& collector);

absl::Status ReadWithMapping(const std::vector<CsvRecord>& records, std::string_view mapping,
                             Collector& collector);

// Replaces the hash that distinguishes cells in CheckFile, so that tests can
// make cells collide; nullptr restores the real one.
using CellHashFunction = uint64_t (*)(std::string_view indicator, std::string_view region,
                                      const period::Period& period);
void SetCellHashForTest(CellHashFunction hash);
// Sets the size from which CheckFile reads a long CSV on two threads, so
// that tests can split small files. 0 restores the default.
void SetParallelCheckBytesForTest(size_t bytes);

}  // namespace yreb::importers::internal

#endif  // YREB_IMPORTERS_LAYOUTS_H_
