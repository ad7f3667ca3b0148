// A LeadGate for epoch 1 only, for unit tests of the coordinator: the genesis
// lead named in the newest stored manifest is the lead, and no later epoch is
// known. Nodes use LeadTracker, which evaluates the whole chain.
#ifndef YREB_TESTS_SUPPORT_GENESIS_LEAD_GATE_H_
#define YREB_TESTS_SUPPORT_GENESIS_LEAD_GATE_H_

#include <functional>
#include <memory>

#include "federation/manifest.h"
#include "node/lead_gate.h"

namespace yreb::node {

class GenesisLeadGate final : public LeadGate {
 public:
  using ManifestSource = std::function<std::shared_ptr<const federation::ManifestVersion>()>;

  // `manifest` returns the newest stored manifest, or null when none is.
  GenesisLeadGate(uint32_t self, ManifestSource manifest);

  // Returns 1 on the genesis lead. Fails with FailedPrecondition naming the
  // lead on any other node, and when no manifest is stored.
  absl::StatusOr<uint64_t> CoordinatorEpoch() const override;

  // Counts an entry of the genesis lead for epoch 1. An entry for a later
  // epoch is pending (that epoch is not known here); any other is void.
  lead::Verdict Judge(uint32_t origin, uint64_t sequence, uint64_t epoch,
                      std::string* reason) const override;

 private:
  const uint32_t self_;
  const ManifestSource manifest_;
};

}  // namespace yreb::node

#endif  // YREB_TESTS_SUPPORT_GENESIS_LEAD_GATE_H_
