#include <thread>

#include <gtest/gtest.h>

#include "common/log_limiter.h"

namespace yreb {
namespace {

TEST(LogLimiterTest, BurstThenSuppressedCount) {
  LogLimiter limiter(2, std::chrono::milliseconds(200));
  uint64_t suppressed = 99;
  EXPECT_TRUE(limiter.Allow("peer/1", &suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_TRUE(limiter.Allow("peer/1", &suppressed));
  EXPECT_FALSE(limiter.Allow("peer/1", &suppressed));
  EXPECT_FALSE(limiter.Allow("peer/1", &suppressed));
  EXPECT_FALSE(limiter.Allow("peer/1", &suppressed));

  // Another key has its own budget.
  EXPECT_TRUE(limiter.Allow("peer/2", &suppressed));
  EXPECT_EQ(suppressed, 0u);

  // A new window lets one through and reports the three dropped lines.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_TRUE(limiter.Allow("peer/1", &suppressed));
  EXPECT_EQ(suppressed, 3u);
}

}  // namespace
}  // namespace yreb
