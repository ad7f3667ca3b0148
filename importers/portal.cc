// Exports of the national statistics data portal (data.stats.gov.cn), as
// downloaded. A file starts with title lines, then a header row, data rows
// and footnotes:
//
//   数据库：分省年度数据
//   指标：地区生产总值(亿元)            <- regions as rows; or 地区：湖北省 for
//   时间：最近20年                         indicators as rows
//   地区,2024年,2023年,...               <- header: "地区" or "指标", then periods
//   北京市,49670.2,47353.7,...
//   注：...                              <- footnotes, possibly over several lines
//   数据来源：国家统计局
#include <optional>
#include <string>

#include "common/period.h"
#include "i18n/i18n.h"
#include "importers/layouts.h"

namespace yreb::importers::internal {
namespace {

constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";

// National databases of the portal: their exports have no 地区： line
// because every value is the nation's.
constexpr std::string_view kNationalDatabases[] = {"年度数据", "季度数据", "月度数据"};

// Returns the text after "LABEL：" or "LABEL:" when `field` is that title.
std::optional<std::string_view> TitleValue(std::string_view field, std::string_view label) {
  field = Trim(field);
  if (!field.starts_with(label)) return std::nullopt;
  field.remove_prefix(label.size());
  for (std::string_view colon : {std::string_view("："), std::string_view(":")}) {
    if (field.starts_with(colon)) return Trim(field.substr(colon.size()));
  }
  return std::nullopt;
}

bool IsFootnote(std::string_view field) {
  return TitleValue(field, "注").has_value() || TitleValue(field, "数据来源").has_value() ||
         TitleValue(field, "说明").has_value();
}

bool IsBlank(const CsvRecord& record) {
  for (const std::string& field : record.fields) {
    if (!Trim(field).empty()) return false;
  }
  return true;
}

// Joins the fields of a footnote row back together: its text may contain
// ASCII commas that the CSV split cut apart.
std::string JoinFields(const CsvRecord& record) {
  std::string text;
  size_t last = record.fields.size();
  while (last > 0 && record.fields[last - 1].empty()) --last;
  for (size_t i = 0; i < last; ++i) {
    if (i > 0) text.push_back(',');
    text += record.fields[i];
  }
  return text;
}

}  // namespace

bool LooksLikePortal(const std::vector<CsvRecord>& records) {
  for (const CsvRecord& record : records) {
    if (IsBlank(record)) continue;
    std::string_view first = record.fields[0];
    for (std::string_view label : {"数据库", "指标", "地区", "时间"}) {
      if (TitleValue(first, label).has_value()) return true;
    }
    std::string_view header = Trim(first);
    return (header == "地区" || header == "指标") && record.fields.size() > 1 &&
           period::ParseChinesePeriod(record.fields[1]).ok();
  }
  return false;
}

absl::Status ReadPortal(const std::vector<CsvRecord>& records, Collector& collector,
                        ParseResult* result) {
  const std::string& file = collector.file_name();

  // Title lines, up to the header row.
  std::optional<std::string> database, indicator_title, region_title;
  int indicator_line = 0, region_line = 0;
  size_t row = 0;
  for (; row < records.size(); ++row) {
    const CsvRecord& record = records[row];
    if (IsBlank(record)) continue;
    std::string_view first = record.fields[0];
    if (auto value = TitleValue(first, "数据库")) {
      database = std::string(*value);
    } else if (auto value = TitleValue(first, "指标")) {
      indicator_title = std::string(*value);
      indicator_line = record.line;
    } else if (auto value = TitleValue(first, "地区")) {
      region_title = std::string(*value);
      region_line = record.line;
    } else if (TitleValue(first, "时间").has_value()) {
      // "最近20年" is how the export was requested; the header has the periods.
    } else if (Trim(first) == "地区" || Trim(first) == "指标") {
      break;
    } else {
      return absl::InvalidArgumentError(i18n::Tr(
          "{}: line {}: expected a title line (数据库：, 指标：, 地区：, 时间：) or the header "
          "row starting with 地区 or 指标, found \"{}\"",
          file, record.line, std::string(first)));
    }
  }
  if (row == records.size()) {
    return absl::InvalidArgumentError(
        i18n::Tr("{}: no header row starting with 地区 or 指标 was found", file));
  }

  // The header row: periods in every column after the first.
  const CsvRecord& header = records[row];
  bool regions_as_rows = Trim(header.fields[0]) == "地区";
  size_t columns = header.fields.size();
  while (columns > 1 && Trim(header.fields[columns - 1]).empty()) --columns;
  std::vector<std::optional<period::ChinesePeriod>> periods(columns);
  for (size_t column = 1; column < columns; ++column) {
    const std::string& label = header.fields[column];
    absl::StatusOr<period::ChinesePeriod> parsed = period::ParseChinesePeriod(label);
    if (parsed.ok()) {
      periods[column] = *parsed;
    } else {
      collector.AddError({header.line, label}, label, std::string(parsed.status().message()));
    }
  }

  // What the title lines fix: the indicator of every row, or the region.
  const catalog::Indicator* fixed_indicator = nullptr;
  const catalog::Region* fixed_region = nullptr;
  if (regions_as_rows) {
    if (!indicator_title) {
      return absl::InvalidArgumentError(
          i18n::Tr("{}: the file does not name the indicator of its values: add the title line "
                   "指标：NAME above the table, or import it with a mapping file",
                   file));
    }
    fixed_indicator = collector.ResolveIndicator(*indicator_title, {indicator_line, "指标"});
    if (fixed_indicator == nullptr) return absl::OkStatus();
  } else if (region_title) {
    fixed_region = collector.ResolveRegion(*region_title, {region_line, "地区"});
    if (fixed_region == nullptr) return absl::OkStatus();
  } else {
    bool national = false;
    for (std::string_view name : kNationalDatabases) national |= database && *database == name;
    if (!national) {
      return absl::InvalidArgumentError(
          i18n::Tr("{}: the file does not name the region of its values: add the title line "
                   "地区：NAME above the table",
                   file));
    }
    fixed_region = collector.catalog().FindRegion("000000");
    if (fixed_region == nullptr) {
      return absl::InvalidArgumentError(
          i18n::Tr("{}: the catalog has no region 000000 for national data", file));
    }
  }

  // Data rows, then footnotes.
  bool in_footnotes = false;
  for (++row; row < records.size(); ++row) {
    const CsvRecord& record = records[row];
    if (IsBlank(record)) continue;
    std::string_view first = record.fields[0];
    if (IsFootnote(first)) {
      in_footnotes = true;
      result->footnotes.push_back(JoinFields(record));
      continue;
    }
    if (in_footnotes) {
      // An unquoted footnote goes on over lines indented with U+3000.
      if (first.starts_with(kIdeographicSpace) || first.starts_with(" ")) {
        result->footnotes.back() += "\n" + JoinFields(record);
      } else {
        collector.AddError({record.line, header.fields[0]}, first,
                           i18n::Tr("unexpected row after the footnotes"));
      }
      continue;
    }

    bool extra_values = false;
    for (size_t i = columns; i < record.fields.size(); ++i) {
      extra_values |= !Trim(record.fields[i]).empty();
    }
    if (record.fields.size() < columns || extra_values) {
      collector.AddError({record.line, header.fields[0]}, first,
                         i18n::Tr("wrong column count: the header has {} columns, this row {}",
                                  columns, record.fields.size()));
      continue;
    }

    const catalog::Region* region = fixed_region;
    const catalog::Indicator* indicator = fixed_indicator;
    if (regions_as_rows) {
      region = collector.ResolveRegion(first, {record.line, header.fields[0]});
    } else {
      indicator = collector.ResolveIndicator(first, {record.line, header.fields[0]});
    }
    if (region == nullptr || indicator == nullptr) continue;
    if (!collector.IsOwn(*region)) {
      collector.CountSkipped(*region);
      continue;
    }

    for (size_t column = 1; column < columns; ++column) {
      if (!periods[column]) continue;
      const period::ChinesePeriod& label = *periods[column];
      const std::string& value = record.fields[column];
      CellPlace place{record.line, header.fields[column]};
      if (label.cumulative_range && indicator->measure != proto::MEASURE_KIND_CUMULATIVE &&
          !Trim(value).empty()) {
        collector.AddError(place, value,
                           i18n::Tr("the column is a year-to-date range but indicator {} is "
                                    "not cumulative",
                                    indicator->code));
        continue;
      }
      std::string note = label.january_february ? std::string(kJanuaryFebruaryNote) : "";
      collector.Add(*indicator, *region, label.period, value, place, std::move(note));
    }
  }
  return absl::OkStatus();
}

}  // namespace yreb::importers::internal
