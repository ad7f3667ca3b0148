#include "common/period.h"

#include <array>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "i18n/i18n.h"

namespace yreb::period {
namespace {

constexpr int kMinYear = 1000;
constexpr int kMaxYear = 9999;

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Parses one to four ASCII digits, with no sign.
bool ParseSmallNumber(std::string_view text, int* value) {
  if (!AllDigits(text) || text.size() > 4) return false;
  int parsed = 0;
  for (char c : text) parsed = parsed * 10 + (c - '0');
  *value = parsed;
  return true;
}

// absl::string_view is not std::string_view in Debian's Abseil build, so the
// ASCII trimming is written out here.
std::string_view StripAsciiWhitespace(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

absl::Status InvalidSdmx(std::string_view text) {
  return absl::InvalidArgumentError(i18n::Tr(
      "invalid period \"{}\": expected 2024, 2024-Q3, 2024-M09 or 2024-09", std::string(text)));
}

absl::Status InvalidChinese(std::string_view label) {
  return absl::InvalidArgumentError(
      i18n::Tr("invalid period \"{}\": expected a label such as 2023年, 2023年第三季度, "
               "2023年9月 or 2023年1-9月",
               std::string(label)));
}

absl::StatusOr<int> ParseYear(std::string_view text, std::string_view whole) {
  int year = 0;
  if (text.size() != 4 || !ParseSmallNumber(text, &year)) return InvalidSdmx(whole);
  if (year < kMinYear || year > kMaxYear) return InvalidSdmx(whole);
  return year;
}

// Removes ASCII white space and the ideographic space U+3000 from both ends.
std::string_view TrimLabel(std::string_view text) {
  static constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";
  bool changed = true;
  while (changed) {
    changed = false;
    std::string_view stripped = StripAsciiWhitespace(text);
    if (stripped.size() != text.size()) changed = true;
    text = stripped;
    if (text.starts_with(kIdeographicSpace)) {
      text.remove_prefix(kIdeographicSpace.size());
      changed = true;
    }
    if (text.ends_with(kIdeographicSpace)) {
      text.remove_suffix(kIdeographicSpace.size());
      changed = true;
    }
  }
  return text;
}

bool ConsumeSuffix(std::string_view* text, std::string_view suffix) {
  if (!text->ends_with(suffix)) return false;
  text->remove_suffix(suffix.size());
  return true;
}

// Parses a quarter number written as a digit or as 一, 二, 三, 四.
bool ParseQuarterNumber(std::string_view text, int* quarter) {
  static constexpr std::array<std::string_view, 4> kChineseDigits = {"一", "二", "三", "四"};
  for (size_t i = 0; i < kChineseDigits.size(); ++i) {
    if (text == kChineseDigits[i]) {
      *quarter = static_cast<int>(i) + 1;
      return true;
    }
  }
  return text.size() == 1 && ParseSmallNumber(text, quarter);
}

// Splits "1-9" at any of the dashes bureaus type between two months.
bool SplitMonthRange(std::string_view text, std::string_view* first, std::string_view* last) {
  static constexpr std::array<std::string_view, 7> kDashes = {
      "-", "\xEF\xBC\x8D" /* － */, "\xE2\x80\x94" /* — */, "\xE2\x80\x93" /* – */,
      "~", "\xEF\xBD\x9E" /* ～ */, "\xE8\x87\xB3" /* 至 */};
  for (std::string_view dash : kDashes) {
    size_t at = text.find(dash);
    if (at == std::string_view::npos) continue;
    *first = TrimLabel(text.substr(0, at));
    *last = TrimLabel(text.substr(at + dash.size()));
    return true;
  }
  return false;
}

}  // namespace

std::string Period::ToSdmx() const {
  switch (frequency) {
    case kAnnual:
      return absl::StrCat(year);
    case kQuarterly:
      return absl::StrFormat("%04d-Q%d", year, index);
    case kMonthly:
      return absl::StrFormat("%04d-M%02d", year, index);
  }
  return absl::StrCat(year);
}

int Period::StartMonth() const {
  switch (frequency) {
    case kAnnual:
      return 1;
    case kQuarterly:
      return (index - 1) * 3 + 1;
    case kMonthly:
      return index;
  }
  return 1;
}

std::strong_ordering operator<=>(const Period& a, const Period& b) {
  return std::make_tuple(a.year, a.StartMonth(), static_cast<int>(a.frequency)) <=>
         std::make_tuple(b.year, b.StartMonth(), static_cast<int>(b.frequency));
}

absl::StatusOr<Period> ParseSdmx(std::string_view text) {
  Period period;
  if (text.size() == 4) {
    absl::StatusOr<int> year = ParseYear(text, text);
    if (!year.ok()) return year.status();
    period.year = *year;
    return period;
  }
  if (text.size() < 7 || text[4] != '-') return InvalidSdmx(text);

  absl::StatusOr<int> year = ParseYear(text.substr(0, 4), text);
  if (!year.ok()) return year.status();
  period.year = *year;
  std::string_view rest = text.substr(5);

  if (rest.size() == 2 && rest[0] == 'Q') {
    if (!ParseSmallNumber(rest.substr(1), &period.index) || period.index < 1 || period.index > 4) {
      return absl::InvalidArgumentError(
          i18n::Tr("invalid period \"{}\": a quarter must be 1 to 4", std::string(text)));
    }
    period.frequency = Period::kQuarterly;
    return period;
  }

  // "2024-M09" and the ISO-style "2024-09" both mean September.
  std::string_view month = rest;
  if (rest.size() == 3 && rest[0] == 'M') month = rest.substr(1);
  if (month.size() != 2 || !ParseSmallNumber(month, &period.index)) return InvalidSdmx(text);
  if (period.index < 1 || period.index > 12) {
    return absl::InvalidArgumentError(
        i18n::Tr("invalid period \"{}\": a month must be 01 to 12", std::string(text)));
  }
  period.frequency = Period::kMonthly;
  return period;
}

absl::StatusOr<ChinesePeriod> ParseChinesePeriod(std::string_view label) {
  static constexpr std::string_view kYear = "年";
  std::string_view text = TrimLabel(label);
  size_t year_end = text.find(kYear);
  if (year_end == std::string_view::npos) return InvalidChinese(label);

  ChinesePeriod result;
  int year = 0;
  std::string_view year_text = TrimLabel(text.substr(0, year_end));
  if (year_text.size() != 4 || !ParseSmallNumber(year_text, &year) || year < kMinYear) {
    return InvalidChinese(label);
  }
  result.period.year = year;
  std::string_view rest = TrimLabel(text.substr(year_end + kYear.size()));
  if (rest.empty()) return result;

  if (ConsumeSuffix(&rest, "季度")) {
    rest = TrimLabel(rest);
    if (rest.starts_with("第")) rest = TrimLabel(rest.substr(std::string_view("第").size()));
    int quarter = 0;
    if (!ParseQuarterNumber(rest, &quarter) || quarter < 1 || quarter > 4) {
      return absl::InvalidArgumentError(
          i18n::Tr("invalid period \"{}\": a quarter must be 1 to 4", std::string(label)));
    }
    result.period.frequency = Period::kQuarterly;
    result.period.index = quarter;
    return result;
  }

  if (!ConsumeSuffix(&rest, "月")) return InvalidChinese(label);
  rest = TrimLabel(rest);
  std::string_view first_text, last_text;
  int first = 0;
  int last = 0;
  if (SplitMonthRange(rest, &first_text, &last_text)) {
    if (!ParseSmallNumber(first_text, &first) || !ParseSmallNumber(last_text, &last)) {
      return InvalidChinese(label);
    }
    if (first != 1) {
      return absl::InvalidArgumentError(
          i18n::Tr("invalid period \"{}\": a month range must start in January, as year-to-date "
                   "values do",
                   std::string(label)));
    }
    result.cumulative_range = true;
    result.january_february = last == 2;
  } else if (!ParseSmallNumber(rest, &last)) {
    return InvalidChinese(label);
  }
  if (last < 1 || last > 12) {
    return absl::InvalidArgumentError(
        i18n::Tr("invalid period \"{}\": a month must be 01 to 12", std::string(label)));
  }
  result.period.frequency = Period::kMonthly;
  result.period.index = last;
  return result;
}

}  // namespace yreb::period
