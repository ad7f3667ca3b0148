// Exact decimal arithmetic for belt aggregates.
//
// A number is an integer count of units of 10^-scale, held in 128 bits
// (about 38 significant digits). Sums are exact; a quotient (a share, a
// weighted mean) is rounded once, half to even, to the scale the caller
// names. Every operation fails with OutOfRange instead of overflowing.
#ifndef YREB_COORDINATOR_EXACT_H_
#define YREB_COORDINATOR_EXACT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace yreb::coordinator {

struct Exact {
  __int128 units = 0;
  int scale = 0;  // digits after the point
};

// Parses decimal text (see common/decimal.h). Fails with InvalidArgument on
// invalid text and OutOfRange beyond 36 digits.
absl::StatusOr<Exact> ParseExact(std::string_view text);

// Returns the canonical decimal text ("3.750" at scale 3 -> "3.75").
std::string ExactText(const Exact& number);

// Returns the text with exactly `number.scale` digits after the point, as
// a rounded quotient is published ("12.50").
std::string ExactFixedText(const Exact& number);

absl::StatusOr<Exact> Add(const Exact& a, const Exact& b);
absl::StatusOr<Exact> Multiply(const Exact& a, const Exact& b);

// Returns numerator / denominator rounded half to even to `scale` digits.
// Fails with InvalidArgument when the denominator is zero.
absl::StatusOr<Exact> Divide(const Exact& numerator, const Exact& denominator, int scale);

// Returns `number` at `scale` digits, rounded half to even when it shrinks.
absl::StatusOr<Exact> Rescale(const Exact& number, int scale);

int CompareExact(const Exact& a, const Exact& b);

}  // namespace yreb::coordinator

#endif  // YREB_COORDINATOR_EXACT_H_
