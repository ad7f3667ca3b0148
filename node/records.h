// Observations on this node: validated writes into the origin log, the
// revision rule, and queries over the cell index.
//
// A cell is (indicator, region, period). Writing a value numerically equal to
// the cell's latest revision stores nothing; any other value, or a
// withdrawal, is a new entry with the next revision number. Old revisions
// stay as the audit trail.
#ifndef YREB_NODE_RECORDS_H_
#define YREB_NODE_RECORDS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "catalog/catalog.h"
#include "proto/admin.pb.h"
#include "storage/store.h"
#include "sync/origin_log.h"

namespace yreb::node {

class Records {
 public:
  struct Options {
    // Records per staged chunk of a large import; each chunk is one durable
    // write, and the import becomes visible only with its commit marker.
    size_t import_chunk_records = 20000;
  };

  // All pointers must outlive this object.
  Records(storage::Store* store, sync::OriginLog* log, const catalog::Catalog* catalog,
          uint32_t node_id, const Options& options);

  // Returns the catalog versions that count, newest first.
  using CatalogSource = std::function<std::vector<std::shared_ptr<const catalog::Catalog>>()>;

  // Makes new records follow the newest catalog version `source` returns,
  // and queries and exports also find indicators that only older versions
  // have. Without a source, the catalog given to the constructor is the only
  // version. REQUIRES: called before any other method.
  void SetCatalogSource(CatalogSource source) { catalog_source_ = std::move(source); }

  // Checks `request` against the catalog and this node's province. Returns
  // InvalidArgument naming the field and the fix.
  absl::Status ValidatePut(const proto::PutRequest& request) const;

  // Validates and writes one observation; `done` runs once it is durable (or
  // at once, with the validation error).
  void PutAsync(const proto::PutRequest& request,
                std::function<void(absl::StatusOr<proto::PutReply>)> done);
  absl::StatusOr<proto::PutReply> Put(const proto::PutRequest& request);

  absl::StatusOr<proto::QueryReply> Query(const proto::QueryRequest& request) const;

  // Parses the whole file, stores nothing when any row is invalid, and
  // otherwise writes the new and revised records behind one commit marker.
  absl::StatusOr<proto::ImportReply> Import(const proto::ImportRequest& request);

  absl::StatusOr<proto::ExportReply> Export(const proto::ExportRequest& request) const;

 private:
  struct Latest {
    uint32_t revision = 0;
    std::string value;
    bool withdrawn = false;
    proto::DataStatus status = proto::DATA_STATUS_UNSPECIFIED;

    // Returns true when writing `value` with `status` would change nothing:
    // the numbers are equal and the status is the same or not given.
    bool Unchanged(std::string_view new_value, proto::DataStatus new_status) const;
  };
  // Returns the scratch space's form of a cell's latest revision:
  // revision|withdrawn|status|value, which LatestInGroup reads.
  static std::string EncodeLatest(uint32_t revision, bool withdrawn, proto::DataStatus status,
                                  std::string_view value);
  // Returns the key of a cell in a commit group's scratch space.
  static std::string CellKey(std::string_view indicator, std::string_view region,
                             std::string_view period);
  // Returns the latest revision of a cell as seen inside a commit group.
  // `reader`, when given, reads the stored index: a job that alone writes
  // the cells it looks up may keep one for all its lookups.
  absl::StatusOr<std::optional<Latest>> LatestInGroup(sync::AppendContext& context,
                                                      std::string_view indicator,
                                                      std::string_view region,
                                                      std::string_view period,
                                                      storage::CellReader* reader = nullptr) const;
  std::vector<std::shared_ptr<const catalog::Catalog>> Catalogs() const;
  absl::StatusOr<std::optional<proto::QueriedRevision>> LoadRevision(
      const storage::CellRevision& cell) const;

  storage::Store* const store_;
  sync::OriginLog* const log_;
  const catalog::Catalog* const catalog_;
  CatalogSource catalog_source_;
  const uint32_t node_id_;
  const std::string province_;
  const Options options_;
};

}  // namespace yreb::node

#endif  // YREB_NODE_RECORDS_H_
