// A real yreb-node process driven through yrebctl, as an operator uses it.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "storage/store.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::NodeProcess;
using testing::Yrebctl;

const std::map<std::string, std::string> kEnglish = {{"LANGUAGE", "en"}, {"LC_ALL", "C.UTF-8"}};

// Creates a node directory for `node_id` and returns its config path.
std::string InitNode(uint32_t node_id) {
  std::string dir = testing::MakeTempDir("node") + "/n";
  CommandResult init = testing::RunCommand(
      {testing::BinaryPath("yrebctl"), "init", "--node-id", std::to_string(node_id), "--dir", dir},
      "", std::chrono::seconds(30), kEnglish);
  EXPECT_EQ(init.exit_code, 0) << init.err;
  EXPECT_NE(init.out.find("initialized node " + std::to_string(node_id)), std::string::npos);
  return dir + "/node.toml";
}

CommandResult Ctl(const std::string& config, const std::vector<std::string>& args,
                  const std::string& input = "") {
  return Yrebctl(config, args, input, std::chrono::seconds(60), kEnglish);
}

TEST(NodeE2eTest, PutQueryRevisionAndHistory) {
  std::string config = InitNode(320000);
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());

  CommandResult first = Ctl(config, {"--json", "put", "--indicator", "gdp", "--region", "320000",
                                     "--period", "2023", "--value", "128222.2", "--status",
                                     "preliminary"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(json::parse(first.out)["outcome"], "new");
  EXPECT_EQ(json::parse(first.out)["sequence"], 1);

  // Numerically equal text is the same value: nothing is written.
  CommandResult same = Ctl(config, {"--json", "put", "--indicator", "gdp", "--region", "320000",
                                    "--period", "2023", "--value", "128222.20"});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(json::parse(same.out)["outcome"], "unchanged");
  EXPECT_EQ(json::parse(same.out)["revision"], 1);

  CommandResult revised = Ctl(config, {"--json", "put", "--indicator", "gdp", "--region",
                                       "320000", "--period", "2023", "--value", "130924.3",
                                       "--status", "revised", "--note", "第五次全国经济普查后修订"});
  ASSERT_EQ(revised.exit_code, 0) << revised.err;
  EXPECT_EQ(json::parse(revised.out)["outcome"], "revised");
  EXPECT_EQ(json::parse(revised.out)["revision"], 2);
  EXPECT_EQ(json::parse(revised.out)["sequence"], 2);

  CommandResult latest =
      Ctl(config, {"--json", "query", "--indicator", "gdp", "--region", "320000"});
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  json rows = json::parse(latest.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["value"], "130924.3");
  EXPECT_EQ(rows[0]["unit"], "亿元");
  EXPECT_EQ(rows[0]["revision"], 2);
  EXPECT_EQ(rows[0]["note"], "第五次全国经济普查后修订");

  CommandResult history = Ctl(config, {"--json", "query", "--indicator", "gdp", "--region",
                                       "320000", "--history"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  rows = json::parse(history.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["value"], "128222.2");
  EXPECT_EQ(rows[0]["status"], "preliminary");
  EXPECT_EQ(rows[1]["value"], "130924.3");
  EXPECT_EQ(rows[1]["status"], "revised");

  CommandResult verify = Ctl(config, {"--json", "verify"});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(json::parse(verify.out)["ok"], true);
  EXPECT_EQ(json::parse(verify.out)["entries_checked"], 2);
}

TEST(NodeE2eTest, QueryPeriodRangeAndWithdrawal) {
  std::string config = InitNode(420000);
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  std::string lines;
  for (int year = 2018; year <= 2023; ++year) {
    lines += "gdp,420000," + std::to_string(year) + "," + std::to_string(40000 + year) + "\n";
  }
  CommandResult stream = Ctl(config, {"put", "--stdin", "--status", "final"}, lines);
  ASSERT_EQ(stream.exit_code, 0) << stream.out << stream.err;

  CommandResult range = Ctl(config, {"--json", "query", "--indicator", "gdp", "--region",
                                     "420000", "--from", "2020", "--to", "2022"});
  json rows = json::parse(range.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["period"], "2020");
  EXPECT_EQ(rows[2]["period"], "2022");
  EXPECT_EQ(rows[2]["value"], "42022");

  CommandResult withdraw = Ctl(config, {"--json", "put", "--indicator", "gdp", "--region",
                                        "420000", "--period", "2021", "--withdraw"});
  ASSERT_EQ(withdraw.exit_code, 0) << withdraw.err;
  EXPECT_EQ(json::parse(withdraw.out)["revision"], 2);
  CommandResult after = Ctl(config, {"--json", "query", "--indicator", "gdp", "--region",
                                     "420000", "--from", "2021", "--to", "2021", "--history"});
  rows = json::parse(after.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["withdrawn"], false);
  EXPECT_EQ(rows[1]["withdrawn"], true);

  CommandResult again = Ctl(config, {"put", "--indicator", "gdp", "--region", "420000",
                                     "--period", "2021", "--withdraw"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("has no value to withdraw"), std::string::npos) << again.err;
}

TEST(NodeE2eTest, BadPutsAreRejectedWithTheirReason) {
  std::string config = InitNode(320000);
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());

  struct Case {
    std::vector<std::string> args;
    std::string reason;
  };
  const Case cases[] = {
      {{"--indicator", "gdp", "--region", "330000", "--period", "2023", "--value", "1"},
       "region 330000 (浙江省) is not in this node's province 320000"},
      {{"--indicator", "nope", "--region", "320000", "--period", "2023", "--value", "1"},
       "indicator nope is not in catalog version 1"},
      {{"--indicator", "gdp", "--region", "999999", "--period", "2023", "--value", "1"},
       "region 999999 is not a known GB/T 2260 code"},
      {{"--indicator", "gdp", "--region", "320000", "--period", "2023Q3", "--value", "1"},
       "invalid period \"2023Q3\""},
      {{"--indicator", "gdp", "--region", "320000", "--period", "2023-Q3", "--value", "1"},
       "indicator gdp is annual, but period 2023-Q3 is not"},
      {{"--indicator", "gdp", "--region", "320000", "--period", "2023", "--value", "1e5"},
       "invalid number \"1e5\""},
      {{"--indicator", "gdp", "--region", "320000", "--period", "2023", "--value", "12",
        "--unit-is-not-an-option"},
       "--unit-is-not-an-option"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"put"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CommandResult result = Ctl(config, args);
    EXPECT_NE(result.exit_code, 0) << c.reason;
    EXPECT_NE(result.err.find(c.reason), std::string::npos) << result.err;
  }

  CommandResult status = Ctl(config, {"--json", "status"});
  EXPECT_TRUE(json::parse(status.out)["version_vector"].empty()) << status.out;
}

TEST(NodeE2eTest, VerifyNamesTheAlteredEntry) {
  std::string config = InitNode(320000);
  std::string data = std::filesystem::path(config).parent_path().string() + "/data";
  {
    NodeProcess node;
    ASSERT_TRUE(node.Start(config));
    ASSERT_TRUE(node.WaitReady());
    std::string lines;
    for (int year = 2001; year <= 2020; ++year) {
      lines += "gdp,320000," + std::to_string(year) + "," + std::to_string(year * 10) + "\n";
    }
    ASSERT_EQ(Ctl(config, {"put", "--stdin"}, lines).exit_code, 0);
    ASSERT_EQ(node.Stop(), 0);
  }
  {
    auto store = storage::Store::Open(data, {});
    ASSERT_TRUE(store.ok()) << store.status();
    std::string entry = **(*store)->GetEntry(320000, 7);
    entry[entry.size() - 3] ^= 0x20;  // one byte inside the record body
    ASSERT_TRUE((*store)->CorruptEntryForTest(320000, 7, entry).ok());
  }
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  CommandResult verify = Ctl(config, {"verify"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.out.find("VERIFY FAILED at origin 320000 sequence 7"), std::string::npos)
      << verify.out;
  CommandResult as_json = Ctl(config, {"--json", "verify"});
  json result = json::parse(as_json.out);
  EXPECT_EQ(result["ok"], false);
  EXPECT_EQ(result["failed_origin"], 320000);
  EXPECT_EQ(result["failed_sequence"], 7);
}

TEST(NodeE2eTest, EmptyStoreWithExistingKeyRefusesAppends) {
  std::string config = InitNode(510000);
  std::string data = std::filesystem::path(config).parent_path().string() + "/data";
  std::filesystem::remove_all(data);  // a wiped disk; the key survived

  {
    NodeProcess node;
    ASSERT_TRUE(node.Start(config));
    ASSERT_TRUE(node.WaitReady());
    CommandResult status = Ctl(config, {"--json", "status"});
    json state = json::parse(status.out);
    EXPECT_EQ(state["append_allowed"], false);
    std::string reason = state["append_blocked_reason"];
    EXPECT_NE(reason.find("the database is empty but this node's key"), std::string::npos)
        << reason;

    CommandResult put = Ctl(config, {"put", "--indicator", "gdp", "--region", "510000",
                                     "--period", "2023", "--value", "60132.9"});
    EXPECT_EQ(put.exit_code, 1);
    EXPECT_NE(put.err.find("Appending now could reuse sequence numbers"), std::string::npos)
        << put.err;
    EXPECT_NE(put.err.find("--accept-empty-log"), std::string::npos);
    EXPECT_TRUE(json::parse(Ctl(config, {"--json", "status"}).out)["version_vector"].empty());
    ASSERT_EQ(node.Stop(), 0);
  }

  // The documented override, for a key that has certainly never written.
  NodeProcess node;
  ASSERT_TRUE(node.Start(config, {"--accept-empty-log"}));
  ASSERT_TRUE(node.WaitReady());
  CommandResult put = Ctl(config, {"--json", "put", "--indicator", "gdp", "--region", "510000",
                                   "--period", "2023", "--value", "60132.9"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(json::parse(put.out)["sequence"], 1);
  ASSERT_EQ(node.Stop(), 0);

  // The override is recorded: a plain restart appends normally.
  NodeProcess again;
  ASSERT_TRUE(again.Start(config));
  ASSERT_TRUE(again.WaitReady());
  EXPECT_EQ(json::parse(Ctl(config, {"--json", "status"}).out)["append_allowed"], true);
}

TEST(NodeE2eTest, SigtermStopsCleanlyAndRemovesSocket) {
  std::string config = InitNode(430000);
  std::string socket = std::filesystem::path(config).parent_path().string() + "/run/admin.sock";
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  EXPECT_TRUE(std::filesystem::exists(socket));
  EXPECT_EQ(node.Stop(std::chrono::seconds(10)), 0);
  EXPECT_FALSE(std::filesystem::exists(socket));
}

TEST(NodeE2eTest, AdminSocketIsNotWorldAccessible) {
  std::string config = InitNode(500000);
  std::string run = std::filesystem::path(config).parent_path().string() + "/run";
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  auto socket_perms = std::filesystem::status(run + "/admin.sock").permissions();
  auto dir_perms = std::filesystem::status(run).permissions();
  using std::filesystem::perms;
  EXPECT_EQ(socket_perms & perms::others_all, perms::none);
  EXPECT_EQ(dir_perms & perms::others_all, perms::none);
}

TEST(NodeE2eTest, StoppedNodeGivesAClearError) {
  std::string config = InitNode(530000);
  CommandResult status = Ctl(config, {"status"});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_NE(status.err.find("cannot reach the node at"), std::string::npos) << status.err;
}

TEST(NodeE2eTest, InvalidConfigFailsAtStart) {
  std::string config = InitNode(340000);
  std::ofstream(config, std::ios::app) << "\n[node2]\nid = 1\n";
  CommandResult start = testing::RunCommand(
      {testing::BinaryPath("yreb-node"), "--config", config}, "", std::chrono::seconds(20),
      kEnglish);
  EXPECT_EQ(start.exit_code, 2);
  EXPECT_NE(start.err.find("unknown section or key node2"), std::string::npos) << start.err;
}

TEST(NodeE2eTest, InitRefusesAnExistingNode) {
  std::string config = InitNode(360000);
  std::string dir = std::filesystem::path(config).parent_path().string();
  CommandResult again = testing::RunCommand(
      {testing::BinaryPath("yrebctl"), "init", "--node-id", "360000", "--dir", dir}, "",
      std::chrono::seconds(30), kEnglish);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already holds a node"), std::string::npos) << again.err;
}

TEST(NodeE2eTest, KeygenRefusesToOverwrite) {
  std::string prefix = testing::MakeTempDir("keygen") + "/admin";
  CommandResult first = testing::RunCommand(
      {testing::BinaryPath("yrebctl"), "keygen", "--out", prefix}, "", std::chrono::seconds(30),
      kEnglish);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("fingerprint: ed25519:"), std::string::npos);
  EXPECT_EQ(std::filesystem::status(prefix + ".key").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  CommandResult second = testing::RunCommand(
      {testing::BinaryPath("yrebctl"), "keygen", "--out", prefix}, "", std::chrono::seconds(30),
      kEnglish);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("already exists; a key is never overwritten"), std::string::npos);
}

TEST(NodeE2eTest, PutStreamNamesTheRightLines) {
  std::string config = InitNode(320000);
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  // A rejected line is answered before the earlier line is durable; each
  // reply must still name its own line.
  CommandResult stream = Ctl(config, {"put", "--stdin", "--status", "preliminary"},
                             "gdp,320000,2021,101\ngdp,320000,2022,abc\ngdp,320000,2023,103\n");
  EXPECT_EQ(stream.exit_code, 1);
  EXPECT_NE(stream.out.find("ack 1 1 new"), std::string::npos) << stream.out;
  EXPECT_NE(stream.out.find("error 2 invalid number \"abc\""), std::string::npos) << stream.out;
  EXPECT_NE(stream.out.find("ack 3 2 new"), std::string::npos) << stream.out;
}

TEST(NodeE2eTest, StatusChangeIsARevision) {
  std::string config = InitNode(320000);
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  std::vector<std::string> put = {"--json", "put", "--indicator", "gdp", "--region", "320000",
                                  "--period", "2024", "--value", "136696.9"};
  ASSERT_EQ(json::parse(Ctl(config, put).out)["outcome"], "new");
  // No status given: nothing changes.
  EXPECT_EQ(json::parse(Ctl(config, put).out)["outcome"], "unchanged");
  // The same value, now verified: a revision that records the status.
  put.insert(put.end(), {"--status", "final_verification"});  // the code exports write
  json revised = json::parse(Ctl(config, put).out);
  EXPECT_EQ(revised["outcome"], "revised");
  EXPECT_EQ(revised["revision"], 2);
  EXPECT_EQ(json::parse(Ctl(config, put).out)["outcome"], "unchanged");
}

TEST(NodeE2eTest, QueryRejectsUnknownRegionAndReversedRange) {
  std::string config = InitNode(320000);
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  CommandResult region = Ctl(config, {"query", "--indicator", "gdp", "--region", "999999"});
  EXPECT_EQ(region.exit_code, 2);
  EXPECT_NE(region.err.find("region 999999 is not a known GB/T 2260 code"), std::string::npos);
  CommandResult reversed =
      Ctl(config, {"query", "--indicator", "gdp", "--from", "2024", "--to", "2020"});
  EXPECT_EQ(reversed.exit_code, 2);
  EXPECT_NE(reversed.err.find("--from 2024 is later than --to 2020"), std::string::npos);
  // The NBS name of an indicator works like its code, and --json may follow
  // the command.
  ASSERT_EQ(Ctl(config, {"put", "--indicator", "gdp", "--region", "320000", "--period", "2023",
                         "--value", "130924.3", "--status", "final"})
                .exit_code,
            0);
  CommandResult by_name = Ctl(config, {"query", "--indicator", "地区生产总值(亿元)", "--json"});
  ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_EQ(json::parse(by_name.out)[0]["value"], "130924.3");
}

TEST(NodeE2eTest, SecondNodeOnTheSameDataIsRefused) {
  std::string config = InitNode(320000);
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  CommandResult second = testing::RunCommand(
      {testing::BinaryPath("yreb-node"), "--config", config}, "", std::chrono::seconds(20),
      kEnglish);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("another yreb-node is already running with data directory"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(Ctl(config, {"status"}).exit_code, 0) << "the first node keeps running";
}

TEST(NodeE2eTest, ChineseMessagesUnderChineseLocale) {
  std::string config = InitNode(320000);
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  CommandResult put = Yrebctl(config, {"put", "--indicator", "gdp", "--region", "330000",
                                       "--period", "2023", "--value", "1"},
                              "", std::chrono::seconds(30),
                              {{"LANGUAGE", "zh_CN"}, {"LC_ALL", "C.UTF-8"}});
  EXPECT_EQ(put.exit_code, 2);
  EXPECT_NE(put.err.find("不属于本节点所在省份"), std::string::npos) << put.err;

  // JSON is for scripts: its codes stay the same in every language.
  const std::map<std::string, std::string> chinese = {{"LANGUAGE", "zh_CN"},
                                                      {"LC_ALL", "C.UTF-8"}};
  ASSERT_EQ(Yrebctl(config, {"put", "--indicator", "gdp", "--region", "320000", "--period",
                             "2023", "--value", "130924.3", "--status", "最终核实"},
                    "", std::chrono::seconds(30), chinese)
                .exit_code,
            0);
  CommandResult query = Yrebctl(config, {"--json", "query", "--indicator", "gdp"}, "",
                                std::chrono::seconds(30), chinese);
  ASSERT_EQ(query.exit_code, 0) << query.err;
  EXPECT_EQ(json::parse(query.out)[0]["status"], "final_verification");
}

}  // namespace
}  // namespace yreb
