// sync::Membership backed by the newest root-signed manifest, for the
// replication layer. Each call reads the manifest current at that moment, so
// an applied newer manifest takes effect at the next call.
#ifndef YREB_FEDERATION_SYNC_MEMBERSHIP_H_
#define YREB_FEDERATION_SYNC_MEMBERSHIP_H_

#include "federation/membership.h"
#include "sync/membership.h"

namespace yreb::federation {

class ManifestMembership final : public sync::Membership {
 public:
  // `membership` must outlive this. `self` is this node's id.
  ManifestMembership(const federation::Membership* membership, uint32_t self)
      : membership_(membership), self_(self) {}

  // Returns nullopt for every origin while no manifest is stored.
  std::optional<crypto::PublicKey> SigningKey(uint32_t origin, uint64_t sequence) const override {
    std::shared_ptr<const ManifestVersion> manifest = membership_->NewestManifest();
    if (manifest == nullptr) return std::nullopt;
    return KeyForSequence(manifest->manifest, origin, sequence);
  }

  std::vector<uint32_t> Members() const override {
    std::vector<uint32_t> ids;
    std::shared_ptr<const ManifestVersion> manifest = membership_->NewestManifest();
    if (manifest == nullptr) return ids;
    for (const proto::Member& member : manifest->manifest.members()) {
      ids.push_back(member.node_id());
    }
    return ids;
  }

  std::vector<sync::PeerAddress> Peers() const override {
    std::vector<sync::PeerAddress> peers;
    std::shared_ptr<const ManifestVersion> manifest = membership_->NewestManifest();
    if (manifest == nullptr) return peers;
    for (const proto::Member& member : manifest->manifest.members()) {
      if (member.node_id() != self_) peers.push_back({member.node_id(), member.address()});
    }
    return peers;
  }

 private:
  const federation::Membership* const membership_;
  const uint32_t self_;
};

}  // namespace yreb::federation

#endif  // YREB_FEDERATION_SYNC_MEMBERSHIP_H_
