#include "node/metrics.h"

#include <map>
#include <set>
#include <stdexcept>

#include <prometheus/collectable.h>
#include <spdlog/spdlog.h>

#include "i18n/i18n.h"

namespace yreb::node {
namespace {

using i18n::Tr;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// The results a release verification can have. The node does not verify
// releases yet, so each reads 0.

class Families {
 public:
  // Starts a family; the metrics added next belong to it.
  void Begin(std::string name, std::string help, MetricType type) {
    families_.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
  }

  void Add(double value, std::vector<ClientMetric::Label> labels = {}) {
    ClientMetric metric;
    metric.label = std::move(labels);
    if (families_.back().type == MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    families_.back().metric.push_back(std::move(metric));
  }

  std::vector<MetricFamily> Take() { return std::move(families_); }

 private:
  std::vector<MetricFamily> families_;
};

std::string Id(uint32_t id) { return std::to_string(id); }

class StatusCollector final : public prometheus::Collectable {
 public:
  explicit StatusCollector(StatusSource source) : source_(std::move(source)) {}

  std::vector<MetricFamily> Collect() const override {
    absl::StatusOr<proto::StatusReply> status = source_();
    if (!status.ok()) {
      // An empty scrape makes Prometheus's `up` stay 1 but every series
      // vanish, which alerts on absent() catch; the log says why.
      spdlog::error("metrics scrape failed: {}", status.status().message());
      return {};
    }
    return StatusToMetrics(*status);
  }

 private:
  StatusSource source_;
};

}  // namespace

std::vector<MetricFamily> StatusToMetrics(const proto::StatusReply& status) {
  Families out;
  const std::string self = Id(status.node_id());

  out.Begin("yreb_build_info", "Build of this node; the value is always 1.", MetricType::Gauge);
  out.Add(1, {{"version", status.version()}, {"node", self}});

  std::map<uint32_t, uint64_t> ours;
  out.Begin("yreb_origin_entries",
            "Entries this node stores of each origin's log (the sequence in its version vector).",
            MetricType::Gauge);
  for (const proto::VersionVectorEntry& entry : status.version_vector()) {
    ours[entry.origin()] = entry.sequence();
    out.Add(static_cast<double>(entry.sequence()), {{"origin", Id(entry.origin())}});
  }

  out.Begin("yreb_members", "Members in the newest stored manifest (0 without a manifest).",
            MetricType::Gauge);
  out.Add(status.members_size());

  out.Begin("yreb_peer_linked",
            "1 when this node dials the peer, 0 when the config's skip_peers excludes it.",
            MetricType::Gauge);
  for (const proto::PeerState& peer : status.peers()) {
    out.Add(peer.linked() ? 1 : 0, {{"peer", Id(peer.node_id())}});
  }
  out.Begin("yreb_peer_connected", "1 while a replication stream from the peer is open.",
            MetricType::Gauge);
  for (const proto::PeerState& peer : status.peers()) {
    out.Add(peer.connected() ? 1 : 0, {{"peer", Id(peer.node_id())}});
  }
  out.Begin("yreb_peer_in_sync",
            "1 when the peer's version vector at last contact equals this node's.",
            MetricType::Gauge);
  for (const proto::PeerState& peer : status.peers()) {
    out.Add(peer.in_sync() ? 1 : 0, {{"peer", Id(peer.node_id())}});
  }
  out.Begin("yreb_peer_last_contact_seconds",
            "Unix time of the last batch or heartbeat from the peer; 0 if never.",
            MetricType::Gauge);
  for (const proto::PeerState& peer : status.peers()) {
    out.Add(static_cast<double>(peer.last_contact_ms()) / 1000.0, {{"peer", Id(peer.node_id())}});
  }

  // Lag is per peer and origin, for peers heard from at least once: the
  // entries of the origin that the peer held at last contact and this node
  // does not (lag), and the reverse (behind). Origins equal on both sides
  // read 0.
  out.Begin("yreb_peer_lag_entries",
            "Entries of an origin that the peer held at last contact and this node lacks.",
            MetricType::Gauge);
  std::vector<std::pair<std::vector<ClientMetric::Label>, double>> behind;
  for (const proto::PeerState& peer : status.peers()) {
    if (peer.last_contact_ms() == 0) continue;
    std::map<uint32_t, std::pair<uint64_t, uint64_t>> both;  // origin -> (ours, theirs)
    for (const auto& [origin, sequence] : ours) both[origin] = {sequence, sequence};
    for (const proto::OriginLag& lag : peer.lag()) both[lag.origin()] = {lag.ours(), lag.theirs()};
    for (const auto& [origin, pair] : both) {
      std::vector<ClientMetric::Label> labels = {{"peer", Id(peer.node_id())},
                                                 {"origin", Id(origin)}};
      out.Add(pair.second > pair.first ? static_cast<double>(pair.second - pair.first) : 0,
              labels);
      behind.emplace_back(labels,
                          pair.first > pair.second ? static_cast<double>(pair.first - pair.second)
                                                   : 0);
    }
  }
  out.Begin("yreb_peer_behind_entries",
            "Entries of an origin that this node holds and the peer lacked at last contact.",
            MetricType::Gauge);
  for (const auto& [labels, value] : behind) out.Add(value, labels);

  out.Begin("yreb_peer_received_bytes_total",
            "Bytes of entries received from the peer since this node started.",
            MetricType::Counter);
  for (const proto::PeerState& peer : status.peers()) {
    out.Add(static_cast<double>(peer.bytes_received()), {{"peer", Id(peer.node_id())}});
  }
  out.Begin("yreb_peer_received_entries_total",
            "Entries received from the peer and stored since this node started.",
            MetricType::Counter);
  for (const proto::PeerState& peer : status.peers()) {
    out.Add(static_cast<double>(peer.entries_received()), {{"peer", Id(peer.node_id())}});
  }
  out.Begin("yreb_peer_rejected_ranges_total",
            "Ranges from the peer rejected since this node started, by reason (decode, chain, "
            "signature, gap, fork, ...).",
            MetricType::Counter);
  for (const proto::PeerState& peer : status.peers()) {
    for (const auto& [reason, count] : peer.rejects()) {
      out.Add(static_cast<double>(count), {{"peer", Id(peer.node_id())}, {"reason", reason}});
    }
  }
  out.Begin("yreb_sent_entries_total",
            "Entries this node sent to each subscriber since it started.", MetricType::Counter);
  for (const auto& [subscriber, count] : status.sent_entries()) {
    out.Add(static_cast<double>(count), {{"subscriber", Id(subscriber)}});
  }

  uint64_t forks = 0;
  for (const proto::Alarm& alarm : status.alarms()) forks += alarm.kind() == "fork" ? 1 : 0;
  out.Begin("yreb_forks",
            "Origins with fork evidence: two validly signed chains that disagree. Each is held "
            "until a root fork-resolution statement arrives.",
            MetricType::Gauge);
  out.Add(static_cast<double>(forks));
  out.Begin("yreb_void_entries", "Entries stored but void: they fail a counting rule and are "
            "never applied.", MetricType::Gauge);
  out.Add(static_cast<double>(status.void_entries()));
  out.Begin("yreb_future_entries",
            "Entries stamped further in the future than the clock-skew allowance.",
            MetricType::Gauge);
  out.Add(static_cast<double>(status.future_entries()));
  out.Begin("yreb_alarms", "Alarms in the node's status, by kind.", MetricType::Gauge);
  std::map<std::string, uint64_t> alarms;
  for (const proto::Alarm& alarm : status.alarms()) ++alarms[alarm.kind()];
  for (const char* kind : {"fork", "void", "future", "recovery", "lead-dispute",
                           "release-mismatch"}) {
    alarms.try_emplace(kind, 0);
  }
  for (const auto& [kind, count] : alarms) out.Add(static_cast<double>(count), {{"kind", kind}});
  out.Begin("yreb_releases",
            "Shared-set releases this node holds, by its verdict: verified, mismatch, pending "
            "(the cut or the catalog version has not arrived), unverifiable (other rules) or "
            "void.",
            MetricType::Gauge);
  std::map<std::string, uint64_t> releases(status.releases_by_state().begin(),
                                           status.releases_by_state().end());
  for (const char* state : {"verified", "mismatch", "pending", "unverifiable", "void"}) {
    releases.try_emplace(state, 0);
  }
  for (const auto& [state, count] : releases) {
    out.Add(static_cast<double>(count), {{"state", state}});
  }

  out.Begin("yreb_database_bytes",
            "Approximate size of the RocksDB database on disk (SST and WAL files), in bytes.",
            MetricType::Gauge);
  out.Add(static_cast<double>(status.database_bytes()));
  out.Begin("yreb_appends_blocked",
            "1 while this node may not append to its own log (see yrebctl status for the "
            "reason), else 0.",
            MetricType::Gauge);
  out.Add(status.append_allowed() ? 0 : 1);

  out.Begin("yreb_lead_epoch",
            "Current lead epoch as this node evaluates the chain (0 without a manifest); the "
            "lead label names its lead.",
            MetricType::Gauge);
  out.Add(static_cast<double>(status.lead_epoch()), {{"lead", Id(status.lead())}});
  out.Begin("yreb_lead_disputed", "1 while the epoch after the current one is disputed.",
            MetricType::Gauge);
  out.Add(status.lead_dispute().empty() ? 0 : 1);
  out.Begin("yreb_lead_may_coordinate",
            "1 when this node is the lead of the current epoch and may act as coordinator.",
            MetricType::Gauge);
  out.Add(status.may_coordinate() ? 1 : 0);
  out.Begin("yreb_void_coordinator_entries",
            "Stored coordinator entries (catalog versions, releases) that the lead chain makes "
            "void, e.g. a lead's entries after its fence.",
            MetricType::Gauge);
  out.Add(static_cast<double>(status.void_coordinator_entries()));

  return out.Take();
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                                    StatusSource source) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  try {
    // One thread: scrapes are rare and each reads the store once.
    server->exposer_ = std::make_unique<prometheus::Exposer>(listen, 1);
  } catch (const std::exception& error) {
    return absl::UnavailableError(
        Tr("cannot serve metrics on {}: {}; is the port in use? Check [metrics] listen", listen,
           error.what()));
  }
  server->collector_ = std::make_shared<StatusCollector>(std::move(source));
  server->exposer_->RegisterCollectable(server->collector_, "/metrics");
  std::vector<int> ports = server->exposer_->GetListeningPorts();
  server->port_ = ports.empty() ? 0 : ports.front();
  spdlog::info("metrics server started: listen={} port={} path=/metrics", listen, server->port_);
  return server;
}

MetricsServer::~MetricsServer() {
  if (exposer_ != nullptr && collector_ != nullptr) exposer_->RemoveCollectable(collector_);
  exposer_.reset();
  spdlog::info("metrics server stopped");
}

}  // namespace yreb::node
