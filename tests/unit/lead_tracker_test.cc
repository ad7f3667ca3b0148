// LeadTracker on a real RocksDB store: the gate the coordinator asks before
// it appends, and the verdicts on coordinator entries, as the lead changes
// hands. Two origin logs (310000 and 320000) share one store here, as they
// would after replication.
#include "node/lead_tracker.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "federation/manifest.h"
#include "federation/membership.h"
#include "i18n/i18n.h"
#include "storage/store.h"
#include "sync/origin_log.h"
#include "tests/support/process.h"

namespace yreb::node {
namespace {

class LeadTrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    i18n::SetCurrentLang(i18n::Lang::kEnglish);
    absl::StatusOr<std::unique_ptr<storage::Store>> store = storage::Store::Open(
        testing::MakeTempDir("lead-tracker") + "/db", {.create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);

    absl::StatusOr<std::unique_ptr<federation::Membership>> membership =
        federation::Membership::Open(store_.get(), root_.public_key());
    ASSERT_TRUE(membership.ok()) << membership.status();
    membership_ = std::move(*membership);
    proto::Manifest manifest;
    manifest.set_genesis_lead(310000);
    manifest.set_catalog_v1_sha256(std::string(64, 'a'));
    for (uint32_t id : {310000u, 320000u, 330000u}) {
      proto::Member* member = manifest.add_members();
      member->set_node_id(id);
      member->set_name_zh("省");
      member->set_name_en("Province");
      member->set_address("127.0.0.1:7301");
      member->set_tls_spki_sha256(std::string(64, 'b'));
      proto::SigningKey* key = member->add_signing_keys();
      key->set_public_key((id == 310000 ? shanghai_key_ : jiangsu_key_).public_key().raw());
      key->set_first_sequence(1);
    }
    ASSERT_TRUE(membership_->Apply(federation::SignManifest(root_, 1, manifest), "test").ok());

    shanghai_log_ = OpenLog(&shanghai_key_, 310000);
    jiangsu_log_ = OpenLog(&jiangsu_key_, 320000);
    shanghai_ =
        std::make_unique<LeadTracker>(store_.get(), membership_.get(), shanghai_log_.get(), 310000);
    jiangsu_ =
        std::make_unique<LeadTracker>(store_.get(), membership_.get(), jiangsu_log_.get(), 320000);
  }

  std::unique_ptr<sync::OriginLog> OpenLog(const crypto::PrivateKey* key, uint32_t origin) {
    sync::OriginLog::Options options;
    options.sync = false;
    absl::StatusOr<std::unique_ptr<sync::OriginLog>> log =
        sync::OriginLog::Open(store_.get(), key, origin, options);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? std::move(*log) : nullptr;
  }

  crypto::PrivateKey root_ = crypto::PrivateKey::Generate();
  crypto::PrivateKey shanghai_key_ = crypto::PrivateKey::Generate();
  crypto::PrivateKey jiangsu_key_ = crypto::PrivateKey::Generate();
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<federation::Membership> membership_;
  std::unique_ptr<sync::OriginLog> shanghai_log_;
  std::unique_ptr<sync::OriginLog> jiangsu_log_;
  std::unique_ptr<LeadTracker> shanghai_;
  std::unique_ptr<LeadTracker> jiangsu_;
};

TEST_F(LeadTrackerTest, GenesisLeadMayCoordinate) {
  absl::StatusOr<uint64_t> epoch = shanghai_->CoordinatorEpoch();
  ASSERT_TRUE(epoch.ok()) << epoch.status();
  EXPECT_EQ(*epoch, 1u);

  absl::StatusOr<uint64_t> other = jiangsu_->CoordinatorEpoch();
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(other.status().message(),
            "this node 320000 (江苏省) is not the lead: the lead of epoch 1 is 310000 (上海市); "
            "run coordinator commands on that node");
}

TEST_F(LeadTrackerTest, HandoverFencesAndAcceptStarts) {
  absl::StatusOr<proto::HandoverReply> handover = shanghai_->Handover(320000, "rotation");
  ASSERT_TRUE(handover.ok()) << handover.status();
  EXPECT_EQ(handover->fence(), 1u);
  absl::StatusOr<uint64_t> fenced = shanghai_->CoordinatorEpoch();
  ASSERT_FALSE(fenced.ok());
  EXPECT_NE(fenced.status().message().find("proposed handing epoch 1 to 320000 (江苏省) at "
                                           "sequence 1"),
            std::string::npos)
      << fenced.status();

  absl::StatusOr<proto::AcceptReply> accept = jiangsu_->Accept();
  ASSERT_TRUE(accept.ok()) << accept.status();
  EXPECT_EQ(accept->epoch(), 2u);
  EXPECT_EQ(accept->sequence(), 1u);
  absl::StatusOr<uint64_t> epoch = jiangsu_->CoordinatorEpoch();
  ASSERT_TRUE(epoch.ok()) << epoch.status();
  EXPECT_EQ(*epoch, 2u);

  std::string reason;
  EXPECT_EQ(jiangsu_->Judge(310000, 2, 1, &reason), lead::Verdict::kVoid);
  EXPECT_EQ(reason, "entry 310000/2 comes after the fence 1 that ended epoch 1");
  EXPECT_EQ(jiangsu_->Judge(320000, 2, 2, &reason), lead::Verdict::kCounts);
  EXPECT_EQ(jiangsu_->Judge(320000, 1, 2, &reason), lead::Verdict::kVoid);
  EXPECT_EQ(reason, "entry 320000/1 precedes the start of epoch 2");
  EXPECT_EQ(jiangsu_->Judge(320000, 2, 3, &reason), lead::Verdict::kPending);
}

TEST_F(LeadTrackerTest, HandoverRejectsBadTargets) {
  absl::StatusOr<proto::HandoverReply> self = shanghai_->Handover(310000, "");
  ASSERT_FALSE(self.ok());
  EXPECT_EQ(self.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<proto::HandoverReply> stranger = shanghai_->Handover(530000, "");
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.status().message(),
            "--to 530000 is not a member of manifest version 1; name one of its members "
            "(yrebctl federation show)");
  EXPECT_EQ(shanghai_log_->durable_tip().sequence, 0u);
}

TEST_F(LeadTrackerTest, AcceptWithoutProposalRejected) {
  absl::StatusOr<proto::AcceptReply> accept = jiangsu_->Accept();
  ASSERT_FALSE(accept.ok());
  EXPECT_EQ(accept.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(accept.status().message().find("no handover proposal is pending"), std::string::npos)
      << accept.status();
  EXPECT_EQ(jiangsu_log_->durable_tip().sequence, 0u);
}

TEST_F(LeadTrackerTest, SecondVoteInEpochRejected) {
  absl::StatusOr<proto::SignAssignmentReply> first = jiangsu_->SignAssignment(320000, 0, "lost");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->assignment().epoch(), 2u);
  EXPECT_EQ(first->assignment().fenced_lead(), 310000u);
  EXPECT_EQ(first->votes(), 1u);
  EXPECT_EQ(first->needed(), 2u);

  absl::StatusOr<proto::SignAssignmentReply> second = jiangsu_->SignAssignment(330000, 0, "");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("a member votes at most once per epoch"),
            std::string::npos)
      << second.status();

  absl::StatusOr<proto::SignAssignmentReply> majority =
      shanghai_->SignAssignment(320000, 0, "lost");
  ASSERT_TRUE(majority.ok()) << majority.status();
  EXPECT_EQ(majority->votes(), 2u);
  absl::StatusOr<uint64_t> epoch = jiangsu_->CoordinatorEpoch();
  ASSERT_TRUE(epoch.ok()) << epoch.status();
  EXPECT_EQ(*epoch, 2u);
}

}  // namespace
}  // namespace yreb::node
