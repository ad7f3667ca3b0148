// Manifests: the member list a root statement of kind kManifest carries.
//
// A manifest names every member (node id, names, peer address, Ed25519
// signing keys with the sequences each may sign, TLS key), the lead of epoch
// 1 and the SHA-256 of catalog version 1. The root holder writes it as TOML
// (ParseManifestToml); the signed body is the protobuf proto::Manifest,
// serialized once when signing. A newer version supersedes an older one.
#ifndef YREB_FEDERATION_MANIFEST_H_
#define YREB_FEDERATION_MANIFEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "proto/federation.pb.h"

namespace yreb::federation {

// A manifest and the version its statement gives it.
struct ManifestVersion {
  uint64_t version = 0;
  proto::Manifest manifest;
  crypto::Hash statement_hash{};  // HashStatement of the statement carrying it
};

// Checks the rules every manifest obeys: at least one member; node ids are
// six-digit province codes (NN0000), unique and ascending; names, address
// (host:port) and TLS key hash present; each member has at least one key of
// 32 bytes whose sequence ranges start at 1 or later and do not overlap; the
// genesis lead is a member; the catalog hash is 64 hex digits. Fails with
// InvalidArgument naming the member and field.
absl::Status ValidateManifest(const proto::Manifest& manifest);

// Parses a human-written manifest file (format in docs/FEDERATION.md).
// Strict: an unknown key, a wrong type or a missing key fails with
// `file_name`:line. Members come out sorted by node id; the result is valid.
absl::StatusOr<ManifestVersion> ParseManifestToml(std::string_view text,
                                                  std::string_view file_name);

// Returns TOML text that ParseManifestToml reads back as `manifest`.
std::string ManifestToml(uint64_t version, const proto::Manifest& manifest);

// Returns the root statement carrying `manifest` as `version`.
// REQUIRES: ValidateManifest(manifest) is ok and version >= 1.
std::string SignManifest(const crypto::PrivateKey& root_key, uint64_t version,
                         const proto::Manifest& manifest);

// Parses and validates a manifest statement body.
absl::StatusOr<proto::Manifest> ParseManifestBody(std::string_view body);

// Returns the member `node_id`, or nullptr when it is not a member.
const proto::Member* FindMember(const proto::Manifest& manifest, uint32_t node_id);

// Returns the key of `origin` whose range contains `sequence`, or nullopt when
// no key may sign it (not a member, or every key revoked before it).
std::optional<crypto::PublicKey> KeyForSequence(const proto::Manifest& manifest, uint32_t origin,
                                                uint64_t sequence);

}  // namespace yreb::federation

#endif  // YREB_FEDERATION_MANIFEST_H_
