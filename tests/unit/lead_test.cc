#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "lead/lead.h"

namespace yreb::lead {
namespace {

const std::vector<uint32_t> kEleven = {310000, 320000, 330000, 340000, 360000, 420000,
                                       430000, 500000, 510000, 520000, 530000};

Event Proposal(uint32_t origin, uint64_t sequence, uint64_t epoch, uint32_t to) {
  Event event;
  event.kind = Event::Kind::kProposal;
  event.origin = origin;
  event.sequence = sequence;
  event.proposal.set_epoch(epoch);
  event.proposal.set_to(to);
  event.proposal.set_reason("rotation");
  return event;
}

Event Accept(uint32_t origin, uint64_t sequence, uint64_t epoch, uint32_t proposer,
             uint64_t proposal_sequence) {
  Event event;
  event.kind = Event::Kind::kAccept;
  event.origin = origin;
  event.sequence = sequence;
  event.accept.set_epoch(epoch);
  event.accept.set_proposer(proposer);
  event.accept.set_proposal_sequence(proposal_sequence);
  return event;
}

proto::LeadAssignment Assignment(uint64_t epoch, uint32_t to, uint32_t fenced, uint64_t fence,
                                 uint64_t manifest_version = 1) {
  proto::LeadAssignment assignment;
  assignment.set_epoch(epoch);
  assignment.set_to(to);
  assignment.set_fenced_lead(fenced);
  assignment.set_fence(fence);
  assignment.set_manifest_version(manifest_version);
  assignment.set_reason("lead lost");
  return assignment;
}

Event Vote(uint32_t origin, uint64_t sequence, const proto::LeadAssignment& assignment) {
  Event event;
  event.kind = Event::Kind::kVote;
  event.origin = origin;
  event.sequence = sequence;
  event.vote = assignment;
  return event;
}

Inputs Federation() {
  Inputs inputs;
  inputs.genesis_lead = 310000;
  inputs.members_by_manifest[1] = kEleven;
  return inputs;
}

std::string Why(const State& state, uint32_t origin, uint64_t sequence, uint64_t epoch,
                Verdict* verdict) {
  std::string reason;
  *verdict = CoordinatorEntry(state, origin, sequence, epoch, &reason);
  return reason;
}

TEST(LeadTest, GenesisLeadHoldsEpochOne) {
  State state = Evaluate(Federation());
  ASSERT_EQ(state.chain.size(), 1u);
  EXPECT_EQ(state.current().number, 1u);
  EXPECT_EQ(state.current().lead, 310000u);
  EXPECT_EQ(state.current().via, Epoch::Via::kGenesis);
  EXPECT_FALSE(state.pending_proposal.has_value());
}

TEST(LeadTest, PlannedHandoverFencesTheOldLead) {
  Inputs inputs = Federation();
  inputs.events = {Proposal(310000, 10, 1, 320000), Accept(320000, 5, 2, 310000, 10)};
  State state = Evaluate(inputs);
  ASSERT_EQ(state.chain.size(), 2u);
  EXPECT_EQ(state.current().lead, 320000u);
  EXPECT_EQ(state.current().via, Epoch::Via::kPlanned);
  EXPECT_EQ(state.chain[0].fence, 10u);
  EXPECT_EQ(state.current().start_after, 5u);

  Verdict verdict;
  Why(state, 310000, 9, 1, &verdict);
  EXPECT_EQ(verdict, Verdict::kCounts);
  std::string reason = Why(state, 310000, 11, 1, &verdict);
  EXPECT_EQ(verdict, Verdict::kVoid);
  EXPECT_EQ(reason, "entry 310000/11 comes after the fence 10 that ended epoch 1");
  Why(state, 320000, 6, 2, &verdict);
  EXPECT_EQ(verdict, Verdict::kCounts);
  reason = Why(state, 320000, 5, 2, &verdict);
  EXPECT_EQ(verdict, Verdict::kVoid);
  reason = Why(state, 320000, 6, 1, &verdict);
  EXPECT_EQ(verdict, Verdict::kVoid);
  EXPECT_EQ(reason, "320000 is not the lead of epoch 1; 310000 is");
  reason = Why(state, 320000, 7, 3, &verdict);
  EXPECT_EQ(verdict, Verdict::kPending);
}

TEST(LeadTest, UnacceptedProposalIsPending) {
  Inputs inputs = Federation();
  inputs.events = {Proposal(310000, 10, 1, 320000)};
  State state = Evaluate(inputs);
  EXPECT_EQ(state.chain.size(), 1u);
  ASSERT_TRUE(state.pending_proposal.has_value());
  EXPECT_EQ(state.pending_proposal->sequence, 10u);
  EXPECT_EQ(state.pending_proposal->proposal.to(), 320000u);
}

TEST(LeadTest, SecondProposalWhilePendingIsVoid) {
  Inputs inputs = Federation();
  inputs.events = {Proposal(310000, 10, 1, 320000), Proposal(310000, 11, 1, 330000),
                   Accept(330000, 3, 2, 310000, 11)};
  State state = Evaluate(inputs);
  EXPECT_EQ(state.chain.size(), 1u);
  ASSERT_EQ(state.void_events.size(), 1u);
  EXPECT_EQ(state.void_events[0].origin, 310000u);
  EXPECT_EQ(state.void_events[0].sequence, 11u);
  EXPECT_EQ(state.void_events[0].reason,
            "a second handover proposal of epoch 1 while proposal 10 is pending");
  ASSERT_TRUE(state.pending_proposal.has_value());
  EXPECT_EQ(state.pending_proposal->sequence, 10u);
}

TEST(LeadTest, ProposalOfANonLeadIsVoid) {
  Inputs inputs = Federation();
  inputs.events = {Proposal(320000, 4, 1, 330000), Accept(330000, 3, 2, 320000, 4)};
  State state = Evaluate(inputs);
  EXPECT_EQ(state.chain.size(), 1u);
  ASSERT_EQ(state.void_events.size(), 1u);
  EXPECT_EQ(state.void_events[0].reason,
            "320000 proposed a handover of epoch 1, which 310000 leads");
}

TEST(LeadTest, MajorityNeedsSixOfEleven) {
  proto::LeadAssignment assignment = Assignment(2, 510000, 310000, 40);
  Inputs inputs = Federation();
  for (int i = 1; i <= 5; ++i) inputs.events.push_back(Vote(kEleven[i], 7, assignment));
  EXPECT_EQ(Evaluate(inputs).chain.size(), 1u) << "five votes are not enough";

  inputs.events.push_back(Vote(kEleven[6], 9, assignment));
  State state = Evaluate(inputs);
  ASSERT_EQ(state.chain.size(), 2u);
  EXPECT_EQ(state.current().lead, 510000u);
  EXPECT_EQ(state.current().via, Epoch::Via::kMajority);
  EXPECT_EQ(state.current().signers.size(), 6u);
  EXPECT_EQ(state.chain[0].fence, 40u);
}

TEST(LeadTest, MemberVotesOncePerEpoch) {
  proto::LeadAssignment first = Assignment(2, 510000, 310000, 40);
  proto::LeadAssignment second = Assignment(2, 520000, 310000, 40);
  Inputs inputs = Federation();
  // Five members vote for 510000; one of them later also votes for 520000,
  // and five others vote for 520000: neither reaches six.
  for (int i = 1; i <= 5; ++i) inputs.events.push_back(Vote(kEleven[i], 7, first));
  inputs.events.push_back(Vote(kEleven[1], 8, second));
  for (int i = 6; i <= 10; ++i) inputs.events.push_back(Vote(kEleven[i], 7, second));
  State state = Evaluate(inputs);
  EXPECT_EQ(state.chain.size(), 1u);
  ASSERT_EQ(state.void_events.size(), 1u);
  EXPECT_EQ(state.void_events[0].origin, kEleven[1]);
  EXPECT_EQ(state.void_events[0].sequence, 8u);
}

TEST(LeadTest, VotesOfNonMembersDoNotCount) {
  proto::LeadAssignment assignment = Assignment(2, 510000, 310000, 40);
  Inputs inputs = Federation();
  for (int i = 1; i <= 5; ++i) inputs.events.push_back(Vote(kEleven[i], 7, assignment));
  inputs.events.push_back(Vote(110000, 3, assignment));  // Beijing is no member
  State state = Evaluate(inputs);
  EXPECT_EQ(state.chain.size(), 1u);
  ASSERT_EQ(state.void_events.size(), 1u);
  EXPECT_EQ(state.void_events[0].reason,
            "member 110000 is not in manifest version 1 that the vote names");
}

TEST(LeadTest, PrecedenceRootThenMajorityThenPlanned) {
  Inputs inputs = Federation();
  inputs.events = {Proposal(310000, 10, 1, 320000), Accept(320000, 5, 2, 310000, 10)};
  proto::LeadAssignment majority = Assignment(2, 510000, 310000, 8);
  for (int i = 1; i <= 6; ++i) inputs.events.push_back(Vote(kEleven[i], 20 + i, majority));

  State majority_state = Evaluate(inputs);
  ASSERT_EQ(majority_state.chain.size(), 2u);
  EXPECT_EQ(majority_state.current().lead, 510000u);
  EXPECT_EQ(majority_state.chain[0].fence, 8u);
  EXPECT_EQ(majority_state.void_events.size(), 2u) << "the proposal and its acceptance";

  inputs.root_assignments = {{3, Assignment(2, 530000, 310000, 9)}};
  State root_state = Evaluate(inputs);
  ASSERT_EQ(root_state.chain.size(), 2u);
  EXPECT_EQ(root_state.current().lead, 530000u);
  EXPECT_EQ(root_state.current().via, Epoch::Via::kRoot);
  EXPECT_EQ(root_state.chain[0].fence, 9u);
}

TEST(LeadTest, NewerRootStatementSupersedes) {
  Inputs inputs = Federation();
  inputs.root_assignments = {{4, Assignment(2, 520000, 310000, 9)},
                             {3, Assignment(2, 530000, 310000, 9)}};
  State state = Evaluate(inputs);
  ASSERT_EQ(state.chain.size(), 2u);
  EXPECT_EQ(state.current().lead, 520000u);
}

TEST(LeadTest, RootAssignmentWithoutEffectIsListed) {
  Inputs inputs = Federation();
  // Epoch 1 is led by 310000, so fencing 320000 is wrong; epoch 5 is far
  // beyond the chain.
  inputs.root_assignments = {{3, Assignment(2, 530000, 320000, 9)},
                             {4, Assignment(5, 520000, 310000, 9)}};
  State state = Evaluate(inputs);
  ASSERT_EQ(state.chain.size(), 1u);
  ASSERT_EQ(state.ignored_roots.size(), 2u);
  EXPECT_EQ(state.ignored_roots[0].statement_version, 3u);
  EXPECT_EQ(state.ignored_roots[0].epoch, 2u);
  EXPECT_EQ(state.ignored_roots[0].reason,
            "the root assignment names 320000 as the lead to fence, but epoch 1 is led by "
            "310000");
  EXPECT_EQ(state.ignored_roots[1].statement_version, 4u);
  EXPECT_EQ(state.ignored_roots[1].epoch, 5u);
  EXPECT_EQ(state.ignored_roots[1].reason,
            "epoch 5 cannot be assigned yet: the chain has reached epoch 1 only");

  // A valid assignment of epoch 2 leaves only the wrong one listed.
  inputs.root_assignments.push_back({5, Assignment(2, 520000, 310000, 9)});
  State assigned = Evaluate(inputs);
  ASSERT_EQ(assigned.chain.size(), 2u);
  ASSERT_EQ(assigned.ignored_roots.size(), 2u);
  EXPECT_EQ(assigned.ignored_roots[0].statement_version, 3u);
  EXPECT_EQ(assigned.ignored_roots[1].reason,
            "epoch 5 cannot be assigned yet: the chain has reached epoch 2 only");
}

TEST(LeadTest, TwoMajoritiesDisputeUntilRootDecides) {
  Inputs inputs;
  inputs.genesis_lead = 310000;
  inputs.members_by_manifest[1] = {310000, 320000, 330000};
  inputs.members_by_manifest[2] = {310000, 340000, 360000};
  proto::LeadAssignment under_v1 = Assignment(2, 320000, 310000, 5, 1);
  proto::LeadAssignment under_v2 = Assignment(2, 340000, 310000, 5, 2);
  inputs.events = {Vote(320000, 1, under_v1), Vote(330000, 1, under_v1),
                   Vote(340000, 1, under_v2), Vote(360000, 1, under_v2)};
  State state = Evaluate(inputs);
  EXPECT_EQ(state.chain.size(), 1u);
  ASSERT_TRUE(state.dispute.has_value());
  Verdict verdict;
  Why(state, 310000, 3, 1, &verdict);
  EXPECT_EQ(verdict, Verdict::kPending) << "no coordinator action while disputed";

  inputs.root_assignments = {{5, Assignment(2, 340000, 310000, 5, 2)}};
  State resolved = Evaluate(inputs);
  EXPECT_FALSE(resolved.dispute.has_value());
  ASSERT_EQ(resolved.chain.size(), 2u);
  EXPECT_EQ(resolved.current().lead, 340000u);
}

TEST(LeadTest, ChainOfThreeEpochs) {
  Inputs inputs = Federation();
  inputs.events = {Proposal(310000, 10, 1, 320000), Accept(320000, 5, 2, 310000, 10),
                   Proposal(320000, 30, 2, 330000), Accept(330000, 2, 3, 320000, 30)};
  State state = Evaluate(inputs);
  ASSERT_EQ(state.chain.size(), 3u);
  EXPECT_EQ(state.chain[1].lead, 320000u);
  EXPECT_EQ(state.chain[1].fence, 30u);
  EXPECT_EQ(state.current().lead, 330000u);
  EXPECT_EQ(state.current().number, 3u);
}

TEST(LeadTest, EventOrderDoesNotMatter) {
  Inputs inputs = Federation();
  inputs.events = {Proposal(310000, 10, 1, 320000), Accept(320000, 5, 2, 310000, 10),
                   Proposal(320000, 30, 2, 330000), Proposal(320000, 31, 2, 340000),
                   Accept(330000, 2, 3, 320000, 30)};
  State reference = Evaluate(inputs);
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(inputs.events.begin(), inputs.events.end(), random);
    State state = Evaluate(inputs);
    ASSERT_EQ(state.chain.size(), reference.chain.size());
    EXPECT_EQ(state.current().lead, reference.current().lead);
    ASSERT_EQ(state.void_events.size(), reference.void_events.size());
    EXPECT_EQ(state.void_events[0].sequence, reference.void_events[0].sequence);
  }
}

}  // namespace
}  // namespace yreb::lead
