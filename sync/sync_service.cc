#include "sync/sync_service.h"

#include <cstring>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "i18n/i18n.h"  // formatter for absl::string_view

namespace yreb::sync {

proto::Tip ToProto(const storage::Tip& tip) {
  proto::Tip wire;
  wire.set_origin(tip.origin);
  wire.set_sequence(tip.sequence);
  wire.set_hash(std::string(crypto::AsBytes(tip.hash)));
  return wire;
}

storage::Tip FromProto(const proto::Tip& wire) {
  storage::Tip tip{wire.origin(), wire.sequence(), {}};
  if (wire.hash().size() == crypto::kHashSize) {
    std::memcpy(tip.hash.data(), wire.hash().data(), crypto::kHashSize);
  }
  return tip;
}

SyncService::SyncService(storage::Store* store, Receiver* receiver, CommitNotifier* notifier,
                         const Options& options)
    : store_(store), receiver_(receiver), notifier_(notifier), options_(options) {}

std::map<uint32_t, SyncService::SentCounts> SyncService::sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

grpc::Status SyncService::GetTips(grpc::ServerContext*, const proto::TipsRequest* request,
                                  proto::TipsReply* reply) {
  absl::StatusOr<std::vector<storage::Tip>> tips = store_->GetTips();
  if (!tips.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, std::string(tips.status().message()));
  for (const storage::Tip& tip : *tips) {
    if (request->origin() == 0 || request->origin() == tip.origin) {
      *reply->add_tips() = ToProto(tip);
    }
  }
  return grpc::Status::OK;
}

grpc::Status SyncService::Subscribe(grpc::ServerContext* context,
                                    const proto::SubscribeRequest* request,
                                    grpc::ServerWriter<proto::SyncBatch>* writer) {
  uint32_t subscriber = request->node_id();
  std::map<uint32_t, uint64_t> have;
  for (const proto::Tip& tip : request->have()) have[tip.origin()] = tip.sequence();
  uint64_t range_entries = request->max_range_entries() != 0
                               ? std::min<uint64_t>(request->max_range_entries(), 4096)
                               : options_.default_range_entries;
  std::set<uint32_t> forks_sent;
  size_t statements_sent = 0;
  spdlog::info("peer subscribed: peer={} origins={} follow={}", subscriber, have.size(),
               request->follow());

  auto last_write = std::chrono::steady_clock::now() - options_.heartbeat;
  // With a rate limit, a batch carries at most a tenth of a second's worth
  // (and at least one range), so the stream stays smooth.
  uint64_t rate = options_.max_entries_per_second;
  uint64_t batch_entry_cap = rate == 0 ? UINT64_MAX : std::max<uint64_t>(rate / 10, 1);
  if (rate != 0) range_entries = std::min(range_entries, batch_entry_cap);
  // The batch under construction, reused while the peer is behind. A
  // cleared batch keeps its ranges and their entries' strings for the next.
  proto::SyncBatch batch;
  while (!context->IsCancelled() && !notifier_->shut_down()) {
    uint64_t generation = notifier_->generation();
    batch.Clear();
    size_t bytes = 0;
    uint64_t entries = 0;

    for (const proto::ForkEvidence& evidence : receiver_->Forks()) {
      if (forks_sent.insert(evidence.origin()).second) *batch.add_forks() = evidence;
    }

    if (options_.statements) {
      // Statements are few and small: resend all whenever one is added.
      std::vector<std::string> statements = options_.statements();
      if (statements.size() != statements_sent) {
        for (std::string& statement : statements) batch.add_statements(std::move(statement));
        statements_sent = statements.size();
      }
    }

    absl::StatusOr<std::vector<storage::Tip>> tips = store_->GetTips();
    if (!tips.ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, std::string(tips.status().message()));
    }
    bool behind = false;
    for (const storage::Tip& tip : *tips) {
      uint64_t& sent_to = have[tip.origin];
      while (sent_to < tip.sequence && bytes < options_.max_batch_bytes &&
             entries < batch_entry_cap) {
        proto::Range* range = batch.add_ranges();
        absl::Status read = ReadRangeInto(*store_, tip.origin, sent_to + 1, range_entries, range);
        if (!read.ok()) {
          batch.mutable_ranges()->RemoveLast();
          spdlog::warn("cannot serve range: peer={} origin={} first={} error={}", subscriber,
                       tip.origin, sent_to + 1, read.message());
          break;
        }
        size_t range_bytes = 0;
        for (const std::string& encoded : range->entries()) range_bytes += encoded.size();
        // A batch must stay below the receiver's message limit (gRPC's
        // default is 4 MiB), so a range that does not fit waits for the next
        // batch, unless it is the batch's first.
        if (batch.ranges_size() > 1 && bytes + range_bytes > options_.max_batch_bytes) {
          batch.mutable_ranges()->RemoveLast();
          behind = true;
          break;
        }
        bytes += range_bytes;
        entries += range->entries_size();
        sent_to = range->head().sequence();
      }
      if (sent_to < tip.sequence) behind = true;
      *batch.add_sender_tips() = ToProto(tip);
    }
    batch.set_caught_up(!behind);

    auto now = std::chrono::steady_clock::now();
    bool has_news =
        batch.ranges_size() > 0 || batch.forks_size() > 0 || batch.statements_size() > 0;
    if (has_news || now - last_write >= options_.heartbeat) {
      if (!writer->Write(batch)) break;
      last_write = now;
      std::lock_guard<std::mutex> lock(mu_);
      sent_[subscriber].entries += entries;
      sent_[subscriber].bytes += bytes;
    }
    if (rate != 0 && entries > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(entries * 1000000 / rate));
    }
    if (behind) continue;
    // Caught up: let go of what the batches of the backlog held.
    batch = proto::SyncBatch();
    if (!request->follow()) break;
    notifier_->WaitPast(generation, options_.heartbeat);
  }
  spdlog::info("peer stream closed: peer={}", subscriber);
  return grpc::Status::OK;
}

}  // namespace yreb::sync
