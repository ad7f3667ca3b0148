// yreb-node as a systemd service, without systemd: the sd_notify protocol
// (READY=1, WATCHDOG=1, STOPPING=1) on a socket the test binds itself, and a
// SIGTERM that arrives while yrebctl streams writes.
#include <signal.h>

#include <filesystem>
#include <future>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/notify_socket.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::NodeProcess;
using testing::NotifySocket;

const std::map<std::string, std::string> kEnglish = {{"LANGUAGE", "en"}, {"LC_ALL", "C.UTF-8"}};

std::string InitNode(uint32_t node_id) {
  std::string dir = testing::MakeTempDir("service") + "/n";
  CommandResult init = testing::RunCommand(
      {testing::BinaryPath("yrebctl"), "init", "--node-id", std::to_string(node_id), "--dir", dir},
      "", std::chrono::seconds(30), kEnglish);
  EXPECT_EQ(init.exit_code, 0) << init.err;
  return dir + "/node.toml";
}

TEST(ServiceE2eTest, NotifiesReadyWatchdogAndStopping) {
  std::string config = InitNode(420000);
  std::string notify_path = testing::MakeTempDir("notify") + "/notify.sock";
  NotifySocket notify(notify_path);
  ASSERT_TRUE(notify.bound()) << notify_path;

  NodeProcess node;
  ASSERT_TRUE(node.Start(config, {}, "",
                         {{"NOTIFY_SOCKET", notify_path}, {"WATCHDOG_USEC", "400000"}}));
  ASSERT_TRUE(notify.WaitFor("READY=1", std::chrono::seconds(20)))
      << notify.ReceivedText();

  // Pings come every 200 ms, half the interval; two arrive well within 2 s.
  ASSERT_TRUE(notify.WaitFor("WATCHDOG=1", std::chrono::seconds(2)))
      << notify.ReceivedText();
  ASSERT_TRUE(notify.WaitFor("WATCHDOG=1", std::chrono::seconds(2)))
      << notify.ReceivedText();

  EXPECT_EQ(node.Stop(std::chrono::seconds(10)), 0);
  EXPECT_TRUE(notify.WaitFor("STOPPING=1", std::chrono::seconds(1)))
      << notify.ReceivedText();
}

TEST(ServiceE2eTest, NoWatchdogPingsWithoutWatchdogUsec) {
  std::string config = InitNode(430000);
  std::string notify_path = testing::MakeTempDir("notify") + "/notify.sock";
  NotifySocket notify(notify_path);
  ASSERT_TRUE(notify.bound()) << notify_path;

  NodeProcess node;
  ASSERT_TRUE(node.Start(config, {}, "", {{"NOTIFY_SOCKET", notify_path}}));
  ASSERT_TRUE(notify.WaitFor("READY=1", std::chrono::seconds(20)))
      << notify.ReceivedText();
  EXPECT_FALSE(notify.WaitFor("WATCHDOG=1", std::chrono::seconds(1)))
      << notify.ReceivedText();
}

// Write i goes to year 2000 + i % 25 with value i, so every write is a new
// revision of its cell and its value names it.
std::string Line(int i) {
  return "gdp,320000," + std::to_string(2000 + i % 25) + "," + std::to_string(i) + "\n";
}

TEST(ServiceE2eTest, SigtermDuringPutStreamKeepsAcknowledgedWrites) {
  std::string config = InitNode(320000);
  constexpr int kWrites = 1000000;  // far more than the node stores before SIGTERM
  std::string input;
  input.reserve(kWrites * 24);
  for (int i = 0; i < kWrites; ++i) input += Line(i);

  std::set<int> acknowledged;
  {
    NodeProcess node;
    ASSERT_TRUE(node.Start(config));
    ASSERT_TRUE(node.WaitReady());
    std::future<CommandResult> stream = std::async(std::launch::async, [&] {
      return testing::Yrebctl(config, {"put", "--stdin"}, input, std::chrono::seconds(50),
                              kEnglish);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));

    auto started = std::chrono::steady_clock::now();
    int exit_status = node.Stop(std::chrono::seconds(10));
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(exit_status, 0) << "yreb-node did not exit cleanly within 10 s of SIGTERM";
    EXPECT_LT(took, std::chrono::seconds(10));

    CommandResult result = stream.get();
    EXPECT_NE(result.exit_code, 0) << "the stream ended before SIGTERM; nothing was interrupted";
    std::stringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) {
      std::stringstream fields(line);
      std::string kind;
      int line_number = 0;
      fields >> kind >> line_number;
      if (kind == "ack") acknowledged.insert(line_number - 1);  // line n carries write n-1
    }
    ASSERT_FALSE(acknowledged.empty()) << result.out.substr(0, 2000) << result.err;
    EXPECT_LT(acknowledged.size(), static_cast<size_t>(kWrites));
  }

  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  CommandResult verify =
      testing::Yrebctl(config, {"--json", "verify"}, "", std::chrono::seconds(50), kEnglish);
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(json::parse(verify.out)["ok"], true) << verify.out;

  CommandResult history = testing::Yrebctl(
      config, {"--json", "query", "--indicator", "gdp", "--region", "320000", "--history"}, "",
      std::chrono::seconds(50), kEnglish);
  ASSERT_EQ(history.exit_code, 0) << history.err;
  std::set<int> stored;
  for (const json& row : json::parse(history.out)) {
    stored.insert(std::stoi(row["value"].get<std::string>()));
  }
  for (int write : acknowledged) {
    ASSERT_TRUE(stored.contains(write)) << "acknowledged write " << write << " is missing";
  }
}

}  // namespace
}  // namespace yreb
