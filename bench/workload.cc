#include "bench/workload.h"

#include <fmt/format.h>

#include <map>
#include <vector>

#include "catalog/catalog.h"
#include "proto/entry.h"
#include "proto/record.pb.h"

namespace yreb::bench {
namespace {

// A series: one indicator of one region; its cells are its periods.
struct Series {
  const catalog::Indicator* indicator;
  std::string region;
  uint64_t periods;  // periods between years 1000 and 9999
};

// Builds the series of `province`: every monthly and quarterly indicator of
// the province, and every annual indicator of the province and, when its
// scope allows, of each prefecture city.
std::vector<Series> BuildSeries(const std::string& province) {
  const catalog::Catalog& catalog = catalog::Catalog::Default();
  std::vector<std::string> cities;
  for (const catalog::Region& region : catalog.regions()) {
    if (region.level == catalog::RegionLevel::kPrefecture && region.abolished == 0 &&
        catalog::Catalog::ProvinceOf(region.code) == province) {
      cities.push_back(region.code);
    }
  }
  std::vector<Series> series;
  for (const catalog::Indicator& indicator : catalog.indicators()) {
    uint64_t periods = 9000;
    if (indicator.frequency == period::Period::kQuarterly) periods *= 4;
    if (indicator.frequency == period::Period::kMonthly) periods *= 12;
    if (indicator.scope != catalog::Scope::kPrefecture) {
      series.push_back({&indicator, province, periods});
    }
    if (indicator.scope != catalog::Scope::kProvince &&
        indicator.frequency == period::Period::kAnnual) {
      for (const std::string& city : cities) series.push_back({&indicator, city, periods});
    }
  }
  return series;
}

// Not thread-safe: the benchmarks generate their data on one thread.
const std::vector<Series>& SeriesOf(const std::string& province) {
  static auto* cache = new std::map<std::string, std::vector<Series>>();
  auto it = cache->find(province);
  if (it == cache->end()) it = cache->emplace(province, BuildSeries(province)).first;
  return it->second;
}

std::string PeriodText(period::Period::Frequency frequency, uint64_t step) {
  switch (frequency) {
    case period::Period::kMonthly:
      return fmt::format("{}-M{:02d}", 1000 + step / 12, step % 12 + 1);
    case period::Period::kQuarterly:
      return fmt::format("{}-Q{}", 1000 + step / 4, step % 4 + 1);
    case period::Period::kAnnual:
      break;
  }
  return fmt::format("{}", 1000 + step);
}

}  // namespace

uint64_t DistinctCells(const std::string& province) {
  uint64_t total = 0;
  for (const Series& series : SeriesOf(province)) total += series.periods;
  return total;
}

Cell CellAt(const std::string& province, uint64_t id) {
  const std::vector<Series>& all = SeriesOf(province);
  uint64_t distinct = DistinctCells(province);
  uint64_t round = id / distinct;
  uint64_t rest = id % distinct;
  size_t index = 0;
  while (rest >= all[index].periods) rest -= all[index++].periods;

  const Series& series = all[index];
  Cell cell;
  cell.indicator = series.indicator->code;
  cell.region = series.region;
  cell.period = PeriodText(series.indicator->frequency, rest);
  cell.unit = series.indicator->unit;
  // The round is in the decimals, so a wrapped id differs numerically.
  cell.value = fmt::format("{}.{:02d}", 100 + (id * 7919) % 900000, round % 100 + 1);
  return cell;
}

std::string LongCsv(const std::string& province, uint64_t first, uint64_t count) {
  std::string text =
      "indicator,region,region_name,period,value,unit,measure,value_kind,status,revision,note\n";
  text.reserve(text.size() + count * 64);
  for (uint64_t id = first; id < first + count; ++id) {
    Cell cell = CellAt(province, id);
    fmt::format_to(std::back_inserter(text), "{},{},,{},{},{},,,,,\n", cell.indicator,
                   cell.region, cell.period, cell.value, cell.unit);
  }
  return text;
}

std::string SampleEntry(const std::string& province, uint64_t id) {
  Cell cell = CellAt(province, id);
  const catalog::Indicator* indicator = catalog::Catalog::Default().FindIndicator(cell.indicator);
  proto::Record record;
  record.set_indicator(cell.indicator);
  record.set_region(cell.region);
  record.set_period(cell.period);
  record.set_value(cell.value);
  record.set_unit(cell.unit);
  record.set_measure(indicator->measure);
  record.set_value_kind(indicator->value_kind);
  record.set_status(proto::DATA_STATUS_PRELIMINARY);
  record.set_revision(1);
  record.set_catalog_version(1);
  record.set_import_id(1);
  return entry::Encode(std::stoul(province), id + 1, crypto::Sha256(cell.value),
                       proto::ENTRY_KIND_RECORD, 1700000000000, record.SerializeAsString());
}

}  // namespace yreb::bench
