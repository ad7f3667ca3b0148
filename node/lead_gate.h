// What the coordinator asks of the lead chain.
//
// Catalog versions and releases are coordinator entries: they count only when
// their origin was the lead of the epoch they carry at their sequence. The
// coordinator commands stamp the epoch this gate gives and refuse to run on
// a node that is not the lead; every node judges received coordinator
// entries with the same gate.
#ifndef YREB_NODE_LEAD_GATE_H_
#define YREB_NODE_LEAD_GATE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "lead/lead.h"

namespace yreb::node {

class LeadGate {
 public:
  virtual ~LeadGate() = default;

  // Returns the epoch a coordinator entry appended by this node now would
  // carry. Fails with FailedPrecondition, in a message that names the
  // current epoch and lead, when this node may not act as coordinator (it is
  // not the lead, it is fenced, or the epoch is disputed).
  virtual absl::StatusOr<uint64_t> CoordinatorEpoch() const = 0;

  // Judges a coordinator entry of `origin` at `sequence` carrying `epoch`.
  // Sets `reason` when the verdict is void or pending.
  virtual lead::Verdict Judge(uint32_t origin, uint64_t sequence, uint64_t epoch,
                              std::string* reason) const = 0;
};

}  // namespace yreb::node

#endif  // YREB_NODE_LEAD_GATE_H_
