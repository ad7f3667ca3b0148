// The sending side of replication: serves every origin's log held here to
// subscribers, in ranges that end at stored signed heads, then follows new
// commits and sends them as they land.
#ifndef YREB_SYNC_SYNC_SERVICE_H_
#define YREB_SYNC_SYNC_SERVICE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>
#include <map>
#include <mutex>

#include "proto/sync.grpc.pb.h"
#include "storage/store.h"
#include "sync/notifier.h"
#include "sync/receiver.h"

namespace yreb::sync {

class SyncService final : public proto::Sync::Service {
 public:
  struct Options {
    uint32_t self = 0;
    uint64_t default_range_entries = 1024;
    // Entry bytes per batch; below gRPC's default 4 MiB message limit with
    // room for framing.
    size_t max_batch_bytes = 2 << 20;
    // An idle follow stream sends an empty batch this often, so the receiver
    // can tell a quiet sender from a dead one.
    std::chrono::milliseconds heartbeat{2000};
    // Entries per second sent to each subscriber; 0 for no limit.
    uint64_t max_entries_per_second = 0;
    // Returns every root statement held here, to relay; may be empty.
    std::function<std::vector<std::string>()> statements;
  };

  // Entries sent per subscriber node, for tests and status.
  struct SentCounts {
    uint64_t entries = 0;
    uint64_t bytes = 0;
  };

  SyncService(storage::Store* store, Receiver* receiver, CommitNotifier* notifier,
              const Options& options);

  grpc::Status Subscribe(grpc::ServerContext* context, const proto::SubscribeRequest* request,
                         grpc::ServerWriter<proto::SyncBatch>* writer) override;
  grpc::Status GetTips(grpc::ServerContext* context, const proto::TipsRequest* request,
                       proto::TipsReply* reply) override;

  std::map<uint32_t, SentCounts> sent() const;

 private:
  storage::Store* const store_;
  Receiver* const receiver_;
  CommitNotifier* const notifier_;
  const Options options_;

  mutable std::mutex mu_;
  std::map<uint32_t, SentCounts> sent_;  // guarded by mu_
};

// Converts between the stored tip and its wire form.
proto::Tip ToProto(const storage::Tip& tip);
storage::Tip FromProto(const proto::Tip& tip);

}  // namespace yreb::sync

#endif  // YREB_SYNC_SYNC_SERVICE_H_
