#include "sync/peer_session.h"

#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "i18n/i18n.h"  // formatter for absl::string_view

#include "common/bounded_queue.h"
#include "common/log_limiter.h"
#include "sync/sync_service.h"

namespace yreb::sync {
namespace {

// Shared by all sessions: a few lines per key and minute, then a count.
LogLimiter& Limiter() {
  static auto* limiter = new LogLimiter(3, std::chrono::minutes(1));
  return *limiter;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

PeerSession::PeerSession(const Options& options, storage::Store* store, Receiver* receiver,
                         ChannelFactory channels)
    : options_(options), store_(store), receiver_(receiver), channels_(std::move(channels)) {
  status_.node_id = options.peer.node_id;
  status_.address = options.peer.address;
}

PeerSession::~PeerSession() { Stop(); }

void PeerSession::Start() {
  runner_ = std::thread([this] { Run(); });
  monitor_ = std::thread([this] { Monitor(); });
}

void PeerSession::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !runner_.joinable()) return;
    stopping_ = true;
    if (active_context_ != nullptr) active_context_->TryCancel();
  }
  wake_.notify_all();
  if (runner_.joinable()) runner_.join();
  if (monitor_.joinable()) monitor_.join();
}

PeerStatus PeerSession::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void PeerSession::Resubscribe() {
  std::lock_guard<std::mutex> lock(mu_);
  if (active_context_ != nullptr) active_context_->TryCancel();
}

bool PeerSession::SleepInterruptibly(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait_for(lock, duration, [this] { return stopping_; });
  return !stopping_;
}

void PeerSession::Monitor() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(500));
    if (active_context_ != nullptr &&
        std::chrono::steady_clock::now() - last_progress_ > options_.stall_timeout) {
      spdlog::warn("peer stream stalled, restarting from the version vector: peer={}",
                   options_.peer.node_id);
      active_context_->TryCancel();
      last_progress_ = std::chrono::steady_clock::now();
    }
  }
}

void PeerSession::Run() {
  std::mt19937_64 random(std::random_device{}());
  std::chrono::milliseconds backoff = options_.backoff_min;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    uint64_t received_before = status().entries_received;
    auto started = std::chrono::steady_clock::now();
    RunStream();

    // A stream that ran for a while and delivered is a healthy connection
    // that ended; start the backoff over.
    if (status().entries_received > received_before ||
        std::chrono::steady_clock::now() - started > options_.backoff_max) {
      backoff = options_.backoff_min;
    }
    // Full jitter: sleep a random time up to the current backoff, so the
    // members do not reconnect in lockstep after an outage.
    std::uniform_int_distribution<int64_t> jitter(backoff.count() / 2, backoff.count());
    if (!SleepInterruptibly(std::chrono::milliseconds(jitter(random)))) return;
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

void PeerSession::RunStream() {
  std::shared_ptr<grpc::Channel> channel = channels_(options_.peer);
  if (channel == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    status_.last_error = "no channel";
    return;
  }
  auto stub = proto::Sync::NewStub(channel);

  proto::SubscribeRequest request;
  request.set_node_id(options_.self);
  request.set_follow(true);
  request.set_max_range_entries(options_.max_range_entries);
  absl::StatusOr<std::vector<storage::Tip>> tips = store_->GetTips();
  if (!tips.ok()) return;
  for (const storage::Tip& tip : *tips) *request.add_have() = ToProto(tip);

  grpc::ClientContext context;
  // A follow stream lives long; the deadline only bounds a forgotten one.
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::hours(6));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    active_context_ = &context;
    last_progress_ = std::chrono::steady_clock::now();
  }
  std::unique_ptr<grpc::ClientReader<proto::SyncBatch>> reader = stub->Subscribe(&context, request);

  // This thread reads each batch and checks its ranges (hashes and head
  // signatures). A second thread stores them, so checking the next batch
  // overlaps storing the last one.
  struct Received {
    proto::SyncBatch batch;
    std::vector<Receiver::Checked> checks;  // one per range
  };
  BoundedQueue<Received> queue(2);
  std::thread storer([&] {
    std::set<uint32_t> rejected_origins;
    auto first_reject = std::chrono::steady_clock::time_point::max();
    bool announced = false;
    while (std::optional<Received> received = queue.Pop()) {
      const proto::SyncBatch& batch = received->batch;
      uint64_t stored_entries = 0, stored_bytes = 0;
      std::map<std::string, uint64_t> rejects;
      for (const proto::ForkEvidence& evidence : batch.forks()) {
        Receiver::Result result = receiver_->ApplyForkEvidence(evidence);
        if (result.outcome == Receiver::Outcome::kRejected) ++rejects[result.reason];
      }
      for (int i = 0; i < batch.ranges_size(); ++i) {
        const proto::Range& range = batch.ranges(i);
        if (rejected_origins.contains(range.origin())) continue;
        Receiver::Result result = receiver_->Apply(range, received->checks[i]);
        if (result.outcome == Receiver::Outcome::kStored) {
          stored_entries += result.stored_entries;
          stored_bytes += result.stored_bytes;
        } else if (result.outcome == Receiver::Outcome::kRejected ||
                   result.outcome == Receiver::Outcome::kHeld) {
          ++rejects[result.reason];
          rejected_origins.insert(range.origin());
          first_reject = std::min(first_reject, std::chrono::steady_clock::now());
          uint64_t suppressed = 0;
          if (result.outcome == Receiver::Outcome::kRejected &&
              Limiter().Allow(fmt::format("reject/{}/{}/{}", options_.peer.node_id,
                                          range.origin(), result.reason),
                              &suppressed)) {
            spdlog::warn("range rejected: peer={} origin={} first={} reason={} detail=\"{}\" "
                         "suppressed_since_last={}",
                         options_.peer.node_id, range.origin(), range.first_sequence(),
                         result.reason, result.detail, suppressed);
          }
        } else if (result.outcome == Receiver::Outcome::kFork) {
          ++rejects["fork"];
          rejected_origins.insert(range.origin());
        }
      }

      {
        std::lock_guard<std::mutex> lock(mu_);
        last_progress_ = std::chrono::steady_clock::now();
        if (!status_.connected) ++status_.connects;
        status_.connected = true;
        status_.last_contact_ms = NowMs();
        status_.entries_received += stored_entries;
        status_.bytes_received += stored_bytes;
        for (const auto& [reason, count] : rejects) status_.rejects[reason] += count;
        status_.peer_tips.clear();
        for (const proto::Tip& tip : batch.sender_tips()) {
          status_.peer_tips.push_back(FromProto(tip));
        }
        status_.last_error.clear();
      }
      if (!announced) {
        spdlog::info("peer connected: peer={} address={}", options_.peer.node_id,
                     options_.peer.address);
        announced = true;
      }
      // Rejected origins are skipped for the rest of this stream. A new
      // stream from the version vector retries them, possibly from this
      // peer after it caught up from others.
      if (!rejected_origins.empty() &&
          std::chrono::steady_clock::now() - first_reject > options_.retry_rejected) {
        context.TryCancel();
      }
      queue.Done();
    }
  });

  proto::SyncBatch batch;
  while (reader->Read(&batch)) {
    if (options_.on_statement && batch.statements_size() > 0) {
      // A statement may change the keys the ranges after it are checked
      // with: the ranges before it are stored first, and it is applied
      // before the ranges of its batch are checked.
      queue.WaitIdle();
      for (const std::string& statement : batch.statements()) {
        options_.on_statement(statement, options_.peer.node_id);
      }
    }
    Received received;
    received.checks.reserve(batch.ranges_size());
    for (const proto::Range& range : batch.ranges()) {
      received.checks.push_back(receiver_->Check(range));
    }
    received.batch = std::move(batch);
    batch.Clear();
    if (!queue.Push(std::move(received))) break;
  }
  queue.Finish();
  storer.join();
  grpc::Status status = reader->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  active_context_ = nullptr;
  if (status_.connected || !status.ok()) {
    uint64_t suppressed = 0;
    if (status_.connected) {
      spdlog::info("peer disconnected: peer={} status=\"{}\"", options_.peer.node_id,
                   status.error_message());
    } else if (!stopping_ &&
               Limiter().Allow(fmt::format("unreachable/{}", options_.peer.node_id),
                               &suppressed)) {
      // Retries continue with backoff; the log shows a few per minute.
      spdlog::warn("peer unreachable, retrying: peer={} address={} error=\"{}\" "
                   "suppressed_since_last={}",
                   options_.peer.node_id, options_.peer.address, status.error_message(),
                   suppressed);
    }
    status_.last_error = status.error_message();
  }
  status_.connected = false;
}

}  // namespace yreb::sync
