#include "federation/lead_assignment.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "federation/statement.h"
#include "i18n/i18n.h"

namespace yreb::federation {
namespace {

using i18n::Tr;

bool IsProvinceCode(uint32_t id) { return id >= 110000 && id <= 829999 && id % 10000 == 0; }

}  // namespace

absl::Status ValidateLeadAssignment(const proto::LeadAssignment& assignment) {
  if (assignment.epoch() < 2) {
    return absl::InvalidArgumentError(
        Tr("lead assignment: epoch {} is invalid; epoch 1 comes from the manifest, so an "
           "assignment names epoch 2 or later",
           assignment.epoch()));
  }
  if (!IsProvinceCode(assignment.to())) {
    return absl::InvalidArgumentError(
        Tr("lead assignment: to {} is not a province code such as 510000", assignment.to()));
  }
  if (!IsProvinceCode(assignment.fenced_lead())) {
    return absl::InvalidArgumentError(
        Tr("lead assignment: fenced_lead {} is not a province code such as 310000",
           assignment.fenced_lead()));
  }
  if (assignment.to() == assignment.fenced_lead()) {
    return absl::InvalidArgumentError(
        Tr("lead assignment: to and fenced_lead are both {}; name another member as the new "
           "lead",
           assignment.to()));
  }
  if (assignment.manifest_version() == 0) {
    return absl::InvalidArgumentError(Tr("lead assignment: manifest_version must be 1 or more"));
  }
  return absl::OkStatus();
}

absl::StatusOr<proto::LeadAssignment> ParseLeadAssignmentBody(std::string_view body) {
  proto::LeadAssignment assignment;
  if (!assignment.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError(
        Tr("lead assignment body is not a valid LeadAssignment message"));
  }
  if (absl::Status status = ValidateLeadAssignment(assignment); !status.ok()) return status;
  return assignment;
}

std::string SerializeLeadAssignment(const proto::LeadAssignment& assignment) {
  std::string body;
  google::protobuf::io::StringOutputStream stream(&body);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    assignment.SerializeToCodedStream(&coded);
  }
  return body;
}

std::string SignLeadAssignment(const crypto::PrivateKey& root_key, uint64_t version,
                               const proto::LeadAssignment& assignment) {
  return SignStatement(root_key, StatementKind::kLeadAssignment, version,
                       SerializeLeadAssignment(assignment));
}

}  // namespace yreb::federation
