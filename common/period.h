// Periods of observations in SDMX notation, and the Chinese period labels of
// the national statistics data portal.
//
// SDMX forms: "2024" (year), "2024-Q3" (quarter), "2024-M09" (month). The
// portal writes "2023年", "2023年第三季度", "2023年9月", and "2023年1-2月" for the
// January-February value that bureaus publish together.
#ifndef YREB_COMMON_PERIOD_H_
#define YREB_COMMON_PERIOD_H_

#include <compare>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace yreb::period {

struct Period {
  enum Frequency { kAnnual = 0, kQuarterly = 1, kMonthly = 2 };

  int year = 0;
  Frequency frequency = kAnnual;
  // Quarter 1-4 or month 1-12; 0 for a year.
  int index = 0;

  // Returns "2024", "2024-Q3" or "2024-M09".
  std::string ToSdmx() const;

  // First month the period covers: 1 for a year, 1, 4, 7 or 10 for a quarter.
  int StartMonth() const;

  // Periods are ordered by (year, start month, frequency): 2024 sorts before
  // 2024-Q1, which sorts before 2024-M01, and 2024-M03 before 2024-Q2. The
  // order is total and stable across nodes, which is what sorting needs; it
  // does not mean that a year ends before its months.
  friend std::strong_ordering operator<=>(const Period& a, const Period& b);
  friend bool operator==(const Period& a, const Period& b) = default;
};

// Parses "2024", "2024-Q3", "2024-M09" or "2024-09" (returned as 2024-M09).
// Returns InvalidArgument for any other form, such as "2024Q3" or "2024-M9",
// and for a quarter outside 1-4, a month outside 1-12 or a year outside
// 1000-9999.
absl::StatusOr<Period> ParseSdmx(std::string_view text);

// A portal period label, parsed.
struct ChinesePeriod {
  Period period;
  // True when the label is a month range from January ("2023年1-9月"), which
  // the portal uses for year-to-date (累计) values; `period` is the range's
  // last month.
  bool cumulative_range = false;
  // True for "1-2月": the January-February value published together, stored
  // as the February period with January absent.
  bool january_february = false;
};

// Parses a portal label: "2023年", "2023年第三季度", "2023年三季度",
// "2023年第3季度", "2023年9月", "2023年09月", "2023年1-2月", "2023年1-9月"
// (dashes may be '-', '－', '—', '–', '~' or '～'; spaces around parts are
// ignored). Returns InvalidArgument for anything else, for a range that does
// not start in January, and for an out-of-range quarter or month.
absl::StatusOr<ChinesePeriod> ParseChinesePeriod(std::string_view label);

}  // namespace yreb::period

#endif  // YREB_COMMON_PERIOD_H_
