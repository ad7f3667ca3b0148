// A node's root statements: verification against the root key, storage in the
// node's RocksDB, and the newest manifest.
//
// Statements arrive from an administrator (yrebctl apply) or, later, from
// peers. Apply accepts a statement only when the root key signed it and its
// body is valid for its kind. A manifest must also not be older than the
// stored newest manifest, so a replayed old manifest can never bring back a
// removed member or a revoked key. Fork resolutions (kind 3) and lead
// assignments (kind 2) all stay stored, whatever their versions; the lead
// chain picks among assignments. Thread-safe.
#ifndef YREB_FEDERATION_MEMBERSHIP_H_
#define YREB_FEDERATION_MEMBERSHIP_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "crypto/crypto.h"
#include "federation/manifest.h"
#include "federation/statement.h"
#include "storage/store.h"

namespace yreb::federation {

struct ApplyResult {
  uint8_t kind = 0;
  uint64_t version = 0;
  bool already_stored = false;  // the same bytes were stored before; nothing changed
  crypto::Hash statement_hash{};
};

class Membership {
 public:
  // Loads the stored statements of `store`, verifying each again against
  // `root_key`. Fails with DataLoss when a stored statement does not verify
  // (a changed root key or a damaged database). `store` must outlive this.
  static absl::StatusOr<std::unique_ptr<Membership>> Open(storage::Store* store,
                                                          crypto::PublicKey root_key);

  // Verifies `encoded` and stores it (synced to disk before returning).
  // `source` names where it came from in logs, e.g. "admin" or "peer 320000".
  // Fails with InvalidArgument, storing nothing, when the statement is
  // malformed, signed by another root key, altered, of an unknown kind, carries
  // an invalid body, is a manifest older than the stored newest manifest, or
  // has a stored version with different bytes.
  absl::StatusOr<ApplyResult> Apply(std::string_view encoded, std::string_view source);

  // Returns every stored statement, oldest first within each kind, as the
  // exact bytes applied: what a node sends a peer to replicate them.
  absl::StatusOr<std::vector<std::string>> AllStatements() const;

  // Returns the newest manifest, or nullptr when none is stored. The pointee
  // never changes; a newer manifest replaces the pointer.
  std::shared_ptr<const ManifestVersion> NewestManifest() const;

  // Returns the bodies of every stored statement of `kind`, oldest version
  // first.
  absl::StatusOr<std::vector<std::string>> StatementBodies(uint8_t kind) const;

  struct VersionedBody {
    uint64_t version = 0;
    std::string body;
  };
  // Returns the version and body of every stored statement of `kind`, oldest
  // version first.
  absl::StatusOr<std::vector<VersionedBody>> VersionedBodies(uint8_t kind) const;

  // Calls `listener` after each newly stored statement of any kind, with its
  // body, on the applying thread. Listeners must not call Apply.
  void AddStatementListener(std::function<void(uint8_t kind, std::string_view body)> listener);

  // Calls `listener` after each newly stored manifest, on the applying thread.
  void AddManifestListener(std::function<void(std::shared_ptr<const ManifestVersion>)> listener);

  const crypto::PublicKey& root_key() const { return root_key_; }

 private:
  Membership(storage::Store* store, crypto::PublicKey root_key);

  storage::Store* const store_;
  const crypto::PublicKey root_key_;

  // Serializes Apply, so the version check and the write are one step.
  absl::Mutex apply_mu_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const ManifestVersion> newest_manifest_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(std::shared_ptr<const ManifestVersion>)>> listeners_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(uint8_t, std::string_view)>> statement_listeners_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace yreb::federation

#endif  // YREB_FEDERATION_MEMBERSHIP_H_
