#include "common/decimal.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "i18n/i18n.h"

namespace yreb::decimal {
namespace {

TEST(DecimalValidate, AcceptsPlainDecimals) {
  for (const char* text : {"0", "7", "-3", "130924.3", "130924.30", "-0.5", "007", "0.000"}) {
    EXPECT_TRUE(Validate(text).ok()) << text;
  }
}

TEST(DecimalValidate, AcceptsExactlyTheGrammar) {
  // Every text of up to five of these characters: accepted exactly when it
  // is an optional '-', digits, and optionally '.' and digits.
  const std::regex grammar("-?[0-9]+(\\.[0-9]+)?");
  const std::string alphabet = "-.05e+, ";
  std::vector<std::string> texts = {""};
  for (size_t begin = 0, length = 0; length < 5; ++length) {
    size_t end = texts.size();
    for (size_t i = begin; i < end; ++i) {
      for (char c : alphabet) texts.push_back(texts[i] + c);
    }
    begin = end;
  }
  ASSERT_EQ(texts.size(), 37449u);
  for (const std::string& text : texts) {
    ASSERT_EQ(Validate(text).ok(), std::regex_match(text, grammar)) << "\"" << text << "\"";
  }
}

TEST(DecimalValidate, RejectsWithSpecificReason) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"", "empty"},
      {"+5", "'+'"},
      {"1e5", "exponent"},
      {"1.5E3", "exponent"},
      {"1,234.5", "thousands separators"},
      {"12 345", "spaces"},
      {" 12", "spaces"},
      {"NaN", "not a number"},
      {"inf", "not a number"},
      {"...", "before the '.'"},
      {".5", "before the '.'"},
      {"5.", "after the '.'"},
      {"—", "not a number"},
      {"12a", "not a number"},
      {"--1", "not a number"},
  };
  for (const Case& c : cases) {
    absl::Status status = Validate(c.text);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(status.message().find(c.reason), std::string::npos)
        << "value \"" << c.text << "\" gave: " << status.message();
  }
}

TEST(DecimalValidate, MessageInChinese) {
  i18n::ScopedLang chinese(i18n::Lang::kChinese);
  absl::Status status = Validate("1e5");
  EXPECT_NE(status.message().find("科学计数法"), std::string::npos) << status.message();
}

TEST(DecimalNormalize, StripsZeros) {
  EXPECT_EQ(Normalize("130924.30"), "130924.3");
  EXPECT_EQ(Normalize("007"), "7");
  EXPECT_EQ(Normalize("-0"), "0");
  EXPECT_EQ(Normalize("-0.000"), "0");
  EXPECT_EQ(Normalize("0.50"), "0.5");
  EXPECT_EQ(Normalize("10.0"), "10");
  EXPECT_EQ(Normalize("-012.340"), "-12.34");
  EXPECT_EQ(Normalize("100"), "100");
}

TEST(DecimalEqual, ComparesNumerically) {
  EXPECT_TRUE(Equal("130924.30", "130924.3"));
  EXPECT_TRUE(Equal("-0", "0"));
  EXPECT_TRUE(Equal("007", "7"));
  EXPECT_TRUE(Equal("989454.0", "989454"));
  EXPECT_FALSE(Equal("130924.3", "130924.31"));
  EXPECT_FALSE(Equal("1", "-1"));
  EXPECT_FALSE(Equal("10", "1"));
}

TEST(DecimalEqual, InvalidTextIsNeverEqual) {
  EXPECT_FALSE(Equal("NaN", "NaN"));
  EXPECT_FALSE(Equal("", ""));
  EXPECT_FALSE(Equal("1e2", "100"));
}

TEST(DecimalCompare, OrdersExactly) {
  EXPECT_LT(Compare("9.99", "10"), 0);
  EXPECT_GT(Compare("10", "9.99"), 0);
  EXPECT_EQ(Compare("1.50", "1.5"), 0);
  EXPECT_LT(Compare("-2", "-1.5"), 0);
  EXPECT_LT(Compare("-0.1", "0"), 0);
  EXPECT_EQ(Compare("-0", "0.0"), 0);
  EXPECT_GT(Compare("0.10000000000000000001", "0.1"), 0);
}

}  // namespace
}  // namespace yreb::decimal
