#include "importers/collector.h"

#include <algorithm>
#include <iterator>
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
                     std::string file_name, ParseResult* result, Sink* sink)
    : catalog_(catalog),
      node_province_(node_province),
      file_name_(std::move(file_name)),
      result_(result),
      sink_(sink) {}

const catalog::Region* Collector::ResolveRegion(std::string_view text, CellPlace place) {
  std::string_view trimmed = Trim(text);
  if (last_region_ != nullptr && trimmed == last_region_text_) return last_region_;
  const catalog::Region* region =
      IsSixDigits(trimmed) ? catalog_.FindRegion(trimmed) : catalog_.FindRegionByName(trimmed);
  if (region != nullptr) {
    last_region_text_.assign(trimmed);
    last_region_ = region;
  } else {
    AddError(place, text,
             IsSixDigits(trimmed)
                 ? i18n::Tr("unknown region code; use a GB/T 2260 code from the catalog")
                 : i18n::Tr("unknown region name; use a name or code from the catalog"));
  }
  return region;
}

const catalog::Indicator* Collector::ResolveIndicator(std::string_view text, CellPlace place) {
  std::string_view trimmed = Trim(text);
  if (last_indicator_ != nullptr && trimmed == last_indicator_text_) return last_indicator_;
  const catalog::Indicator* indicator = catalog_.FindIndicatorByName(trimmed);
  if (indicator == nullptr) indicator = catalog_.FindIndicator(trimmed);
  if (indicator != nullptr) {
    last_indicator_text_.assign(trimmed);
    last_indicator_ = indicator;
  } else {
    AddError(place, text,
             i18n::Tr("unknown indicator; it is not in catalog version {}", catalog_.version()));
  }
  return indicator;
}

bool Collector::IsOwn(const catalog::Region& region) {
  if (&region != last_owned_region_) {
    last_owned_region_ = &region;
    last_owned_ = catalog::Catalog::ProvinceOf(region.code) == node_province_;
  }
  return last_owned_;
}

void Collector::CountSkipped(const catalog::Region& region) {
  ++result_->skipped_rows_other_regions;
  ++result_->skipped_by_region[region.code];
}

void Collector::Add(const catalog::Indicator& indicator, const catalog::Region& region,
                    const period::Period& period, std::string_view value, CellPlace place,
                    std::string_view note, proto::DataStatus status) {
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

  sink_->Take(Candidate{indicator, region, period, trimmed, place, note, status});
  ++candidates_;
}

void Collector::AddError(CellPlace place, std::string_view value, std::string reason) {
  error_positions_.push_back(candidates_);
  result_->errors.push_back(RowError{file_name_, place.line, std::string(place.column),
                                     std::string(value), std::move(reason)});
}

void Collector::Append(Collector& later) {
  for (size_t position : later.error_positions_) {
    error_positions_.push_back(candidates_ + position);
  }
  candidates_ += later.candidates_;
  std::move(later.result_->errors.begin(), later.result_->errors.end(),
            std::back_inserter(result_->errors));
  result_->skipped_rows_other_regions += later.result_->skipped_rows_other_regions;
  for (const auto& [region, count] : later.result_->skipped_by_region) {
    result_->skipped_by_region[region] += count;
  }
  later.result_->errors.clear();
  later.error_positions_.clear();
}

}  // namespace yreb::importers::internal
