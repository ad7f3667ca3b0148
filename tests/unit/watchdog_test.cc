// The service watchdog and the origin-log liveness check it relies on.
#include "node/watchdog.h"

#include <stdlib.h>

#include <atomic>
#include <future>

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "storage/store.h"
#include "sync/origin_log.h"
#include "tests/support/notify_socket.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

using std::chrono::milliseconds;

TEST(OriginLogStallTest, StalledForGrowsWhileAJobBlocks) {
  std::string dir = testing::MakeTempDir("stall");
  auto store = storage::Store::Open(dir + "/db", {.create_if_missing = true});
  ASSERT_TRUE(store.ok()) << store.status();
  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  auto log = sync::OriginLog::Open(store->get(), &key, 320000, sync::OriginLog::Options{});
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->StalledFor(), std::chrono::steady_clock::duration::zero());

  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<absl::Status> finished;
  (*log)->Submit(
      [released](sync::AppendContext&) {
        released.wait();
        return absl::OkStatus();
      },
      [&finished](absl::Status status) { finished.set_value(status); });
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_GE((*log)->StalledFor(), milliseconds(250));

  release.set_value();
  EXPECT_TRUE(finished.get_future().get().ok());
  // The writer turns idle right after the done callback returns.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((*log)->StalledFor() != std::chrono::steady_clock::duration::zero() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ((*log)->StalledFor(), std::chrono::steady_clock::duration::zero());
}

// Points sd_notify at a socket of this test for the lifetime of the object.
class NotifyEnvironment {
 public:
  NotifyEnvironment(const std::string& socket_path, const char* watchdog_usec) {
    ::setenv("NOTIFY_SOCKET", socket_path.c_str(), 1);
    if (watchdog_usec != nullptr) ::setenv("WATCHDOG_USEC", watchdog_usec, 1);
    ::unsetenv("WATCHDOG_PID");
  }
  ~NotifyEnvironment() {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
  }
};

TEST(WatchdogTest, PingsOnlyWhileHealthy) {
  std::string path = testing::MakeTempDir("watchdog") + "/notify.sock";
  testing::NotifySocket notify(path);
  ASSERT_TRUE(notify.bound()) << path;
  NotifyEnvironment environment(path, "200000");

  std::atomic<bool> healthy = true;
  std::atomic<int64_t> seen_interval_us = 0;
  std::unique_ptr<node::Watchdog> watchdog =
      node::Watchdog::StartIfEnabled([&](std::chrono::microseconds interval) {
        seen_interval_us = interval.count();
        return healthy.load();
      });
  ASSERT_NE(watchdog, nullptr);
  ASSERT_TRUE(notify.WaitFor("WATCHDOG=1", milliseconds(1000))) << notify.ReceivedText();
  EXPECT_EQ(seen_interval_us.load(), 200000);

  healthy = false;
  notify.WaitFor("none", milliseconds(150));  // drains a ping already on its way
  EXPECT_FALSE(notify.WaitFor("WATCHDOG=1", milliseconds(500))) << notify.ReceivedText();

  healthy = true;
  EXPECT_TRUE(notify.WaitFor("WATCHDOG=1", milliseconds(1000))) << notify.ReceivedText();

  watchdog.reset();
  notify.WaitFor("none", milliseconds(50));
  EXPECT_FALSE(notify.WaitFor("WATCHDOG=1", milliseconds(300))) << notify.ReceivedText();
}

TEST(WatchdogTest, DisabledWithoutWatchdogUsec) {
  std::string path = testing::MakeTempDir("watchdog") + "/notify.sock";
  testing::NotifySocket notify(path);
  NotifyEnvironment environment(path, nullptr);
  ::unsetenv("WATCHDOG_USEC");
  EXPECT_EQ(node::Watchdog::StartIfEnabled([](std::chrono::microseconds) { return true; }),
            nullptr);
}

}  // namespace
}  // namespace yreb
