#include "importers/collector.h"

#include <set>
#include <utility>

#include "common/decimal.h"
#include "i18n/i18n.h"
#include "importers/text.h"

namespace yreb::importers::internal {
namespace {

std::string FrequencyName(period::Period::Frequency frequency) {
  switch (frequency) {
    case period::Period::kAnnual:
      return i18n::Tr("annual");
    case period::Period::kQuarterly:
      return i18n::Tr("quarterly");
    case period::Period::kMonthly:
      return i18n::Tr("monthly");
  }
  return "";
}

bool IsSixDigits(std::string_view text) {
  return text.size() == 6 && text.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

Collector::Collector(const catalog::Catalog& catalog, std::string_view node_province,
                     std::string file_name, ParseResult* result)
    : catalog_(catalog),
      node_province_(node_province),
      file_name_(std::move(file_name)),
      result_(result) {}

const catalog::Region* Collector::ResolveRegion(std::string_view text, CellPlace place) {
  std::string_view trimmed = Trim(text);
  const catalog::Region* region =
      IsSixDigits(trimmed) ? catalog_.FindRegion(trimmed) : catalog_.FindRegionByName(trimmed);
  if (region == nullptr) {
    AddError(place, text,
             IsSixDigits(trimmed)
                 ? i18n::Tr("unknown region code; use a GB/T 2260 code from the catalog")
                 : i18n::Tr("unknown region name; use a name or code from the catalog"));
  }
  return region;
}

const catalog::Indicator* Collector::ResolveIndicator(std::string_view text, CellPlace place) {
  std::string_view trimmed = Trim(text);
  const catalog::Indicator* indicator = catalog_.FindIndicatorByName(trimmed);
  if (indicator == nullptr) indicator = catalog_.FindIndicator(trimmed);
  if (indicator == nullptr) {
    AddError(place, text,
             i18n::Tr("unknown indicator; it is not in catalog version {}", catalog_.version()));
  }
  return indicator;
}

bool Collector::IsOwn(const catalog::Region& region) const {
  return catalog::Catalog::ProvinceOf(region.code) == node_province_;
}

void Collector::CountSkipped(const catalog::Region& region) {
  ++result_->skipped_rows_other_regions;
  ++result_->skipped_by_region[region.code];
}

void Collector::Add(const catalog::Indicator& indicator, const catalog::Region& region,
                    const period::Period& period, std::string_view value, CellPlace place,
                    std::string note, proto::DataStatus status) {
  std::string_view trimmed = Trim(value);
  if (trimmed.empty()) return;

  if (absl::Status valid = decimal::Validate(trimmed); !valid.ok()) {
    AddError(place, value, std::string(valid.message()));
    return;
  }
  if (period.frequency != indicator.frequency) {
    AddError(place, value,
             i18n::Tr("period {} does not fit indicator {}, which is {}", period.ToSdmx(),
                      indicator.code, FrequencyName(indicator.frequency)));
    return;
  }
  bool is_prefecture = region.level == catalog::RegionLevel::kPrefecture;
  if (is_prefecture && indicator.scope == catalog::Scope::kProvince) {
    AddError(place, value,
             i18n::Tr("indicator {} is collected for provinces only, not for {}", indicator.code,
                      region.name_zh));
    return;
  }
  if (!is_prefecture && indicator.scope == catalog::Scope::kPrefecture) {
    AddError(place, value,
             i18n::Tr("indicator {} is collected for prefectures only, not for {}", indicator.code,
                      region.name_zh));
    return;
  }

  std::string period_text = period.ToSdmx();
  auto key = std::make_tuple(indicator.code, region.code, period_text);
  if (auto it = seen_.find(key); it != seen_.end()) {
    const Observation& first = result_->observations[it->second];
    if (!decimal::Equal(first.value, trimmed)) {
      AddError(
          place, value,
          i18n::Tr("duplicate of line {}: {} {} {} is {} there and {} here", first.line,
                   indicator.code, region.code, period_text, first.value, std::string(trimmed)));
    }
    return;
  }

  Observation observation;
  observation.indicator = indicator.code;
  observation.region = region.code;
  observation.period = std::move(period_text);
  observation.value = std::string(trimmed);
  observation.unit = indicator.unit;
  observation.note = std::move(note);
  observation.measure = indicator.measure;
  observation.value_kind = indicator.value_kind;
  observation.status = status;
  observation.line = place.line;
  observation.column = std::string(place.column);
  seen_.emplace(std::move(key), result_->observations.size());
  result_->observations.push_back(std::move(observation));
}

void Collector::AddError(CellPlace place, std::string_view value, std::string reason) {
  result_->errors.push_back(RowError{file_name_, place.line, std::string(place.column),
                                     std::string(value), std::move(reason)});
}

void Collector::Finish() {
  for (Observation& observation : result_->observations) {
    if (observation.measure != proto::MEASURE_KIND_CUMULATIVE || !observation.note.empty()) {
      continue;
    }
    absl::StatusOr<period::Period> period = period::ParseSdmx(observation.period);
    if (!period.ok() || period->frequency != period::Period::kMonthly || period->index != 2) {
      continue;
    }
    period::Period january = *period;
    january.index = 1;
    auto key = std::make_tuple(observation.indicator, observation.region, january.ToSdmx());
    if (!seen_.contains(key)) observation.note = std::string(kJanuaryFebruaryNote);
  }
}

}  // namespace yreb::importers::internal
