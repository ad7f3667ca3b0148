// Prometheus metrics of a node on an HTTP scrape endpoint ([metrics] listen,
// path /metrics).
//
// Every value is computed from the node's status at scrape time, so a gauge
// never drifts from what `yrebctl status` shows. The *_total series are the
// running counts of the peer sessions and the sync service since the node
// started; they restart at 0 with the node, which Prometheus's rate() and
// increase() handle as a counter reset.
#ifndef YREB_NODE_METRICS_H_
#define YREB_NODE_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

#include "absl/status/statusor.h"
#include "proto/admin.pb.h"

namespace yreb::node {

// Returns the node's current status, or an error when the store cannot be
// read. Called on a scrape thread.
using StatusSource = std::function<absl::StatusOr<proto::StatusReply>()>;

// Converts a status into metric families (the yreb_* series documented in
// the operator manual). A pure function, so tests can check it directly.
std::vector<prometheus::MetricFamily> StatusToMetrics(const proto::StatusReply& status);

class MetricsServer {
 public:
  // Binds `listen` (host:port) and serves /metrics from `source`. Fails with
  // Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& listen,
                                                              StatusSource source);
  ~MetricsServer();

  // The bound port, useful when `listen` asked for port 0.
  int port() const { return port_; }

 private:
  MetricsServer() = default;

  std::shared_ptr<prometheus::Collectable> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace yreb::node

#endif  // YREB_NODE_METRICS_H_
