// Tables of any other shape, read through a TOML mapping file:
//
//   region_column = "city_code"   # header of the column with region codes or names
//   period_column = "年份"         # optional: header of a column with periods
//   header_line = 1               # optional: line of the header row, 1 by default
//
//   [[columns]]
//   column = "popu_2020"          # header of a value column
//   indicator = "pop_census"      # catalog code
//   period = "2020"               # SDMX or portal label; required without period_column
//   note = ""                     # optional note for every value of the column
//
// Columns of the table that the mapping does not name are ignored.
#include <map>
#include <optional>
#include <string>

// Debian 12 packages toml++ 3.3 as a compiled library with the header
// toml++/toml.h (upstream single-header builds name it toml.hpp).
#include <toml++/toml.h>

#include "common/period.h"
#include "i18n/i18n.h"
#include "importers/layouts.h"

namespace yreb::importers::internal {
namespace {

struct ColumnMapping {
  std::string column;
  const catalog::Indicator* indicator = nullptr;
  std::optional<period::Period> period;
  std::string note;
  size_t index = 0;  // position in the header row
};

struct Mapping {
  std::string region_column;
  std::string period_column;
  int header_line = 1;
  std::vector<ColumnMapping> columns;
};

absl::Status MappingError(std::string_view file, std::string message) {
  return absl::InvalidArgumentError(
      i18n::Tr("{}: invalid mapping file: {}", std::string(file), message));
}

// Reads an optional string key; fails when the key has another type.
absl::Status ReadString(const toml::table& table, std::string_view key, std::string* out,
                        std::string_view file) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return absl::OkStatus();
  std::optional<std::string> value = node->value<std::string>();
  if (!node->is_string() || !value) {
    return MappingError(file, i18n::Tr("\"{}\" must be a string", std::string(key)));
  }
  *out = *value;
  return absl::OkStatus();
}

absl::Status CheckKeys(const toml::table& table, std::initializer_list<std::string_view> allowed,
                       std::string_view where, std::string_view file) {
  for (const auto& [key, value] : table) {
    bool known = false;
    for (std::string_view name : allowed) known |= key.str() == name;
    if (!known) {
      return MappingError(
          file, i18n::Tr("{}: unknown key \"{}\"", std::string(where), std::string(key.str())));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Mapping> ParseMapping(std::string_view bytes, const catalog::Catalog& catalog,
                                     std::string_view file) {
  toml::table root;
  try {
    root = toml::parse(bytes);
  } catch (const toml::parse_error& e) {
    return MappingError(
        file, i18n::Tr("line {}: {}", e.source().begin.line, std::string(e.description())));
  }

  Mapping mapping;
  if (absl::Status status = CheckKeys(
          root, {"region_column", "period_column", "header_line", "columns"}, "mapping", file);
      !status.ok()) {
    return status;
  }
  for (absl::Status status : {ReadString(root, "region_column", &mapping.region_column, file),
                              ReadString(root, "period_column", &mapping.period_column, file)}) {
    if (!status.ok()) return status;
  }
  if (mapping.region_column.empty()) {
    return MappingError(file, i18n::Tr("\"region_column\" is required"));
  }
  if (const toml::node* node = root.get("header_line")) {
    std::optional<int64_t> line = node->value<int64_t>();
    if (!node->is_integer() || !line || *line < 1) {
      return MappingError(file, i18n::Tr("\"header_line\" must be a whole number from 1"));
    }
    mapping.header_line = static_cast<int>(*line);
  }

  const toml::array* columns = root["columns"].as_array();
  if (columns == nullptr || columns->empty()) {
    return MappingError(file, i18n::Tr("at least one [[columns]] entry is required"));
  }
  for (size_t i = 0; i < columns->size(); ++i) {
    const toml::table* entry = (*columns)[i].as_table();
    std::string where = i18n::Tr("[[columns]] entry {}", i + 1);
    if (entry == nullptr) return MappingError(file, i18n::Tr("{} must be a table", where));
    if (absl::Status status =
            CheckKeys(*entry, {"column", "indicator", "period", "note"}, where, file);
        !status.ok()) {
      return status;
    }
    ColumnMapping column;
    std::string indicator_code, period_text;
    for (absl::Status status : {ReadString(*entry, "column", &column.column, file),
                                ReadString(*entry, "indicator", &indicator_code, file),
                                ReadString(*entry, "period", &period_text, file),
                                ReadString(*entry, "note", &column.note, file)}) {
      if (!status.ok()) return status;
    }
    if (column.column.empty() || indicator_code.empty()) {
      return MappingError(file, i18n::Tr("{}: \"column\" and \"indicator\" are required", where));
    }
    column.indicator = catalog.FindIndicator(indicator_code);
    if (column.indicator == nullptr) {
      return MappingError(file, i18n::Tr("{}: unknown indicator \"{}\"; it is not in catalog "
                                         "version {}",
                                         where, indicator_code, catalog.version()));
    }
    if (!period_text.empty()) {
      absl::StatusOr<period::Period> period = period::ParseSdmx(period_text);
      if (!period.ok()) {
        return MappingError(file, where + ": " + std::string(period.status().message()));
      }
      column.period = *period;
    } else if (mapping.period_column.empty()) {
      return MappingError(
          file, i18n::Tr("{}: \"period\" is required when there is no period_column", where));
    }
    mapping.columns.push_back(std::move(column));
  }
  return mapping;
}

}  // namespace

absl::Status ReadWithMapping(const std::vector<CsvRecord>& records, std::string_view bytes,
                             Collector& collector) {
  const std::string& file = collector.file_name();
  absl::StatusOr<Mapping> mapping = ParseMapping(bytes, collector.catalog(), file);
  if (!mapping.ok()) return mapping.status();

  // Find the header row and the mapped columns in it.
  size_t header_row = 0;
  while (header_row < records.size() && records[header_row].line < mapping->header_line) {
    ++header_row;
  }
  if (header_row == records.size() || records[header_row].line != mapping->header_line) {
    return MappingError(
        file, i18n::Tr("the file has no line {} to read the header from", mapping->header_line));
  }
  const CsvRecord& header = records[header_row];
  std::map<std::string, size_t, std::less<>> index;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    index.emplace(std::string(Trim(header.fields[i])), i);
  }
  auto find_column = [&](const std::string& name) -> absl::StatusOr<size_t> {
    auto it = index.find(name);
    if (it == index.end()) {
      return MappingError(file, i18n::Tr("the header has no column \"{}\"", name));
    }
    return it->second;
  };
  absl::StatusOr<size_t> region_index = find_column(mapping->region_column);
  if (!region_index.ok()) return region_index.status();
  std::optional<size_t> period_index;
  if (!mapping->period_column.empty()) {
    absl::StatusOr<size_t> found = find_column(mapping->period_column);
    if (!found.ok()) return found.status();
    period_index = *found;
  }
  for (ColumnMapping& column : mapping->columns) {
    absl::StatusOr<size_t> found = find_column(column.column);
    if (!found.ok()) return found.status();
    column.index = *found;
  }

  for (size_t row = header_row + 1; row < records.size(); ++row) {
    const CsvRecord& record = records[row];
    if (record.fields.size() == 1 && Trim(record.fields[0]).empty()) continue;
    if (record.fields.size() != header.fields.size()) {
      collector.AddError({record.line, mapping->region_column}, record.fields[0],
                         i18n::Tr("wrong column count: the header has {} columns, this row {}",
                                  header.fields.size(), record.fields.size()));
      continue;
    }
    const std::string& region_text = record.fields[*region_index];
    const catalog::Region* region =
        collector.ResolveRegion(region_text, {record.line, mapping->region_column});
    if (region == nullptr) continue;
    if (!collector.IsOwn(*region)) {
      collector.CountSkipped(*region);
      continue;
    }

    std::optional<period::Period> row_period;
    if (period_index) {
      const std::string& text = record.fields[*period_index];
      absl::StatusOr<period::Period> parsed = period::ParseSdmx(Trim(text));
      if (!parsed.ok()) {
        absl::StatusOr<period::ChinesePeriod> chinese = period::ParseChinesePeriod(text);
        if (chinese.ok()) parsed = chinese->period;
      }
      if (!parsed.ok()) {
        collector.AddError({record.line, mapping->period_column}, text,
                           std::string(parsed.status().message()));
        continue;
      }
      row_period = *parsed;
    }

    for (const ColumnMapping& column : mapping->columns) {
      period::Period period = column.period ? *column.period : *row_period;
      collector.Add(*column.indicator, *region, period, record.fields[column.index],
                    {record.line, column.column}, column.note);
    }
  }
  return absl::OkStatus();
}

}  // namespace yreb::importers::internal
