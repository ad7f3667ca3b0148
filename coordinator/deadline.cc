#include "coordinator/deadline.h"

#include <fmt/format.h>

#include "i18n/i18n.h"

namespace yreb::coordinator {
namespace {

using std::chrono::system_clock;

constexpr std::chrono::hours kChinaOffset{8};

system_clock::time_point EndOfChinaDay(std::chrono::year_month_day date) {
  return std::chrono::sys_days(date) + std::chrono::hours(23) + std::chrono::minutes(59) +
         std::chrono::seconds(59) - kChinaOffset;
}

}  // namespace

system_clock::time_point QuarterDeadline(const period::Period& quarter, int deadline_days) {
  int month = quarter.StartMonth() + 3;  // the month after the quarter
  int year = quarter.year;
  if (month > 12) {
    month -= 12;
    ++year;
  }
  return EndOfChinaDay(std::chrono::year_month_day(
      std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
      std::chrono::day(static_cast<unsigned>(deadline_days))));
}

absl::StatusOr<system_clock::time_point> AnnualDeadline(int year, const std::string& month_day) {
  unsigned month = 0, day = 0;
  if (month_day.size() != 5 || month_day[2] != '-' ||
      std::sscanf(month_day.c_str(), "%2u-%2u", &month, &day) != 2) {
    return absl::InvalidArgumentError(
        i18n::Tr("catalog: annual_deadline \"{}\" must be MM-DD", month_day));
  }
  std::chrono::year_month_day date(std::chrono::year(year + 1), std::chrono::month(month),
                                   std::chrono::day(day));
  if (!date.ok()) {
    return absl::InvalidArgumentError(
        i18n::Tr("catalog: annual_deadline \"{}\" must be MM-DD", month_day));
  }
  return EndOfChinaDay(date);
}

period::Period ReportingQuarter(system_clock::time_point now, int deadline_days) {
  std::chrono::sys_days local_day = std::chrono::floor<std::chrono::days>(now + kChinaOffset);
  std::chrono::year_month_day date(local_day);
  int year = static_cast<int>(date.year());
  int quarter = (static_cast<int>(static_cast<unsigned>(date.month())) - 1) / 3 + 1;
  period::Period current{year, period::Period::kQuarterly, quarter};
  period::Period previous = quarter == 1
                                ? period::Period{year - 1, period::Period::kQuarterly, 4}
                                : period::Period{year, period::Period::kQuarterly, quarter - 1};
  return now <= QuarterDeadline(previous, deadline_days) ? previous : current;
}

std::string ChinaTime(system_clock::time_point instant) {
  auto local = std::chrono::floor<std::chrono::seconds>(instant + kChinaOffset);
  std::chrono::sys_days day = std::chrono::floor<std::chrono::days>(local);
  std::chrono::year_month_day date(day);
  std::chrono::hh_mm_ss time(local - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count());
}

}  // namespace yreb::coordinator
