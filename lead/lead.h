// The chain of lead epochs, evaluated the same way on every node.
//
// Epoch 1's lead is the manifest's genesis lead. Epoch E + 1 follows from,
// in order of precedence: a root assignment statement; assignment votes of a
// majority (floor(n/2) + 1) of the members of the manifest version they name,
// each member's first vote per epoch only; a planned handover, which is the
// lead's proposal (its sequence is the fence) accepted by the target. Two
// successors of equal precedence leave the epoch disputed until the root
// decides. The result depends only on replicated data, never on wall time or
// arrival order, so every node derives the same chain.
#ifndef YREB_LEAD_LEAD_H_
#define YREB_LEAD_LEAD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proto/lead.pb.h"

namespace yreb::lead {

// A lead-rotation entry of some origin log.
struct Event {
  enum class Kind { kProposal, kAccept, kVote };
  Kind kind = Kind::kProposal;
  uint32_t origin = 0;
  uint64_t sequence = 0;
  proto::HandoverProposal proposal;  // kProposal
  proto::HandoverAccept accept;      // kAccept
  proto::LeadAssignment vote;        // kVote
};

// A root emergency assignment; a higher statement version supersedes.
struct RootAssignment {
  uint64_t statement_version = 0;
  proto::LeadAssignment assignment;
};

struct Inputs {
  uint32_t genesis_lead = 0;
  // Members of each manifest version, for counting votes.
  std::map<uint64_t, std::vector<uint32_t>> members_by_manifest;
  // Events in any order; evaluation sorts them by (origin, sequence).
  std::vector<Event> events;
  std::vector<RootAssignment> root_assignments;
};

struct Epoch {
  enum class Via { kGenesis, kPlanned, kMajority, kRoot };
  uint64_t number = 0;
  uint32_t lead = 0;
  Via via = Via::kGenesis;
  std::string reason;
  std::vector<uint32_t> signers;  // voters of a majority assignment
  // The lead's coordinator entries count for this epoch only after this
  // sequence of its own log (its acceptance, for a planned handover).
  uint64_t start_after = 0;
  // Set once the epoch has a successor: the lead's coordinator entries of
  // this epoch with a higher sequence are void.
  std::optional<uint64_t> fence;
};

// An entry the evaluation found void, with the reason.
struct VoidEvent {
  uint32_t origin = 0;
  uint64_t sequence = 0;
  std::string reason;
};

// A root assignment statement that has not taken effect, with the reason.
struct IgnoredRoot {
  uint64_t statement_version = 0;
  uint64_t epoch = 0;
  std::string reason;
};

struct State {
  std::vector<Epoch> chain;  // epoch 1 first
  // A proposal of the current lead not yet accepted.
  std::optional<Event> pending_proposal;
  // Set when the epoch after the current one has two successors of equal
  // precedence; no coordinator entry of the current epoch counts meanwhile.
  std::optional<std::string> dispute;
  std::vector<VoidEvent> void_events;
  // Root assignments that name the wrong lead to fence, or an epoch the
  // chain has not reached.
  std::vector<IgnoredRoot> ignored_roots;

  const Epoch& current() const { return chain.back(); }
};

State Evaluate(const Inputs& inputs);

enum class Verdict { kCounts, kVoid, kPending };

// Decides whether a coordinator entry (catalog version, release) of `origin`
// at `sequence`, issued for `epoch`, takes effect. Pending when the epoch is
// not known yet or is disputed; void otherwise when `origin` was not the
// lead of `epoch` at that sequence. `reason` explains a void or pending.
Verdict CoordinatorEntry(const State& state, uint32_t origin, uint64_t sequence, uint64_t epoch,
                         std::string* reason);

}  // namespace yreb::lead

#endif  // YREB_LEAD_LEAD_H_
