#include "federation/fork_resolution.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "federation/statement.h"
#include "i18n/i18n.h"

namespace yreb::federation {

using i18n::Tr;

absl::Status ValidateForkResolution(const proto::ForkResolution& resolution) {
  uint32_t origin = resolution.origin();
  if (origin < 110000 || origin > 829999 || origin % 10000 != 0) {
    return absl::InvalidArgumentError(
        Tr("fork resolution: origin {} is not a province code such as 340000", origin));
  }
  if (resolution.fork_sequence() == 0) {
    return absl::InvalidArgumentError(Tr("fork resolution: fork_sequence must be 1 or more"));
  }
  if (resolution.keep_sequence() < resolution.fork_sequence()) {
    return absl::InvalidArgumentError(
        Tr("fork resolution: keep_sequence {} is below fork_sequence {}; name a head of the "
           "kept chain at or after the fork",
           resolution.keep_sequence(), resolution.fork_sequence()));
  }
  if (resolution.keep_hash().size() != crypto::kHashSize) {
    return absl::InvalidArgumentError(
        Tr("fork resolution: keep_hash has {} bytes, expected {}", resolution.keep_hash().size(),
           crypto::kHashSize));
  }
  return absl::OkStatus();
}

absl::StatusOr<proto::ForkResolution> ParseForkResolutionBody(std::string_view body) {
  proto::ForkResolution resolution;
  if (!resolution.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError(
        Tr("fork resolution body is not a valid ForkResolution message"));
  }
  if (absl::Status status = ValidateForkResolution(resolution); !status.ok()) return status;
  return resolution;
}

std::string SignForkResolution(const crypto::PrivateKey& root_key, uint64_t version,
                               const proto::ForkResolution& resolution) {
  std::string body;
  google::protobuf::io::StringOutputStream stream(&body);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    resolution.SerializeToCodedStream(&coded);
  }
  return SignStatement(root_key, StatementKind::kForkResolution, version, body);
}

}  // namespace yreb::federation
