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
#include "federation/manifest.h"
#include "node/records.h"
#include "proto/admin.pb.h"

namespace yreb::node {

// Returns the instant a quarter's shared set is due: 23:59:59 China Standard
// Time (UTC+8, no daylight saving since 1991) on day `deadline_days` of the
// month after the quarter. REQUIRES: `quarter` is quarterly.
std::chrono::system_clock::time_point QuarterDeadline(const period::Period& quarter,
                                                      int deadline_days);

// Returns the quarter being collected at `now`: the previous calendar quarter
// until its deadline has passed, then the current one. On 20 April 2025 at
// 23:00 CST that is 2025-Q1; a minute after midnight on 21 April, 2025-Q2.
period::Period ReportingQuarter(std::chrono::system_clock::time_point now, int deadline_days);

// Returns the exact sum of decimal texts (see common/decimal.h), e.g.
// {"1.5", "2.25"} -> "3.75". Fails with OutOfRange beyond 30 significant
// digits and InvalidArgument on an invalid text.
absl::StatusOr<std::string> SumDecimals(const std::vector<std::string>& values);

struct StatusViewInput {
  const proto::StatusReply* status = nullptr;
  const Records* records = nullptr;
  const catalog::Catalog* catalog = nullptr;
  std::shared_ptr<const federation::ManifestVersion> manifest;  // null without one
  std::chrono::system_clock::time_point now;
  // The quarter to show; the reporting quarter at `now` when empty.
  std::optional<period::Period> quarter;
};

// Builds the JSON document of /api/status in the thread's language. Fails
// only when the cell index cannot be read.
absl::StatusOr<nlohmann::json> BuildStatusView(const StatusViewInput& input);

}  // namespace yreb::node

#endif  // YREB_NODE_STATUS_VIEW_H_
