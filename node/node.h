// The yreb-node daemon: opens the store and the key, enforces the rule that
// an empty store whose key already exists never appends, and serves the
// admin API on a Unix socket.
#ifndef YREB_NODE_NODE_H_
#define YREB_NODE_NODE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "node/config.h"
#include "node/lead_gate.h"

namespace yreb::node {

struct StartOptions {
  // Declares that this node's key has never written entries anywhere, so an
  // empty store may start a new log at sequence 1. Only for a key whose log
  // is known to be empty or lost for good: reusing sequence numbers of a log
  // that peers hold creates a fork.
  bool accept_empty_log = false;
  // Appends without first asking a majority of members for this node's
  // latest entry. Only when a majority is unreachable for long and the
  // operator knows this store holds the node's latest entry.
  bool skip_majority_check = false;
  // Appends to a store restored from a backup (see kRestoredKey) without
  // recovering newer entries from peers first. Only when no entry of this
  // node newer than the backup exists anywhere.
  bool accept_restored_log = false;
  // Serves the test-only admin call that appends an entry of any kind
  // without the lead rules (hidden flag --allow-test-entries). Never set in
  // production: it lets the admin socket forge coordinator entries.
  bool allow_test_entries = false;
};

// Meta key of the store's birth record: the fingerprint of the key that
// created the store. A store without it, opened with an existing key, is a
// wiped or replaced store.
inline constexpr std::string_view kBirthKey = "birth/key_fingerprint";

// Meta key that yrebctl restore writes into a restored store; its value is
// JSON with restored_at, backup_created_at and the restored own sequence.
// While it exists the node blocks appends (node/backup.h,
// CheckRestoredStore). Own-log recovery from peers is to delete it once a
// majority of members confirms that this store holds the node's latest
// entry; the start flag --accept-restored-log deletes it at once.
inline constexpr std::string_view kRestoredKey = "restored/needs_recovery";

class Node {
 public:
  static absl::StatusOr<std::unique_ptr<Node>> Start(const Config& config,
                                                     const StartOptions& options);
  ~Node();

  // Blocks until Shutdown is called from another thread.
  void Wait();
  // Stops accepting calls, finishes or abandons the write in progress within
  // a bounded time, and closes the store.
  void Shutdown();

  // Re-reads the config file's [peer] skip_peers and the newest stored
  // manifest, then starts the peer sessions that are now wanted and stops
  // those that are not (SIGHUP). Other changed keys take effect only at the
  // next start. Fails, changing nothing, when the config file is invalid.
  absl::Status Reload();

  // The lead chain of this node: coordinator commands ask it for their
  // epoch and judge received coordinator entries with it. Valid until the
  // node is destroyed.
  LeadGate* lead_gate();

  struct Impl;

 private:
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Creates the store of a new node and records its birth with `fingerprint`.
absl::Status CreateStore(const std::string& data_dir, const std::string& fingerprint);

}  // namespace yreb::node

#endif  // YREB_NODE_NODE_H_
