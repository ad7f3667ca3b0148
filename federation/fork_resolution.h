// Fork-resolution statements (kind 3): the root names which of two validly
// signed chains of one origin stays. The body is proto::ForkResolution,
// serialized once by the root holder; nodes read it from the exact bytes.
#ifndef YREB_FEDERATION_FORK_RESOLUTION_H_
#define YREB_FEDERATION_FORK_RESOLUTION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "proto/federation.pb.h"

namespace yreb::federation {

// Checks the rules every resolution obeys: the origin is a six-digit
// province code (NN0000), fork_sequence >= 1, keep_sequence >= fork_sequence
// and keep_hash has 32 bytes. Fails with InvalidArgument naming the field.
absl::Status ValidateForkResolution(const proto::ForkResolution& resolution);

// Parses and validates a fork-resolution statement body.
absl::StatusOr<proto::ForkResolution> ParseForkResolutionBody(std::string_view body);

// Returns the root statement carrying `resolution` as `version`.
// REQUIRES: ValidateForkResolution(resolution) is ok and version >= 1.
std::string SignForkResolution(const crypto::PrivateKey& root_key, uint64_t version,
                               const proto::ForkResolution& resolution);

}  // namespace yreb::federation

#endif  // YREB_FEDERATION_FORK_RESOLUTION_H_
