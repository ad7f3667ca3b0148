// Decimal numbers kept as the text a bureau reported.
//
// Values travel and are stored as decimal text ("130924.3"), never as a
// binary float, so that every node hashes and compares exactly what was
// published. A valid text is an optional '-', one or more ASCII digits, and
// optionally a '.' followed by one or more digits. Nothing else is accepted:
// no '+', no exponent, no thousands separator, no spaces, no NaN.
#ifndef YREB_COMMON_DECIMAL_H_
#define YREB_COMMON_DECIMAL_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace yreb::decimal {

// Returns OK when `text` is a valid decimal text. Otherwise returns
// InvalidArgument with a message, in the thread's language, that names what
// is wrong with it (empty, a '+' sign, an exponent, a thousands separator, a
// space, not a number, a misplaced '.').
absl::Status Validate(std::string_view text);

// Returns the canonical form of a valid text: no leading zeros in the integer
// part (but at least one digit), no trailing zeros in the fraction, no '.'
// without a fraction, and no sign on zero. "007.50" -> "7.5", "-0.0" -> "0".
// REQUIRES: Validate(text).ok(). An invalid text is returned unchanged.
std::string Normalize(std::string_view text);

// Returns true when `a` and `b` are valid texts of the same number
// ("130924.30" and "130924.3"). Returns false when either text is invalid.
bool Equal(std::string_view a, std::string_view b);

// Returns a negative number, zero or a positive number as `a` is less than,
// equal to or greater than `b`, compared as exact decimals.
// REQUIRES: both texts are valid.
int Compare(std::string_view a, std::string_view b);

}  // namespace yreb::decimal

#endif  // YREB_COMMON_DECIMAL_H_
