#include "lead/lead.h"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "i18n/i18n.h"

namespace yreb::lead {
namespace {

using i18n::Tr;

bool IsMember(const Inputs& inputs, uint64_t manifest_version, uint32_t node) {
  auto it = inputs.members_by_manifest.find(manifest_version);
  if (it == inputs.members_by_manifest.end()) return false;
  return std::find(it->second.begin(), it->second.end(), node) != it->second.end();
}

// The fields that make two assignments the same decision.
using AssignmentKey = std::tuple<uint32_t, uint32_t, uint64_t, uint64_t>;

AssignmentKey KeyOf(const proto::LeadAssignment& assignment) {
  return {assignment.to(), assignment.fenced_lead(), assignment.fence(),
          assignment.manifest_version()};
}

}  // namespace

State Evaluate(const Inputs& inputs) {
  State state;
  state.chain.push_back(Epoch{1, inputs.genesis_lead, Epoch::Via::kGenesis, "", {}, 0, {}});

  std::vector<Event> events = inputs.events;
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.origin, a.sequence) < std::tie(b.origin, b.sequence);
  });
  std::set<std::pair<uint32_t, uint64_t>> voided;
  auto mark_void = [&](const Event& event, std::string reason) {
    if (voided.insert({event.origin, event.sequence}).second) {
      state.void_events.push_back({event.origin, event.sequence, std::move(reason)});
    }
  };

  // A member votes at most once per epoch: its first vote in log order.
  std::map<std::pair<uint32_t, uint64_t>, const Event*> first_votes;
  for (const Event& event : events) {
    if (event.kind != Event::Kind::kVote) continue;
    auto key = std::make_pair(event.origin, event.vote.epoch());
    if (!first_votes.emplace(key, &event).second) {
      mark_void(event, Tr("member {} already voted for an assignment of epoch {}", event.origin,
                          event.vote.epoch()));
    }
  }

  // Each round decides the successor of the newest epoch; a chain can be no
  // longer than the number of decisions in the inputs.
  size_t max_rounds = events.size() + inputs.root_assignments.size() + 1;
  for (size_t round = 0; round < max_rounds; ++round) {
    Epoch& current = state.chain.back();
    const uint64_t next = current.number + 1;
    const uint32_t lead = current.lead;

    // Root: the newest statement for the next epoch.
    const RootAssignment* root = nullptr;
    for (const RootAssignment& candidate : inputs.root_assignments) {
      if (candidate.assignment.epoch() != next) continue;
      if (candidate.assignment.fenced_lead() != lead) {
        state.ignored_roots.push_back(
            {candidate.statement_version, next,
             Tr("the root assignment names {} as the lead to fence, but epoch {} is led by {}",
                candidate.assignment.fenced_lead(), current.number, lead)});
        continue;
      }
      if (root == nullptr || candidate.statement_version > root->statement_version) {
        root = &candidate;
      }
    }

    // Majority: distinct members of the named manifest version agreeing on
    // one assignment.
    std::map<AssignmentKey, std::vector<uint32_t>> groups;
    std::map<AssignmentKey, const proto::LeadAssignment*> group_body;
    for (const auto& [key, event] : first_votes) {
      const proto::LeadAssignment& vote = event->vote;
      if (vote.epoch() != next) continue;
      if (vote.fenced_lead() != lead) {
        mark_void(*event, Tr("the vote names {} as the lead to fence, but epoch {} is led by {}",
                             vote.fenced_lead(), current.number, lead));
        continue;
      }
      if (!IsMember(inputs, vote.manifest_version(), event->origin)) {
        mark_void(*event, Tr("member {} is not in manifest version {} that the vote names",
                             event->origin, vote.manifest_version()));
        continue;
      }
      groups[KeyOf(vote)].push_back(event->origin);
      group_body[KeyOf(vote)] = &vote;
    }
    std::vector<AssignmentKey> majorities;
    for (const auto& [key, voters] : groups) {
      size_t members = inputs.members_by_manifest.at(std::get<3>(key)).size();
      if (voters.size() >= members / 2 + 1) majorities.push_back(key);
    }

    // Planned: the lead's first proposal for this epoch after its start,
    // accepted by the target.
    const Event* proposal = nullptr;
    const Event* accept = nullptr;
    for (const Event& event : events) {
      if (event.kind != Event::Kind::kProposal || event.proposal.epoch() != current.number) {
        continue;
      }
      if (event.origin != lead) {
        mark_void(event, Tr("{} proposed a handover of epoch {}, which {} leads", event.origin,
                            current.number, lead));
        continue;
      }
      if (event.sequence <= current.start_after) continue;
      if (proposal == nullptr) {
        proposal = &event;
      } else {
        mark_void(event, Tr("a second handover proposal of epoch {} while proposal {} is "
                            "pending",
                            current.number, proposal->sequence));
      }
    }
    if (proposal != nullptr) {
      for (const Event& event : events) {
        if (event.kind == Event::Kind::kAccept && event.origin == proposal->proposal.to() &&
            event.accept.epoch() == next && event.accept.proposer() == lead &&
            event.accept.proposal_sequence() == proposal->sequence) {
          accept = &event;
          break;
        }
      }
    }

    Epoch successor;
    successor.number = next;
    if (root != nullptr) {
      successor.lead = root->assignment.to();
      successor.via = Epoch::Via::kRoot;
      successor.reason = root->assignment.reason();
      current.fence = root->assignment.fence();
    } else if (majorities.size() > 1) {
      state.dispute = Tr("epoch {} has {} different assignments signed by a majority; the root "
                         "must decide",
                         next, majorities.size());
      break;
    } else if (majorities.size() == 1) {
      const proto::LeadAssignment& body = *group_body[majorities[0]];
      successor.lead = body.to();
      successor.via = Epoch::Via::kMajority;
      successor.reason = body.reason();
      successor.signers = groups[majorities[0]];
      std::sort(successor.signers.begin(), successor.signers.end());
      current.fence = body.fence();
    } else if (accept != nullptr) {
      successor.lead = proposal->proposal.to();
      successor.via = Epoch::Via::kPlanned;
      successor.reason = proposal->proposal.reason();
      successor.start_after = accept->sequence;
      current.fence = proposal->sequence;
    } else {
      if (proposal != nullptr) state.pending_proposal = *proposal;
      break;
    }

    // An emergency assignment overrides a planned handover of the same
    // epoch on every node alike.
    if (successor.via != Epoch::Via::kPlanned && proposal != nullptr) {
      mark_void(*proposal, Tr("handover proposal of epoch {} overridden by an emergency "
                              "assignment",
                              current.number));
      if (accept != nullptr) {
        mark_void(*accept, Tr("acceptance of epoch {} overridden by an emergency assignment",
                              next));
      }
    }
    state.chain.push_back(successor);
  }

  // Root assignments of epochs beyond the chain's next one wait; they are
  // listed so that an operator sees why they have not taken effect.
  const uint64_t next = state.current().number + 1;
  for (const RootAssignment& candidate : inputs.root_assignments) {
    if (candidate.assignment.epoch() > next) {
      state.ignored_roots.push_back(
          {candidate.statement_version, candidate.assignment.epoch(),
           Tr("epoch {} cannot be assigned yet: the chain has reached epoch {} only",
              candidate.assignment.epoch(), state.current().number)});
    }
  }
  return state;
}

Verdict CoordinatorEntry(const State& state, uint32_t origin, uint64_t sequence, uint64_t epoch,
                         std::string* reason) {
  if (epoch == 0 || epoch > state.current().number) {
    *reason = Tr("epoch {} has not begun on this node yet", epoch);
    return Verdict::kPending;
  }
  const Epoch& named = state.chain[epoch - 1];
  if (named.lead != origin) {
    *reason = Tr("{} is not the lead of epoch {}; {} is", origin, epoch, named.lead);
    return Verdict::kVoid;
  }
  if (sequence <= named.start_after) {
    *reason = Tr("entry {}/{} precedes the start of epoch {}", origin, sequence, epoch);
    return Verdict::kVoid;
  }
  if (named.fence.has_value() && sequence > *named.fence) {
    *reason = Tr("entry {}/{} comes after the fence {} that ended epoch {}", origin, sequence,
                 *named.fence, epoch);
    return Verdict::kVoid;
  }
  if (state.dispute.has_value() && epoch == state.current().number) {
    *reason = *state.dispute;
    return Verdict::kPending;
  }
  return Verdict::kCounts;
}

}  // namespace yreb::lead
