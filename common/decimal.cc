#include "common/decimal.h"

#include <algorithm>
#include <string>

#include "i18n/i18n.h"

namespace yreb::decimal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::Status Invalid(std::string_view text, std::string_view reason) {
  return absl::InvalidArgumentError(
      i18n::Tr("invalid number \"{}\": {}", std::string(text), std::string(reason)));
}

// Splits a valid text into sign, integer digits and fraction digits.
struct Parts {
  bool negative = false;
  std::string_view integer;
  std::string_view fraction;
};

Parts Split(std::string_view text) {
  Parts parts;
  if (!text.empty() && text.front() == '-') {
    parts.negative = true;
    text.remove_prefix(1);
  }
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) {
    parts.integer = text;
  } else {
    parts.integer = text.substr(0, dot);
    parts.fraction = text.substr(dot + 1);
  }
  while (parts.integer.size() > 1 && parts.integer.front() == '0') parts.integer.remove_prefix(1);
  while (!parts.fraction.empty() && parts.fraction.back() == '0') parts.fraction.remove_suffix(1);
  if (parts.integer == "0" && parts.fraction.empty()) parts.negative = false;
  return parts;
}

// Compares magnitudes of two split values.
int CompareMagnitude(const Parts& a, const Parts& b) {
  if (a.integer.size() != b.integer.size()) return a.integer.size() < b.integer.size() ? -1 : 1;
  if (int c = a.integer.compare(b.integer); c != 0) return c < 0 ? -1 : 1;
  size_t n = std::max(a.fraction.size(), b.fraction.size());
  for (size_t i = 0; i < n; ++i) {
    char da = i < a.fraction.size() ? a.fraction[i] : '0';
    char db = i < b.fraction.size() ? b.fraction[i] : '0';
    if (da != db) return da < db ? -1 : 1;
  }
  return 0;
}

// Returns true for the texts Validate accepts: an optional '-', digits, and
// optionally a '.' followed by digits.
bool IsPlain(std::string_view text) {
  size_t at = !text.empty() && text.front() == '-' ? 1 : 0;
  size_t digits_from = at;
  while (at < text.size() && IsDigit(text[at])) ++at;
  if (at == digits_from) return false;
  if (at == text.size()) return true;
  if (text[at] != '.') return false;
  digits_from = ++at;
  while (at < text.size() && IsDigit(text[at])) ++at;
  return at > digits_from && at == text.size();
}

}  // namespace

// Nearly every value of a file is plain and passes the first test. The
// checks after it only choose the message: those that name a common mistake
// (a '+', an exponent, a separator) run before the generic "not a number",
// so the message points at the fix.
absl::Status Validate(std::string_view text) {
  if (IsPlain(text)) return absl::OkStatus();
  if (text.empty()) return Invalid(text, i18n::Tr("the value is empty"));

  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "nan" || lower == "-nan" || lower == "inf" || lower == "-inf" ||
      lower == "infinity" || lower == "-infinity") {
    return Invalid(text, i18n::Tr("not a number"));
  }
  if (text.front() == '+') {
    return Invalid(text, i18n::Tr("a leading '+' is not allowed; write the number without it"));
  }
  if (text.find_first_of(" \t\r\n") != std::string_view::npos) {
    return Invalid(text, i18n::Tr("spaces are not allowed"));
  }
  if (text.find(',') != std::string_view::npos) {
    return Invalid(text, i18n::Tr("thousands separators are not allowed; write 1234567.8"));
  }

  std::string_view rest = text;
  if (rest.front() == '-') rest.remove_prefix(1);
  size_t integer_digits = 0;
  while (integer_digits < rest.size() && IsDigit(rest[integer_digits])) ++integer_digits;
  if (integer_digits == 0) {
    if (!rest.empty() && rest.front() == '.') {
      return Invalid(text, i18n::Tr("a digit is required before the '.'"));
    }
    return Invalid(text, i18n::Tr("not a number"));
  }
  rest.remove_prefix(integer_digits);
  if (rest.empty()) return absl::OkStatus();

  if (rest.front() == 'e' || rest.front() == 'E') {
    return Invalid(text, i18n::Tr("exponent notation is not allowed; write the digits out"));
  }
  if (rest.front() != '.') return Invalid(text, i18n::Tr("not a number"));
  rest.remove_prefix(1);
  size_t fraction_digits = 0;
  while (fraction_digits < rest.size() && IsDigit(rest[fraction_digits])) ++fraction_digits;
  if (fraction_digits == 0 && rest.empty()) {
    return Invalid(text, i18n::Tr("a digit is required after the '.'"));
  }
  rest.remove_prefix(fraction_digits);
  if (rest.empty()) return absl::OkStatus();
  if (rest.front() == 'e' || rest.front() == 'E') {
    return Invalid(text, i18n::Tr("exponent notation is not allowed; write the digits out"));
  }
  return Invalid(text, i18n::Tr("not a number"));
}

std::string Normalize(std::string_view text) {
  if (!Validate(text).ok()) return std::string(text);
  Parts parts = Split(text);
  std::string out;
  if (parts.negative) out.push_back('-');
  out.append(parts.integer);
  if (!parts.fraction.empty()) {
    out.push_back('.');
    out.append(parts.fraction);
  }
  return out;
}

bool Equal(std::string_view a, std::string_view b) {
  if (!Validate(a).ok() || !Validate(b).ok()) return false;
  return Normalize(a) == Normalize(b);
}

int Compare(std::string_view a, std::string_view b) {
  Parts pa = Split(a);
  Parts pb = Split(b);
  if (pa.negative != pb.negative) return pa.negative ? -1 : 1;
  int magnitude = CompareMagnitude(pa, pb);
  return pa.negative ? -magnitude : magnitude;
}

}  // namespace yreb::decimal
