// SDMX-CSV: the writer, and the reader of the files it writes.
#include <fmt/format.h>

#include "common/decimal.h"
#include "common/period.h"
#include "i18n/i18n.h"
#include "importers/importers.h"
#include "importers/sdmx.h"
#include "importers/text.h"

namespace yreb::importers {
namespace {

using i18n::Tr;

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
      return absl::InvalidArgumentError(
          Tr("row {}: indicator {} is not in catalog version {}", i + 1, row.indicator,
             catalog.version()));
    }
    if (absl::Status valid = decimal::Validate(row.value); !valid.ok()) {
      return absl::InvalidArgumentError(Tr("row {}: {}", i + 1, valid.message()));
    }
    absl::StatusOr<period::Period> period = period::ParseSdmx(row.period);
    if (!period.ok()) {
      return absl::InvalidArgumentError(Tr("row {}: {}", i + 1, period.status().message()));
    }
    text += fmt::format("{},{},{},{},{},{},{},{},{}\r\n", lead,
                        FrequencyCode(period->frequency), internal::CsvField(row.region),
                        internal::CsvField(row.indicator), period->ToSdmx(), row.value,
                        SdmxStatusCode(row.status), internal::CsvField(indicator->unit),
                        indicator->unit_multiplier);
  }
  return text;
}

}  // namespace yreb::importers
