// The long CSV layout: one observation per row, with the header
//   indicator,region,region_name,period,value,unit,measure,value_kind,status,revision,note
// WriteLongCsv() writes it and ReadLongCsv() reads it back. The reader also
// accepts files that people make by hand: columns in any order, only
// indicator, region, period and value required, names as well as codes.
#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "common/decimal.h"
#include "common/period.h"
#include "i18n/i18n.h"
#include "importers/layouts.h"

namespace yreb::importers::internal {
namespace {

constexpr std::array<std::string_view, 11> kColumns = {
    "indicator", "region",     "region_name", "period",   "value", "unit",
    "measure",   "value_kind", "status",      "revision", "note"};
// Returns the position of `name` in kColumns, at compile time.
consteval size_t Column(std::string_view name) {
  for (size_t i = 0; i < kColumns.size(); ++i) {
    if (kColumns[i] == name) return i;
  }
  throw "not a long CSV column";
}
constexpr std::array<std::string_view, 4> kRequiredColumns = {"indicator", "region", "period",
                                                              "value"};

// Tokens of the measure, value_kind and status columns: the written English
// token first, then the Chinese terms people type.
struct Token {
  std::string_view english;
  std::string_view chinese;
  int value;
};
constexpr Token kMeasures[] = {{"current", "当期", proto::MEASURE_KIND_CURRENT},
                               {"cumulative", "累计", proto::MEASURE_KIND_CUMULATIVE}};
constexpr Token kValueKinds[] = {{"level", "总量", proto::VALUE_KIND_LEVEL},
                                 {"growth_rate", "增速", proto::VALUE_KIND_GROWTH_RATE}};
constexpr Token kStatuses[] = {
    {"preliminary", "初步核算", proto::DATA_STATUS_PRELIMINARY},
    {"preliminary_verification", "初步核实", proto::DATA_STATUS_PRELIMINARY_VERIFICATION},
    {"final_verification", "最终核实", proto::DATA_STATUS_FINAL_VERIFICATION},
    {"revised", "修订", proto::DATA_STATUS_REVISED}};

template <size_t N>
std::optional<int> ParseToken(std::string_view text, const Token (&tokens)[N]) {
  for (const Token& token : tokens) {
    if (text == token.english || text == token.chinese) return token.value;
  }
  return std::nullopt;
}

template <size_t N>
std::string_view TokenName(int value, const Token (&tokens)[N]) {
  for (const Token& token : tokens) {
    if (token.value == value) return token.english;
  }
  return "";
}

template <size_t N>
std::string TokenList(const Token (&tokens)[N]) {
  std::string list;
  for (const Token& token : tokens) {
    if (!list.empty()) list += ", ";
    list += std::string(token.english) + " (" + std::string(token.chinese) + ")";
  }
  return list;
}


// Reads a period written as SDMX or as a portal label.
absl::StatusOr<period::Period> ParseAnyPeriod(std::string_view text) {
  absl::StatusOr<period::Period> sdmx = period::ParseSdmx(text);
  if (sdmx.ok()) return sdmx;
  absl::StatusOr<period::ChinesePeriod> chinese = period::ParseChinesePeriod(text);
  if (chinese.ok()) return chinese->period;
  return sdmx.status();
}

}  // namespace

bool LooksLikeLongCsv(const std::vector<CsvRecord>& records) {
  if (records.empty()) return false;
  int found = 0;
  for (const std::string& field : records[0].fields) {
    for (std::string_view required : kRequiredColumns) found += Trim(field) == required;
  }
  return found == static_cast<int>(kRequiredColumns.size());
}

// Reads the rows of a long CSV after its header.
class LongCsvRows {
 public:
  explicit LongCsvRows(Collector& collector) : collector_(collector) {}

  // Checks the header and learns the column order.
  absl::Status Header(const CsvRow& header);
  void Row(const CsvRow& record);

 private:
  Collector& collector_;
  size_t columns_ = 0;
  // Where each column of kColumns is in the file, or -1.
  std::array<int, kColumns.size()> position_;
};

absl::Status LongCsvRows::Header(const CsvRow& header) {
  columns_ = header.fields.size();
  position_.fill(-1);
  for (size_t i = 0; i < header.fields.size(); ++i) {
    std::string name(Trim(header.fields[i]));
    size_t id = std::find(kColumns.begin(), kColumns.end(), name) - kColumns.begin();
    if (id == kColumns.size()) {
      return absl::InvalidArgumentError(
          i18n::Tr("{}: line 1: unknown column \"{}\"; the long CSV columns are {}",
                   collector_.file_name(), name, kLongCsvHeader));
    }
    if (position_[id] >= 0) {
      return absl::InvalidArgumentError(
          i18n::Tr("{}: line 1: column \"{}\" appears twice", collector_.file_name(), name));
    }
    position_[id] = static_cast<int>(i);
  }
  return absl::OkStatus();
}

void LongCsvRows::Row(const CsvRow& record) {
  if (record.fields.size() == 1 && Trim(record.fields[0]).empty()) return;
  if (record.fields.size() != columns_) {
    collector_.AddError({record.line, ""}, record.fields[0],
                       i18n::Tr("wrong column count: the header has {} columns, this row {}",
                                columns_, record.fields.size()));
    return;
  }
  auto cell = [&](size_t column) -> std::string_view {
    int at = position_[column];
    return at < 0 ? std::string_view() : Trim(record.fields[at]);
  };
  auto place = [&](std::string_view column) { return CellPlace{record.line, column}; };

  const catalog::Region* region = collector_.ResolveRegion(cell(Column("region")), place("region"));
  const catalog::Indicator* indicator =
      collector_.ResolveIndicator(cell(Column("indicator")), place("indicator"));
  if (region == nullptr || indicator == nullptr) return;
  if (!collector_.IsOwn(*region)) {
    collector_.CountSkipped(*region);
    return;
  }

  absl::StatusOr<period::Period> period = ParseAnyPeriod(cell(Column("period")));
  if (!period.ok()) {
    collector_.AddError(place("period"), cell(Column("period")),
                        std::string(period.status().message()));
    return;
  }
  if (std::string_view unit = cell(Column("unit")); !unit.empty() && unit != indicator->unit) {
    collector_.AddError(place("unit"), unit,
                        i18n::Tr("unit differs from the catalog unit {} of indicator {}",
                                 indicator->unit, indicator->code));
    return;
  }
  if (std::string_view text = cell(Column("measure")); !text.empty()) {
    std::optional<int> measure = ParseToken(text, kMeasures);
    if (!measure || *measure != indicator->measure) {
      collector_.AddError(place("measure"), text,
                          i18n::Tr("measure must be {} for indicator {}",
                                   TokenName(indicator->measure, kMeasures), indicator->code));
      return;
    }
  }
  if (std::string_view text = cell(Column("value_kind")); !text.empty()) {
    std::optional<int> kind = ParseToken(text, kValueKinds);
    if (!kind || *kind != indicator->value_kind) {
      collector_.AddError(place("value_kind"), text,
                          i18n::Tr("value_kind must be {} for indicator {}",
                                   TokenName(indicator->value_kind, kValueKinds), indicator->code));
      return;
    }
  }
  proto::DataStatus status = proto::DATA_STATUS_UNSPECIFIED;
  if (std::string_view text = cell(Column("status")); !text.empty()) {
    // The short names that yrebctl's --status takes are accepted too.
    std::string_view token = text == "final"                      ? "final_verification"
                             : text == "preliminary-verification" ? "preliminary_verification"
                                                                  : text;
    std::optional<int> parsed = ParseToken(token, kStatuses);
    if (!parsed) {
      collector_.AddError(place("status"), text,
                          i18n::Tr("invalid status; use one of {}", TokenList(kStatuses)));
      return;
    }
    status = static_cast<proto::DataStatus>(*parsed);
  }
  // The revision column is written for the record's history; the node
  // numbers revisions itself, so an import only checks the cell.
  if (std::string_view text = cell(Column("revision"));
      !text.empty() && text.find_first_not_of("0123456789") != std::string_view::npos) {
    collector_.AddError(place("revision"), text,
                        i18n::Tr("revision must be a whole number or empty"));
    return;
  }

  collector_.Add(*indicator, *region, *period, cell(Column("value")), place("value"),
                 std::string(cell(Column("note"))), status);
}

absl::Status ReadLongCsv(std::string_view text, Collector& collector) {
  LongCsvRows rows(collector);
  absl::Status header_status;
  bool first = true;
  absl::Status status = ForEachCsvRow(text, collector.file_name(), [&](const CsvRow& record) {
    if (first) {
      first = false;
      header_status = rows.Header(record);
      return header_status.ok();
    }
    rows.Row(record);
    return true;
  });
  if (!header_status.ok()) return header_status;
  return status;
}

absl::Status ReadLongCsvRows(std::string_view text, std::string_view rows, int first_line,
                             Collector& collector) {
  LongCsvRows reader(collector);
  absl::Status header_status;
  absl::Status status = ForEachCsvRow(text, collector.file_name(), [&](const CsvRow& record) {
    header_status = reader.Header(record);
    return false;
  });
  if (!status.ok()) return status;
  if (!header_status.ok()) return header_status;
  return ForEachCsvRow(
      rows, collector.file_name(),
      [&](const CsvRow& record) {
        reader.Row(record);
        return true;
      },
      first_line);
}

}  // namespace yreb::importers::internal

namespace yreb::importers {

absl::StatusOr<std::string> WriteLongCsv(const std::vector<ExportRow>& rows, Encoding encoding) {
  std::string text(kLongCsvHeader);
  text += "\r\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const ExportRow& row = rows[i];
    if (absl::Status valid = decimal::Validate(row.value); !valid.ok()) {
      return absl::InvalidArgumentError(
          i18n::Tr("export row {}: {}", i + 1, std::string(valid.message())));
    }
    if (absl::StatusOr<period::Period> period = period::ParseSdmx(row.period); !period.ok()) {
      return absl::InvalidArgumentError(
          i18n::Tr("export row {}: {}", i + 1, std::string(period.status().message())));
    }
    std::string revision = row.revision == 0 ? "" : std::to_string(row.revision);
    std::string_view fields[] = {row.indicator,
                                 row.region,
                                 row.region_name,
                                 row.period,
                                 row.value,
                                 row.unit,
                                 internal::TokenName(row.measure, internal::kMeasures),
                                 internal::TokenName(row.value_kind, internal::kValueKinds),
                                 internal::TokenName(row.status, internal::kStatuses),
                                 revision,
                                 row.note};
    for (size_t f = 0; f < std::size(fields); ++f) {
      if (f > 0) text.push_back(',');
      text += internal::CsvField(fields[f]);
    }
    text += "\r\n";
  }

  if (encoding == Encoding::kGb18030) return internal::Utf8ToGb18030(text);
  return "\xEF\xBB\xBF" + text;
}

std::vector<ExportRow> ToExportRows(const std::vector<Observation>& observations,
                                    const catalog::Catalog& catalog) {
  std::vector<ExportRow> rows;
  rows.reserve(observations.size());
  for (const Observation& observation : observations) {
    ExportRow row;
    row.indicator = observation.indicator;
    row.region = observation.region;
    if (const catalog::Region* region = catalog.FindRegion(observation.region)) {
      row.region_name = region->name_zh;
    }
    row.period = observation.period;
    row.value = observation.value;
    row.unit = observation.unit;
    row.measure = observation.measure;
    row.value_kind = observation.value_kind;
    row.status = observation.status;
    row.note = observation.note;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace yreb::importers
