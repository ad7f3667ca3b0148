#include "common/period.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "i18n/i18n.h"

namespace yreb::period {
namespace {

TEST(PeriodParseSdmx, AcceptsThreeFrequencies) {
  absl::StatusOr<Period> year = ParseSdmx("2024");
  ASSERT_TRUE(year.ok()) << year.status();
  EXPECT_EQ(year->frequency, Period::kAnnual);
  EXPECT_EQ(year->index, 0);
  EXPECT_EQ(year->ToSdmx(), "2024");

  absl::StatusOr<Period> quarter = ParseSdmx("2024-Q3");
  ASSERT_TRUE(quarter.ok()) << quarter.status();
  EXPECT_EQ(quarter->frequency, Period::kQuarterly);
  EXPECT_EQ(quarter->index, 3);
  EXPECT_EQ(quarter->ToSdmx(), "2024-Q3");

  absl::StatusOr<Period> month = ParseSdmx("2024-M09");
  ASSERT_TRUE(month.ok()) << month.status();
  EXPECT_EQ(month->frequency, Period::kMonthly);
  EXPECT_EQ(month->index, 9);
  EXPECT_EQ(month->ToSdmx(), "2024-M09");
}

TEST(PeriodParseSdmx, NormalizesIsoMonth) {
  absl::StatusOr<Period> month = ParseSdmx("2024-09");
  ASSERT_TRUE(month.ok()) << month.status();
  EXPECT_EQ(month->ToSdmx(), "2024-M09");
}

TEST(PeriodParseSdmx, RejectsOtherForms) {
  for (const char* text :
       {"2024Q3", "2024-Q5", "2024-Q0", "2024-M13", "2024-M00", "2024-13", "2024-M9", "24", "2024-",
        "", "2024-W01", "20244", "abcd", "0999", "2024-Q3 ", "2024-m09"}) {
    EXPECT_FALSE(ParseSdmx(text).ok()) << text;
  }
}

TEST(PeriodParseSdmx, MessageNamesTheRange) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  absl::StatusOr<Period> bad = ParseSdmx("2024-M13");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("01 to 12"), std::string::npos) << bad.status();
}

TEST(PeriodOrder, YearThenStartMonthThenFrequency) {
  std::vector<std::string> texts = {"2024-M04", "2024-Q2", "2024",    "2023-M12",
                                    "2024-M01", "2024-Q1", "2024-M03"};
  std::vector<Period> periods;
  for (const std::string& text : texts) periods.push_back(*ParseSdmx(text));
  std::sort(periods.begin(), periods.end());
  std::vector<std::string> sorted;
  for (const Period& period : periods) sorted.push_back(period.ToSdmx());
  EXPECT_EQ(sorted, (std::vector<std::string>{"2023-M12", "2024", "2024-Q1", "2024-M01", "2024-M03",
                                              "2024-Q2", "2024-M04"}));
  EXPECT_EQ(*ParseSdmx("2024-09"), *ParseSdmx("2024-M09"));
}

TEST(PeriodParseChinese, PortalLabels) {
  struct Case {
    const char* label;
    const char* sdmx;
    bool cumulative_range;
    bool january_february;
  };
  const Case cases[] = {
      {"2023年", "2023", false, false},
      {"2023年第三季度", "2023-Q3", false, false},
      {"2023年三季度", "2023-Q3", false, false},
      {"2022年第一季度", "2022-Q1", false, false},
      {"2021年第四季度", "2021-Q4", false, false},
      {"2023年第3季度", "2023-Q3", false, false},
      {"2023年9月", "2023-M09", false, false},
      {"2019年12月", "2019-M12", false, false},
      {"2023年09月", "2023-M09", false, false},
      {"2023年1-2月", "2023-M02", true, true},
      {"2023年1－2月", "2023-M02", true, true},
      {"2023年1—2月", "2023-M02", true, true},
      {"2023年1-9月", "2023-M09", true, false},
      {" 2023年 ", "2023", false, false},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ChinesePeriod> parsed = ParseChinesePeriod(c.label);
    ASSERT_TRUE(parsed.ok()) << c.label << ": " << parsed.status();
    EXPECT_EQ(parsed->period.ToSdmx(), c.sdmx) << c.label;
    EXPECT_EQ(parsed->cumulative_range, c.cumulative_range) << c.label;
    EXPECT_EQ(parsed->january_february, c.january_february) << c.label;
  }
}

TEST(PeriodParseChinese, RejectsBadLabels) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  for (const char* label : {"2023", "2023年第五季度", "2023年13月", "2023年0月", "23年9月",
                            "2023年3-9月", "2023年上旬", "最近20年", "地区", "2018.10-12"}) {
    EXPECT_FALSE(ParseChinesePeriod(label).ok()) << label;
  }
  absl::StatusOr<ChinesePeriod> range = ParseChinesePeriod("2023年3-9月");
  EXPECT_NE(range.status().message().find("start in January"), std::string::npos) << range.status();
}

}  // namespace
}  // namespace yreb::period
