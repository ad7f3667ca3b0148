// Sealed releases of shared sets: building one from a computed set, and
// checking a stored one against this node's own computation.
#ifndef YREB_COORDINATOR_RELEASE_H_
#define YREB_COORDINATOR_RELEASE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coordinator/shared_set.h"
#include "proto/coordinator.pb.h"
#include "storage/store.h"

namespace yreb::coordinator {

// Returns the release entry body of `set` as release `number` of `epoch`.
proto::Release MakeRelease(const SharedSet& set, uint64_t epoch, uint32_t number);

// Returns the cut a release names.
Cut CutOf(const proto::Release& release);

// How far this store holds a release's cut.
struct CutHolding {
  bool complete = false;
  // When not complete: the first origin whose entry is missing, e.g.
  // "320000 up to sequence 812 (held: 790)".
  std::string missing;
  // Cut entries held with another hash: evidence of a fork, not a wait.
  std::vector<std::string> conflicts;
};

// Checks that the store contains every entry up to each tip of the cut, with
// the hashes the cut names.
absl::StatusOr<CutHolding> CheckCutHeld(const storage::Store& store, const Cut& cut);

// Returns the differences between a release and the one this node computed
// from the same cut, catalog version and rules, each naming the cell:
// "aggregate realestate_invest_cum 2019-M12: release 1000.5, computed 999.5".
// Empty when they agree.
std::vector<std::string> CompareReleases(const proto::Release& claimed,
                                         const proto::Release& computed);

}  // namespace yreb::coordinator

#endif  // YREB_COORDINATOR_RELEASE_H_
