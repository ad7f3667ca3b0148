// The data of the status page (/api/status): members and links, lead and
// epoch, the reporting quarter's completeness matrix with its deadline,
// alarms and chart series, computed in-process from the node's status and
// its cell index.
#ifndef YREB_NODE_STATUS_VIEW_H_
#define YREB_NODE_STATUS_VIEW_H_

#include <chrono>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "catalog/catalog.h"
#include "common/period.h"
#include "coordinator/deadline.h"
#include "federation/manifest.h"
#include "node/records.h"
#include "proto/admin.pb.h"
#include "proto/coordinator.pb.h"

namespace yreb::node {

// The deadlines of the shared sets (coordinator/deadline.h), which the
// status page shows for the reporting quarter.
using coordinator::QuarterDeadline;
using coordinator::ReportingQuarter;

// Returns the exact sum of decimal texts (see common/decimal.h), e.g.
// {"1.5", "2.25"} -> "3.75". Fails with OutOfRange beyond 30 significant
// digits and InvalidArgument on an invalid text.
absl::StatusOr<std::string> SumDecimals(const std::vector<std::string>& values);

struct StatusViewInput {
  const proto::StatusReply* status = nullptr;
  const Records* records = nullptr;
  const storage::Store* store = nullptr;  // for the completeness matrix
  const catalog::Catalog* catalog = nullptr;
  std::shared_ptr<const federation::ManifestVersion> manifest;  // null without one
  std::chrono::system_clock::time_point now;
  // The quarter to show; the reporting quarter at `now` when empty.
  std::optional<period::Period> quarter;
  // The newest release this node verified of each sealed period; the charts
  // draw only these.
  std::vector<proto::Release> sealed;
};

// Builds the JSON document of /api/status in the thread's language. Fails
// only when the cell index cannot be read.
absl::StatusOr<nlohmann::json> BuildStatusView(const StatusViewInput& input);

}  // namespace yreb::node

#endif  // YREB_NODE_STATUS_VIEW_H_
