// Emergency lead assignments (root statement kind 2): the root names the lead
// of the next epoch and the fence after which the lost lead's coordinator
// entries are void. The body is proto::LeadAssignment, serialized once by the
// root holder; nodes read it from the exact bytes. A member's vote (entry
// kind 7) carries the same message.
#ifndef YREB_FEDERATION_LEAD_ASSIGNMENT_H_
#define YREB_FEDERATION_LEAD_ASSIGNMENT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "proto/lead.pb.h"

namespace yreb::federation {

// Checks the rules every assignment obeys: epoch >= 2 (epoch 1 is the
// manifest's), `to` and `fenced_lead` are six-digit province codes (NN0000)
// and differ, and manifest_version >= 1. Fails with InvalidArgument naming
// the field.
absl::Status ValidateLeadAssignment(const proto::LeadAssignment& assignment);

// Parses and validates an assignment body, of a statement or of a vote.
absl::StatusOr<proto::LeadAssignment> ParseLeadAssignmentBody(std::string_view body);

// Returns the assignment's bytes as signed or appended: deterministic
// protobuf serialization.
std::string SerializeLeadAssignment(const proto::LeadAssignment& assignment);

// Returns the root statement carrying `assignment` as `version`.
// REQUIRES: ValidateLeadAssignment(assignment) is ok and version >= 1.
std::string SignLeadAssignment(const crypto::PrivateKey& root_key, uint64_t version,
                               const proto::LeadAssignment& assignment);

}  // namespace yreb::federation

#endif  // YREB_FEDERATION_LEAD_ASSIGNMENT_H_
