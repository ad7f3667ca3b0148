#include "node/replication.h"

#include <chrono>
#include <cstring>
#include <map>

#include <spdlog/spdlog.h>

#include "federation/fork_resolution.h"
#include "i18n/i18n.h"
#include "federation/refusals.h"
#include "node/node.h"
#include "proto/sync.grpc.pb.h"

namespace yreb::node {
namespace {

using i18n::Tr;

uint64_t CountMeta(const storage::Store& store, std::string_view prefix) {
  uint64_t count = 0;
  (void)store.ScanMeta(prefix, [&](std::string_view, std::string_view) {
    ++count;
    return true;
  });
  return count;
}

}  // namespace

Replication::Replication(const Options& options, storage::Store* store,
                         federation::Membership* membership, federation::TlsMaterial tls,
                         sync::OriginLog* log, sync::CommitNotifier* notifier)
    : options_(options),
      store_(store),
      membership_(membership),
      tls_(std::move(tls)),
      log_(log),
      notifier_(notifier),
      sync_membership_(membership, options.self),
      skip_peers_(options.skip_peers) {
  receiver_ = std::make_unique<sync::Receiver>(store_, &sync_membership_, notifier_,
                                               sync::Receiver::Options{.self = options.self});
  sync::SyncService::Options service_options;
  service_options.self = options.self;
  service_options.max_entries_per_second = options.send_rate_limit;
  service_options.statements = [membership] {
    std::vector<std::string> statements;
    absl::StatusOr<std::vector<std::string>> all = membership->AllStatements();
    if (all.ok()) statements = std::move(*all);
    return statements;
  };
  service_ = std::make_unique<sync::SyncService>(store_, receiver_.get(), notifier_,
                                                 service_options);
}

Replication::~Replication() { Stop(); }

absl::Status Replication::Load() {
  if (absl::Status status = receiver_->Load(); !status.ok()) return status;
  // Resolutions stored while the node was down, or before a crash ended
  // their application, are applied again; applying one twice changes nothing.
  absl::StatusOr<std::vector<std::string>> bodies = membership_->StatementBodies(
      static_cast<uint8_t>(federation::StatementKind::kForkResolution));
  if (!bodies.ok()) return bodies.status();
  for (const std::string& body : *bodies) ApplyForkResolution(body);
  membership_->AddStatementListener([this](uint8_t kind, std::string_view body) {
    if (kind != static_cast<uint8_t>(federation::StatementKind::kForkResolution)) return;
    ApplyForkResolution(body);
    // Streams that skipped the held origin start again from the new tips.
    std::lock_guard<std::mutex> lock(sessions_mu_);
    for (const auto& session : sessions_) session->Resubscribe();
  });
  return absl::OkStatus();
}

void Replication::ApplyForkResolution(std::string_view body) {
  absl::StatusOr<proto::ForkResolution> resolution = federation::ParseForkResolutionBody(body);
  if (!resolution.ok()) return;  // Membership::Apply checked it before storing
  sync::ForkDecision decision;
  decision.origin = resolution->origin();
  decision.fork_sequence = resolution->fork_sequence();
  decision.keep_sequence = resolution->keep_sequence();
  std::memcpy(decision.keep_hash.data(), resolution->keep_hash().data(), crypto::kHashSize);
  absl::StatusOr<std::string> outcome = receiver_->ResolveFork(decision);
  if (!outcome.ok()) {
    spdlog::error("applying a fork resolution failed: origin={} error={}", decision.origin,
                  outcome.status().message());
  }
}

std::shared_ptr<grpc::Channel> Replication::Dial(const sync::PeerAddress& peer) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      federation::DialMember(tls_, *membership_, peer.node_id);
  if (!channel.ok()) {
    spdlog::warn("cannot dial peer: peer={} error={}", peer.node_id, channel.status().message());
    return nullptr;
  }
  return *channel;
}

std::unique_ptr<sync::PeerSession> Replication::StartSession(const sync::PeerAddress& peer) {
  sync::PeerSession::Options session_options;
  session_options.self = options_.self;
  session_options.peer = peer;
  session_options.backoff_max = options_.max_reconnect_delay;
  session_options.on_statement = [this](const std::string& statement, uint32_t from) {
    absl::StatusOr<federation::ApplyResult> applied =
        membership_->Apply(statement, fmt::format("peer {}", from));
    if (applied.ok() && !applied->already_stored) {
      spdlog::info("root statement received: peer={} kind={} version={}", from, applied->kind,
                   applied->version);
    } else if (!applied.ok()) {
      spdlog::debug("root statement from peer not applied: peer={} reason={}", from,
                    applied.status().message());
    }
  };
  auto session = std::make_unique<sync::PeerSession>(
      session_options, store_, receiver_.get(),
      [this](const sync::PeerAddress& address) { return Dial(address); });
  session->Start();
  return session;
}

void Replication::Start() {
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    for (const sync::PeerAddress& peer : sync_membership_.Peers()) {
      if (skip_peers_.contains(peer.node_id)) {
        spdlog::info("peer skipped by configuration: peer={}", peer.node_id);
        continue;
      }
      sessions_.push_back(StartSession(peer));
    }
  }

  if (options_.skip_majority_check) {
    spdlog::warn("majority check skipped by --skip-majority-check: origin={}", options_.self);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    recovery_ = Tr("asking a majority of members for this node's latest entry before appending");
  }
  log_->BlockAppends(Tr("this node is asking a majority of members for its latest entry; "
                        "appends start once they answer (see yrebctl status)"));
  receiver_->SetOwnLogRecovery(true);
  recovery_thread_ = std::thread([this] { RecoverOwnLog(); });
}

void Replication::Stop() {
  stopping_ = true;
  if (recovery_thread_.joinable()) recovery_thread_.join();
  std::vector<std::unique_ptr<sync::PeerSession>> sessions;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions.swap(sessions_);
  }
  for (auto& session : sessions) session->Stop();
}

void Replication::Reload(const std::set<uint32_t>& skip_peers) {
  if (stopping_) return;
  std::map<uint32_t, std::string> wanted;  // node id -> address
  for (const sync::PeerAddress& peer : sync_membership_.Peers()) {
    if (!skip_peers.contains(peer.node_id)) wanted[peer.node_id] = peer.address;
  }

  std::vector<std::unique_ptr<sync::PeerSession>> removed;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    skip_peers_ = skip_peers;
    std::vector<std::unique_ptr<sync::PeerSession>> kept;
    for (auto& session : sessions_) {
      sync::PeerStatus status = session->status();
      auto it = wanted.find(status.node_id);
      if (it != wanted.end() && it->second == status.address) {
        wanted.erase(it);
        kept.push_back(std::move(session));
      } else {
        removed.push_back(std::move(session));
      }
    }
    sessions_.swap(kept);
  }

  // Stopping joins the session threads, which may take a moment; status
  // calls meanwhile see the new list.
  for (auto& session : removed) {
    spdlog::info("peer session stopped by reload: peer={}", session->status().node_id);
    session->Stop();
  }
  for (const auto& [node_id, address] : wanted) {
    spdlog::info("peer session started by reload: peer={} address={}", node_id, address);
    std::unique_ptr<sync::PeerSession> session =
        StartSession(sync::PeerAddress{.node_id = node_id, .address = address});
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_.push_back(std::move(session));
  }
}

void Replication::RecoverOwnLog() {
  const uint32_t self = options_.self;
  while (!stopping_) {
    std::vector<uint32_t> members = sync_membership_.Members();
    if (members.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      recovery_ = Tr("no manifest is stored yet; apply one with yrebctl apply");
    } else {
      size_t needed = members.size() / 2 + 1;
      size_t answered = 1;  // this node counts as one reply
      storage::Tip newest = log_->durable_tip();
      for (const sync::PeerAddress& peer : sync_membership_.Peers()) {
        std::shared_ptr<grpc::Channel> channel = Dial(peer);
        if (channel == nullptr) continue;
        auto stub = proto::Sync::NewStub(channel);
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
        proto::TipsRequest request;
        request.set_origin(self);
        proto::TipsReply reply;
        if (!stub->GetTips(&context, request, &reply).ok()) continue;
        ++answered;
        for (const proto::Tip& tip : reply.tips()) {
          if (tip.origin() == self && tip.sequence() > newest.sequence) {
            newest = sync::FromProto(tip);
          }
        }
        if (stopping_) return;
      }

      if (answered >= needed) {
        absl::StatusOr<std::optional<storage::Tip>> held = store_->GetTip(self);
        uint64_t have = held.ok() && held->has_value() ? (*held)->sequence : 0;
        if (have >= newest.sequence) {
          receiver_->SetOwnLogRecovery(false);
          if (absl::Status status = log_->ReloadTip(); !status.ok()) {
            spdlog::error("reloading own tip failed: {}", status.message());
          }
          storage::Batch batch;
          batch.PutMeta(kBirthKey, options_.key_fingerprint);
          // A restored store now contains every entry a majority reported.
          batch.DeleteMeta(kRestoredKey);
          (void)store_->Write(batch, true);
          {
            std::lock_guard<std::mutex> lock(mu_);
            recovery_.clear();
          }
          log_->UnblockAppends();
          spdlog::info("majority check passed: origin={} answered={} of {} members, own log "
                       "holds {} entries",
                       self, answered, members.size(), have);
          return;
        }
        std::lock_guard<std::mutex> lock(mu_);
        recovery_ = Tr("recovering this node's own log from peers: holds {} of {} entries",
                       have, newest.sequence);
      } else {
        std::string waiting =
            Tr("waiting for a majority of members: {} of the {} needed answered", answered,
               needed);
        // `put` and `import` report the block reason, so it names what the
        // node waits for and how to end the wait.
        log_->BlockAppends(Tr("{}. Appends start once a majority of members answers: start "
                              "their nodes or restore the links (yrebctl status lists each "
                              "peer). Only if a majority stays unreachable and this store is "
                              "known to hold the node's latest entry, restart with "
                              "--skip-majority-check",
                              waiting));
        uint64_t suppressed = 0;
        if (recovery_log_limiter_.Allow("majority", &suppressed)) {
          spdlog::warn("appends wait for a majority: origin={} answered={} needed={} "
                       "suppressed_since_last={}",
                       self, answered, needed, suppressed);
        }
        std::lock_guard<std::mutex> lock(mu_);
        recovery_ = waiting;
      }
    }
    // Members often start together, so ask again soon.
    for (int i = 0; i < 2 && !stopping_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void Replication::FillStatus(proto::StatusReply* reply) const {
  std::map<uint32_t, uint64_t> ours;
  absl::StatusOr<std::vector<storage::Tip>> tips = store_->GetTips();
  if (tips.ok()) {
    for (const storage::Tip& tip : *tips) ours[tip.origin] = tip.sequence;
  }
  for (uint32_t member : sync_membership_.Members()) reply->add_members(member);

  std::map<uint32_t, sync::PeerStatus> statuses;
  std::set<uint32_t> skip_peers;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    skip_peers = skip_peers_;
    for (const auto& session : sessions_) {
      sync::PeerStatus status = session->status();
      statuses[status.node_id] = status;
    }
  }
  for (const sync::PeerAddress& peer : sync_membership_.Peers()) {
    proto::PeerState* state = reply->add_peers();
    state->set_node_id(peer.node_id);
    state->set_address(peer.address);
    state->set_linked(!skip_peers.contains(peer.node_id));
    auto it = statuses.find(peer.node_id);
    if (it == statuses.end()) continue;
    const sync::PeerStatus& status = it->second;
    state->set_connected(status.connected);
    state->set_last_contact_ms(status.last_contact_ms);
    state->set_entries_received(status.entries_received);
    state->set_bytes_received(status.bytes_received);
    state->set_last_error(status.last_error);
    for (const auto& [reason, count] : status.rejects) (*state->mutable_rejects())[reason] = count;

    // A peer never heard from has no vector to compare with.
    if (status.last_contact_ms == 0) continue;
    // "In sync" means equal vectors, compared origin by origin.
    std::map<uint32_t, uint64_t> theirs;
    for (const storage::Tip& tip : status.peer_tips) theirs[tip.origin] = tip.sequence;
    std::map<uint32_t, std::pair<uint64_t, uint64_t>> both;
    for (const auto& [origin, sequence] : ours) both[origin].first = sequence;
    for (const auto& [origin, sequence] : theirs) both[origin].second = sequence;
    bool equal = status.last_contact_ms != 0;
    for (const auto& [origin, pair] : both) {
      if (pair.first == pair.second) continue;
      equal = false;
      proto::OriginLag* lag = state->add_lag();
      lag->set_origin(origin);
      lag->set_ours(pair.first);
      lag->set_theirs(pair.second);
    }
    state->set_in_sync(equal);
  }

  for (const proto::ForkEvidence& evidence : receiver_->Forks()) {
    proto::Alarm* alarm = reply->add_alarms();
    alarm->set_kind("fork");
    alarm->set_origin(evidence.origin());
    alarm->set_sequence(evidence.sequence());
    // The heads of both chains: what the root names in a fork resolution.
    for (const proto::Range* range : {&evidence.first(), &evidence.second()}) {
      proto::ChainHead* head = alarm->add_chains();
      head->set_sequence(range->head().sequence());
      head->set_hash(crypto::ToHex(range->head().hash()));
    }
    alarm->set_detail(Tr("origin {} has two validly signed chains that disagree at sequence {}; "
                         "it is held until a root fork-resolution statement arrives",
                         evidence.origin(), evidence.sequence()));
  }
  for (const auto& [subscriber, counts] : service_->sent()) {
    (*reply->mutable_sent_entries())[subscriber] = counts.entries;
  }
  for (const federation::Refusal& refusal : federation::RecentRefusals()) {
    proto::Alarm* alarm = reply->add_alarms();
    alarm->set_kind("refused-certificate");
    alarm->set_detail(Tr("refused a peer {} times, last {} (Unix ms): presented name \"{}\", "
                         "key {}: {}",
                         refusal.count, refusal.last_ms, refusal.common_name,
                         refusal.spki_sha256, refusal.reason));
  }
  reply->set_void_entries(CountMeta(*store_, sync::kVoidPrefix));
  reply->set_future_entries(CountMeta(*store_, sync::kFuturePrefix));
  (void)store_->ScanMeta(sync::kFuturePrefix, [&](std::string_view key, std::string_view value) {
    if (key.size() != sync::kFuturePrefix.size() + 12) return true;
    const char* p = key.data() + sync::kFuturePrefix.size();
    uint32_t origin = 0;
    uint64_t sequence = 0;
    for (int i = 0; i < 4; ++i) origin = origin << 8 | static_cast<uint8_t>(p[i]);
    for (int i = 4; i < 12; ++i) sequence = sequence << 8 | static_cast<uint8_t>(p[i]);
    proto::Alarm* alarm = reply->add_alarms();
    alarm->set_kind("future");
    alarm->set_origin(origin);
    alarm->set_sequence(sequence);
    alarm->set_detail(Tr("entry {}/{} is stamped {} ms (Unix time), beyond this node's clock; "
                         "it is stored and ordered by sequence as usual",
                         origin, sequence, value));
    return true;
  });
  if (reply->void_entries() > 0) {
    proto::Alarm* alarm = reply->add_alarms();
    alarm->set_kind("void");
    alarm->set_detail(Tr("{} entries are stored but void (never applied); see the node log",
                         reply->void_entries()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!recovery_.empty()) {
    reply->set_recovery(recovery_);
    proto::Alarm* alarm = reply->add_alarms();
    alarm->set_kind("recovery");
    alarm->set_origin(options_.self);
    alarm->set_detail(recovery_);
  }
}

}  // namespace yreb::node
