// The node's view of stored releases, without a federation: the epoch-1
// gate's verdicts and the pending state, on a real store and origin logs.
#include "node/coordinator_service.h"

#include <gtest/gtest.h>

#include "common/big_endian.h"
#include "coordinator/release.h"
#include "coordinator/shared_set.h"
#include "tests/support/genesis_lead_gate.h"
#include "sync/origin_log.h"
#include "sync/receiver.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

constexpr uint32_t kLead = 320000;
constexpr uint32_t kOther = 420000;

class CoordinatorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store =
        storage::Store::Open(testing::MakeTempDir("coordinator"), {.create_if_missing = true});
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    for (uint32_t origin : {kLead, kOther}) {
      keys_.emplace(origin, crypto::PrivateKey::Generate());
      auto log = sync::OriginLog::Open(store_.get(), &keys_.at(origin), origin, {});
      ASSERT_TRUE(log.ok());
      logs_[origin] = std::move(*log);
    }
    manifest_ = std::make_shared<federation::ManifestVersion>();
    manifest_->version = 1;
    manifest_->manifest.set_genesis_lead(kLead);
    gate_ = std::make_unique<node::GenesisLeadGate>(kLead, [this] { return manifest_; });
    service_ =
        std::make_unique<node::CoordinatorService>(store_.get(), logs_[kLead].get(), gate_.get());
  }

  // Appends `release` to the log of `origin`.
  void Append(uint32_t origin, const proto::Release& release) {
    absl::Status status = logs_[origin]->Run([&](sync::AppendContext& context) {
      context.Append(proto::ENTRY_KIND_RELEASE, release.SerializeAsString());
      return absl::OkStatus();
    });
    ASSERT_TRUE(status.ok()) << status;
  }

  // Appends a quarterly GDP value of the origin's own province.
  void PutRecord(uint32_t origin, const std::string& value) {
    proto::Record record;
    record.set_indicator("gdp_q");
    record.set_region(std::to_string(origin));
    record.set_period("2024-Q3");
    record.set_value(value);
    record.set_revision(1);
    absl::Status status = logs_[origin]->Run([&](sync::AppendContext& context) {
      context.Append(proto::ENTRY_KIND_RECORD, record.SerializeAsString());
      return absl::OkStatus();
    });
    ASSERT_TRUE(status.ok()) << status;
  }

  // A release of 2024-Q3 over the store's current cut.
  proto::Release CurrentRelease(uint64_t epoch, uint32_t number) {
    coordinator::SharedSetInput input;
    input.store = store_.get();
    input.catalog = &catalog::Catalog::Default();
    input.period = period::Period{2024, period::Period::kQuarterly, 3};
    input.cut = *coordinator::CurrentCut(*store_);
    absl::StatusOr<coordinator::SharedSet> set = coordinator::ComputeSharedSet(input);
    EXPECT_TRUE(set.ok()) << set.status();
    return coordinator::MakeRelease(*set, epoch, number);
  }

  std::map<std::string, uint64_t> States() {
    proto::StatusReply reply;
    EXPECT_TRUE(service_->FillStatus(&reply).ok());
    return {reply.releases_by_state().begin(), reply.releases_by_state().end()};
  }

  std::unique_ptr<storage::Store> store_;
  std::map<uint32_t, crypto::PrivateKey> keys_;
  std::map<uint32_t, std::unique_ptr<sync::OriginLog>> logs_;
  std::shared_ptr<federation::ManifestVersion> manifest_;
  std::unique_ptr<node::LeadGate> gate_;
  std::unique_ptr<node::CoordinatorService> service_;
};

TEST_F(CoordinatorServiceTest, GateJudgesOriginAndEpoch) {
  Append(kLead, CurrentRelease(1, 1));
  Append(kOther, CurrentRelease(1, 2));  // not the lead: void
  Append(kLead, CurrentRelease(2, 3));   // an epoch this node does not know: pending
  EXPECT_EQ(States(),
            (std::map<std::string, uint64_t>{{"verified", 1}, {"void", 1}, {"pending", 1}}));

  absl::StatusOr<uint64_t> epoch = gate_->CoordinatorEpoch();
  ASSERT_TRUE(epoch.ok());
  EXPECT_EQ(*epoch, 1u);
  node::GenesisLeadGate other(kOther, [this] { return manifest_; });
  EXPECT_EQ(other.CoordinatorEpoch().status().message(),
            "this node (420000) is not the lead: epoch 1's lead is 320000 (the genesis lead of "
            "manifest version 1); run the command on the lead's node");
}

TEST_F(CoordinatorServiceTest, ReleasePendsUntilTheCutArrives) {
  proto::Release release = CurrentRelease(1, 1);
  // The cut names an entry of 420000 this store does not have yet.
  proto::CutTip* tip = release.add_cut();
  tip->set_origin(kOther);
  tip->set_sequence(1);
  Append(kLead, release);
  EXPECT_EQ(States(), (std::map<std::string, uint64_t>{{"pending", 1}}));

  // The entry arrives with another hash than the cut names: a conflict.
  PutRecord(kOther, "1");
  EXPECT_EQ(States(), (std::map<std::string, uint64_t>{{"mismatch", 1}}));
}

TEST_F(CoordinatorServiceTest, ForkedOriginLeavesTheCut) {
  PutRecord(kLead, "2");
  PutRecord(kOther, "1");
  EXPECT_TRUE(coordinator::CurrentCut(*store_)->contains(kOther));

  storage::Batch batch;
  std::string key(sync::kForkPrefix);
  PutBigEndian(&key, kOther, 4);
  batch.PutMeta(key, "evidence");
  ASSERT_TRUE(store_->Write(batch, true).ok());
  coordinator::Cut cut = *coordinator::CurrentCut(*store_);
  EXPECT_FALSE(cut.contains(kOther));
  EXPECT_TRUE(cut.contains(kLead));
}

}  // namespace
}  // namespace yreb
