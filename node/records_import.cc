#include "node/records.h"

namespace yreb::node {

absl::StatusOr<proto::ImportReply> Records::Import(const proto::ImportRequest&) {
  return absl::UnimplementedError("import lands with the importers module");
}

absl::StatusOr<proto::ExportReply> Records::Export(const proto::ExportRequest&) const {
  return absl::UnimplementedError("export lands with the importers module");
}

}  // namespace yreb::node
