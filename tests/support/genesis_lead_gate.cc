#include "tests/support/genesis_lead_gate.h"

#include "i18n/i18n.h"

namespace yreb::node {

using i18n::Tr;

GenesisLeadGate::GenesisLeadGate(uint32_t self, ManifestSource manifest)
    : self_(self), manifest_(std::move(manifest)) {}

absl::StatusOr<uint64_t> GenesisLeadGate::CoordinatorEpoch() const {
  std::shared_ptr<const federation::ManifestVersion> manifest = manifest_();
  if (manifest == nullptr) {
    return absl::FailedPreconditionError(
        Tr("no manifest is stored, so no lead is known; apply the federation's manifest with "
           "yrebctl apply FILE"));
  }
  uint32_t lead = manifest->manifest.genesis_lead();
  if (lead != self_) {
    return absl::FailedPreconditionError(
        Tr("this node ({}) is not the lead: epoch 1's lead is {} (the genesis lead of manifest "
           "version {}); run the command on the lead's node",
           self_, lead, manifest->version));
  }
  return 1;
}

lead::Verdict GenesisLeadGate::Judge(uint32_t origin, uint64_t sequence, uint64_t epoch,
                                     std::string* reason) const {
  std::shared_ptr<const federation::ManifestVersion> manifest = manifest_();
  if (manifest == nullptr) {
    if (reason != nullptr) *reason = Tr("no manifest is stored, so no lead is known");
    return lead::Verdict::kPending;
  }
  if (epoch > 1) {
    if (reason != nullptr) *reason = Tr("epoch {} is not known on this node", epoch);
    return lead::Verdict::kPending;
  }
  uint32_t lead = manifest->manifest.genesis_lead();
  if (epoch == 1 && origin == lead) return lead::Verdict::kCounts;
  if (reason != nullptr) {
    *reason = Tr("entry {}/{} names epoch {}, whose lead is {}", origin, sequence, epoch, lead);
  }
  return lead::Verdict::kVoid;
}

}  // namespace yreb::node
