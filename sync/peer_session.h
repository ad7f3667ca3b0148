// The receiving side of replication with one peer: subscribes with this
// node's version vector, applies what arrives through the Receiver, and
// reconnects with exponential backoff and jitter when the stream breaks or
// stalls.
#ifndef YREB_SYNC_PEER_SESSION_H_
#define YREB_SYNC_PEER_SESSION_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "proto/sync.grpc.pb.h"
#include "storage/store.h"
#include "sync/membership.h"
#include "sync/receiver.h"

namespace yreb::sync {

// Opens a channel to a peer; the node supplies mutual-TLS channels, tests
// may supply plain loopback ones.
using ChannelFactory = std::function<std::shared_ptr<grpc::Channel>(const PeerAddress& peer)>;

struct PeerStatus {
  uint32_t node_id = 0;
  std::string address;
  bool connected = false;
  int64_t last_contact_ms = 0;  // Unix ms of the last batch; 0 if never
  uint64_t entries_received = 0;  // entries stored from this peer
  uint64_t bytes_received = 0;
  uint64_t connects = 0;
  std::map<std::string, uint64_t> rejects;  // by reason
  std::vector<storage::Tip> peer_tips;      // the peer's vector at last contact
  std::string last_error;
};

class PeerSession {
 public:
  struct Options {
    uint32_t self = 0;
    PeerAddress peer;
    std::chrono::milliseconds backoff_min{200};
    std::chrono::milliseconds backoff_max{30000};
    // A follow stream that delivers nothing, not even a heartbeat, for this
    // long is cancelled and restarted from the version vector.
    std::chrono::milliseconds stall_timeout{10000};
    // Origins rejected in a stream are retried on a new stream after this.
    std::chrono::milliseconds retry_rejected{15000};
    uint32_t max_range_entries = 0;
    // Receives each root statement the peer relays; may be empty.
    std::function<void(const std::string& statement, uint32_t peer)> on_statement;
  };

  PeerSession(const Options& options, storage::Store* store, Receiver* receiver,
              ChannelFactory channels);
  ~PeerSession();

  void Start();
  // Cancels the stream and joins the threads.
  void Stop();
  PeerStatus status() const;
  // Ends the current stream, so the session subscribes again from the
  // version vector after its backoff, e.g. after a fork resolution changed
  // what this node accepts.
  void Resubscribe();

 private:
  void Run();
  void RunStream();
  void Monitor();
  bool SleepInterruptibly(std::chrono::milliseconds duration);

  const Options options_;
  storage::Store* const store_;
  Receiver* const receiver_;
  const ChannelFactory channels_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                        // guarded by mu_
  grpc::ClientContext* active_context_ = nullptr;  // guarded by mu_
  std::chrono::steady_clock::time_point last_progress_;  // guarded by mu_
  PeerStatus status_;                            // guarded by mu_

  std::thread runner_;
  std::thread monitor_;
};

}  // namespace yreb::sync

#endif  // YREB_SYNC_PEER_SESSION_H_
