// The shared set of a period: a deterministic function of the records a
// store holds up to a cut, the catalog version and the rules version.
//
// For each indicator of the period's frequency and each region it takes the
// cell's latest revision whose entry lies within the cut (an imported record
// also needs its import's commit entry within the cut) and drops withdrawn
// cells. From those values it derives the completeness matrix, validation
// findings (flagged, never altered) and the belt aggregates by the catalog's
// rule. Two nodes holding the whole cut compute identical sets, which is
// what lets every node check a sealed release.
#ifndef YREB_COORDINATOR_SHARED_SET_H_
#define YREB_COORDINATOR_SHARED_SET_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "catalog/catalog.h"
#include "common/period.h"
#include "crypto/crypto.h"
#include "proto/coordinator.pb.h"
#include "storage/store.h"

namespace yreb::coordinator {

// Version of the rules below (which cells a period includes, the default
// aggregation rule, rounding, findings). A release computed under other
// rules is reported unverifiable, never mismatched.
inline constexpr uint32_t kRulesVersion = 1;

// Decimal places of a province's share of the belt total, in percent.
inline constexpr int kShareDecimals = 2;

// origin -> newest (sequence, hash) included.
using Cut = std::map<uint32_t, storage::Tip>;

// A flagged value. `kind` is "below_min", "above_max", "jump" (change
// against the previous period beyond the catalog's limit) or "ytd_decrease"
// (a year-to-date value below the one of the period before it in the year).
struct Finding {
  std::string kind;
  std::string indicator;
  std::string region;
  std::string period;
  std::string value;
  std::string limit;            // the bound, or the percent limit of a jump
  std::string previous_period;  // jump and ytd_decrease
  std::string previous_value;
};

// A required province value that the set lacks.
struct MissingCell {
  std::string province;
  std::string indicator;
  std::string period;
};

// Prefecture cities of a province with a value for an indicator, of those in
// use in the catalog.
struct PrefectureCoverage {
  std::string province;
  std::string indicator;
  std::string period;
  int have = 0;
  int total = 0;
};

struct SharedSet {
  std::string period;
  uint32_t catalog_version = 0;
  std::string catalog_sha256;
  uint32_t rules_version = kRulesVersion;
  Cut cut;
  std::vector<std::string> provinces;     // member provinces, ascending
  std::vector<std::string> indicators;    // in catalog order
  std::vector<proto::ReleaseCell> cells;  // sorted by (indicator, region, period)
  crypto::Hash merkle_root{};
  std::vector<proto::Aggregate> aggregates;  // sorted by (indicator, period)
  std::vector<Finding> findings;
  std::vector<MissingCell> missing;  // by province, indicator, period
  std::vector<PrefectureCoverage> prefecture_coverage;
  size_t expected_cells = 0;  // required province cells
};

struct SharedSetInput {
  const storage::Store* store = nullptr;
  const catalog::Catalog* catalog = nullptr;
  period::Period period;
  Cut cut;
  // Member provinces; the catalog's member_provinces when empty.
  std::vector<std::string> provinces;
};

// Returns the periods a shared set of `period` covers for `indicator`: the
// period itself for an indicator of its frequency and, for a quarter, the
// quarter's three months for a monthly indicator. Empty when the indicator
// does not belong to the set (an annual indicator in a quarterly set).
std::vector<period::Period> PeriodsOf(const catalog::Indicator& indicator,
                                      const period::Period& period);

// Returns true when a complete set has a value of `indicator` for `period`:
// always, except January of a cumulative monthly indicator, which bureaus
// publish together with February as 1-2月.
bool IsRequiredPeriod(const catalog::Indicator& indicator, const period::Period& period);

// Computes the set. Fails when the store cannot be read, a stored entry
// named by the cell index is damaged, or an aggregate overflows.
absl::StatusOr<SharedSet> ComputeSharedSet(const SharedSetInput& input);

// Returns the store's version vector minus the origins with stored fork
// evidence (quarantined until the root resolves the fork).
absl::StatusOr<Cut> CurrentCut(const storage::Store& store);

}  // namespace yreb::coordinator

#endif  // YREB_COORDINATOR_SHARED_SET_H_
