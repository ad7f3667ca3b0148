// Replication between in-process nodes over real gRPC on 127.0.0.1, and the
// receiver's checks on tampered, foreign, forked and future-stamped ranges.
#include <chrono>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "proto/entry.h"
#include "proto/record.pb.h"
#include "storage/store.h"
#include "sync/coordination_index.h"
#include "sync/membership.h"
#include "sync/notifier.h"
#include "sync/origin_log.h"
#include "sync/peer_session.h"
#include "sync/receiver.h"
#include "sync/sync_service.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

using std::chrono::milliseconds;

std::string RecordBody(const std::string& region, const std::string& period,
                       const std::string& value, uint64_t import_id = 0) {
  proto::Record record;
  record.set_indicator("gdp");
  record.set_region(region);
  record.set_period(period);
  record.set_value(value);
  record.set_unit("亿元");
  record.set_revision(1);
  record.set_catalog_version(1);
  record.set_import_id(import_id);
  return record.SerializeAsString();
}

// One node's replication parts, in this process.
struct MiniNode {
  uint32_t id = 0;
  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  std::unique_ptr<storage::Store> store;
  sync::CommitNotifier notifier;
  std::unique_ptr<sync::OriginLog> log;
  std::unique_ptr<sync::Receiver> receiver;
  std::unique_ptr<sync::SyncService> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::vector<std::unique_ptr<sync::PeerSession>> sessions;

  ~MiniNode() {
    for (auto& session : sessions) session->Stop();
    notifier.Shutdown();
    if (server) server->Shutdown(std::chrono::system_clock::now() + milliseconds(500));
    log.reset();
  }

  uint64_t TipOf(uint32_t origin) {
    auto tip = store->GetTip(origin);
    return tip.ok() && tip->has_value() ? (*tip)->sequence : 0;
  }

  void Append(int count, const std::string& region) {
    ASSERT_TRUE(log->Run([&](sync::AppendContext& context) {
                     for (int i = 0; i < count; ++i) {
                       uint64_t next = context.next_sequence();
                       context.Append(proto::ENTRY_KIND_RECORD,
                                      RecordBody(region, std::to_string(1000 + next % 1000),
                                                 std::to_string(next)));
                     }
                     return absl::OkStatus();
                   }).ok());
  }
};

class SyncTest : public ::testing::Test {
 protected:
  // Creates nodes with the given ids; each serves Sync on an ephemeral port.
  void MakeNodes(const std::vector<uint32_t>& ids) {
    for (uint32_t id : ids) {
      auto node = std::make_unique<MiniNode>();
      node->id = id;
      node->store = *storage::Store::Open(testing::MakeTempDir("sync"), {.create_if_missing = true});
      nodes_.push_back(std::move(node));
    }
    std::vector<sync::StaticMembership::Member> members;
    for (auto& node : nodes_) members.push_back({node->id, "", node->key.public_key()});
    for (auto& node : nodes_) {
      membership_.push_back(std::make_unique<sync::StaticMembership>(node->id, members));
      sync::OriginLog::Options log_options;
      log_options.sync = false;
      log_options.head_interval = 64;
      MiniNode* raw = node.get();
      log_options.on_commit = [raw] { raw->notifier.Notify(); };
      node->log = *sync::OriginLog::Open(node->store.get(), &node->key, node->id, log_options);
      node->receiver = std::make_unique<sync::Receiver>(
          node->store.get(), membership_.back().get(), &node->notifier,
          sync::Receiver::Options{.self = node->id});
      ASSERT_TRUE(node->receiver->Load().ok());
      node->service = std::make_unique<sync::SyncService>(
          node->store.get(), node->receiver.get(), &node->notifier,
          sync::SyncService::Options{.self = node->id, .heartbeat = milliseconds(200)});
      grpc::ServerBuilder builder;
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &node->port);
      builder.RegisterService(node->service.get());
      node->server = builder.BuildAndStart();
      ASSERT_NE(node->server, nullptr);
    }
  }

  // Makes `from` subscribe to `to`.
  void Link(size_t from, size_t to) {
    sync::PeerSession::Options options;
    options.self = nodes_[from]->id;
    options.peer = {nodes_[to]->id, "127.0.0.1:" + std::to_string(nodes_[to]->port)};
    options.backoff_min = milliseconds(50);
    options.backoff_max = milliseconds(500);
    auto session = std::make_unique<sync::PeerSession>(
        options, nodes_[from]->store.get(), nodes_[from]->receiver.get(),
        [](const sync::PeerAddress& peer) {
          return grpc::CreateChannel(peer.address, grpc::InsecureChannelCredentials());
        });
    session->Start();
    nodes_[from]->sessions.push_back(std::move(session));
  }

  // Waits up to `timeout` for node `index` to hold `sequence` of `origin`.
  bool WaitFor(size_t index, uint32_t origin, uint64_t sequence,
               milliseconds timeout = milliseconds(20000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (nodes_[index]->TipOf(origin) >= sequence) return true;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return false;
  }

  std::vector<std::unique_ptr<sync::StaticMembership>> membership_;
  std::vector<std::unique_ptr<MiniNode>> nodes_;
};

TEST_F(SyncTest, TwoNodesConvergeToEqualVectors) {
  MakeNodes({320000, 420000});
  nodes_[0]->Append(3000, "320000");
  nodes_[1]->Append(500, "420000");
  Link(0, 1);
  Link(1, 0);
  ASSERT_TRUE(WaitFor(1, 320000, 3000));
  ASSERT_TRUE(WaitFor(0, 420000, 500));

  auto a = *nodes_[0]->store->GetTips();
  auto b = *nodes_[1]->store->GetTips();
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].origin, b[i].origin);
    EXPECT_EQ(a[i].sequence, b[i].sequence);
    EXPECT_EQ(a[i].hash, b[i].hash);
  }
  // Records of an origin's own province are indexed on the receiver.
  // Records of an origin's own province are indexed on the receiver: entry
  // n writes period 1000 + n % 1000, so period 1001 holds entries 1, 1001
  // and 2001.
  auto cells = nodes_[1]->store->GetCellRevisions("gdp", "320000", "1001");
  ASSERT_TRUE(cells.ok());
  EXPECT_EQ(cells->size(), 3u);
}

TEST_F(SyncTest, LiveCommitsArePushed) {
  MakeNodes({320000, 420000});
  Link(1, 0);
  nodes_[0]->Append(1, "320000");
  ASSERT_TRUE(WaitFor(1, 320000, 1));
  auto started = std::chrono::steady_clock::now();
  nodes_[0]->Append(1, "320000");
  ASSERT_TRUE(WaitFor(1, 320000, 2, milliseconds(2000)));
  // Pushed on commit, not found by a poll: well under the heartbeat.
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(150));
}

TEST_F(SyncTest, EntriesRelayThroughAThirdNode) {
  MakeNodes({320000, 420000, 510000});
  // 510000 has no link to 320000; both talk to 420000 only, both ways.
  Link(1, 0);
  Link(0, 1);
  Link(2, 1);
  Link(1, 2);
  nodes_[0]->Append(200, "320000");
  ASSERT_TRUE(WaitFor(2, 320000, 200));
  nodes_[2]->Append(10, "510000");
  ASSERT_TRUE(WaitFor(0, 510000, 10));
}

// Batches must stay under gRPC's default 4 MiB receive limit: three ranges
// of 1,024 entries of about 3 KB each would not fit in one message.
TEST_F(SyncTest, LargeEntriesSplitIntoBatchesUnderTheLimit) {
  MakeNodes({320000, 420000});
  ASSERT_TRUE(nodes_[0]->log->Run([](sync::AppendContext& context) {
                     for (int i = 0; i < 3000; ++i) {
                       context.Append(proto::ENTRY_KIND_RECORD,
                                      RecordBody("320000", std::to_string(1000 + i),
                                                 std::string(3000, '7')));
                     }
                     return absl::OkStatus();
                   }).ok());
  Link(1, 0);
  ASSERT_TRUE(WaitFor(1, 320000, 3000, milliseconds(30000)));
  EXPECT_EQ(nodes_[1]->sessions[0]->status().rejects.size(), 0u);
}

TEST_F(SyncTest, RestartedSessionResumesFromVector) {
  MakeNodes({320000, 420000});
  nodes_[0]->Append(1000, "320000");
  Link(1, 0);
  ASSERT_TRUE(WaitFor(1, 320000, 1000));
  nodes_[1]->sessions[0]->Stop();
  nodes_[1]->sessions.clear();
  nodes_[0]->Append(500, "320000");
  Link(1, 0);
  ASSERT_TRUE(WaitFor(1, 320000, 1500));
  // The second stream sent only what was missing. The sender counts a batch
  // once its write returns, which can be after the receiver stored it, so
  // the count is polled for up to 5 s.
  uint64_t sent = 0;
  for (int attempt = 0; attempt < 500; ++attempt) {
    sent = nodes_[0]->service->sent()[420000].entries;
    if (sent >= 1500) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(sent, 1500u);
}

class ReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *storage::Store::Open(testing::MakeTempDir("receiver"), {.create_if_missing = true});
    origin_store_ =
        *storage::Store::Open(testing::MakeTempDir("origin"), {.create_if_missing = true});
    membership_ = std::make_unique<sync::StaticMembership>(
        420000, std::vector<sync::StaticMembership::Member>{
                    {320000, "", key_.public_key()}, {420000, "", own_.public_key()}});
    receiver_ = std::make_unique<sync::Receiver>(store_.get(), membership_.get(), nullptr,
                                                 sync::Receiver::Options{.self = 420000});
    sync::OriginLog::Options options;
    options.sync = false;
    options.head_interval = 8;
    log_ = *sync::OriginLog::Open(origin_store_.get(), &key_, 320000, options);
  }

  void Append(const std::vector<std::string>& bodies,
              proto::EntryKind kind = proto::ENTRY_KIND_RECORD) {
    ASSERT_TRUE(log_->Run([&](sync::AppendContext& context) {
                     for (const std::string& body : bodies) context.Append(kind, body);
                     return absl::OkStatus();
                   }).ok());
  }

  proto::Range Range(uint64_t first) {
    return *sync::ReadRange(*origin_store_, 320000, first, 1024);
  }

  crypto::PrivateKey key_ = crypto::PrivateKey::Generate();
  crypto::PrivateKey own_ = crypto::PrivateKey::Generate();
  std::unique_ptr<storage::Store> store_, origin_store_;
  std::unique_ptr<sync::StaticMembership> membership_;
  std::unique_ptr<sync::Receiver> receiver_;
  std::unique_ptr<sync::OriginLog> log_;
};

TEST_F(ReceiverTest, ValidRangeIsStoredWithHeadAndTip) {
  Append({RecordBody("320000", "2023", "1"), RecordBody("320100", "2023", "2")});
  sync::Receiver::Result result = receiver_->Apply(Range(1));
  EXPECT_EQ(result.outcome, sync::Receiver::Outcome::kStored) << result.detail;
  EXPECT_EQ(result.stored_entries, 2u);
  EXPECT_EQ((*store_->GetTip(320000))->sequence, 2u);
  EXPECT_TRUE(store_->GetHead(320000, 2)->has_value());
  EXPECT_EQ(receiver_->Apply(Range(1)).outcome, sync::Receiver::Outcome::kAlreadyHeld);
}

TEST_F(ReceiverTest, TamperedEntryIsDroppedWhole) {
  Append({RecordBody("320000", "2022", "1"), RecordBody("320000", "2023", "2")});
  proto::Range range = Range(1);
  std::string* body = range.mutable_entries(0);
  (*body)[body->size() - 2] ^= 0x01;
  sync::Receiver::Result result = receiver_->Apply(range);
  EXPECT_EQ(result.outcome, sync::Receiver::Outcome::kRejected);
  EXPECT_EQ(result.reason, "chain");
  EXPECT_FALSE(store_->GetTip(320000)->has_value());
  EXPECT_FALSE(store_->GetEntry(320000, 1)->has_value());
}

TEST_F(ReceiverTest, WrongHeadSignatureIsDropped) {
  Append({RecordBody("320000", "2023", "1")});
  proto::Range range = Range(1);
  crypto::PrivateKey stranger = crypto::PrivateKey::Generate();
  entry::Head forged = entry::SignHead(stranger, 320000, 1,
                                       entry::HashEntry(range.entries(0)));
  range.mutable_head()->set_signature(std::string(crypto::AsBytes(forged.signature)));
  sync::Receiver::Result result = receiver_->Apply(range);
  EXPECT_EQ(result.outcome, sync::Receiver::Outcome::kRejected);
  EXPECT_EQ(result.reason, "signature");
  EXPECT_FALSE(store_->GetTip(320000)->has_value());
}

TEST_F(ReceiverTest, RangeWithGapIsRejected) {
  Append({RecordBody("320000", "2021", "1")});
  Append({RecordBody("320000", "2022", "2")});
  sync::Receiver::Result result = receiver_->Apply(Range(2));
  EXPECT_EQ(result.outcome, sync::Receiver::Outcome::kRejected);
  EXPECT_EQ(result.reason, "gap");
}

TEST_F(ReceiverTest, RecordOutsideProvinceIsStoredButVoid) {
  Append({RecordBody("330000", "2023", "1"), RecordBody("320000", "2023", "5")});
  ASSERT_EQ(receiver_->Apply(Range(1)).outcome, sync::Receiver::Outcome::kStored);
  EXPECT_TRUE(store_->GetEntry(320000, 1)->has_value());
  EXPECT_TRUE(store_->GetCellRevisions("gdp", "330000", "2023")->empty());
  EXPECT_EQ(store_->GetCellRevisions("gdp", "320000", "2023")->size(), 1u);
  int voids = 0;
  ASSERT_TRUE(store_->ScanMeta(sync::kVoidPrefix, [&](std::string_view, std::string_view value) {
                     ++voids;
                     EXPECT_NE(value.find("outside the province of origin 320000"),
                               std::string_view::npos);
                     return true;
                   }).ok());
  EXPECT_EQ(voids, 1);
}

// The records of a range are parsed into one reused message, and each cell
// still gets the names of its own record.
TEST_F(ReceiverTest, RecordsIndexedUnderOwnCells) {
  Append({RecordBody("320000", "2021", "1"), RecordBody("320100", "2022", "2"),
          RecordBody("320000", "2023", "3")});
  ASSERT_EQ(receiver_->Apply(Range(1)).outcome, sync::Receiver::Outcome::kStored);
  std::vector<storage::CellRevision> first = *store_->GetCellRevisions("gdp", "320000", "2021");
  std::vector<storage::CellRevision> second = *store_->GetCellRevisions("gdp", "320100", "2022");
  std::vector<storage::CellRevision> third = *store_->GetCellRevisions("gdp", "320000", "2023");
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(first[0].sequence, 1u);
  EXPECT_EQ(second[0].sequence, 2u);
  EXPECT_EQ(third[0].sequence, 3u);
  EXPECT_TRUE(store_->GetCellRevisions("gdp", "320100", "2021")->empty());
}

// A range read into a message that held a longer one keeps nothing of it.
TEST_F(ReceiverTest, ReusedRangeHoldsOwnEntries) {
  std::vector<std::string> bodies;
  for (int i = 0; i < 20; ++i)
    bodies.push_back(RecordBody("320000", std::to_string(2000 + i), "1"));
  Append(bodies);
  proto::Range range;
  ASSERT_TRUE(sync::ReadRangeInto(*origin_store_, 320000, 1, 1024, &range).ok());
  ASSERT_EQ(range.entries_size(), 20);
  ASSERT_TRUE(sync::ReadRangeInto(*origin_store_, 320000, 17, 1024, &range).ok());
  EXPECT_EQ(range.first_sequence(), 17u);
  EXPECT_EQ(range.entries_size(), 4);
  EXPECT_EQ(range.SerializeAsString(), Range(17).SerializeAsString());
}

TEST_F(ReceiverTest, ImportCountsOnlyWithItsCommit) {
  Append({RecordBody("320000", "2021", "1", /*import_id=*/1),
          RecordBody("320000", "2022", "2", /*import_id=*/1)});
  ASSERT_EQ(receiver_->Apply(Range(1)).outcome, sync::Receiver::Outcome::kStored);
  EXPECT_TRUE(store_->GetCellRevisions("gdp", "320000", "2021")->empty());

  proto::ImportCommit commit;
  commit.set_import_id(1);
  commit.set_first_sequence(1);
  commit.set_record_count(2);
  Append({commit.SerializeAsString()}, proto::ENTRY_KIND_IMPORT_COMMIT);
  ASSERT_EQ(receiver_->Apply(Range(3)).outcome, sync::Receiver::Outcome::kStored);
  EXPECT_EQ(store_->GetCellRevisions("gdp", "320000", "2021")->size(), 1u);
  EXPECT_EQ(store_->GetCellRevisions("gdp", "320000", "2022")->size(), 1u);
}

std::vector<std::string> Voids(const storage::Store& store) {
  std::vector<std::string> voids;
  EXPECT_TRUE(store.ScanMeta(sync::kVoidPrefix, [&](std::string_view key, std::string_view value) {
                     uint64_t sequence = 0;
                     for (char c : key.substr(key.size() - 8)) {
                       sequence = sequence << 8 | static_cast<uint8_t>(c);
                     }
                     voids.push_back(std::to_string(sequence) + ": " + std::string(value));
                     return true;
                   }).ok());
  return voids;
}

TEST_F(ReceiverTest, RecordsOutsideTheirImportNeverCount) {
  proto::ImportCommit commit;
  commit.set_import_id(1);
  commit.set_first_sequence(1);
  commit.set_record_count(1);
  Append({RecordBody("320000", "2021", "1", /*import_id=*/1)});
  Append({commit.SerializeAsString()}, proto::ENTRY_KIND_IMPORT_COMMIT);
  // After the commit of import 1: a record that names it, one that names an
  // import starting later than itself, and a commit whose records would
  // start before its import began.
  Append({RecordBody("320000", "2022", "2", /*import_id=*/1),
          RecordBody("320000", "2023", "3", /*import_id=*/9)});
  proto::ImportCommit early;
  early.set_import_id(5);
  early.set_first_sequence(4);
  Append({early.SerializeAsString()}, proto::ENTRY_KIND_IMPORT_COMMIT);
  ASSERT_EQ(receiver_->Apply(Range(1)).outcome, sync::Receiver::Outcome::kStored);

  EXPECT_EQ(store_->GetCellRevisions("gdp", "320000", "2021")->size(), 1u);
  EXPECT_TRUE(store_->GetCellRevisions("gdp", "320000", "2022")->empty());
  EXPECT_TRUE(store_->GetCellRevisions("gdp", "320000", "2023")->empty());
  EXPECT_TRUE(store_->IsImportCommitted(320000, 1));
  EXPECT_FALSE(store_->IsImportCommitted(320000, 5));
  EXPECT_EQ(Voids(*store_), (std::vector<std::string>{
                                "3: record names import 1, which cannot hold it",
                                "4: record names import 9, which cannot hold it",
                                "5: damaged import commit"}));
}

std::vector<std::string> Coordination(const storage::Store& store, proto::EntryKind kind) {
  std::vector<std::string> refs;
  EXPECT_TRUE(sync::ScanCoordination(store, kind, [&](const sync::CoordinationRef& ref) {
                refs.push_back(std::to_string(ref.kind) + "/" + std::to_string(ref.origin) +
                               "/" + std::to_string(ref.sequence));
                return true;
              }).ok());
  return refs;
}

TEST_F(ReceiverTest, CoordinationEntriesAreIndexedOnAppendAndReceipt) {
  Append({RecordBody("320000", "2023", "1")});
  Append({"proposal"}, proto::ENTRY_KIND_HANDOVER_PROPOSAL);
  Append({"catalog"}, proto::ENTRY_KIND_CATALOG);
  Append({"release-1", "release-2"}, proto::ENTRY_KIND_RELEASE);
  const std::vector<std::string> releases = {"4/320000/4", "4/320000/5"};
  EXPECT_EQ(Coordination(*origin_store_, proto::ENTRY_KIND_RELEASE), releases);
  EXPECT_EQ(Coordination(*origin_store_, proto::ENTRY_KIND_HANDOVER_PROPOSAL),
            std::vector<std::string>{"5/320000/2"});
  EXPECT_TRUE(Coordination(*store_, proto::ENTRY_KIND_RELEASE).empty());

  ASSERT_EQ(receiver_->Apply(Range(1)).outcome, sync::Receiver::Outcome::kStored);
  EXPECT_EQ(Coordination(*store_, proto::ENTRY_KIND_RELEASE), releases);
  EXPECT_EQ(Coordination(*store_, proto::ENTRY_KIND_CATALOG),
            std::vector<std::string>{"3/320000/3"});
  EXPECT_TRUE(Coordination(*store_, proto::ENTRY_KIND_ASSIGNMENT_VOTE).empty());
  // Records are not coordination entries.
  EXPECT_TRUE(Coordination(*store_, proto::ENTRY_KIND_RECORD).empty());

  std::optional<sync::CoordinationRef> parsed = sync::ParseCoordinationKey(
      sync::CoordinationKey(proto::ENTRY_KIND_HANDOVER_ACCEPT, 510000, 1ull << 40));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->kind, proto::ENTRY_KIND_HANDOVER_ACCEPT);
  EXPECT_EQ(parsed->origin, 510000u);
  EXPECT_EQ(parsed->sequence, 1ull << 40);
  EXPECT_FALSE(sync::ParseCoordinationKey("coord/x").has_value());
  EXPECT_FALSE(sync::ParseCoordinationKey(
                   sync::CoordinationKey(proto::ENTRY_KIND_RECORD, 510000, 1))
                   .has_value());
}

TEST_F(ReceiverTest, SecondValidChainIsAFork) {
  Append({RecordBody("320000", "2023", "1"), RecordBody("320000", "2024", "2")});
  ASSERT_EQ(receiver_->Apply(Range(1)).outcome, sync::Receiver::Outcome::kStored);

  // The same key writes another chain from an empty store: a restored backup
  // or a cloned key.
  auto clone_store =
      *storage::Store::Open(testing::MakeTempDir("clone"), {.create_if_missing = true});
  {
    auto clone = *sync::OriginLog::Open(clone_store.get(), &key_, 320000, {.sync = false});
    ASSERT_TRUE(clone->Run([](sync::AppendContext& context) {
                       context.Append(proto::ENTRY_KIND_RECORD, RecordBody("320000", "2023", "9"));
                       context.Append(proto::ENTRY_KIND_RECORD, RecordBody("320000", "2024", "9"));
                       context.Append(proto::ENTRY_KIND_RECORD, RecordBody("320000", "2025", "9"));
                       return absl::OkStatus();
                     }).ok());
  }
  proto::Range other = *sync::ReadRange(*clone_store, 320000, 1, 1024);
  sync::Receiver::Result result = receiver_->Apply(other);
  EXPECT_EQ(result.outcome, sync::Receiver::Outcome::kFork);
  EXPECT_TRUE(receiver_->IsForked(320000));
  ASSERT_EQ(receiver_->Forks().size(), 1u);
  EXPECT_EQ(receiver_->Forks()[0].sequence(), 1u);
  // Both chains are kept as evidence; the held origin accepts nothing more.
  EXPECT_EQ((*store_->GetTip(320000))->sequence, 2u);
  Append({RecordBody("320000", "2025", "3")});
  EXPECT_EQ(receiver_->Apply(Range(3)).outcome, sync::Receiver::Outcome::kHeld);

  // Another node adopts the evidence after checking it, and holds too.
  auto third_store =
      *storage::Store::Open(testing::MakeTempDir("third"), {.create_if_missing = true});
  sync::Receiver third(third_store.get(), membership_.get(), nullptr, {.self = 510000});
  EXPECT_EQ(third.ApplyForkEvidence(receiver_->Forks()[0]).outcome,
            sync::Receiver::Outcome::kFork);
  EXPECT_TRUE(third.IsForked(320000));

  // Forged evidence (no disagreement) is rejected.
  proto::ForkEvidence forged = receiver_->Forks()[0];
  *forged.mutable_second() = forged.first();
  auto fourth_store =
      *storage::Store::Open(testing::MakeTempDir("fourth"), {.create_if_missing = true});
  sync::Receiver fourth(fourth_store.get(), membership_.get(), nullptr, {.self = 530000});
  EXPECT_EQ(fourth.ApplyForkEvidence(forged).outcome, sync::Receiver::Outcome::kRejected);
  EXPECT_FALSE(fourth.IsForked(320000));

  // The evidence survives a restart.
  sync::Receiver reloaded(store_.get(), membership_.get(), nullptr, {.self = 420000});
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_TRUE(reloaded.IsForked(320000));
}

// A second chain of 320000 from an empty store, as a restored backup or a
// cloned key writes it: three records that disagree from sequence 1.
proto::Range CloneChain(const crypto::PrivateKey& key) {
  auto clone_store =
      *storage::Store::Open(testing::MakeTempDir("clone"), {.create_if_missing = true});
  auto clone = *sync::OriginLog::Open(clone_store.get(), &key, 320000, {.sync = false});
  EXPECT_TRUE(clone->Run([](sync::AppendContext& context) {
                     context.Append(proto::ENTRY_KIND_RECORD, RecordBody("320000", "2023", "9"));
                     context.Append(proto::ENTRY_KIND_RECORD, RecordBody("320000", "2024", "9"));
                     context.Append(proto::ENTRY_KIND_RECORD, RecordBody("320000", "2025", "9"));
                     return absl::OkStatus();
                   }).ok());
  return *sync::ReadRange(*clone_store, 320000, 1, 1024);
}

// A root decision that keeps `other`, a clone of the chain from sequence 1,
// up to its third entry.
sync::ForkDecision KeepClone(const proto::Range& other) {
  sync::ForkDecision decision;
  decision.origin = 320000;
  decision.fork_sequence = 1;
  decision.keep_sequence = 3;
  decision.keep_hash = entry::HashEntry(other.entries(2));
  return decision;
}

TEST_F(ReceiverTest, ResolutionKeepingOursEndsHold) {
  Append({RecordBody("320000", "2023", "1"), RecordBody("320000", "2024", "2")});
  ASSERT_EQ(receiver_->Apply(Range(1)).outcome, sync::Receiver::Outcome::kStored);
  proto::Range other = CloneChain(key_);
  ASSERT_EQ(receiver_->Apply(other).outcome, sync::Receiver::Outcome::kFork);

  sync::ForkDecision decision;
  decision.origin = 320000;
  decision.fork_sequence = 1;
  decision.keep_sequence = 2;
  decision.keep_hash = (*store_->GetTip(320000))->hash;
  ASSERT_TRUE(receiver_->ResolveFork(decision).ok());
  EXPECT_FALSE(receiver_->IsForked(320000));
  EXPECT_EQ((*store_->GetTip(320000))->sequence, 2u);

  // The kept chain continues; the dropped one is rejected, not a new fork.
  Append({RecordBody("320000", "2025", "3")});
  EXPECT_EQ(receiver_->Apply(Range(3)).outcome, sync::Receiver::Outcome::kStored);
  sync::Receiver::Result dropped = receiver_->Apply(other);
  EXPECT_EQ(dropped.outcome, sync::Receiver::Outcome::kRejected);
  EXPECT_EQ(dropped.reason, "fork-resolved");

  // The decision survives a restart.
  sync::Receiver reloaded(store_.get(), membership_.get(), nullptr, {.self = 420000});
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_FALSE(reloaded.IsForked(320000));
  EXPECT_EQ(reloaded.Apply(other).reason, "fork-resolved");
}

TEST_F(ReceiverTest, ResolutionDroppingOursTakesKeptChain) {
  Append({RecordBody("320000", "2023", "1"), RecordBody("320000", "2024", "2")});
  ASSERT_EQ(receiver_->Apply(Range(1)).outcome, sync::Receiver::Outcome::kStored);
  proto::Range other = CloneChain(key_);
  ASSERT_EQ(receiver_->Apply(other).outcome, sync::Receiver::Outcome::kFork);

  sync::ForkDecision decision = KeepClone(other);
  ASSERT_TRUE(receiver_->ResolveFork(decision).ok());
  EXPECT_FALSE(receiver_->IsForked(320000));
  // Every entry of the dropped chain, its tip and its index cells are gone.
  EXPECT_FALSE(store_->GetTip(320000)->has_value());
  EXPECT_FALSE(store_->GetEntry(320000, 1)->has_value());
  EXPECT_TRUE(store_->GetCellRevisions("gdp", "320000", "2023")->empty());

  // Only the kept chain is accepted now.
  Append({RecordBody("320000", "2025", "3")});
  EXPECT_EQ(receiver_->Apply(Range(1)).reason, "fork-resolved");
  EXPECT_EQ(receiver_->Apply(other).outcome, sync::Receiver::Outcome::kStored);
  EXPECT_EQ((*store_->GetTip(320000))->hash, decision.keep_hash);
  std::vector<storage::CellRevision> cells = *store_->GetCellRevisions("gdp", "320000", "2023");
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_EQ(cells[0].sequence, 1u);
}

TEST_F(ReceiverTest, ResolutionDropsIndexRunOfOurs) {
  // Twenty records of one series in one range: the index keeps them as a
  // run, from which the drop takes every revision past the fork.
  std::vector<std::string> bodies;
  for (int year = 2000; year < 2020; ++year) {
    bodies.push_back(RecordBody("320000", std::to_string(year), "1"));
  }
  Append(bodies);
  ASSERT_EQ(receiver_->Apply(Range(1)).outcome, sync::Receiver::Outcome::kStored);
  ASSERT_EQ(store_->CellKeyCountForTest(), 1u);
  proto::Range other = CloneChain(key_);
  ASSERT_EQ(receiver_->Apply(other).outcome, sync::Receiver::Outcome::kFork);

  sync::ForkDecision decision = KeepClone(other);
  ASSERT_TRUE(receiver_->ResolveFork(decision).ok());
  EXPECT_EQ(store_->CellKeyCountForTest(), 0u);
  EXPECT_TRUE(store_->GetCellRevisions("gdp", "320000", "2005")->empty());
}

TEST_F(ReceiverTest, FutureStampIsFlaggedNotRejected) {
  // Build an entry stamped two days ahead by hand.
  int64_t two_days_ahead =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count() +
      2LL * 24 * 3600 * 1000;
  std::string encoded = entry::Encode(320000, 1, crypto::Hash{}, proto::ENTRY_KIND_RECORD,
                                      two_days_ahead, RecordBody("320000", "2023", "1"));
  crypto::Hash hash = entry::HashEntry(encoded);
  entry::Head head = entry::SignHead(key_, 320000, 1, hash);
  proto::Range range;
  range.set_origin(320000);
  range.set_first_sequence(1);
  range.add_entries(encoded);
  range.mutable_head()->set_sequence(1);
  range.mutable_head()->set_hash(std::string(crypto::AsBytes(hash)));
  range.mutable_head()->set_signature(std::string(crypto::AsBytes(head.signature)));

  EXPECT_EQ(receiver_->Apply(range).outcome, sync::Receiver::Outcome::kStored);
  int flagged = 0;
  ASSERT_TRUE(store_->ScanMeta(sync::kFuturePrefix, [&](std::string_view, std::string_view value) {
                     EXPECT_EQ(value, std::to_string(two_days_ahead));
                     ++flagged;
                     return true;
                   }).ok());
  EXPECT_EQ(flagged, 1);
  EXPECT_EQ(store_->GetCellRevisions("gdp", "320000", "2023")->size(), 1u);
}

TEST_F(ReceiverTest, OwnLogOnlyDuringRecovery) {
  sync::OriginLog::Options options;
  options.sync = false;
  auto own_store = *storage::Store::Open(testing::MakeTempDir("own"), {.create_if_missing = true});
  {
    auto own_log = *sync::OriginLog::Open(own_store.get(), &own_, 420000, options);
    ASSERT_TRUE(own_log->Run([](sync::AppendContext& context) {
                       context.Append(proto::ENTRY_KIND_RECORD, RecordBody("420000", "2023", "1"));
                       return absl::OkStatus();
                     }).ok());
  }
  proto::Range range = *sync::ReadRange(*own_store, 420000, 1, 1024);
  sync::Receiver::Result refused = receiver_->Apply(range);
  EXPECT_EQ(refused.outcome, sync::Receiver::Outcome::kRejected);
  EXPECT_EQ(refused.reason, "own-log");
  receiver_->SetOwnLogRecovery(true);
  EXPECT_EQ(receiver_->Apply(range).outcome, sync::Receiver::Outcome::kStored);
}

}  // namespace
}  // namespace yreb
