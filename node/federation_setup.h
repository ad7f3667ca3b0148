// Starts the federation parts of a node from its [federation] and [peer]
// config: the stored root statements, the bootstrap manifest, the
// FederationAdmin calls and the mutual-TLS peer server.
#ifndef YREB_NODE_FEDERATION_SETUP_H_
#define YREB_NODE_FEDERATION_SETUP_H_

#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "federation/admin_service.h"
#include "federation/membership.h"
#include "federation/peer_server.h"
#include "node/config.h"
#include "storage/store.h"

namespace yreb::node {

struct FederationParts {
  std::unique_ptr<federation::Membership> membership;  // null without [federation]
  std::unique_ptr<federation::FederationAdminService> admin;  // always set
  std::unique_ptr<federation::PeerServer> peer_server;  // null without [peer]
  std::optional<federation::TlsMaterial> tls;  // set with [peer], for dialing members
};

// Opens the stored statements, applies config.federation.manifest when no
// manifest is stored yet, and builds the peer server (not started).
// Fails, starting nothing, when a configured file cannot be read, the
// bootstrap manifest does not verify, or the TLS certificate does not name
// this node. `store` must outlive the result.
absl::StatusOr<FederationParts> SetUpFederation(const Config& config, storage::Store* store,
                                                const crypto::PublicKey& node_key);

}  // namespace yreb::node

#endif  // YREB_NODE_FEDERATION_SETUP_H_
