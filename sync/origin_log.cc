#include "sync/origin_log.h"

#include <chrono>
#include <future>

#include <spdlog/spdlog.h>

#include "i18n/i18n.h"
#include "proto/entry.h"
#include "sync/coordination_index.h"

namespace yreb::sync {
namespace {

using i18n::Tr;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

uint64_t AppendContext::Append(proto::EntryKind kind, std::string_view body) {
  uint64_t sequence = tip_.sequence + 1;
  entry::EncodeTo(log_->origin_, sequence, tip_.hash, kind, now_ms_, body, &encoded_);
  crypto::Hash hash = entry::HashEntry(encoded_);
  batch_->PutEntry(log_->origin_, sequence, encoded_);
  IndexCoordinationEntry(kind, log_->origin_, sequence, batch_);
  tip_ = storage::Tip{log_->origin_, sequence, hash};

  if (sequence % log_->options_.head_interval == 0) {
    batch_->PutHead(entry::SignHead(*log_->key_, log_->origin_, sequence, hash));
    last_head_sequence_ = sequence;
  }
  return sequence;
}

absl::Status AppendContext::Flush() {
  if (absl::Status status = FinishFlush(); !status.ok()) return status;
  ++flushes_;
  return log_->WriteBatch(*this);
}

absl::Status AppendContext::StartFlush() {
  if (absl::Status status = FinishFlush(); !status.ok()) return status;
  ++flushes_;
  if (batch_->empty()) return absl::OkStatus();
  log_->Seal(*this);
  storage::Batch* full = batch_;
  batch_ = full == &batches_[0] ? &batches_[1] : &batches_[0];
  in_flight_ =
      std::async(std::launch::async, [log = log_, full, tip = tip_, head = last_head_sequence_] {
        absl::Status status = log->Commit(*full, tip, head);
        full->Clear();
        return status;
      });
  return absl::OkStatus();
}

absl::Status AppendContext::FinishFlush() {
  if (!in_flight_.valid()) return absl::OkStatus();
  absl::Status status = in_flight_.get();
  if (!status.ok()) {
    // What was appended since chains onto entries that were never stored.
    batch_->Clear();
    WriteFailed(status);
  }
  return status;
}

void AppendContext::WriteFailed(const absl::Status& status) {
  std::lock_guard<std::mutex> lock(log_->mu_);
  tip_ = log_->durable_tip_;
  last_head_sequence_ = log_->durable_head_sequence_;
  if (write_failure_.ok()) write_failure_ = status;
}

absl::StatusOr<std::unique_ptr<OriginLog>> OriginLog::Open(storage::Store* store,
                                                           const crypto::PrivateKey* key,
                                                           uint32_t origin,
                                                           const Options& options) {
  auto log = std::unique_ptr<OriginLog>(new OriginLog(store, key, origin, options));
  absl::StatusOr<std::optional<storage::Tip>> tip = store->GetTip(origin);
  if (!tip.ok()) return tip.status();
  if (tip->has_value()) {
    log->durable_tip_ = **tip;
    log->durable_head_sequence_ = (*tip)->sequence;
  } else {
    log->durable_tip_ = storage::Tip{origin, 0, {}};
  }
  log->writer_ = std::thread([raw = log.get()] { raw->WriterLoop(); });
  return log;
}

OriginLog::OriginLog(storage::Store* store, const crypto::PrivateKey* key, uint32_t origin,
                     const Options& options)
    : store_(store), key_(key), origin_(origin), options_(options) {}

OriginLog::~OriginLog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void OriginLog::Submit(Job job, Done done) {
  std::unique_lock<std::mutex> lock(mu_);
  if (blocked_.has_value()) {
    std::string reason = *blocked_;
    lock.unlock();
    done(absl::FailedPreconditionError(reason));
    return;
  }
  if (stopping_) {
    lock.unlock();
    done(absl::UnavailableError(Tr("the node is shutting down; retry after it restarts")));
    return;
  }
  if (queue_.empty() && !writing_) last_progress_ = std::chrono::steady_clock::now();
  queue_.emplace_back(std::move(job), std::move(done));
  lock.unlock();
  work_ready_.notify_one();
}

absl::Status OriginLog::Run(Job job) {
  std::promise<absl::Status> promise;
  std::future<absl::Status> result = promise.get_future();
  Submit(std::move(job), [&promise](absl::Status status) { promise.set_value(status); });
  return result.get();
}

void OriginLog::BlockAppends(std::string reason) {
  std::lock_guard<std::mutex> lock(mu_);
  blocked_ = std::move(reason);
}

std::optional<std::string> OriginLog::blocked_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return blocked_;
}

storage::Tip OriginLog::durable_tip() const {
  std::lock_guard<std::mutex> lock(mu_);
  return durable_tip_;
}

std::chrono::steady_clock::duration OriginLog::StalledFor() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!writing_ && queue_.empty()) return std::chrono::steady_clock::duration::zero();
  return std::chrono::steady_clock::now() - last_progress_;
}

void OriginLog::WriterLoop() {
  while (true) {
    std::deque<std::pair<Job, Done>> jobs;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to write
      while (!queue_.empty() && jobs.size() < options_.max_group_jobs) {
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      writing_ = true;
    }
    RunGroup(std::move(jobs));
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    last_progress_ = std::chrono::steady_clock::now();
  }
}

void OriginLog::RunGroup(std::deque<std::pair<Job, Done>> jobs) {
  std::unordered_map<std::string, std::string> scratch;
  AppendContext context;
  context.log_ = this;
  context.store_ = store_;
  context.batch_ = &context.batches_[0];
  context.scratch_ = &scratch;
  context.now_ms_ = NowMs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    context.tip_ = durable_tip_;
  }
  context.last_head_sequence_ = durable_head_sequence_;

  std::vector<absl::Status> results;
  // The newest sequence each job appended (or the tip before it).
  std::vector<uint64_t> last_sequences;
  results.reserve(jobs.size());
  last_sequences.reserve(jobs.size());
  for (auto& [job, done] : jobs) {
    // A failed write inside an earlier job's Flush blocks the rest.
    if (std::optional<std::string> reason = blocked_reason(); reason.has_value()) {
      results.push_back(absl::FailedPreconditionError(*reason));
      last_sequences.push_back(0);
      continue;
    }
    size_t mark = context.batch().Mark();
    size_t flushes_before = context.flushes_;
    storage::Tip tip_before = context.tip_;
    uint64_t head_before = context.last_head_sequence_;
    absl::Status status = job(context);
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_progress_ = std::chrono::steady_clock::now();
    }
    if (!status.ok() && context.flushes_ == flushes_before) {
      // Undo what the failed job appended; a job that flushed keeps its
      // staged entries, which count only behind a commit marker.
      context.batch().RollbackTo(mark);
      context.tip_ = tip_before;
      context.last_head_sequence_ = head_before;
    }
    results.push_back(status);
    last_sequences.push_back(context.tip_.sequence);
  }

  // A failed write is kept in context.write_failure_.
  if (context.FinishFlush().ok()) WriteBatch(context).IgnoreError();
  uint64_t durable = durable_tip().sequence;
  for (size_t i = 0; i < jobs.size(); ++i) {
    absl::Status status = results[i];
    // A job that succeeded still fails when a failed write lost its entries,
    // even a write that a later job's flush began.
    if (status.ok() && last_sequences[i] > durable) status = context.write_failure_;
    if (jobs[i].second) jobs[i].second(status);
  }
}

void OriginLog::Seal(AppendContext& context) {
  if (context.tip_.sequence > context.last_head_sequence_) {
    context.batch_->PutHead(
        entry::SignHead(*key_, origin_, context.tip_.sequence, context.tip_.hash));
    context.last_head_sequence_ = context.tip_.sequence;
  }
  context.batch_->PutTip(context.tip_);
}

absl::Status OriginLog::WriteBatch(AppendContext& context) {
  storage::Batch& batch = *context.batch_;
  if (batch.empty()) return absl::OkStatus();
  Seal(context);
  absl::Status status = Commit(batch, context.tip_, context.last_head_sequence_);
  batch.Clear();
  if (!status.ok()) context.WriteFailed(status);
  return status;
}

absl::Status OriginLog::Commit(const storage::Batch& batch, const storage::Tip& tip,
                               uint64_t head_sequence) {
  absl::Status status = store_->Write(batch, options_.sync);
  if (!status.ok()) {
    // The sequences of this write were never durable and may be reused, but
    // RocksDB refuses writes after such an error until the node restarts, so
    // block appends and let the restart reload the durable tip.
    std::string reason = Tr(
        "writing the origin log failed ({}); nothing of the failed write was stored. Free disk "
        "space or fix the storage, then restart the node",
        status.message());
    spdlog::error("origin log write failed: origin={} sequence={} error={}", origin_, tip.sequence,
                  status.message());
    BlockAppends(reason);
    std::lock_guard<std::mutex> lock(mu_);
    last_progress_ = std::chrono::steady_clock::now();
    return absl::UnavailableError(reason);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    durable_tip_ = tip;
    durable_head_sequence_ = head_sequence;
    last_progress_ = std::chrono::steady_clock::now();
  }
  if (options_.on_commit) options_.on_commit();
  return absl::OkStatus();
}

absl::Status OriginLog::ReloadTip() {
  absl::StatusOr<std::optional<storage::Tip>> tip = store_->GetTip(origin_);
  if (!tip.ok()) return tip.status();
  std::lock_guard<std::mutex> lock(mu_);
  durable_tip_ = tip->value_or(storage::Tip{origin_, 0, {}});
  durable_head_sequence_ = durable_tip_.sequence;
  return absl::OkStatus();
}

void OriginLog::UnblockAppends() {
  std::lock_guard<std::mutex> lock(mu_);
  blocked_.reset();
}

}  // namespace yreb::sync
