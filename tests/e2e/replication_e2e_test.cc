// Replication between real yreb-node processes over mutual TLS on
// 127.0.0.1: eleven members on the real data, relay around a missing link, a
// wiped node rejoining, and a receiver killed again and again mid-sync.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "storage/store.h"
#include "tests/support/federation.h"

namespace yreb {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::Federation;

const std::vector<uint32_t> kMembers = {310000, 320000, 330000, 340000, 360000, 420000,
                                        430000, 500000, 510000, 520000, 530000};
const std::map<uint32_t, std::string> kRealEstateFile = {
    {310000, "上海"}, {320000, "江苏"}, {330000, "浙江"}, {340000, "安徽"},
    {360000, "江西"}, {420000, "湖北"}, {430000, "湖南"}, {500000, "重庆"},
    {510000, "四川"}, {520000, "贵州"}, {530000, "云南"}};

std::string Testdata(const std::string& path) { return testing::TestdataDir() + "/" + path; }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// One eleven-member federation shared by the tests of this suite: 310000
// and 530000 are configured without a link to each other.
class ElevenNodes : public ::testing::Test {
 protected:
  // A fatal failure here would make googletest report every test of the
  // suite as skipped, which ctest counts as a pass. So the setup keeps its
  // error, and each test fails on it in SetUp.
  static void SetUpTestSuite() { setup_error_ = Prepare(); }
  void SetUp() override { ASSERT_EQ(setup_error_, ""); }

  // Starts the federation and imports the data. Returns what failed, or an
  // empty string.
  static std::string Prepare() {
    federation_ = new Federation(kMembers, 310000,
                                 {{310000, "skip_peers = [530000]"},
                                  {530000, "skip_peers = [310000]"}});
    if (!federation_->StartAll()) return "the federation did not start";
    for (uint32_t id : kMembers) {
      CommandResult gdp = federation_->Ctl(
          id, {"import", Testdata("nbs-fsnd-multi-2006-2025-renjiyi/分省年度数据.csv"), "--status",
               "final"});
      if (gdp.exit_code != 0) return std::to_string(id) + ": " + gdp.out + gdp.err;
      CommandResult estate = federation_->Ctl(
          id, {"import",
               Testdata("nbs-fsyd-realestate-yreb-2017-2019-wyq/csvFile/" +
                        kRealEstateFile.at(id) + ".csv"),
               "--status", "final"});
      if (estate.exit_code != 0) return std::to_string(id) + ": " + estate.out + estate.err;
    }
    return "";
  }
  static void TearDownTestSuite() {
    delete federation_;
    federation_ = nullptr;
  }

  static Federation* federation_;
  static std::string setup_error_;
};

Federation* ElevenNodes::federation_ = nullptr;
std::string ElevenNodes::setup_error_;

TEST_F(ElevenNodes, AllConvergeToIdenticalVectorsAndRecords) {
  ASSERT_TRUE(federation_->WaitConverged(std::chrono::seconds(90)));
  std::map<uint32_t, uint64_t> vector = federation_->Vector(310000);
  EXPECT_EQ(vector.size(), kMembers.size());

  // Identical records: every node exports the same bytes for all indicators.
  std::string reference;
  for (uint32_t id : kMembers) {
    std::string out = federation_->Dir(id) + "/all.csv";
    ASSERT_EQ(federation_->Ctl(id, {"export", "--out", out}).exit_code, 0);
    std::string exported = ReadAll(out);
    if (reference.empty()) {
      reference = exported;
      EXPECT_GT(reference.size(), 10000u);
    } else {
      EXPECT_EQ(exported, reference) << "node " << id << " exports other records";
    }
  }
  // Every province's real figure is on every node, e.g. Jiangsu's 2023 GDP
  // on Yunnan's node.
  json rows = federation_->Json(530000, {"query", "--indicator", "gdp", "--region", "320000",
                                         "--from", "2023", "--to", "2023"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["value"], "130924.3");
  EXPECT_EQ(rows[0]["origin"], 320000);
}

TEST_F(ElevenNodes, EntriesRelayAroundAMissingLink) {
  json status = federation_->Status(530000);
  bool found = false;
  for (const json& peer : status["peers"]) {
    if (peer["node_id"] == 310000) {
      EXPECT_FALSE(peer["linked"].get<bool>());
      found = true;
    }
  }
  EXPECT_TRUE(found);
  // A new entry of 310000 still reaches 530000 through the others.
  ASSERT_EQ(federation_->Ctl(310000, {"put", "--indicator", "gdp", "--region", "310000",
                                      "--period", "2025", "--value", "56000.1", "--status",
                                      "preliminary"})
                .exit_code,
            0);
  uint64_t tip = federation_->Vector(310000)[310000];
  EXPECT_TRUE(federation_->WaitStatus(530000, [&](const json& s) {
    for (const json& entry : s["version_vector"]) {
      if (entry["origin"] == 310000 && entry["sequence"].get<uint64_t>() >= tip) return true;
    }
    return false;
  }));
  json rows = federation_->Json(530000, {"query", "--indicator", "gdp", "--region", "310000",
                                         "--from", "2025", "--to", "2025"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["value"], "56000.1");
}

TEST_F(ElevenNodes, WipedNodeRecoversItsLogAndContinues) {
  ASSERT_TRUE(federation_->WaitConverged(std::chrono::seconds(90)));
  const uint32_t wiped = 360000;
  uint64_t before = federation_->Vector(wiped)[wiped];
  ASSERT_GT(before, 0u);

  federation_->Stop(wiped);
  std::filesystem::remove_all(federation_->Dir(wiped) + "/data");
  ASSERT_TRUE(federation_->Start(wiped));
  // Appends wait until a majority confirmed the latest entry and the log
  // came back from the peers.
  ASSERT_TRUE(federation_->WaitStatus(
      wiped, [](const json& s) { return s["append_allowed"].get<bool>(); },
      std::chrono::seconds(60)));
  EXPECT_EQ(federation_->Vector(wiped)[wiped], before);

  CommandResult put = federation_->Ctl(
      wiped, {"--json", "put", "--indicator", "gdp", "--region", "360000", "--period", "2025",
              "--value", "35000.5", "--status", "preliminary"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(json::parse(put.out)["sequence"], before + 1);
  ASSERT_TRUE(federation_->WaitConverged(std::chrono::seconds(60)));
  EXPECT_EQ(federation_->Vector(320000)[wiped], before + 1);
  CommandResult verify = federation_->Ctl(wiped, {"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  // No node saw a fork: the sequence was not reused.
  for (uint32_t id : kMembers) {
    json status = federation_->Status(id);
    for (const json& alarm : status["alarms"]) {
      EXPECT_NE(alarm["kind"], "fork") << id << ": " << alarm.dump();
    }
  }
}

// A node restored from an older backup must not reuse the sequence numbers
// it wrote after the backup: the start-up majority check pulls them back
// from the peers before the next append.
TEST(ReplicationRestoreTest, RestoredNodeRecoversNewerEntriesFromPeers) {
  Federation federation({320000, 420000, 510000}, 320000);
  ASSERT_TRUE(federation.StartAll());
  auto put = [&](const std::string& period, const std::string& value) {
    CommandResult result = federation.Ctl(
        320000, {"--json", "put", "--indicator", "gdp", "--region", "320000", "--period", period,
                 "--value", value, "--status", "final"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.exit_code == 0 ? json::parse(result.out)["sequence"].get<uint64_t>() : 0;
  };
  put("2020", "102719.0");
  put("2021", "116364.2");
  std::string backup = federation.Dir(320000) + "/backup";
  CommandResult made = federation.Ctl(320000, {"backup", "--out", backup});
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  put("2022", "122875.6");
  uint64_t newest = put("2023", "128222.2");
  ASSERT_EQ(newest, 4u);
  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(30)));

  federation.Stop(320000);
  CommandResult restored = federation.Ctl(320000, {"restore", "--from", backup});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  ASSERT_TRUE(federation.Start(320000));
  ASSERT_TRUE(federation.WaitStatus(
      320000, [](const json& s) { return s["append_allowed"].get<bool>(); },
      std::chrono::seconds(60)));
  EXPECT_EQ(federation.Vector(320000)[320000], newest);

  EXPECT_EQ(put("2024", "136696.9"), newest + 1);
  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(30)));
  EXPECT_EQ(federation.Vector(510000)[320000], newest + 1);
  for (uint32_t id : {320000u, 420000u, 510000u}) {
    json status = federation.Status(id);
    for (const json& alarm : status["alarms"]) {
      EXPECT_NE(alarm["kind"], "fork") << id << ": " << alarm.dump();
    }
  }
  CommandResult verify = federation.Ctl(320000, {"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

int EnvOr(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::atoi(value) : fallback;
}

// A long CSV of `rows` distinct monthly cells of Jiangsu.
std::string GeneratedRows(int rows) {
  std::string text =
      "indicator,region,region_name,period,value,unit,measure,value_kind,status,revision,note\n";
  for (int i = 0; i < rows; ++i) {
    text += fmt::format("realestate_invest_cum,320000,,{}-M{:02d},{}.5,亿元,,,,,\n",
                        1000 + i / 12, i % 12 + 1, i);
  }
  return text;
}

TEST(ReplicationKillTest, ReceiverKilledMidSyncConverges) {
  const int rows = EnvOr("YREB_SYNC_KILL_ROWS", 100000);
  const int kills = EnvOr("YREB_SYNC_KILLS", 20);
  const int rate = 10000;  // entries per second, so each kill lands mid-sync
  Federation federation({320000, 420000}, 320000, {},
                        fmt::format("max_reconnect_delay = 1\nsend_rate_limit = {}", rate));
  ASSERT_TRUE(federation.Start(320000, {"--skip-majority-check"}));
  std::string file = federation.Dir(320000) + "/rows.csv";
  std::ofstream(file, std::ios::binary) << GeneratedRows(rows);
  ASSERT_EQ(federation.Ctl(320000, {"import", file, "--status", "preliminary"},
                           std::chrono::seconds(120))
                .exit_code,
            0);
  const uint64_t total = federation.Vector(320000)[320000];
  ASSERT_EQ(total, static_cast<uint64_t>(rows) + 1);  // the records and the commit

  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> kill_after(150, 450);
  int mid_sync = 0;
  for (int kill = 0; kill < kills; ++kill) {
    ASSERT_TRUE(federation.Start(420000, {"--skip-majority-check"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after(random)));
    federation.Kill(420000);
    // Count the kills that landed before the receiver had everything.
    auto store = storage::Store::Open(federation.Dir(420000) + "/data", {});
    ASSERT_TRUE(store.ok()) << store.status();
    auto tip = (*store)->GetTip(320000);
    ASSERT_TRUE(tip.ok());
    if (!tip->has_value() || (*tip)->sequence < total) ++mid_sync;
  }
  ASSERT_TRUE(federation.Start(420000, {"--skip-majority-check"}));
  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(60), {320000, 420000}));
  EXPECT_EQ(federation.Vector(420000)[320000], total);
  CommandResult verify = federation.Ctl(420000, {"--json", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_GE(mid_sync, kills / 2) << "most kills should land before the sync completes";

  // Each kill loses at most the ranges in flight: the batch being stored and
  // the one the sender had written. At this rate a batch is one range of at
  // most 1,024 entries (a head every 1,024 entries).
  json sender = federation.Status(320000);
  uint64_t sent = sender["sent_entries"]["420000"].get<uint64_t>();
  EXPECT_GE(sent, total);
  EXPECT_LE(sent, total + static_cast<uint64_t>(2 * kills) * 2 * 1024)
      << "sent " << sent << " entries for a log of " << total;
}

}  // namespace
}  // namespace yreb
