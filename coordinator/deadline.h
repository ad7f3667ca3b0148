// Deadlines of the shared sets, in China Standard Time (UTC+8, no daylight
// saving since 1991).
#ifndef YREB_COORDINATOR_DEADLINE_H_
#define YREB_COORDINATOR_DEADLINE_H_

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "common/period.h"

namespace yreb::coordinator {

// Returns the instant a quarter's shared set is due: 23:59:59 China Standard
// Time on day `deadline_days` of the month after the quarter.
// REQUIRES: `quarter` is quarterly.
std::chrono::system_clock::time_point QuarterDeadline(const period::Period& quarter,
                                                      int deadline_days);

// Returns the instant a year's annual set is due: 23:59:59 China Standard
// Time on `month_day` ("03-31", as the catalog sets it) of the next year.
// Fails with InvalidArgument when `month_day` is not a valid MM-DD.
absl::StatusOr<std::chrono::system_clock::time_point> AnnualDeadline(int year,
                                                                     const std::string& month_day);

// Returns the quarter being collected at `now`: the previous calendar quarter
// until its deadline has passed, then the current one. On 20 April 2025 at
// 23:00 CST that is 2025-Q1; a minute after midnight on 21 April, 2025-Q2.
period::Period ReportingQuarter(std::chrono::system_clock::time_point now, int deadline_days);

// Formats an instant as ISO 8601 in China Standard Time, e.g.
// "2020-01-20T23:59:59+08:00".
std::string ChinaTime(std::chrono::system_clock::time_point instant);

}  // namespace yreb::coordinator

#endif  // YREB_COORDINATOR_DEADLINE_H_
