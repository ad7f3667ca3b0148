// The append path of this node's own origin log.
//
// One writer thread assembles commit groups. It runs the queued jobs and
// chains their entries, each carrying the hash of the one before. It signs a
// head at the end of the group and at every `head_interval`-th sequence. Then
// it writes the entries, heads, version-vector tip and whatever the jobs added
// to the batch as one synced RocksDB write. Callers learn of success only after that write,
// so every acknowledged entry survives a crash.
#ifndef YREB_SYNC_ORIGIN_LOG_H_
#define YREB_SYNC_ORIGIN_LOG_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "proto/record.pb.h"
#include "storage/store.h"

namespace yreb::sync {

class OriginLog;

// The view a job gets of its commit group: appends, the pending batch and
// per-group scratch space.
class AppendContext {
 public:
  // Appends an entry of `kind` with `body` and returns its sequence.
  uint64_t Append(proto::EntryKind kind, std::string_view body);

  // The group's pending write; jobs add their index changes here.
  storage::Batch& batch() { return *batch_; }
  const storage::Store& store() const { return *store_; }

  // Writes everything appended so far (with a head) durably and starts a new
  // batch, for imports staged in chunks behind a commit marker. Entries
  // written by Flush stay in the log even when the job later fails.
  absl::Status Flush();
  // As Flush, but returns as soon as the write has started, so the job can
  // build the next chunk meanwhile. The write completes before the next
  // Flush or StartFlush returns, or at the end of the group, and its error
  // is returned there. Reads of the store may not see it before then.
  absl::Status StartFlush();

  // Per-group scratch space for callers, e.g. the latest revision of cells
  // written earlier in the same group. Cleared at the start of each group.
  std::unordered_map<std::string, std::string>& scratch() { return *scratch_; }

  uint64_t next_sequence() const { return tip_.sequence + 1; }

 private:
  friend class OriginLog;
  OriginLog* log_ = nullptr;
  storage::Store* store_ = nullptr;
  storage::Batch* batch_ = nullptr;
  std::unordered_map<std::string, std::string>* scratch_ = nullptr;
  storage::Tip tip_;               // newest appended, durable or not
  uint64_t last_head_sequence_ = 0;
  size_t flushes_ = 0;
  int64_t now_ms_ = 0;
  std::string encoded_;  // the entry Append encodes, kept for its buffer
  // Waits for the write StartFlush began, if any. On its failure, drops
  // what was appended since and returns the error.
  absl::Status FinishFlush();
  // Rewinds the appends to the durable tip after `status`, a failed write,
  // and keeps the group's first failure.
  void WriteFailed(const absl::Status& status);
  // The two batches a group alternates between; batch_ is one of them.
  storage::Batch batches_[2];
  std::future<absl::Status> in_flight_;
  // The first failed write of the group.
  absl::Status write_failure_;
};

class OriginLog {
 public:
  struct Options {
    // A head is signed at every sequence divisible by this and at the end of
    // each commit group.
    uint64_t head_interval = 1024;
    // Maximum jobs in one commit group.
    size_t max_group_jobs = 4096;
    // fsync the RocksDB write-ahead log before acknowledging.
    bool sync = true;
    // Called after each durable write, on the writer thread or on the
    // thread of a StartFlush write, e.g. to wake the senders of live
    // replication streams.
    std::function<void()> on_commit;
  };

  using Job = std::function<absl::Status(AppendContext& context)>;
  using Done = std::function<void(absl::Status status)>;

  // Opens the log of `origin` in `store`, continuing from its stored tip.
  // `key` must outlive the log.
  static absl::StatusOr<std::unique_ptr<OriginLog>> Open(storage::Store* store,
                                                         const crypto::PrivateKey* key,
                                                         uint32_t origin, const Options& options);
  // Finishes the queued jobs, then stops the writer.
  ~OriginLog();

  // Queues `job` for the next commit group. `done` runs on the writer thread
  // after the group is durable, with the job's status or the write error.
  // When appends are blocked, `done` runs at once with FailedPrecondition.
  void Submit(Job job, Done done);

  // Runs `job` and waits for its group to be durable.
  absl::Status Run(Job job);

  // Rejects all later appends with `reason` (e.g. an empty store whose key
  // has written before, or a failed write).
  void BlockAppends(std::string reason);
  std::optional<std::string> blocked_reason() const;

  // Re-reads the tip from the store after entries of this log were stored by
  // someone else (own-log recovery from peers). REQUIRES: appends blocked.
  absl::Status ReloadTip();
  // Allows appends again after BlockAppends.
  void UnblockAppends();

  // Returns the newest durable entry of this log; sequence 0 when empty.
  storage::Tip durable_tip() const;
  uint32_t origin() const { return origin_; }

  // Returns how long the writer has had queued or running jobs without
  // finishing a job or a store write; zero while it is idle. A long stall
  // means a hung disk write or a stuck job, which the service watchdog reports.
  std::chrono::steady_clock::duration StalledFor() const;

 private:
  friend class AppendContext;
  OriginLog(storage::Store* store, const crypto::PrivateKey* key, uint32_t origin,
            const Options& options);
  void WriterLoop();
  void RunGroup(std::deque<std::pair<Job, Done>> jobs);
  absl::Status WriteBatch(AppendContext& context);
  // Adds the head and tip of the context's appends to its batch.
  void Seal(AppendContext& context);
  // Writes a sealed batch whose newest entry is `tip`, with a head up to
  // `head_sequence`. On failure blocks appends and returns the error.
  absl::Status Commit(const storage::Batch& batch, const storage::Tip& tip, uint64_t head_sequence);

  storage::Store* const store_;
  const crypto::PrivateKey* const key_;
  const uint32_t origin_;
  const Options options_;

  mutable std::mutex mu_;
  std::condition_variable work_ready_;
  std::deque<std::pair<Job, Done>> queue_;  // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::optional<std::string> blocked_;      // guarded by mu_
  storage::Tip durable_tip_;                // guarded by mu_
  uint64_t durable_head_sequence_ = 0;      // guarded by mu_ for ReloadTip; else writer only
  bool writing_ = false;                    // guarded by mu_: a group is running
  std::chrono::steady_clock::time_point last_progress_;  // guarded by mu_

  std::thread writer_;
};

}  // namespace yreb::sync

#endif  // YREB_SYNC_ORIGIN_LOG_H_
