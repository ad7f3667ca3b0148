// SIGKILL the node at random moments while yrebctl streams writes to it.
// After every restart the chain must verify without a gap and every write the
// CLI saw acknowledged must be present. YREB_CRASH_WRITES and
// YREB_CRASH_KILLS override the defaults (200000 writes, 10 kills).
#include <signal.h>

#include <cstdlib>
#include <future>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"

namespace yreb {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::NodeProcess;

const std::map<std::string, std::string> kEnglish = {{"LANGUAGE", "en"}, {"LC_ALL", "C.UTF-8"}};
constexpr int kCells = 25;  // gdp of 320000 for 2000 ... 2024

int EnvOr(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::atoi(value) : fallback;
}

// Write i goes to year 2000 + i % kCells with value i, so every write is a
// new revision of its cell and its value names it.
std::string Line(int i) {
  return "gdp,320000," + std::to_string(2000 + i % kCells) + "," + std::to_string(i) + "\n";
}

struct Ack {
  int write = 0;
  uint64_t sequence = 0;
};

TEST(CrashE2eTest, KilledNodeKeepsEveryAcknowledgedWrite) {
  const int total = EnvOr("YREB_CRASH_WRITES", 200000);
  const int kills = EnvOr("YREB_CRASH_KILLS", 10);
  std::string dir = testing::MakeTempDir("crash") + "/n";
  ASSERT_EQ(testing::RunCommand({testing::BinaryPath("yrebctl"), "init", "--node-id", "320000",
                                 "--dir", dir},
                                "", std::chrono::seconds(30), kEnglish)
                .exit_code,
            0);
  std::string config = dir + "/node.toml";
  std::string log = dir + "/node.log";

  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> kill_after_ms(30, 600);
  std::vector<Ack> acked;
  int next = 0;  // first write not yet acknowledged
  int landed_mid_stream = 0;

  for (int round = 0; round <= kills && next < total; ++round) {
    NodeProcess node;
    ASSERT_TRUE(node.Start(config, {}, log));
    ASSERT_TRUE(node.WaitReady()) << "round " << round;

    // After each restart: the chain verifies and has no gap, and every
    // acknowledged write so far is there.
    CommandResult verify =
        testing::Yrebctl(config, {"--json", "verify"}, "", std::chrono::seconds(60), kEnglish);
    ASSERT_EQ(verify.exit_code, 0) << "round " << round << ": " << verify.out << verify.err;
    json verified = json::parse(verify.out);
    ASSERT_EQ(verified["ok"], true) << verify.out;
    uint64_t tip = verified["entries_checked"];
    for (const Ack& ack : acked) {
      ASSERT_LE(ack.sequence, tip) << "write " << ack.write << " acknowledged as entry "
                                   << ack.sequence << " but the log ends at " << tip;
    }
    CommandResult history = testing::Yrebctl(
        config, {"--json", "query", "--indicator", "gdp", "--region", "320000", "--history"}, "",
        std::chrono::seconds(60), kEnglish);
    ASSERT_EQ(history.exit_code, 0) << history.err;
    std::map<uint64_t, std::string> value_at;
    std::set<std::string> values;
    for (const json& row : json::parse(history.out)) {
      value_at[row["sequence"].get<uint64_t>()] = row["value"];
      values.insert(row["value"].get<std::string>());
    }
    for (const Ack& ack : acked) {
      ASSERT_TRUE(values.contains(std::to_string(ack.write)))
          << "acknowledged write " << ack.write << " is missing after round " << round;
      if (ack.sequence != 0) {
        ASSERT_EQ(value_at[ack.sequence], std::to_string(ack.write)) << "entry " << ack.sequence;
      }
    }

    // Stream the remaining writes; kill the node mid-stream unless this is
    // the final round, which runs to the end.
    std::string input;
    for (int i = next; i < total; ++i) input += Line(i);
    auto stream = std::async(std::launch::async, [&] {
      return testing::Yrebctl(config, {"put", "--stdin"}, input, std::chrono::seconds(120),
                              kEnglish);
    });
    bool final_round = round == kills;
    if (!final_round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(random)));
      node.Signal(SIGKILL);
    }
    CommandResult result = stream.get();
    if (final_round) ASSERT_EQ(result.exit_code, 0) << result.err;

    std::istringstream out(result.out);
    std::string word;
    int line = 0;
    uint64_t sequence = 0;
    std::string outcome;
    int acked_this_round = 0;
    while (out >> word) {
      if (word == "ack") {
        out >> line >> sequence >> outcome;
        acked.push_back({next + line - 1, sequence});
        ++acked_this_round;
      } else {
        std::string rest;
        std::getline(out, rest);
        FAIL() << "unexpected output: " << word << rest;
      }
    }
    if (!final_round && next + acked_this_round < total) ++landed_mid_stream;
    next += acked_this_round;
  }
  EXPECT_EQ(next, total);
  EXPECT_GE(landed_mid_stream, kills / 2) << "most kills should land while writes stream";
}

}  // namespace
}  // namespace yreb
