#include "coordinator/exact.h"

#include <algorithm>

#include "common/decimal.h"
#include "i18n/i18n.h"

namespace yreb::coordinator {
namespace {

using i18n::Tr;

constexpr size_t kMaxDigits = 36;

absl::Status Overflow() {
  return absl::OutOfRangeError(Tr("an aggregate exceeds 38 significant digits"));
}

// Multiplies `value` by 10^power, failing on overflow.
absl::StatusOr<__int128> ScaleUp(__int128 value, int power) {
  for (int i = 0; i < power; ++i) {
    if (__builtin_mul_overflow(value, 10, &value)) return Overflow();
  }
  return value;
}

// Returns numerator / denominator rounded half to even.
__int128 RoundedQuotient(__int128 numerator, __int128 denominator) {
  if (denominator < 0) {
    numerator = -numerator;
    denominator = -denominator;
  }
  __int128 quotient = numerator / denominator;
  __int128 remainder = numerator % denominator;
  if (remainder == 0) return quotient;
  __int128 twice = remainder < 0 ? -remainder * 2 : remainder * 2;
  bool away = twice > denominator || (twice == denominator && quotient % 2 != 0);
  if (away) quotient += numerator < 0 ? -1 : 1;
  return quotient;
}

}  // namespace

absl::StatusOr<Exact> ParseExact(std::string_view text) {
  if (absl::Status valid = decimal::Validate(text); !valid.ok()) return valid;
  Exact number;
  bool negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  size_t digits = 0;
  bool after_point = false;
  for (char c : text) {
    if (c == '.') {
      after_point = true;
      continue;
    }
    if (++digits > kMaxDigits) {
      return absl::OutOfRangeError(Tr("value {} has more than {} digits", text, kMaxDigits));
    }
    number.units = number.units * 10 + (c - '0');
    if (after_point) ++number.scale;
  }
  if (negative) number.units = -number.units;
  return number;
}

std::string ExactFixedText(const Exact& number) {
  __int128 value = number.units;
  bool negative = value < 0;
  if (negative) value = -value;
  std::string text;
  do {
    text.insert(text.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  } while (value > 0);
  size_t scale = static_cast<size_t>(number.scale);
  if (text.size() <= scale) text.insert(0, scale + 1 - text.size(), '0');
  if (scale > 0) text.insert(text.size() - scale, ".");
  if (negative) text.insert(0, "-");
  return text;
}

std::string ExactText(const Exact& number) { return decimal::Normalize(ExactFixedText(number)); }

absl::StatusOr<Exact> Rescale(const Exact& number, int scale) {
  if (scale >= number.scale) {
    absl::StatusOr<__int128> units = ScaleUp(number.units, scale - number.scale);
    if (!units.ok()) return units.status();
    return Exact{*units, scale};
  }
  absl::StatusOr<__int128> divisor = ScaleUp(1, number.scale - scale);
  if (!divisor.ok()) return divisor.status();
  return Exact{RoundedQuotient(number.units, *divisor), scale};
}

absl::StatusOr<Exact> Add(const Exact& a, const Exact& b) {
  int scale = std::max(a.scale, b.scale);
  absl::StatusOr<Exact> left = Rescale(a, scale);
  absl::StatusOr<Exact> right = Rescale(b, scale);
  if (!left.ok()) return left.status();
  if (!right.ok()) return right.status();
  Exact sum{0, scale};
  if (__builtin_add_overflow(left->units, right->units, &sum.units)) return Overflow();
  return sum;
}

absl::StatusOr<Exact> Multiply(const Exact& a, const Exact& b) {
  Exact product{0, a.scale + b.scale};
  if (__builtin_mul_overflow(a.units, b.units, &product.units)) return Overflow();
  return product;
}

absl::StatusOr<Exact> Divide(const Exact& numerator, const Exact& denominator, int scale) {
  if (denominator.units == 0) {
    return absl::InvalidArgumentError(Tr("division by zero in an aggregate"));
  }
  // units(n) / 10^sn  /  (units(d) / 10^sd)  =  q / 10^scale
  //   => q = units(n) * 10^(scale + sd - sn) / units(d)
  int power = scale + denominator.scale - numerator.scale;
  __int128 top = numerator.units;
  __int128 bottom = denominator.units;
  if (power >= 0) {
    absl::StatusOr<__int128> scaled = ScaleUp(top, power);
    if (!scaled.ok()) return scaled.status();
    top = *scaled;
  } else {
    absl::StatusOr<__int128> scaled = ScaleUp(bottom, -power);
    if (!scaled.ok()) return scaled.status();
    bottom = *scaled;
  }
  return Exact{RoundedQuotient(top, bottom), scale};
}

int CompareExact(const Exact& a, const Exact& b) {
  int scale = std::max(a.scale, b.scale);
  absl::StatusOr<Exact> left = Rescale(a, scale);
  absl::StatusOr<Exact> right = Rescale(b, scale);
  if (!left.ok() || !right.ok()) return decimal::Compare(ExactText(a), ExactText(b));
  return left->units < right->units ? -1 : (left->units > right->units ? 1 : 0);
}

}  // namespace yreb::coordinator
