// The coordinator's admin calls (proto/coordinator_admin.proto) and the
// checking of every stored release on this node.
//
// Catalog versions and releases are entries; whether one counts is the
// LeadGate's verdict on its origin, sequence and epoch. Version 1 of the
// catalog is the compiled-in document whose hash the manifest pins. A
// release is checked by recomputing its shared set from the cut it names
// once this node holds that cut: verified, mismatch (naming the differing
// cells), pending, or unverifiable under other rules. Final verdicts are
// cached, so status calls recompute only pending releases.
#ifndef YREB_NODE_COORDINATOR_SERVICE_H_
#define YREB_NODE_COORDINATOR_SERVICE_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "coordinator/shared_set.h"
#include "node/lead_gate.h"
#include "proto/admin.pb.h"
#include "proto/coordinator.pb.h"
#include "proto/coordinator_admin.grpc.pb.h"
#include "storage/store.h"
#include "sync/origin_log.h"

namespace yreb::node {

class CoordinatorService final : public proto::Coordinator::Service {
 public:
  // All pointers must outlive this object.
  CoordinatorService(storage::Store* store, sync::OriginLog* log, const LeadGate* gate);

  // Sets where the member provinces of the newest manifest come from; a
  // catalog version whose member provinces differ is then not published.
  void SetMemberSource(std::function<std::vector<std::string>()> members) {
    members_ = std::move(members);
  }

  // Stops the checking thread, if it runs.
  ~CoordinatorService() override;

  // Checks the stored releases every `interval` on a thread of its own, so
  // a node logs each verdict soon after the cut arrives even when no client
  // reads its status. Status reads and admin calls check too.
  void StartChecking(std::chrono::milliseconds interval);
  // Stops the thread StartChecking started; waits for a check in progress.
  void StopChecking();

  // Adds a "release-mismatch" alarm per mismatched release and the count of
  // releases per verdict to `reply`. Fails only when the store cannot be
  // read.
  absl::Status FillStatus(proto::StatusReply* reply);

  // Returns the catalog versions that count, newest first, for new records
  // and lookups. Re-reads the index at most once a second, so a version
  // received from a peer takes effect within about a second. A version this
  // node publishes takes effect at once.
  std::vector<std::shared_ptr<const catalog::Catalog>> CatalogsNewestFirst();

  // Returns, for each period with a release this node verified, the verified
  // release with the highest number, ordered by period.
  absl::StatusOr<std::vector<proto::Release>> NewestVerifiedReleases();

  grpc::Status PublishCatalog(grpc::ServerContext* context,
                              const proto::PublishCatalogRequest* request,
                              proto::PublishCatalogReply* reply) override;
  grpc::Status GetCatalogVersion(grpc::ServerContext* context,
                                 const proto::CatalogVersionRequest* request,
                                 proto::CatalogVersionReply* reply) override;
  grpc::Status SharedStatus(grpc::ServerContext* context, const proto::SharedRequest* request,
                            proto::SharedReply* reply) override;
  grpc::Status Seal(grpc::ServerContext* context, const proto::SharedRequest* request,
                    proto::SharedReply* reply) override;
  grpc::Status ListReleases(grpc::ServerContext* context, const proto::SharedRequest* request,
                            proto::SharedReply* reply) override;
  grpc::Status Export(grpc::ServerContext* context, const proto::SharedExportRequest* request,
                      proto::SharedExportReply* reply) override;

  // A catalog version that counts.
  struct CatalogEntry {
    uint32_t origin = 0;  // 0 for version 1
    uint64_t sequence = 0;
    std::shared_ptr<const catalog::Catalog> catalog;
  };

  // A stored release entry with the gate's verdict and this node's check.
  struct StoredRelease {
    uint32_t origin = 0;
    uint64_t sequence = 0;
    proto::Release release;
    // "verified", "mismatch", "pending", "unverifiable" or "void".
    std::string state;
    std::vector<std::string> details;
  };

 private:
  // Returns the catalog versions that count, by version.
  absl::StatusOr<std::map<uint32_t, CatalogEntry>> CatalogVersions();
  // Returns every stored release, checked, ordered by period and number.
  absl::StatusOr<std::vector<StoredRelease>> Releases();
  // Checks one release whose gate verdict is "counts".
  absl::Status Check(StoredRelease* release,
                     const std::map<uint32_t, CatalogEntry>& catalogs) const;
  absl::StatusOr<coordinator::SharedSet> Compute(const catalog::Catalog& catalog,
                                                 const period::Period& period,
                                                 const coordinator::Cut& cut) const;

  std::function<std::vector<std::string>()> members_;  // empty: not checked
  storage::Store* const store_;
  sync::OriginLog* const log_;
  const LeadGate* const gate_;

  std::thread checker_;
  std::mutex checker_mu_;
  std::condition_variable checker_wake_;
  bool stop_checking_ = false;  // guarded by checker_mu_

  // Serializes catalog publishing and sealing, so version and release
  // numbers are taken one at a time.
  std::mutex append_mu_;

  std::mutex mu_;
  // Parsed catalog documents by entry (origin, sequence); guarded by mu_.
  std::map<std::pair<uint32_t, uint64_t>, std::shared_ptr<const catalog::Catalog>> parsed_;
  // CatalogsNewestFirst's last result and when it was read; guarded by mu_.
  std::vector<std::shared_ptr<const catalog::Catalog>> newest_first_;
  std::chrono::steady_clock::time_point newest_first_read_;
  // Final checks (all but pending) by entry; guarded by mu_.
  std::map<std::pair<uint32_t, uint64_t>, StoredRelease> final_;
};

}  // namespace yreb::node

#endif  // YREB_NODE_COORDINATOR_SERVICE_H_
