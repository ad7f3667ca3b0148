// SDMX-CSV: the writer, and the reader of the files it writes.
#include "importers/sdmx.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "common/decimal.h"
#include "common/period.h"
#include "i18n/i18n.h"
#include "importers/collector.h"
#include "importers/importers.h"
#include "importers/layouts.h"
#include "importers/text.h"

namespace yreb::importers {
using i18n::Tr;

namespace {

char FrequencyCode(period::Period::Frequency frequency) {
  switch (frequency) {
    case period::Period::kAnnual:
      return 'A';
    case period::Period::kQuarterly:
      return 'Q';
    case period::Period::kMonthly:
      return 'M';
  }
  return 'A';
}

}  // namespace

std::string_view SdmxStatusCode(proto::DataStatus status) {
  switch (status) {
    case proto::DATA_STATUS_PRELIMINARY:
      return "P";
    case proto::DATA_STATUS_PRELIMINARY_VERIFICATION:
      return "E";
    case proto::DATA_STATUS_FINAL_VERIFICATION:
      return "A";
    case proto::DATA_STATUS_REVISED:
      return "B";
    default:
      return "";
  }
}

absl::StatusOr<std::string> WriteSdmxCsv(const std::vector<ExportRow>& rows,
                                         const catalog::Catalog& catalog,
                                         const SdmxOptions& options) {
  std::string text;
  std::string lead;
  if (options.version == 1) {
    text = "DATAFLOW";
    lead = fmt::format("{}:{}(1.0)", kSdmxAgency, kSdmxDataflow);
  } else {
    text = "STRUCTURE,STRUCTURE_ID,ACTION";
    lead = fmt::format("dataflow,{}:{}(1.0.0),I", kSdmxAgency, kSdmxDataflow);
  }
  text += ",FREQ,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,OBS_STATUS,UNIT_MEASURE,UNIT_MULT\r\n";

  for (size_t i = 0; i < rows.size(); ++i) {
    const ExportRow& row = rows[i];
    const catalog::Indicator* indicator = catalog.FindIndicator(row.indicator);
    if (indicator == nullptr) {
      return absl::InvalidArgumentError(Tr("row {}: indicator {} is not in catalog version {}",
                                           i + 1, row.indicator, catalog.version()));
    }
    if (absl::Status valid = decimal::Validate(row.value); !valid.ok()) {
      return absl::InvalidArgumentError(Tr("row {}: {}", i + 1, valid.message()));
    }
    absl::StatusOr<period::Period> period = period::ParseSdmx(row.period);
    if (!period.ok()) {
      return absl::InvalidArgumentError(Tr("row {}: {}", i + 1, period.status().message()));
    }
    text += fmt::format("{},{},{},{},{},{},{},{},{}\r\n", lead, FrequencyCode(period->frequency),
                        internal::CsvField(row.region), internal::CsvField(row.indicator),
                        period->ToSdmx(), row.value, SdmxStatusCode(row.status),
                        internal::CsvField(indicator->unit), indicator->unit_multiplier);
  }
  return text;
}

}  // namespace yreb::importers

namespace yreb::importers::internal {
namespace {

using i18n::Tr;

// Columns of the two versions, besides the dimension, measure and attribute
// columns they share.
constexpr std::string_view kSharedColumns[] = {"FREQ",         "REF_AREA",  "INDICATOR",
                                               "TIME_PERIOD",  "OBS_VALUE", "OBS_STATUS",
                                               "UNIT_MEASURE", "UNIT_MULT"};
constexpr std::string_view kRequired[] = {"REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE"};

std::optional<proto::DataStatus> StatusOfCode(std::string_view code) {
  for (proto::DataStatus status :
       {proto::DATA_STATUS_PRELIMINARY, proto::DATA_STATUS_PRELIMINARY_VERIFICATION,
        proto::DATA_STATUS_FINAL_VERIFICATION, proto::DATA_STATUS_REVISED}) {
    if (SdmxStatusCode(status) == code) return status;
  }
  return std::nullopt;
}

}  // namespace

absl::Status ReadSdmxCsv(const std::vector<CsvRecord>& records, Collector& collector) {
  const CsvRecord& header = records[0];
  bool version2 = Trim(header.fields[0]) == "STRUCTURE";
  std::map<std::string, size_t, std::less<>> index;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    std::string name(Trim(header.fields[i]));
    bool known = false;
    for (std::string_view column : kSharedColumns) known |= name == column;
    if (version2) {
      known |= name == "STRUCTURE" || name == "STRUCTURE_ID" || name == "ACTION";
    } else {
      known |= name == "DATAFLOW";
    }
    if (!known) {
      return absl::InvalidArgumentError(
          Tr("{}: line 1: unknown SDMX-CSV column \"{}\"; this importer reads the columns "
             "yrebctl shared export writes",
             collector.file_name(), name));
    }
    if (!index.emplace(name, i).second) {
      return absl::InvalidArgumentError(
          Tr("{}: line 1: column \"{}\" appears twice", collector.file_name(), name));
    }
  }
  for (std::string_view column : kRequired) {
    if (!index.contains(column)) {
      return absl::InvalidArgumentError(
          Tr("{}: line 1: missing SDMX-CSV column \"{}\"", collector.file_name(), column));
    }
  }
  std::string structure =
      fmt::format("{}:{}({})", kSdmxAgency, kSdmxDataflow, version2 ? "1.0.0" : "1.0");

  for (size_t row = 1; row < records.size(); ++row) {
    const CsvRecord& record = records[row];
    if (record.fields.size() == 1 && Trim(record.fields[0]).empty()) continue;
    if (record.fields.size() != header.fields.size()) {
      collector.AddError({record.line, ""}, record.fields[0],
                         Tr("wrong column count: the header has {} columns, this row {}",
                            header.fields.size(), record.fields.size()));
      continue;
    }
    auto cell = [&](std::string_view column) -> std::string_view {
      auto it = index.find(column);
      return it == index.end() ? std::string_view() : Trim(record.fields[it->second]);
    };
    auto place = [&](std::string_view column) { return CellPlace{record.line, column}; };

    std::string_view flow = cell(version2 ? "STRUCTURE_ID" : "DATAFLOW");
    if (version2 && cell("STRUCTURE") != "dataflow") {
      collector.AddError(place("STRUCTURE"), cell("STRUCTURE"),
                         Tr("STRUCTURE must be \"dataflow\""));
      continue;
    }
    if (!flow.empty() && flow != structure) {
      collector.AddError(place(version2 ? "STRUCTURE_ID" : "DATAFLOW"), flow,
                         Tr("unknown dataflow; this importer reads {}", structure));
      continue;
    }
    if (std::string_view action = cell("ACTION");
        !action.empty() && action != "I" && action != "A" && action != "R") {
      collector.AddError(place("ACTION"), action,
                         Tr("only actions I, A and R are imported; withdraw a value with "
                            "yrebctl put --withdraw"));
      continue;
    }

    const catalog::Region* region = collector.ResolveRegion(cell("REF_AREA"), place("REF_AREA"));
    const catalog::Indicator* indicator =
        collector.ResolveIndicator(cell("INDICATOR"), place("INDICATOR"));
    if (region == nullptr || indicator == nullptr) continue;
    if (!collector.IsOwn(*region)) {
      collector.CountSkipped(*region);
      continue;
    }

    absl::StatusOr<period::Period> period = period::ParseSdmx(cell("TIME_PERIOD"));
    if (!period.ok()) {
      collector.AddError(place("TIME_PERIOD"), cell("TIME_PERIOD"),
                         std::string(period.status().message()));
      continue;
    }
    if (std::string_view frequency = cell("FREQ");
        !frequency.empty() && frequency != std::string(1, FrequencyCode(period->frequency))) {
      collector.AddError(place("FREQ"), frequency,
                         Tr("FREQ does not match TIME_PERIOD {}", period->ToSdmx()));
      continue;
    }
    if (std::string_view unit = cell("UNIT_MEASURE"); !unit.empty() && unit != indicator->unit) {
      collector.AddError(place("UNIT_MEASURE"), unit,
                         Tr("unit differs from the catalog unit {} of indicator {}",
                            indicator->unit, indicator->code));
      continue;
    }
    if (std::string_view multiplier = cell("UNIT_MULT");
        !multiplier.empty() && multiplier != std::to_string(indicator->unit_multiplier)) {
      collector.AddError(place("UNIT_MULT"), multiplier,
                         Tr("UNIT_MULT must be {} for indicator {} ({}); convert the value",
                            indicator->unit_multiplier, indicator->code, indicator->unit));
      continue;
    }
    proto::DataStatus status = proto::DATA_STATUS_UNSPECIFIED;
    if (std::string_view code = cell("OBS_STATUS"); !code.empty()) {
      std::optional<proto::DataStatus> parsed = StatusOfCode(code);
      if (!parsed.has_value()) {
        collector.AddError(place("OBS_STATUS"), code,
                           Tr("invalid OBS_STATUS; use P (preliminary), E (preliminary "
                              "verification), A (final verification) or B (revised)"));
        continue;
      }
      status = *parsed;
    }
    collector.Add(*indicator, *region, *period, cell("OBS_VALUE"), place("OBS_VALUE"), "", status);
  }
  return absl::OkStatus();
}

}  // namespace yreb::importers::internal
