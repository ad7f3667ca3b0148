// Replication on a federated node: the receiver and sync service on the
// peer port, one session per linked member, and the relay of root
// statements. Before the first append it also checks that no majority
// member stores entries of this node's own log beyond this node's tip.
#ifndef YREB_NODE_REPLICATION_H_
#define YREB_NODE_REPLICATION_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/log_limiter.h"
#include "federation/membership.h"
#include "federation/sync_membership.h"
#include "federation/tls.h"
#include "proto/admin.pb.h"
#include "storage/store.h"
#include "sync/notifier.h"
#include "sync/origin_log.h"
#include "sync/peer_session.h"
#include "sync/receiver.h"
#include "sync/sync_service.h"

namespace yreb::node {

class Replication {
 public:
  struct Options {
    uint32_t self = 0;
    // Members this node does not dial (and whose subscriptions it refuses).
    std::set<uint32_t> skip_peers;
    // Append without the majority check; documented as an operator override.
    bool skip_majority_check = false;
    std::chrono::milliseconds max_reconnect_delay{30000};
    uint64_t send_rate_limit = 0;  // entries per second per subscriber; 0: none
    // Written as the store's birth record once the check passes.
    std::string key_fingerprint;
  };

  // All pointers must outlive the object. `notifier` must be the one the
  // origin log calls on commit.
  Replication(const Options& options, storage::Store* store, federation::Membership* membership,
              federation::TlsMaterial tls, sync::OriginLog* log, sync::CommitNotifier* notifier);
  ~Replication();

  // Loads stored fork evidence, applies stored fork resolutions and starts
  // listening for new ones. Call before Start.
  absl::Status Load();
  grpc::Service* sync_service() { return service_.get(); }

  // Starts the peer sessions and, unless skipped, the majority check, which
  // blocks this node's appends until it passes.
  void Start();
  void Stop();

  // Applies a new skip list and the newest stored manifest to the running
  // sessions: stops the session of each peer that is now skipped, no longer
  // a member or at a new address, and starts one for each linked member
  // without a session. REQUIRES: Start was called.
  void Reload(const std::set<uint32_t>& skip_peers);

  // Fills the replication part of a status reply.
  void FillStatus(proto::StatusReply* reply) const;

 private:
  void RecoverOwnLog();
  // Hands the decision of a stored fork-resolution statement to the receiver.
  void ApplyForkResolution(std::string_view body);
  std::shared_ptr<grpc::Channel> Dial(const sync::PeerAddress& peer);
  std::unique_ptr<sync::PeerSession> StartSession(const sync::PeerAddress& peer);

  const Options options_;
  storage::Store* const store_;
  federation::Membership* const membership_;
  const federation::TlsMaterial tls_;
  sync::OriginLog* const log_;
  sync::CommitNotifier* const notifier_;

  federation::ManifestMembership sync_membership_;
  std::unique_ptr<sync::Receiver> receiver_;
  std::unique_ptr<sync::SyncService> service_;

  // Guards the session list and the skip list, which Reload changes while
  // status calls read them. Sessions are stopped outside the lock.
  mutable std::mutex sessions_mu_;
  std::vector<std::unique_ptr<sync::PeerSession>> sessions_;  // guarded by sessions_mu_
  std::set<uint32_t> skip_peers_;                             // guarded by sessions_mu_

  mutable std::mutex mu_;
  std::string recovery_;  // guarded by mu_; empty when done
  std::atomic<bool> stopping_{false};
  LogLimiter recovery_log_limiter_{1, std::chrono::minutes(1)};
  std::thread recovery_thread_;
};

}  // namespace yreb::node

#endif  // YREB_NODE_REPLICATION_H_
