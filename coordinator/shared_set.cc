#include "coordinator/shared_set.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>

#include "common/big_endian.h"
#include "common/decimal.h"
#include "coordinator/exact.h"
#include "coordinator/merkle.h"
#include "i18n/i18n.h"
#include "proto/entry.h"
#include "sync/receiver.h"

namespace yreb::coordinator {
namespace {

using i18n::Tr;
using period::Period;

// (indicator, region, period) in SDMX text; std::string compares bytewise.
using CellKey = std::tuple<std::string, std::string, std::string>;

Period Previous(const Period& period) {
  Period previous = period;
  if (period.frequency == Period::kAnnual) {
    --previous.year;
    return previous;
  }
  int per_year = period.frequency == Period::kQuarterly ? 4 : 12;
  if (--previous.index == 0) {
    previous.index = per_year;
    --previous.year;
  }
  return previous;
}

// Reads the values of a set out of the cell index, each the latest revision
// within the cut.
class CutReader {
 public:
  CutReader(const storage::Store& store, const Cut& cut) : store_(store), cut_(cut) {}

  // Adds to `values` the cells of `indicator` in `periods` whose region lies
  // in one of `provinces`.
  absl::Status Read(const std::string& indicator, const std::set<std::string>& periods,
                    const std::set<std::string>& provinces,
                    std::map<CellKey, proto::ReleaseCell>* values) {
    std::map<std::pair<std::string, std::string>, std::vector<storage::CellRevision>> cells;
    absl::Status scanned = store_.ScanCells(indicator, "", [&](const storage::CellRevision& cell) {
      if (periods.contains(cell.period) &&
          provinces.contains(catalog::Catalog::ProvinceOf(cell.region))) {
        cells[{cell.region, cell.period}].push_back(cell);
      }
      return true;
    });
    if (!scanned.ok()) return scanned;

    for (auto& [key, revisions] : cells) {
      std::sort(revisions.begin(), revisions.end(),
                [](const storage::CellRevision& a, const storage::CellRevision& b) {
                  return a.revision > b.revision;
                });
      for (const storage::CellRevision& revision : revisions) {
        absl::StatusOr<std::optional<proto::ReleaseCell>> chosen = Load(revision);
        if (!chosen.ok()) return chosen.status();
        if (!chosen->has_value()) continue;  // beyond the cut
        // The newest revision within the cut decides; a withdrawal empties
        // the cell.
        if (!(*chosen)->value().empty()) {
          (*values)[{indicator, key.first, key.second}] = **chosen;
        }
        break;
      }
    }
    return absl::OkStatus();
  }

 private:
  bool WithinCut(uint32_t origin, uint64_t sequence) const {
    auto it = cut_.find(origin);
    return it != cut_.end() && sequence <= it->second.sequence;
  }

  // Returns the cell's value (empty for a withdrawal) or nullopt when the
  // revision lies beyond the cut.
  absl::StatusOr<std::optional<proto::ReleaseCell>> Load(const storage::CellRevision& revision) {
    if (!WithinCut(revision.origin, revision.sequence)) return std::nullopt;
    absl::StatusOr<std::optional<std::string>> encoded =
        store_.GetEntry(revision.origin, revision.sequence);
    if (!encoded.ok()) return encoded.status();
    if (!encoded->has_value()) {
      return absl::DataLossError(Tr("the index names entry {}/{}, which is not stored",
                                    revision.origin, revision.sequence));
    }
    absl::StatusOr<entry::EntryView> view = entry::Decode(**encoded);
    proto::Record record;
    if (!view.ok() ||
        !record.ParseFromArray(view->body.data(), static_cast<int>(view->body.size()))) {
      return absl::DataLossError(
          Tr("entry {}/{} holds a damaged record", revision.origin, revision.sequence));
    }
    if (record.import_id() != 0) {
      absl::StatusOr<bool> committed =
          CommitWithinCut(revision.origin, revision.sequence, record.import_id());
      if (!committed.ok()) return committed.status();
      if (!*committed) return std::nullopt;
    }

    proto::ReleaseCell cell;
    cell.set_indicator(record.indicator());
    cell.set_region(record.region());
    cell.set_period(record.period());
    if (!record.withdrawn()) cell.set_value(record.value());
    cell.set_revision(record.revision());
    cell.set_origin(revision.origin);
    cell.set_sequence(revision.sequence);
    crypto::Hash hash = entry::HashEntry(**encoded);
    cell.set_entry_hash(std::string(crypto::AsBytes(hash)));
    return cell;
  }

  // Returns true when the commit entry of import `import_id`, which follows
  // its records in the origin's log, lies within the cut. Results are kept
  // per import, so an import's records are scanned once.
  absl::StatusOr<bool> CommitWithinCut(uint32_t origin, uint64_t record_sequence,
                                       uint64_t import_id) {
    auto key = std::make_pair(origin, import_id);
    if (auto it = commits_.find(key); it != commits_.end()) return it->second;
    uint64_t last = cut_.at(origin).sequence;
    bool found = false;
    absl::Status scanned = store_.ScanEntries(
        origin, record_sequence + 1, [&](uint64_t sequence, std::string_view encoded) {
          if (sequence > last) return false;
          absl::StatusOr<entry::EntryView> view = entry::Decode(encoded);
          if (!view.ok() || view->kind != proto::ENTRY_KIND_IMPORT_COMMIT) return true;
          proto::ImportCommit commit;
          if (commit.ParseFromArray(view->body.data(), static_cast<int>(view->body.size())) &&
              commit.import_id() == import_id) {
            found = true;
            return false;
          }
          return true;
        });
    if (!scanned.ok()) return scanned;
    commits_[key] = found;
    return found;
  }

  const storage::Store& store_;
  const Cut& cut_;
  std::map<std::pair<uint32_t, uint64_t>, bool> commits_;
};

const proto::ReleaseCell* Find(const std::map<CellKey, proto::ReleaseCell>& values,
                               const std::string& indicator, const std::string& region,
                               const std::string& period) {
  auto it = values.find({indicator, region, period});
  return it == values.end() ? nullptr : &it->second;
}

absl::Status AddFindings(const catalog::Indicator& indicator, const proto::ReleaseCell& cell,
                         const Period& period, const std::map<CellKey, proto::ReleaseCell>& values,
                         std::vector<Finding>* findings) {
  absl::StatusOr<Exact> value = ParseExact(cell.value());
  if (!value.ok()) return value.status();
  auto flag = [&](const char* kind, const std::string& limit, const proto::ReleaseCell* previous) {
    Finding finding{kind, cell.indicator(), cell.region(), cell.period(), cell.value(), limit, "",
                    ""};
    if (previous != nullptr) {
      finding.previous_period = previous->period();
      finding.previous_value = previous->value();
    }
    findings->push_back(std::move(finding));
  };

  const catalog::Bounds& bounds = indicator.bounds;
  if (!bounds.min.empty() && decimal::Compare(cell.value(), bounds.min) < 0) {
    flag("below_min", bounds.min, nullptr);
  }
  if (!bounds.max.empty() && decimal::Compare(cell.value(), bounds.max) > 0) {
    flag("above_max", bounds.max, nullptr);
  }

  const proto::ReleaseCell* previous =
      Find(values, cell.indicator(), cell.region(), Previous(period).ToSdmx());
  if (previous == nullptr) return absl::OkStatus();
  absl::StatusOr<Exact> before = ParseExact(previous->value());
  if (!before.ok()) return before.status();

  if (!bounds.max_change_percent.empty() && before->units != 0) {
    // |value - before| * 100 > limit * |before|, compared exactly.
    absl::StatusOr<Exact> limit = ParseExact(bounds.max_change_percent);
    if (!limit.ok()) return limit.status();
    Exact negated{-before->units, before->scale};
    absl::StatusOr<Exact> change = Add(*value, negated);
    if (!change.ok()) return change.status();
    if (change->units < 0) change->units = -change->units;
    Exact magnitude{before->units < 0 ? -before->units : before->units, before->scale};
    absl::StatusOr<Exact> left = Multiply(*change, Exact{100, 0});
    absl::StatusOr<Exact> right = Multiply(*limit, magnitude);
    if (!left.ok()) return left.status();
    if (!right.ok()) return right.status();
    if (CompareExact(*left, *right) > 0) flag("jump", bounds.max_change_percent, previous);
  }

  bool year_to_date = indicator.measure == proto::MEASURE_KIND_CUMULATIVE &&
                      indicator.value_kind == proto::VALUE_KIND_LEVEL &&
                      period.frequency != Period::kAnnual && period.index > 1;
  if (year_to_date && CompareExact(*value, *before) < 0) flag("ytd_decrease", "", previous);
  return absl::OkStatus();
}

// Ranks provinces by value, largest first; equal values by region code.
void Rank(std::vector<std::pair<std::string, Exact>>& values) {
  std::sort(values.begin(), values.end(), [](const auto& a, const auto& b) {
    int order = CompareExact(a.second, b.second);
    if (order != 0) return order > 0;
    return a.first < b.first;
  });
}

absl::StatusOr<std::optional<proto::Aggregate>> Aggregate(
    const catalog::Indicator& indicator, const std::string& period,
    const std::vector<std::string>& provinces,
    const std::map<CellKey, proto::ReleaseCell>& values) {
  std::vector<std::pair<std::string, Exact>> present;
  for (const std::string& province : provinces) {
    const proto::ReleaseCell* cell = Find(values, indicator.code, province, period);
    if (cell == nullptr) continue;
    absl::StatusOr<Exact> value = ParseExact(cell->value());
    if (!value.ok()) return value.status();
    present.emplace_back(province, *value);
  }
  if (present.empty()) return std::nullopt;

  proto::Aggregate aggregate;
  aggregate.set_indicator(indicator.code);
  aggregate.set_period(period);
  aggregate.set_expected(static_cast<uint32_t>(provinces.size()));

  if (indicator.aggregation == catalog::Aggregation::kSum) {
    aggregate.set_rule("sum");
    Exact total;
    for (const auto& [province, value] : present) {
      absl::StatusOr<Exact> sum = Add(total, value);
      if (!sum.ok()) return sum.status();
      total = *sum;
    }
    // A sum of exact decimals is exact, so it is not rounded. Every value of
    // the indicator is in the catalog's unit, so the multiplier would scale
    // every term alike and the sum stays in that unit.
    // NOTE: a record written under an older catalog version that gave this
    // code another unit would be summed unconverted.
    aggregate.set_value(ExactText(total));
    aggregate.set_provinces(static_cast<uint32_t>(present.size()));
    Rank(present);
    for (size_t i = 0; i < present.size(); ++i) {
      proto::ProvinceShare* share = aggregate.add_shares();
      share->set_region(present[i].first);
      share->set_rank(static_cast<uint32_t>(i + 1));
      if (total.units == 0) continue;
      absl::StatusOr<Exact> percent = Multiply(present[i].second, Exact{100, 0});
      if (!percent.ok()) return percent.status();
      absl::StatusOr<Exact> ratio = Divide(*percent, total, kShareDecimals);
      if (!ratio.ok()) return ratio.status();
      share->set_share_percent(ExactFixedText(*ratio));
    }
    return aggregate;
  }

  // Weighted mean over the provinces that have both a value and a weight.
  aggregate.set_rule("weighted_mean");
  Exact numerator, denominator;
  std::vector<std::pair<std::string, Exact>> weighted;
  for (const auto& [province, value] : present) {
    const proto::ReleaseCell* weight_cell =
        Find(values, indicator.weight_indicator, province, period);
    if (weight_cell == nullptr) continue;
    absl::StatusOr<Exact> weight = ParseExact(weight_cell->value());
    if (!weight.ok()) return weight.status();
    absl::StatusOr<Exact> product = Multiply(value, *weight);
    if (!product.ok()) return product.status();
    absl::StatusOr<Exact> top = Add(numerator, *product);
    absl::StatusOr<Exact> bottom = Add(denominator, *weight);
    if (!top.ok()) return top.status();
    if (!bottom.ok()) return bottom.status();
    numerator = *top;
    denominator = *bottom;
    weighted.emplace_back(province, value);
  }
  if (weighted.empty() || denominator.units == 0) return std::nullopt;
  absl::StatusOr<Exact> mean = Divide(numerator, denominator, indicator.decimals);
  if (!mean.ok()) return mean.status();
  aggregate.set_value(ExactFixedText(*mean));
  aggregate.set_provinces(static_cast<uint32_t>(weighted.size()));
  Rank(weighted);
  for (size_t i = 0; i < weighted.size(); ++i) {
    proto::ProvinceShare* share = aggregate.add_shares();
    share->set_region(weighted[i].first);
    share->set_rank(static_cast<uint32_t>(i + 1));
  }
  return aggregate;
}

}  // namespace

bool IsRequiredPeriod(const catalog::Indicator& indicator, const Period& period) {
  if (!indicator.CollectedIn(period.year)) return false;
  return !(indicator.frequency == Period::kMonthly && period.index == 1 &&
           indicator.measure == proto::MEASURE_KIND_CUMULATIVE);
}

std::vector<Period> PeriodsOf(const catalog::Indicator& indicator, const Period& period) {
  if (indicator.frequency == period.frequency) return {period};
  if (period.frequency == Period::kQuarterly && indicator.frequency == Period::kMonthly) {
    std::vector<Period> months;
    for (int month = period.StartMonth(); month < period.StartMonth() + 3; ++month) {
      months.push_back(Period{period.year, Period::kMonthly, month});
    }
    return months;
  }
  return {};
}

absl::StatusOr<SharedSet> ComputeSharedSet(const SharedSetInput& input) {
  const catalog::Catalog& catalog = *input.catalog;
  SharedSet set;
  set.period = input.period.ToSdmx();
  set.catalog_version = static_cast<uint32_t>(catalog.version());
  set.catalog_sha256 = catalog.Sha256Hex();
  set.cut = input.cut;
  set.provinces = input.provinces.empty() ? catalog.member_provinces() : input.provinces;
  std::sort(set.provinces.begin(), set.provinces.end());
  std::set<std::string> provinces(set.provinces.begin(), set.provinces.end());

  // The values of the set's periods and of the periods just before them,
  // which the findings compare against.
  std::map<CellKey, proto::ReleaseCell> values;
  CutReader reader(*input.store, set.cut);
  for (const catalog::Indicator& indicator : catalog.indicators()) {
    std::vector<Period> periods = PeriodsOf(indicator, input.period);
    if (periods.empty()) continue;
    set.indicators.push_back(indicator.code);
    std::set<std::string> wanted;
    for (const Period& period : periods) {
      wanted.insert(period.ToSdmx());
      wanted.insert(Previous(period).ToSdmx());
    }
    if (absl::Status status = reader.Read(indicator.code, wanted, provinces, &values);
        !status.ok()) {
      return status;
    }
  }

  std::vector<crypto::Hash> leaves;
  for (const std::string& code : set.indicators) {
    const catalog::Indicator& indicator = *catalog.FindIndicator(code);
    std::vector<Period> periods = PeriodsOf(indicator, input.period);
    std::set<std::string> in_set;
    for (const Period& period : periods) in_set.insert(period.ToSdmx());

    for (const auto& [key, cell] : values) {
      if (std::get<0>(key) != code || !in_set.contains(std::get<2>(key))) continue;
      set.cells.push_back(cell);
    }

    for (const Period& period : periods) {
      std::string text = period.ToSdmx();
      if (indicator.scope != catalog::Scope::kPrefecture) {
        for (const std::string& province : set.provinces) {
          if (!IsRequiredPeriod(indicator, period)) continue;
          ++set.expected_cells;
          if (Find(values, code, province, text) == nullptr) {
            set.missing.push_back({province, code, text});
          }
        }
      }
      if (indicator.aggregation != catalog::Aggregation::kNotAggregable) {
        absl::StatusOr<std::optional<proto::Aggregate>> aggregate =
            Aggregate(indicator, text, set.provinces, values);
        if (!aggregate.ok()) return aggregate.status();
        if (aggregate->has_value()) set.aggregates.push_back(std::move(**aggregate));
      }
    }

    // Prefecture coverage at the set's last period of the indicator.
    if (indicator.scope != catalog::Scope::kProvince) {
      std::string last = periods.back().ToSdmx();
      for (const std::string& province : set.provinces) {
        PrefectureCoverage coverage{province, code, last, 0, 0};
        for (const catalog::Region& region : catalog.regions()) {
          if (region.level != catalog::RegionLevel::kPrefecture ||
              catalog::Catalog::ProvinceOf(region.code) != province ||
              (region.abolished != 0 && region.abolished <= input.period.year)) {
            continue;
          }
          ++coverage.total;
          coverage.have += Find(values, code, region.code, last) != nullptr;
        }
        if (coverage.total > 0) set.prefecture_coverage.push_back(coverage);
      }
    }
  }

  std::sort(set.cells.begin(), set.cells.end(),
            [](const proto::ReleaseCell& a, const proto::ReleaseCell& b) {
              return std::tie(a.indicator(), a.region(), a.period()) <
                     std::tie(b.indicator(), b.region(), b.period());
            });
  for (const proto::ReleaseCell& cell : set.cells) {
    crypto::Hash hash{};
    std::copy(cell.entry_hash().begin(), cell.entry_hash().end(), hash.begin());
    leaves.push_back(hash);
    const catalog::Indicator& indicator = *catalog.FindIndicator(cell.indicator());
    absl::StatusOr<Period> period = period::ParseSdmx(cell.period());
    if (!period.ok()) return period.status();
    if (absl::Status status = AddFindings(indicator, cell, *period, values, &set.findings);
        !status.ok()) {
      return status;
    }
  }
  set.merkle_root = MerkleRoot(leaves);
  std::sort(set.aggregates.begin(), set.aggregates.end(),
            [](const proto::Aggregate& a, const proto::Aggregate& b) {
              return std::tie(a.indicator(), a.period()) < std::tie(b.indicator(), b.period());
            });
  return set;
}

absl::StatusOr<Cut> CurrentCut(const storage::Store& store) {
  absl::StatusOr<std::vector<storage::Tip>> tips = store.GetTips();
  if (!tips.ok()) return tips.status();
  std::set<uint32_t> quarantined;
  absl::Status scanned =
      store.ScanMeta(sync::kForkPrefix, [&](std::string_view key, std::string_view) {
        if (key.size() == sync::kForkPrefix.size() + 4) {
          quarantined.insert(
              static_cast<uint32_t>(GetBigEndian(key.substr(sync::kForkPrefix.size()).data(), 4)));
        }
        return true;
      });
  if (!scanned.ok()) return scanned;
  Cut cut;
  for (const storage::Tip& tip : *tips) {
    if (!quarantined.contains(tip.origin)) cut[tip.origin] = tip;
  }
  return cut;
}

}  // namespace yreb::coordinator
