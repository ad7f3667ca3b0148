#include "node/lead_tracker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "crypto/crypto.h"
#include "federation/lead_assignment.h"
#include "federation/manifest.h"
#include "federation/statement.h"
#include "i18n/i18n.h"
#include "node/config.h"
#include "proto/entry.h"
#include "sync/coordination_index.h"

namespace yreb::node {
namespace {

using i18n::Tr;

// A member's id with its province name, as messages show it.
std::string Named(uint32_t node_id) {
  std::string_view name = MemberProvinceName(node_id);
  if (name.empty()) return std::to_string(node_id);
  return fmt::format("{} ({})", node_id, name);
}

const char* ViaName(lead::Epoch::Via via) {
  switch (via) {
    case lead::Epoch::Via::kGenesis:
      return "genesis";
    case lead::Epoch::Via::kPlanned:
      return "planned";
    case lead::Epoch::Via::kMajority:
      return "majority";
    case lead::Epoch::Via::kRoot:
      return "root";
  }
  return "";
}

const char* EntryKindName(proto::EntryKind kind) {
  switch (kind) {
    case proto::ENTRY_KIND_CATALOG:
      return "catalog";
    case proto::ENTRY_KIND_RELEASE:
      return "release";
    case proto::ENTRY_KIND_HANDOVER_PROPOSAL:
      return "proposal";
    case proto::ENTRY_KIND_HANDOVER_ACCEPT:
      return "accept";
    case proto::ENTRY_KIND_ASSIGNMENT_VOTE:
      return "vote";
    default:
      return "other";
  }
}

bool IsMember(const proto::Manifest& manifest, uint32_t node_id) {
  return federation::FindMember(manifest, node_id) != nullptr;
}

// The fields that make two votes the same decision; the reason is free text.
using VoteKey = std::tuple<uint64_t, uint32_t, uint32_t, uint64_t, uint64_t>;

VoteKey KeyOf(const proto::LeadAssignment& vote) {
  return {vote.epoch(), vote.to(), vote.fenced_lead(), vote.fence(), vote.manifest_version()};
}

// Returns each member's first vote for `epoch`, in log order per member and
// ordered by member: only that vote counts.
std::vector<const lead::Event*> FirstVotes(const std::vector<lead::Event>& events, uint64_t epoch) {
  std::map<uint32_t, const lead::Event*> first;
  for (const lead::Event& event : events) {
    if (event.kind != lead::Event::Kind::kVote || event.vote.epoch() != epoch) continue;
    auto [it, inserted] = first.emplace(event.origin, &event);
    if (!inserted && event.sequence < it->second->sequence) it->second = &event;
  }
  std::vector<const lead::Event*> votes;
  for (const auto& [origin, event] : first) votes.push_back(event);
  return votes;
}

}  // namespace

// A coordinator entry (catalog version or release) and the epoch it names.
struct CoordinatorRef {
  proto::EntryKind kind = proto::ENTRY_KIND_UNSPECIFIED;
  uint32_t origin = 0;
  uint64_t sequence = 0;
  uint64_t epoch = 0;
};

struct LeadTracker::Snapshot {
  lead::Inputs inputs;
  std::shared_ptr<const federation::ManifestVersion> manifest;
  std::vector<CoordinatorRef> coordinator_entries;
  // Lead-rotation entries whose body does not parse; void everywhere alike.
  std::vector<proto::VoidLeadEntry> malformed;
};

LeadTracker::LeadTracker(storage::Store* store, const federation::Membership* membership,
                         sync::OriginLog* log, uint32_t self)
    : store_(store), membership_(membership), log_(log), self_(self) {}

absl::StatusOr<LeadTracker::Snapshot> LeadTracker::Read() const {
  Snapshot snapshot;
  if (membership_ != nullptr) snapshot.manifest = membership_->NewestManifest();
  if (snapshot.manifest == nullptr) {
    return absl::FailedPreconditionError(
        Tr("this node stores no manifest, so no lead is known; apply the federation manifest "
           "with yrebctl apply"));
  }
  snapshot.inputs.genesis_lead = snapshot.manifest->manifest.genesis_lead();

  absl::StatusOr<std::vector<federation::Membership::VersionedBody>> manifests =
      membership_->VersionedBodies(static_cast<uint8_t>(federation::StatementKind::kManifest));
  if (!manifests.ok()) return manifests.status();
  for (const auto& statement : *manifests) {
    absl::StatusOr<proto::Manifest> manifest = federation::ParseManifestBody(statement.body);
    if (!manifest.ok()) continue;  // parsed when applied; only a damaged store fails
    std::vector<uint32_t>& members = snapshot.inputs.members_by_manifest[statement.version];
    for (const proto::Member& member : manifest->members()) members.push_back(member.node_id());
  }

  absl::StatusOr<std::vector<federation::Membership::VersionedBody>> assignments =
      membership_->VersionedBodies(
          static_cast<uint8_t>(federation::StatementKind::kLeadAssignment));
  if (!assignments.ok()) return assignments.status();
  for (const auto& statement : *assignments) {
    absl::StatusOr<proto::LeadAssignment> assignment =
        federation::ParseLeadAssignmentBody(statement.body);
    if (!assignment.ok()) continue;  // parsed when applied; only a damaged store fails
    snapshot.inputs.root_assignments.push_back({statement.version, *assignment});
  }

  for (proto::EntryKind kind :
       {proto::ENTRY_KIND_CATALOG, proto::ENTRY_KIND_RELEASE, proto::ENTRY_KIND_HANDOVER_PROPOSAL,
        proto::ENTRY_KIND_HANDOVER_ACCEPT, proto::ENTRY_KIND_ASSIGNMENT_VOTE}) {
    absl::Status read_error;
    absl::Status scan =
        sync::ScanCoordination(*store_, kind, [&](const sync::CoordinationRef& ref) {
          absl::StatusOr<std::optional<std::string>> encoded =
              store_->GetEntry(ref.origin, ref.sequence);
          if (!encoded.ok()) {
            read_error = encoded.status();
            return false;
          }
          if (!encoded->has_value()) return true;  // the index names only stored entries
          absl::StatusOr<entry::EntryView> view = entry::Decode(**encoded);
          if (!view.ok()) return true;  // stored entries decoded when they were verified
          AddEntry(kind, ref.origin, ref.sequence, view->body, &snapshot);
          return true;
        });
    if (!scan.ok()) return scan;
    if (!read_error.ok()) return read_error;
  }
  return snapshot;
}

void LeadTracker::AddEntry(proto::EntryKind kind, uint32_t origin, uint64_t sequence,
                           std::string_view body, Snapshot* snapshot) {
  const int size = static_cast<int>(body.size());
  lead::Event event;
  event.origin = origin;
  event.sequence = sequence;
  bool parsed = false;
  switch (kind) {
    case proto::ENTRY_KIND_CATALOG:
    case proto::ENTRY_KIND_RELEASE: {
      proto::CoordinatorStamp stamp;
      if (stamp.ParseFromArray(body.data(), size)) {
        snapshot->coordinator_entries.push_back({kind, origin, sequence, stamp.epoch()});
        return;
      }
      break;
    }
    case proto::ENTRY_KIND_HANDOVER_PROPOSAL:
      event.kind = lead::Event::Kind::kProposal;
      parsed = event.proposal.ParseFromArray(body.data(), size);
      break;
    case proto::ENTRY_KIND_HANDOVER_ACCEPT:
      event.kind = lead::Event::Kind::kAccept;
      parsed = event.accept.ParseFromArray(body.data(), size);
      break;
    default: {
      event.kind = lead::Event::Kind::kVote;
      absl::StatusOr<proto::LeadAssignment> vote = federation::ParseLeadAssignmentBody(body);
      parsed = vote.ok();
      if (parsed) event.vote = std::move(*vote);
      break;
    }
  }
  if (parsed) {
    snapshot->inputs.events.push_back(std::move(event));
    return;
  }

  // A body that does not parse is void on every node alike.
  proto::VoidLeadEntry entry;
  entry.set_origin(origin);
  entry.set_sequence(sequence);
  entry.set_kind(EntryKindName(kind));
  entry.set_reason(Tr("the body of entry {}/{} is not a valid {} message", origin, sequence,
                      EntryKindName(kind)));
  snapshot->malformed.push_back(std::move(entry));
}

absl::StatusOr<lead::State> LeadTracker::Evaluate() const {
  absl::StatusOr<Snapshot> snapshot = Read();
  if (!snapshot.ok()) return snapshot.status();
  return lead::Evaluate(snapshot->inputs);
}

std::string LeadTracker::NotCoordinatorReason(const lead::State& state) const {
  const lead::Epoch& current = state.current();
  if (state.dispute.has_value()) {
    return Tr(
        "epoch {} is disputed: {}. No node acts as coordinator until a root statement "
        "resolves it (yrebctl lead assign, then yrebctl apply)",
        current.number, *state.dispute);
  }
  if (current.lead != self_) {
    return Tr(
        "this node {} is not the lead: the lead of epoch {} is {}; run coordinator "
        "commands on that node",
        Named(self_), current.number, Named(current.lead));
  }
  if (state.pending_proposal.has_value()) {
    return Tr(
        "this node proposed handing epoch {} to {} at sequence {}, its fence, and no "
        "longer acts as coordinator; the handover completes when {} runs yrebctl lead "
        "accept",
        current.number, Named(state.pending_proposal->proposal.to()),
        state.pending_proposal->sequence, state.pending_proposal->proposal.to());
  }
  return "";
}

absl::StatusOr<uint64_t> LeadTracker::CoordinatorEpoch() const {
  absl::StatusOr<lead::State> state = Evaluate();
  if (!state.ok()) return state.status();
  std::string not_coordinator = NotCoordinatorReason(*state);
  if (!not_coordinator.empty()) return absl::FailedPreconditionError(not_coordinator);
  return state->current().number;
}

lead::Verdict LeadTracker::Judge(uint32_t origin, uint64_t sequence, uint64_t epoch,
                                 std::string* reason) const {
  absl::StatusOr<lead::State> state = Evaluate();
  if (!state.ok()) {
    *reason = Tr("the lead chain cannot be evaluated: {}", state.status().message());
    return lead::Verdict::kPending;
  }
  return lead::CoordinatorEntry(*state, origin, sequence, epoch, reason);
}

absl::StatusOr<proto::LeadStatusReply> LeadTracker::Status() const {
  absl::StatusOr<Snapshot> snapshot = Read();
  if (!snapshot.ok()) return snapshot.status();
  lead::State state = lead::Evaluate(snapshot->inputs);

  proto::LeadStatusReply reply;
  reply.set_node_id(self_);
  reply.set_manifest_version(snapshot->manifest->version);
  reply.set_epoch(state.current().number);
  reply.set_lead(state.current().lead);
  for (const lead::Epoch& epoch : state.chain) {
    proto::LeadEpoch* out = reply.add_chain();
    out->set_number(epoch.number);
    out->set_lead(epoch.lead);
    out->set_via(ViaName(epoch.via));
    out->set_reason(epoch.reason);
    for (uint32_t signer : epoch.signers) out->add_signers(signer);
    out->set_start_after(epoch.start_after);
    out->set_fenced(epoch.fence.has_value());
    out->set_fence(epoch.fence.value_or(0));
  }
  if (state.pending_proposal.has_value()) {
    const lead::Event& pending = *state.pending_proposal;
    proto::PendingProposal* out = reply.mutable_pending();
    out->set_proposer(pending.origin);
    out->set_sequence(pending.sequence);
    out->set_epoch(pending.proposal.epoch());
    out->set_to(pending.proposal.to());
    out->set_reason(pending.proposal.reason());
  }
  reply.set_dispute(state.dispute.value_or(""));
  std::string not_coordinator = NotCoordinatorReason(state);
  reply.set_may_coordinate(not_coordinator.empty());
  reply.set_not_coordinator_reason(not_coordinator);

  std::map<std::pair<uint32_t, uint64_t>, proto::EntryKind> kinds;
  for (const lead::Event& event : snapshot->inputs.events) {
    proto::EntryKind kind =
        event.kind == lead::Event::Kind::kProposal ? proto::ENTRY_KIND_HANDOVER_PROPOSAL
        : event.kind == lead::Event::Kind::kAccept ? proto::ENTRY_KIND_HANDOVER_ACCEPT
                                                   : proto::ENTRY_KIND_ASSIGNMENT_VOTE;
    kinds[{event.origin, event.sequence}] = kind;
  }
  for (const proto::VoidLeadEntry& entry : snapshot->malformed) *reply.add_void_entries() = entry;
  for (const lead::VoidEvent& event : state.void_events) {
    proto::VoidLeadEntry* out = reply.add_void_entries();
    out->set_origin(event.origin);
    out->set_sequence(event.sequence);
    out->set_kind(EntryKindName(kinds[{event.origin, event.sequence}]));
    out->set_reason(event.reason);
  }

  for (const lead::IgnoredRoot& ignored : state.ignored_roots) {
    proto::IgnoredAssignment* out = reply.add_ignored_assignments();
    out->set_statement_version(ignored.statement_version);
    out->set_epoch(ignored.epoch);
    out->set_reason(ignored.reason);
  }

  for (const CoordinatorRef& entry : snapshot->coordinator_entries) {
    std::string reason;
    lead::Verdict verdict =
        lead::CoordinatorEntry(state, entry.origin, entry.sequence, entry.epoch, &reason);
    if (verdict == lead::Verdict::kCounts) {
      reply.set_coordinator_entries_counted(reply.coordinator_entries_counted() + 1);
      continue;
    }
    if (verdict == lead::Verdict::kPending) {
      reply.set_coordinator_entries_pending(reply.coordinator_entries_pending() + 1);
      continue;
    }
    reply.set_coordinator_entries_void(reply.coordinator_entries_void() + 1);
    proto::VoidLeadEntry* out = reply.add_void_entries();
    out->set_origin(entry.origin);
    out->set_sequence(entry.sequence);
    out->set_kind(EntryKindName(entry.kind));
    out->set_epoch(entry.epoch);
    out->set_reason(reason);
  }
  std::sort(reply.mutable_void_entries()->begin(), reply.mutable_void_entries()->end(),
            [](const proto::VoidLeadEntry& a, const proto::VoidLeadEntry& b) {
              return std::make_pair(a.origin(), a.sequence()) <
                     std::make_pair(b.origin(), b.sequence());
            });

  // Votes for the next epoch, grouped by decision.
  std::map<VoteKey, proto::AssignmentTally> tallies;
  for (const lead::Event* event : FirstVotes(snapshot->inputs.events, state.current().number + 1)) {
    proto::AssignmentTally& tally = tallies[KeyOf(event->vote)];
    tally.set_epoch(event->vote.epoch());
    tally.set_to(event->vote.to());
    tally.set_fenced_lead(event->vote.fenced_lead());
    tally.set_fence(event->vote.fence());
    tally.set_manifest_version(event->vote.manifest_version());
    tally.add_voters(event->origin);
    auto members = snapshot->inputs.members_by_manifest.find(event->vote.manifest_version());
    if (members != snapshot->inputs.members_by_manifest.end()) {
      tally.set_needed(static_cast<uint32_t>(members->second.size() / 2 + 1));
    }
  }
  for (auto& [key, tally] : tallies) *reply.add_open_votes() = std::move(tally);
  return reply;
}

absl::StatusOr<uint64_t> LeadTracker::Append(proto::EntryKind kind, const std::string& body) {
  uint64_t sequence = 0;
  absl::Status status = log_->Run([&](sync::AppendContext& context) {
    sequence = context.Append(kind, body);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return sequence;
}

absl::StatusOr<proto::HandoverReply> LeadTracker::Handover(uint32_t to, const std::string& reason) {
  absl::MutexLock lock(&append_mu_);
  absl::StatusOr<Snapshot> snapshot = Read();
  if (!snapshot.ok()) return snapshot.status();
  lead::State state = lead::Evaluate(snapshot->inputs);

  if (state.pending_proposal.has_value() && state.current().lead == self_) {
    const lead::Event& pending = *state.pending_proposal;
    return absl::FailedPreconditionError(
        Tr("a handover proposal is already pending: sequence {} hands epoch {} to {}; a lead "
           "proposes once per epoch, so wait until {} accepts, or ask the root holder for an "
           "emergency assignment",
           pending.sequence, pending.proposal.epoch(), Named(pending.proposal.to()),
           pending.proposal.to()));
  }
  std::string not_coordinator = NotCoordinatorReason(state);
  if (!not_coordinator.empty()) return absl::FailedPreconditionError(not_coordinator);
  if (to == self_) {
    return absl::InvalidArgumentError(
        Tr("--to {} is this node, which already leads epoch {}; name the member that takes "
           "over",
           to, state.current().number));
  }
  const proto::Manifest& manifest = snapshot->manifest->manifest;
  if (!IsMember(manifest, to)) {
    return absl::InvalidArgumentError(
        Tr("--to {} is not a member of manifest version {}; name one of its members (yrebctl "
           "federation show)",
           to, snapshot->manifest->version));
  }

  proto::HandoverProposal proposal;
  proposal.set_epoch(state.current().number);
  proposal.set_to(to);
  proposal.set_reason(reason);
  // The vector is read on the writer thread right before the append, so it
  // misses at most the entries that arrive while the proposal is written.
  uint64_t fence = 0;
  absl::Status status = log_->Run([&](sync::AppendContext& context) {
    absl::StatusOr<std::vector<storage::Tip>> tips = context.store().GetTips();
    if (!tips.ok()) return tips.status();
    for (const storage::Tip& tip : *tips) {
      if (tip.sequence == 0) continue;
      proto::HeldTip* held = proposal.add_held();
      held->set_origin(tip.origin);
      held->set_sequence(tip.sequence);
      held->set_hash(std::string(crypto::AsBytes(tip.hash)));
    }
    fence = context.Append(proto::ENTRY_KIND_HANDOVER_PROPOSAL, proposal.SerializeAsString());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  absl::StatusOr<uint64_t> sequence = fence;
  spdlog::info("handover proposed: epoch={} to={} fence={} origins_held={}", proposal.epoch(), to,
               *sequence, proposal.held_size());

  proto::HandoverReply reply;
  reply.set_epoch(proposal.epoch());
  reply.set_fence(*sequence);
  reply.set_to(to);
  return reply;
}

absl::StatusOr<proto::AcceptReply> LeadTracker::Accept() {
  absl::MutexLock lock(&append_mu_);
  absl::StatusOr<lead::State> state = Evaluate();
  if (!state.ok()) return state.status();
  const lead::Epoch& current = state->current();

  if (state->dispute.has_value()) {
    return absl::FailedPreconditionError(
        Tr("epoch {} is disputed: {}; a handover cannot complete until a root statement "
           "resolves it",
           current.number, *state->dispute));
  }
  if (!state->pending_proposal.has_value()) {
    return absl::FailedPreconditionError(
        Tr("no handover proposal is pending on this node: {} leads epoch {} and has proposed "
           "nothing this node holds. Run yrebctl lead handover on {} first, or wait until its "
           "proposal arrives",
           Named(current.lead), current.number, current.lead));
  }
  const lead::Event& pending = *state->pending_proposal;
  if (pending.proposal.to() != self_) {
    return absl::FailedPreconditionError(
        Tr("the pending proposal of {} hands epoch {} to {}, not to this node {}",
           Named(pending.origin), current.number, Named(pending.proposal.to()), Named(self_)));
  }

  // The new lead must hold everything the outgoing lead held at the fence,
  // so that nothing it seals is cut from less.
  std::vector<std::string> missing;
  for (const proto::HeldTip& held : pending.proposal.held()) {
    absl::StatusOr<std::optional<storage::Tip>> own = store_->GetTip(held.origin());
    if (!own.ok()) return own.status();
    uint64_t have = own->has_value() ? (*own)->sequence : 0;
    if (have < held.sequence()) {
      missing.push_back(Tr("origin {}: this node holds up to sequence {}, the proposer held {}",
                           held.origin(), have, held.sequence()));
      continue;
    }
    absl::StatusOr<std::optional<std::string>> encoded =
        store_->GetEntry(held.origin(), held.sequence());
    if (!encoded.ok()) return encoded.status();
    crypto::Hash hash{};
    if (encoded->has_value()) hash = entry::HashEntry(**encoded);
    if (!encoded->has_value() || std::string(crypto::AsBytes(hash)) != held.hash()) {
      missing.push_back(
          Tr("origin {}: the entry at sequence {} differs from the one the "
             "proposer held (a fork; see yrebctl forks)",
             held.origin(), held.sequence()));
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& line : missing) list += (list.empty() ? "" : "; ") + line;
    return absl::FailedPreconditionError(
        Tr("this node cannot accept epoch {} yet, because it holds less than {} held at the "
           "fence (sequence {}): {}. Wait until replication catches up (yrebctl status shows "
           "each peer), then run yrebctl lead accept again",
           current.number + 1, Named(pending.origin), pending.sequence, list));
  }

  proto::HandoverAccept accept;
  accept.set_epoch(current.number + 1);
  accept.set_proposer(pending.origin);
  accept.set_proposal_sequence(pending.sequence);
  absl::StatusOr<uint64_t> sequence =
      Append(proto::ENTRY_KIND_HANDOVER_ACCEPT, accept.SerializeAsString());
  if (!sequence.ok()) return sequence.status();
  spdlog::info("handover accepted: epoch={} proposer={} fence={} sequence={}", accept.epoch(),
               pending.origin, pending.sequence, *sequence);

  proto::AcceptReply reply;
  reply.set_epoch(accept.epoch());
  reply.set_proposer(pending.origin);
  reply.set_fence(pending.sequence);
  reply.set_sequence(*sequence);
  return reply;
}

absl::StatusOr<proto::SignAssignmentReply> LeadTracker::SignAssignment(uint32_t to, uint64_t fence,
                                                                       const std::string& reason) {
  absl::MutexLock lock(&append_mu_);
  absl::StatusOr<Snapshot> snapshot = Read();
  if (!snapshot.ok()) return snapshot.status();
  lead::State state = lead::Evaluate(snapshot->inputs);
  const lead::Epoch& current = state.current();
  const proto::Manifest& manifest = snapshot->manifest->manifest;

  if (!IsMember(manifest, self_)) {
    return absl::FailedPreconditionError(
        Tr("this node {} is not a member of manifest version {}, so its vote would not count",
           self_, snapshot->manifest->version));
  }
  if (!IsMember(manifest, to)) {
    return absl::InvalidArgumentError(
        Tr("--to {} is not a member of manifest version {}; name one of its members (yrebctl "
           "federation show)",
           to, snapshot->manifest->version));
  }
  if (to == current.lead) {
    return absl::InvalidArgumentError(
        Tr("--to {} already leads epoch {}; an emergency assignment names another member", to,
           current.number));
  }

  proto::LeadAssignment vote;
  vote.set_epoch(current.number + 1);
  vote.set_to(to);
  vote.set_fenced_lead(current.lead);
  vote.set_fence(fence);
  vote.set_manifest_version(snapshot->manifest->version);
  vote.set_reason(reason);

  for (const lead::Event& event : snapshot->inputs.events) {
    if (event.kind == lead::Event::Kind::kVote && event.origin == self_ &&
        event.vote.epoch() == vote.epoch()) {
      return absl::FailedPreconditionError(
          Tr("this member already voted at sequence {} to assign epoch {} to {} with fence {}; "
             "a member votes at most once per epoch",
             event.sequence, vote.epoch(), Named(event.vote.to()), event.vote.fence()));
    }
  }

  absl::StatusOr<uint64_t> sequence =
      Append(proto::ENTRY_KIND_ASSIGNMENT_VOTE, federation::SerializeLeadAssignment(vote));
  if (!sequence.ok()) return sequence.status();
  spdlog::info("assignment vote appended: epoch={} to={} fenced_lead={} fence={} sequence={}",
               vote.epoch(), to, vote.fenced_lead(), fence, *sequence);

  // The stored votes were read before this one was appended.
  uint32_t votes = 1;
  for (const lead::Event* event : FirstVotes(snapshot->inputs.events, vote.epoch())) {
    if (event->origin != self_ && KeyOf(event->vote) == KeyOf(vote)) ++votes;
  }
  proto::SignAssignmentReply reply;
  *reply.mutable_assignment() = vote;
  reply.set_sequence(*sequence);
  reply.set_votes(votes);
  reply.set_needed(static_cast<uint32_t>(manifest.members_size() / 2 + 1));
  return reply;
}

absl::StatusOr<uint64_t> LeadTracker::AppendUnchecked(proto::EntryKind kind,
                                                      const std::string& body) {
  absl::MutexLock lock(&append_mu_);
  spdlog::warn("test entry appended without lead checks: kind={}", static_cast<int>(kind));
  return Append(kind, body);
}

}  // namespace yreb::node
