// A hostile member against three real yreb-node processes on 127.0.0.1.
//
// The test process plays member 340000 itself: with 340000's own key, TLS
// files and manifest it serves a real SyncService on 340000's peer port,
// and it crafts what it serves by writing its store directly. Phase by
// phase it serves a tampered entry, a head with a stranger's signature, a
// record for a region outside its province with a future-stamped entry, and
// a second chain that disagrees at an existing sequence. 510000 has no link
// to 340000, so it learns of the fork only from evidence the others relay.
// A root fork-resolution statement then ends the fork on every node.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "federation/membership.h"
#include "federation/peer_server.h"
#include "federation/tls.h"
#include "proto/entry.h"
#include "proto/record.pb.h"
#include "storage/store.h"
#include "sync/membership.h"
#include "sync/notifier.h"
#include "sync/receiver.h"
#include "sync/sync_service.h"
#include "tests/support/federation.h"
#include "tests/support/http.h"

namespace yreb {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::Federation;

constexpr uint32_t kHostile = 340000;
const std::vector<uint32_t> kMembers = {320000, 340000, 420000, 510000};
const std::vector<uint32_t> kRealNodes = {320000, 420000, 510000};
constexpr auto kWait = std::chrono::seconds(20);

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RecordBody(const std::string& region, const std::string& period,
                       const std::string& value) {
  proto::Record record;
  record.set_indicator("gdp");
  record.set_region(region);
  record.set_period(period);
  record.set_value(value);
  record.set_unit("亿元");
  record.set_revision(1);
  record.set_catalog_version(1);
  return record.SerializeAsString();
}

// A hash chain of record entries of 340000, built entry by entry.
struct Chain {
  std::vector<std::string> entries;  // entries[i] has sequence i + 1
  std::vector<crypto::Hash> hashes;

  void Add(const std::string& region, const std::string& period, const std::string& value,
           int64_t created_ms) {
    crypto::Hash previous = hashes.empty() ? crypto::Hash{} : hashes.back();
    entries.push_back(entry::Encode(kHostile, entries.size() + 1, previous,
                                    proto::ENTRY_KIND_RECORD, created_ms,
                                    RecordBody(region, period, value)));
    hashes.push_back(entry::HashEntry(entries.back()));
  }
};

// Member 340000 played by this process: a throwaway store, the membership
// from 340000's manifest for admission, and a SyncService on a PeerServer.
class HostileMember {
 public:
  HostileMember(const Federation& federation, const std::string& work_dir)
      : federation_(federation), work_dir_(work_dir) {
    std::string dir = federation.Dir(kHostile);
    absl::StatusOr<crypto::PrivateKey> key = crypto::ReadPrivateKey(dir + "/node.key");
    EXPECT_TRUE(key.ok()) << key.status();
    key_ = std::make_unique<crypto::PrivateKey>(std::move(*key));
    absl::StatusOr<federation::TlsMaterial> tls = federation::LoadTlsMaterial(
        {dir + "/ca.crt", dir + "/tls.crt", dir + "/tls.key"});
    EXPECT_TRUE(tls.ok()) << tls.status();
    tls_ = std::move(*tls);
  }
  ~HostileMember() { Stop(); }

  const crypto::PrivateKey& key() const { return *key_; }

  // Starts serving a fresh store holding `chain` up to `last`, with heads at
  // `head_sequences` signed by `signers` (340000's key unless given).
  void Serve(const Chain& chain, uint64_t last, const std::vector<uint64_t>& head_sequences,
             const std::map<uint64_t, const crypto::PrivateKey*>& signers = {},
             const std::function<void(storage::Store*)>& tamper = {}) {
    Stop();
    std::string path = fmt::format("{}/store{}", work_dir_, ++generation_);
    absl::StatusOr<std::unique_ptr<storage::Store>> store =
        storage::Store::Open(path, {.create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);

    absl::StatusOr<crypto::PublicKey> root =
        crypto::ReadPublicKey(federation_.Dir(kHostile) + "/root.pub");
    ASSERT_TRUE(root.ok()) << root.status();
    absl::StatusOr<std::unique_ptr<federation::Membership>> membership =
        federation::Membership::Open(store_.get(), *root);
    ASSERT_TRUE(membership.ok()) << membership.status();
    membership_ = std::move(*membership);
    std::ifstream in(federation_.Dir(kHostile) + "/manifest.stmt", std::ios::binary);
    std::string manifest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_TRUE(membership_->Apply(manifest, "test").ok());

    storage::Batch batch;
    for (uint64_t sequence = 1; sequence <= last; ++sequence) {
      batch.PutEntry(kHostile, sequence, chain.entries[sequence - 1]);
    }
    for (uint64_t sequence : head_sequences) {
      auto signer = signers.find(sequence);
      const crypto::PrivateKey& key = signer == signers.end() ? *key_ : *signer->second;
      batch.PutHead(entry::SignHead(key, kHostile, sequence, chain.hashes[sequence - 1]));
    }
    batch.PutTip(storage::Tip{kHostile, last, chain.hashes[last - 1]});
    ASSERT_TRUE(store_->Write(batch, true).ok());
    if (tamper) tamper(store_.get());

    notifier_ = std::make_unique<sync::CommitNotifier>();
    static_membership_ = std::make_unique<sync::StaticMembership>(kHostile,
                                                                  std::vector<sync::StaticMembership::Member>{});
    receiver_ = std::make_unique<sync::Receiver>(store_.get(), static_membership_.get(),
                                                 notifier_.get(), sync::Receiver::Options{});
    service_ = std::make_unique<sync::SyncService>(store_.get(), receiver_.get(), notifier_.get(),
                                                   sync::SyncService::Options{.self = kHostile});
    server_ = std::make_unique<federation::PeerServer>(
        federation::PeerServer::Options{
            .node_id = kHostile,
            .listen = fmt::format("127.0.0.1:{}", federation_.PeerPort(kHostile))},
        tls_, membership_.get());
    server_->RegisterService(service_.get());
    // The port of the previous phase may take a moment to be released.
    absl::Status started;
    for (int attempt = 0; attempt < 50; ++attempt) {
      started = server_->Start();
      if (started.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(started.ok()) << started;
  }

  void Stop() {
    if (notifier_ != nullptr) notifier_->Shutdown();
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    }
    server_.reset();
    service_.reset();
    receiver_.reset();
    membership_.reset();
    store_.reset();
  }

 private:
  const Federation& federation_;
  std::string work_dir_;
  int generation_ = 0;
  std::unique_ptr<crypto::PrivateKey> key_;
  federation::TlsMaterial tls_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<federation::Membership> membership_;
  std::unique_ptr<sync::CommitNotifier> notifier_;
  std::unique_ptr<sync::StaticMembership> static_membership_;
  std::unique_ptr<sync::Receiver> receiver_;
  std::unique_ptr<sync::SyncService> service_;
  std::unique_ptr<federation::PeerServer> server_;
};

uint64_t TipOf(const json& status, uint32_t origin) {
  for (const json& tip : status["version_vector"]) {
    if (tip["origin"] == origin) return tip["sequence"].get<uint64_t>();
  }
  return 0;
}

std::string TipHashOf(const json& status, uint32_t origin) {
  for (const json& tip : status["version_vector"]) {
    if (tip["origin"] == origin) return tip["hash"].get<std::string>();
  }
  return "";
}

uint64_t RejectsFrom(const json& status, uint32_t peer, const std::string& reason) {
  for (const json& state : status["peers"]) {
    if (state["node_id"] == peer && state["rejects"].contains(reason)) {
      return state["rejects"][reason].get<uint64_t>();
    }
  }
  return 0;
}

const json* FindAlarm(const json& status, const std::string& kind, uint32_t origin) {
  for (const json& alarm : status["alarms"]) {
    if (alarm["kind"] == kind && (origin == 0 || alarm["origin"] == origin)) return &alarm;
  }
  return nullptr;
}

// Waits until every real node's tip of 340000 is `sequence`.
bool WaitTip(Federation& federation, uint64_t sequence) {
  for (uint32_t id : kRealNodes) {
    if (!federation.WaitStatus(
            id, [&](const json& s) { return TipOf(s, kHostile) == sequence; }, kWait)) {
      ADD_FAILURE() << "node " << id << " did not reach tip " << sequence << " of 340000: "
                    << federation.Status(id).dump();
      return false;
    }
  }
  return true;
}

TEST(HostilePeerTest, BadRangesDroppedVoidStoredForkResolved) {
  Federation federation(kMembers, 320000,
                        {{510000, "skip_peers = [340000]"}, {420000, testing::kHttpSections}});
  for (uint32_t id : kRealNodes) ASSERT_TRUE(federation.Start(id)) << id;
  // 420000's metrics follow each phase.
  const int metrics_port = testing::LoggedPort(federation, 420000, "metrics server");
  ASSERT_NE(metrics_port, 0);
  auto metric = [&](const std::string& series) {
    return testing::Metric(testing::HttpGet(metrics_port, "/metrics"), series);
  };
  const std::string rejected_series = "yreb_peer_rejected_ranges_total{peer=\"340000\",reason=";
  EXPECT_EQ(metric("yreb_forks"), 0.0);
  EXPECT_EQ(metric("yreb_void_entries"), 0.0);
  EXPECT_EQ(metric("yreb_future_entries"), 0.0);
  EXPECT_EQ(metric(rejected_series + "\"chain\"}"), std::nullopt);
  HostileMember hostile(federation, testing::MakeTempDir("hostile"));

  // Chain A: four honest records, one about Wuhan (Hubei's prefecture) and
  // one stamped two days ahead. Chain B shares A's first five entries.
  const int64_t now = NowMs();
  Chain a;
  for (int i = 1; i <= 4; ++i) a.Add("340000", std::to_string(2020 + i), fmt::format("{}.5", i), now);
  a.Add("420100", "2024", "999.9", now);
  a.Add("340000", "2025", "6.5", now + 2LL * 24 * 3600 * 1000);
  Chain b = a;
  b.entries.resize(5);
  b.hashes.resize(5);
  b.Add("340000", "2025", "6.6", now);
  b.Add("340000", "2026", "7.5", now);

  // Honest start: entries 1-2 under a valid head reach every node, 510000
  // through the others.
  hostile.Serve(a, 2, {2});
  ASSERT_TRUE(WaitTip(federation, 2));

  // A tampered entry 3: the range 3-4 fails its hash chain and is dropped.
  hostile.Serve(a, 4, {2, 4}, {}, [&](storage::Store* store) {
    std::string tampered =
        entry::Encode(kHostile, 3, a.hashes[1], proto::ENTRY_KIND_RECORD, now,
                      RecordBody("340000", "2023", "7777"));
    ASSERT_TRUE(store->CorruptEntryForTest(kHostile, 3, tampered).ok());
  });
  // Honest data of another origin, written once 320000 passed its majority
  // check, flows while 340000 misbehaves.
  ASSERT_TRUE(federation.WaitStatus(
      320000, [](const json& s) { return s["append_allowed"].get<bool>(); }, kWait));
  CommandResult put = federation.Ctl(320000, {"put", "--indicator", "gdp", "--region", "320000",
                                              "--period", "2030", "--value", "200000.1",
                                              "--status", "preliminary"});
  ASSERT_EQ(put.exit_code, 0) << put.out << put.err;
  for (uint32_t id : {320000u, 420000u}) {
    EXPECT_TRUE(federation.WaitStatus(
        id, [](const json& s) { return RejectsFrom(s, kHostile, "chain") >= 1; }, kWait))
        << id << ": " << federation.Status(id).dump();
    EXPECT_EQ(TipOf(federation.Status(id), kHostile), 2u) << id;
  }
  EXPECT_GE(metric(rejected_series + "\"chain\"}").value_or(0), 1.0);

  // A head signed by a stranger's key: dropped, counted as "signature".
  crypto::PrivateKey stranger = crypto::PrivateKey::Generate();
  hostile.Serve(a, 4, {2, 4}, {{4, &stranger}});
  for (uint32_t id : {320000u, 420000u}) {
    EXPECT_TRUE(federation.WaitStatus(
        id, [](const json& s) { return RejectsFrom(s, kHostile, "signature") >= 1; }, kWait))
        << id << ": " << federation.Status(id).dump();
  }
  for (uint32_t id : kRealNodes) EXPECT_EQ(TipOf(federation.Status(id), kHostile), 2u) << id;
  EXPECT_GE(metric(rejected_series + "\"signature\"}").value_or(0), 1.0);

  // The honest entry reached the other nodes meanwhile.
  for (uint32_t id : {420000u, 510000u}) {
    EXPECT_TRUE(federation.WaitStatus(
        id, [](const json& s) { return TipOf(s, 320000) >= 1; }, kWait));
    json rows = federation.Json(id, {"query", "--indicator", "gdp", "--region", "320000",
                                     "--from", "2030", "--to", "2030"});
    ASSERT_EQ(rows.size(), 1u) << id;
    EXPECT_EQ(rows[0]["value"], "200000.1");
  }

  // The valid chain to 6: the Wuhan record is stored but void, and the
  // future-stamped entry is stored and flagged at its own sequence.
  hostile.Serve(a, 6, {2, 4, 6});
  ASSERT_TRUE(WaitTip(federation, 6));
  for (uint32_t id : kRealNodes) {
    json status = federation.Status(id);
    EXPECT_GE(status["void_entries"].get<uint64_t>(), 1u) << id;
    EXPECT_NE(FindAlarm(status, "void", 0), nullptr) << id;
    const json* future = FindAlarm(status, "future", kHostile);
    ASSERT_NE(future, nullptr) << id << ": " << status.dump();
    EXPECT_EQ((*future)["sequence"], 6) << id;
    EXPECT_EQ(status["future_entries"], 1) << id;
    json rows = federation.Json(id, {"query", "--indicator", "gdp", "--region", "420100",
                                     "--from", "2024", "--to", "2024"});
    ASSERT_TRUE(rows.is_array()) << id;
    EXPECT_TRUE(rows.empty()) << id << ": the void record counts: " << rows.dump();
    json own = federation.Json(id, {"query", "--indicator", "gdp", "--region", "340000",
                                    "--from", "2025", "--to", "2025"});
    ASSERT_EQ(own.size(), 1u) << id;
    EXPECT_EQ(own[0]["value"], "6.5") << id;
  }
  EXPECT_EQ(metric("yreb_void_entries"), 1.0);
  EXPECT_EQ(metric("yreb_future_entries"), 1.0);
  EXPECT_EQ(metric("yreb_alarms{kind=\"future\"}"), 1.0);
  EXPECT_EQ(metric("yreb_forks"), 0.0);

  // Chain B disagrees at 6: a fork alarm on every node, 510000 included.
  hostile.Serve(b, 7, {2, 4, 7});
  for (uint32_t id : kRealNodes) {
    EXPECT_TRUE(federation.WaitStatus(
        id, [](const json& s) { return FindAlarm(s, "fork", kHostile) != nullptr; }, kWait))
        << id << ": " << federation.Status(id).dump();
  }
  json forks = federation.Json(510000, {"forks"});
  ASSERT_TRUE(forks.is_array()) << forks.dump();
  ASSERT_EQ(forks.size(), 1u);
  EXPECT_EQ(forks[0]["sequence"], 6);
  ASSERT_EQ(forks[0]["chains"].size(), 2u);
  const std::string keep_hash = crypto::ToHex(b.hashes[6]);
  bool listed = false;
  for (const json& head : forks[0]["chains"]) {
    listed = listed || (head["sequence"] == 7 && head["hash"] == keep_hash);
  }
  EXPECT_TRUE(listed) << forks.dump();
  for (uint32_t id : kRealNodes) EXPECT_EQ(TipOf(federation.Status(id), kHostile), 6u) << id;
  EXPECT_EQ(metric("yreb_forks"), 1.0);
  EXPECT_EQ(metric("yreb_alarms{kind=\"fork\"}"), 1.0);

  // The root keeps chain B; applied on one node, the statement ends the
  // alarm everywhere and every node converges on B.
  std::string statement = federation.root() + "/fork-340000.stmt";
  CommandResult sign = federation.Ctl(
      320000, {"root", "sign-fork-resolution", "--origin", "340000", "--sequence", "6",
               "--keep-hash", keep_hash, "--keep-sequence", "7", "--key",
               federation.root() + "/root/root.key", "--out", statement});
  ASSERT_EQ(sign.exit_code, 0) << sign.out << sign.err;
  CommandResult apply = federation.Ctl(420000, {"apply", statement});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  for (uint32_t id : kRealNodes) {
    EXPECT_TRUE(federation.WaitStatus(
        id,
        [&](const json& s) {
          return FindAlarm(s, "fork", kHostile) == nullptr && TipOf(s, kHostile) == 7 &&
                 TipHashOf(s, kHostile) == keep_hash;
        },
        kWait))
        << id << ": " << federation.Status(id).dump();
    json status = federation.Status(id);
    EXPECT_EQ(status["future_entries"], 0) << id << ": the dropped entry keeps no flag";
    json own = federation.Json(id, {"query", "--indicator", "gdp", "--region", "340000",
                                    "--from", "2025", "--to", "2025"});
    ASSERT_EQ(own.size(), 1u) << id;
    EXPECT_EQ(own[0]["value"], "6.6") << id;
  }
  EXPECT_EQ(metric("yreb_forks"), 0.0);
  EXPECT_EQ(metric("yreb_future_entries"), 0.0);
  hostile.Stop();
}

}  // namespace
}  // namespace yreb
