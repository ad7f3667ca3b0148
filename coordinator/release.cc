#include "coordinator/release.h"

#include <fmt/format.h>

#include <map>
#include <tuple>

#include "common/decimal.h"
#include "i18n/i18n.h"
#include "proto/entry.h"

namespace yreb::coordinator {
namespace {

using i18n::Tr;

std::string Shown(const std::string& value) { return value.empty() ? "-" : value; }

}  // namespace

proto::Release MakeRelease(const SharedSet& set, uint64_t epoch, uint32_t number) {
  proto::Release release;
  release.set_epoch(epoch);
  release.set_period(set.period);
  release.set_release_number(number);
  release.set_catalog_version(set.catalog_version);
  release.set_catalog_sha256(set.catalog_sha256);
  release.set_rules_version(set.rules_version);
  for (const auto& [origin, tip] : set.cut) {
    proto::CutTip* entry = release.add_cut();
    entry->set_origin(origin);
    entry->set_sequence(tip.sequence);
    entry->set_hash(std::string(crypto::AsBytes(tip.hash)));
  }
  release.set_merkle_root(std::string(crypto::AsBytes(set.merkle_root)));
  for (const proto::ReleaseCell& cell : set.cells) *release.add_cells() = cell;
  for (const proto::Aggregate& aggregate : set.aggregates) *release.add_aggregates() = aggregate;
  release.set_findings(set.findings.size());
  release.set_missing_cells(set.missing.size());
  return release;
}

Cut CutOf(const proto::Release& release) {
  Cut cut;
  for (const proto::CutTip& entry : release.cut()) {
    storage::Tip tip{entry.origin(), entry.sequence(), {}};
    if (entry.hash().size() == tip.hash.size()) {
      std::copy(entry.hash().begin(), entry.hash().end(), tip.hash.begin());
    }
    cut[entry.origin()] = tip;
  }
  return cut;
}

absl::StatusOr<CutHolding> CheckCutHeld(const storage::Store& store, const Cut& cut) {
  CutHolding holding;
  for (const auto& [origin, tip] : cut) {
    if (tip.sequence == 0) continue;
    absl::StatusOr<std::optional<std::string>> encoded = store.GetEntry(origin, tip.sequence);
    if (!encoded.ok()) return encoded.status();
    if (!encoded->has_value()) {
      if (holding.missing.empty()) {
        absl::StatusOr<std::optional<storage::Tip>> held = store.GetTip(origin);
        if (!held.ok()) return held.status();
        uint64_t have = held->has_value() ? (*held)->sequence : 0;
        holding.missing = Tr("origin {} up to sequence {} (held: {})", origin, tip.sequence, have);
      }
      continue;
    }
    crypto::Hash hash = entry::HashEntry(**encoded);
    if (hash != tip.hash) {
      holding.conflicts.push_back(
          Tr("the cut names entry {}/{} with hash {}, but this node holds hash {}", origin,
             tip.sequence, crypto::ToHex(tip.hash), crypto::ToHex(hash)));
    }
  }
  holding.complete = holding.missing.empty() && holding.conflicts.empty();
  return holding;
}

std::vector<std::string> CompareReleases(const proto::Release& claimed,
                                         const proto::Release& computed) {
  std::vector<std::string> differences;

  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, std::pair<std::string, std::string>> cells;  // key -> (claimed, computed)
  for (const proto::ReleaseCell& cell : claimed.cells()) {
    cells[{cell.indicator(), cell.region(), cell.period()}].first = cell.value();
  }
  for (const proto::ReleaseCell& cell : computed.cells()) {
    cells[{cell.indicator(), cell.region(), cell.period()}].second = cell.value();
  }
  for (const auto& [key, values] : cells) {
    if (decimal::Equal(values.first, values.second)) continue;
    const auto& [indicator, region, period] = key;
    differences.push_back(Tr("cell {} {} {}: release {}, computed {}", indicator, region, period,
                             Shown(values.first), Shown(values.second)));
  }

  std::map<std::pair<std::string, std::string>,
           std::pair<const proto::Aggregate*, const proto::Aggregate*>>
      aggregates;
  for (const proto::Aggregate& aggregate : claimed.aggregates()) {
    aggregates[{aggregate.indicator(), aggregate.period()}].first = &aggregate;
  }
  for (const proto::Aggregate& aggregate : computed.aggregates()) {
    aggregates[{aggregate.indicator(), aggregate.period()}].second = &aggregate;
  }
  for (const auto& [key, pair] : aggregates) {
    const auto& [indicator, period] = key;
    const proto::Aggregate* mine = pair.second;
    const proto::Aggregate* theirs = pair.first;
    std::string claimed_value = theirs != nullptr ? theirs->value() : "";
    std::string computed_value = mine != nullptr ? mine->value() : "";
    if (claimed_value != computed_value ||
        (theirs != nullptr && mine != nullptr && theirs->provinces() != mine->provinces())) {
      differences.push_back(Tr("belt aggregate {} {}: release {}, computed {}", indicator, period,
                               Shown(claimed_value), Shown(computed_value)));
      continue;
    }
    std::map<std::string, std::pair<std::string, std::string>> shares;
    for (const proto::ProvinceShare& share : theirs->shares()) {
      shares[share.region()].first = fmt::format("{}/{}", share.share_percent(), share.rank());
    }
    for (const proto::ProvinceShare& share : mine->shares()) {
      shares[share.region()].second = fmt::format("{}/{}", share.share_percent(), share.rank());
    }
    for (const auto& [region, both] : shares) {
      if (both.first == both.second) continue;
      differences.push_back(Tr("share and rank of {} in {} {}: release {}, computed {}", region,
                               indicator, period, Shown(both.first), Shown(both.second)));
    }
  }

  if (claimed.merkle_root() != computed.merkle_root()) {
    differences.push_back(Tr("Merkle root: release {}, computed {}",
                             crypto::ToHex(claimed.merkle_root()),
                             crypto::ToHex(computed.merkle_root())));
  }
  if (claimed.findings() != computed.findings() ||
      claimed.missing_cells() != computed.missing_cells()) {
    differences.push_back(Tr("findings and missing cells: release {} and {}, computed {} and {}",
                             claimed.findings(), claimed.missing_cells(), computed.findings(),
                             computed.missing_cells()));
  }
  return differences;
}

}  // namespace yreb::coordinator
