#include "node/federation_setup.h"

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "federation/certificates.h"
#include "federation/tls.h"
#include "i18n/i18n.h"

namespace yreb::node {
namespace {

using i18n::Tr;

// Logs what an operator must fix when the manifest does not describe this
// node as it runs; the node still starts, because a newer manifest may be
// on its way.
void CheckSelf(const federation::ManifestVersion& manifest, uint32_t node_id,
               const crypto::PublicKey& node_key, const std::string& tls_spki) {
  const proto::Member* self = federation::FindMember(manifest.manifest, node_id);
  if (self == nullptr) {
    spdlog::warn("this node {} is not a member of manifest version {}; peers will reject it",
                 node_id, manifest.version);
    return;
  }
  bool key_listed = false;
  for (const proto::SigningKey& key : self->signing_keys()) {
    if (key.public_key() == node_key.raw()) key_listed = true;
  }
  if (!key_listed) {
    spdlog::warn("manifest version {} does not list this node's signing key {}; peers will "
                 "treat its heads as unsigned",
                 manifest.version, node_key.Fingerprint());
  }
  if (!tls_spki.empty() && self->tls_spki_sha256() != tls_spki) {
    spdlog::warn("manifest version {} names TLS key {} for this node, but tls_cert holds {}; "
                 "peers will reject it",
                 manifest.version, self->tls_spki_sha256(), tls_spki);
  }
}

absl::Status ApplyBootstrapManifest(const std::string& path, federation::Membership* membership) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        Tr("cannot read federation.manifest {}: {}", path, i18n::ErrnoMessage(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<federation::ApplyResult> result =
      membership->Apply(buffer.str(), "bootstrap file " + path);
  if (!result.ok()) {
    return absl::InvalidArgumentError(
        Tr("federation.manifest {}: {}", path, result.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FederationParts> SetUpFederation(const Config& config, storage::Store* store,
                                                const crypto::PublicKey& node_key) {
  FederationParts parts;
  if (!config.federation.enabled) {
    parts.admin = std::make_unique<federation::FederationAdminService>(nullptr);
    return parts;
  }

  absl::StatusOr<crypto::PublicKey> root_key =
      crypto::ReadPublicKey(config.federation.root_public_key);
  if (!root_key.ok()) {
    return absl::Status(root_key.status().code(),
                        Tr("federation.root_public_key {}: {}",
                           config.federation.root_public_key, root_key.status().message()));
  }
  absl::StatusOr<std::unique_ptr<federation::Membership>> membership =
      federation::Membership::Open(store, *root_key);
  if (!membership.ok()) return membership.status();
  parts.membership = std::move(*membership);

  if (!config.federation.manifest.empty() && parts.membership->NewestManifest() == nullptr) {
    absl::Status status = ApplyBootstrapManifest(config.federation.manifest,
                                                 parts.membership.get());
    if (!status.ok()) return status;
  }
  parts.admin = std::make_unique<federation::FederationAdminService>(parts.membership.get());

  std::string tls_spki;
  if (config.peer.enabled) {
    absl::StatusOr<federation::TlsMaterial> material = federation::LoadTlsMaterial(
        {config.federation.ca_cert, config.federation.tls_cert, config.federation.tls_key});
    if (!material.ok()) return material.status();
    if (federation::NodeIdFromCommonName(material->subject.common_name) != config.node_id) {
      return absl::InvalidArgumentError(
          Tr("{} names node \"{}\", but this node is {}; point tls_cert at this node's "
             "certificate",
             config.federation.tls_cert, material->subject.common_name, config.node_id));
    }
    tls_spki = material->subject.spki_sha256;
    parts.tls = *material;
    federation::PeerServer::Options options;
    options.node_id = config.node_id;
    options.listen = config.peer.listen;
    parts.peer_server = std::make_unique<federation::PeerServer>(
        std::move(options), std::move(*material), parts.membership.get());
  }

  std::shared_ptr<const federation::ManifestVersion> manifest =
      parts.membership->NewestManifest();
  if (manifest == nullptr) {
    spdlog::warn("no manifest stored; peers are rejected until one is applied with yrebctl apply");
  } else {
    CheckSelf(*manifest, config.node_id, node_key, tls_spki);
  }
  parts.membership->AddManifestListener(
      [node_id = config.node_id, node_key, tls_spki](
          std::shared_ptr<const federation::ManifestVersion> newest) {
        CheckSelf(*newest, node_id, node_key, tls_spki);
      });
  return parts;
}

}  // namespace yreb::node
