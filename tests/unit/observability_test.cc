// The pure parts of the status page and the metrics: deadlines, the
// reporting quarter, exact sums, and the metric families of a status.
#include <chrono>

#include <gtest/gtest.h>

#include "node/metrics.h"
#include "node/status_view.h"

namespace yreb::node {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

// Returns the instant of a wall-clock time in China Standard Time.
std::chrono::system_clock::time_point China(int year, unsigned month, unsigned day, int hour,
                                            int minute, int second) {
  sys_days date = std::chrono::year_month_day(std::chrono::year(year), std::chrono::month(month),
                                              std::chrono::day(day));
  return date + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second) - 8h;
}

TEST(QuarterDeadline, TwentiethOfNextMonthInChinaTime) {
  EXPECT_EQ(QuarterDeadline({2025, period::Period::kQuarterly, 1}, 20),
            China(2025, 4, 20, 23, 59, 59));
  EXPECT_EQ(QuarterDeadline({2024, period::Period::kQuarterly, 4}, 20),
            China(2025, 1, 20, 23, 59, 59));
}

TEST(ReportingQuarter, PreviousQuarterUntilItsDeadline) {
  period::Period q1{2025, period::Period::kQuarterly, 1};
  period::Period q2{2025, period::Period::kQuarterly, 2};
  EXPECT_EQ(ReportingQuarter(China(2025, 4, 20, 23, 59, 59), 20), q1);
  EXPECT_EQ(ReportingQuarter(China(2025, 4, 21, 0, 0, 0), 20), q2);
  EXPECT_EQ(ReportingQuarter(China(2025, 6, 30, 12, 0, 0), 20), q2);
  // 1 January in China is still 31 December in UTC until 08:00.
  EXPECT_EQ(ReportingQuarter(China(2025, 1, 1, 1, 0, 0), 20),
            (period::Period{2024, period::Period::kQuarterly, 4}));
  EXPECT_EQ(ReportingQuarter(China(2025, 1, 21, 0, 0, 1), 20), q1);
}

TEST(SumDecimals, ExactAcrossScales) {
  EXPECT_EQ(*SumDecimals({"1.5", "2.25"}), "3.75");
  EXPECT_EQ(*SumDecimals({"130924.3", "0.70"}), "130925");
  EXPECT_EQ(*SumDecimals({"0.1", "0.2"}), "0.3");
  EXPECT_EQ(*SumDecimals({"-5", "2.5"}), "-2.5");
  EXPECT_EQ(*SumDecimals({}), "0");
  EXPECT_FALSE(SumDecimals({"1e5"}).ok());
  EXPECT_FALSE(SumDecimals({"1234567890123456789012345678901"}).ok());
}

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& families,
                                     const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

TEST(StatusToMetrics, LagBehindAndPlaceholders) {
  proto::StatusReply status;
  status.set_node_id(320000);
  status.set_append_allowed(false);
  auto* own = status.add_version_vector();
  own->set_origin(320000);
  own->set_sequence(10);
  proto::PeerState* peer = status.add_peers();
  peer->set_node_id(420000);
  peer->set_last_contact_ms(1000);
  peer->set_bytes_received(123);
  (*peer->mutable_rejects())["fork"] = 2;
  proto::OriginLag* lag = peer->add_lag();
  lag->set_origin(420000);
  lag->set_ours(3);
  lag->set_theirs(7);
  proto::Alarm* alarm = status.add_alarms();
  alarm->set_kind("fork");

  std::vector<prometheus::MetricFamily> families = StatusToMetrics(status);
  const prometheus::MetricFamily* lag_family = Find(families, "yreb_peer_lag_entries");
  ASSERT_NE(lag_family, nullptr);
  // Origin 320000 is equal on both sides (not in the lag list): 0.
  ASSERT_EQ(lag_family->metric.size(), 2u);
  EXPECT_EQ(lag_family->metric[0].label[1].value, "320000");
  EXPECT_EQ(lag_family->metric[0].gauge.value, 0);
  EXPECT_EQ(lag_family->metric[1].label[1].value, "420000");
  EXPECT_EQ(lag_family->metric[1].gauge.value, 4);
  EXPECT_EQ(Find(families, "yreb_appends_blocked")->metric[0].gauge.value, 1);
  EXPECT_EQ(Find(families, "yreb_forks")->metric[0].gauge.value, 1);
  EXPECT_EQ(Find(families, "yreb_peer_received_bytes_total")->metric[0].counter.value, 123);
  EXPECT_EQ(Find(families, "yreb_peer_rejected_ranges_total")->metric[0].counter.value, 2);
  EXPECT_EQ(Find(families, "yreb_lead_epoch")->metric[0].gauge.value, 0);
  EXPECT_EQ(Find(families, "yreb_releases")->metric.size(), 5u);
  EXPECT_EQ(Find(families, "yreb_release_verifications"), nullptr);
}

TEST(StatusToMetrics, LeadEpochAndVoidCoordinatorEntries) {
  proto::StatusReply status;
  status.set_node_id(310000);
  status.set_lead_epoch(3);
  status.set_lead(510000);
  status.set_lead_dispute("epoch 4 has 2 different assignments signed by a majority");
  status.set_void_coordinator_entries(2);
  std::vector<prometheus::MetricFamily> families = StatusToMetrics(status);

  const prometheus::MetricFamily* epoch = Find(families, "yreb_lead_epoch");
  ASSERT_NE(epoch, nullptr);
  ASSERT_EQ(epoch->metric.size(), 1u);
  EXPECT_EQ(epoch->metric[0].gauge.value, 3);
  ASSERT_EQ(epoch->metric[0].label.size(), 1u);
  EXPECT_EQ(epoch->metric[0].label[0].name, "lead");
  EXPECT_EQ(epoch->metric[0].label[0].value, "510000");
  EXPECT_EQ(Find(families, "yreb_lead_disputed")->metric[0].gauge.value, 1);
  EXPECT_EQ(Find(families, "yreb_lead_may_coordinate")->metric[0].gauge.value, 0);
  EXPECT_EQ(Find(families, "yreb_void_coordinator_entries")->metric[0].gauge.value, 2);
}

}  // namespace
}  // namespace yreb::node
