// The node's view of the lead chain: evaluates the epochs from the stored
// handover proposals, acceptances and assignment votes (through the
// coordination index), the stored manifests and the root assignment
// statements, and appends this node's own lead-rotation entries.
//
// Every call evaluates the chain again from the store, so the result follows
// each newly stored entry or statement at once, and its reasons come out in
// the calling thread's language. The inputs are a handful of entries, so an
// evaluation reads a few dozen keys.
#ifndef YREB_NODE_LEAD_TRACKER_H_
#define YREB_NODE_LEAD_TRACKER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "federation/membership.h"
#include "lead/lead.h"
#include "node/lead_gate.h"
#include "proto/lead_admin.pb.h"
#include "storage/store.h"
#include "sync/origin_log.h"

namespace yreb::node {

class LeadTracker final : public LeadGate {
 public:
  // `membership` may be null (a node without [federation]); the node then
  // has no lead and every coordinator action is refused. All pointers must
  // outlive the tracker.
  LeadTracker(storage::Store* store, const federation::Membership* membership, sync::OriginLog* log,
              uint32_t self);

  absl::StatusOr<uint64_t> CoordinatorEpoch() const override;
  lead::Verdict Judge(uint32_t origin, uint64_t sequence, uint64_t epoch,
                      std::string* reason) const override;

  // Evaluates the chain. Fails with FailedPrecondition when no manifest is
  // stored, or with the store's error.
  absl::StatusOr<lead::State> Evaluate() const;

  // Returns the chain, the pending proposal, open votes and the verdicts on
  // every stored coordinator entry, in the thread's language.
  absl::StatusOr<proto::LeadStatusReply> Status() const;

  // Appends a proposal to hand the current epoch to `to`, carrying this
  // node's version vector. Fails with FailedPrecondition when this node may
  // not coordinate (not the lead, a proposal pending, a dispute) and with
  // InvalidArgument when `to` is this node or not a member of the newest
  // manifest.
  absl::StatusOr<proto::HandoverReply> Handover(uint32_t to, const std::string& reason);

  // Appends the acceptance of the pending proposal that names this node.
  // Fails with FailedPrecondition when no pending proposal names it, or,
  // listing each origin, when this node holds less of some origin than the
  // proposer held at the fence or holds a different entry there.
  absl::StatusOr<proto::AcceptReply> Accept();

  // Appends this member's vote to assign the next epoch to `to`, fencing the
  // current lead after `fence`. Fails with FailedPrecondition when this node
  // already voted for that epoch or is not a member, and with
  // InvalidArgument when `to` is not a member or is the current lead.
  absl::StatusOr<proto::SignAssignmentReply> SignAssignment(uint32_t to, uint64_t fence,
                                                            const std::string& reason);

  // Appends an entry of any kind without checking any rule, for tests that
  // play a misbehaving lead. The caller gates it.
  absl::StatusOr<uint64_t> AppendUnchecked(proto::EntryKind kind, const std::string& body);

 private:
  struct Snapshot;

  // Reads every input of the evaluation, and the coordinator entries.
  absl::StatusOr<Snapshot> Read() const;
  // Adds a stored lead-rotation or coordinator entry to `snapshot`.
  static void AddEntry(proto::EntryKind kind, uint32_t origin, uint64_t sequence,
                       std::string_view body, Snapshot* snapshot);
  // Returns why this node may not coordinate in `state`, or "" when it may.
  std::string NotCoordinatorReason(const lead::State& state) const;
  absl::StatusOr<uint64_t> Append(proto::EntryKind kind, const std::string& body);

  storage::Store* const store_;
  const federation::Membership* const membership_;
  sync::OriginLog* const log_;
  const uint32_t self_;

  // Serializes the check and the append of this node's lead entries, so two
  // concurrent handover calls cannot both see no pending proposal.
  absl::Mutex append_mu_;
};

}  // namespace yreb::node

#endif  // YREB_NODE_LEAD_TRACKER_H_
