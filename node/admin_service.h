// The admin API implementation (proto/admin.proto). Each call runs in the
// caller's language, read from the "yreb-lang" metadata.
#ifndef YREB_NODE_ADMIN_SERVICE_H_
#define YREB_NODE_ADMIN_SERVICE_H_

#include <functional>

#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "node/config.h"
#include "node/records.h"
#include "proto/admin.grpc.pb.h"
#include "storage/store.h"
#include "sync/origin_log.h"

namespace yreb::node {

class AdminService final : public proto::Admin::Service {
 public:
  AdminService(const Config* config, storage::Store* store, sync::OriginLog* log,
               Records* records, const crypto::PublicKey* public_key,
               const catalog::Catalog* catalog);

  // Adds replication state to status replies. REQUIRES: called before the
  // admin server starts.
  void SetStatusExtension(std::function<void(proto::StatusReply*)> extension) {
    status_extension_ = std::move(extension);
  }

  // Fills `reply` with this node's status in the thread's language; the
  // status page and the metrics read it too. Fails only when the store
  // cannot be read.
  absl::Status FillStatus(proto::StatusReply* reply) const;

  grpc::Status GetStatus(grpc::ServerContext* context, const proto::StatusRequest* request,
                         proto::StatusReply* reply) override;
  grpc::Status Put(grpc::ServerContext* context, const proto::PutRequest* request,
                   proto::PutReply* reply) override;
  grpc::Status PutStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<proto::PutReply, proto::PutRequest>* stream) override;
  grpc::Status Query(grpc::ServerContext* context, const proto::QueryRequest* request,
                     proto::QueryReply* reply) override;
  grpc::Status Verify(grpc::ServerContext* context, const proto::VerifyRequest* request,
                      grpc::ServerWriter<proto::VerifyProgress>* writer) override;
  grpc::Status Import(grpc::ServerContext* context, const proto::ImportRequest* request,
                      proto::ImportReply* reply) override;
  grpc::Status ImportUpload(grpc::ServerContext* context,
                            grpc::ServerReader<proto::ImportRequest>* reader,
                            proto::ImportReply* reply) override;
  grpc::Status Export(grpc::ServerContext* context, const proto::ExportRequest* request,
                      proto::ExportReply* reply) override;
  grpc::Status GetCatalog(grpc::ServerContext* context, const proto::CatalogRequest* request,
                          proto::CatalogReply* reply) override;
  // Defined in admin_backup.cc.
  grpc::Status Backup(grpc::ServerContext* context, const proto::BackupRequest* request,
                      grpc::ServerWriter<proto::BackupChunk>* writer) override;

 private:
  const Config* const config_;
  storage::Store* const store_;
  sync::OriginLog* const log_;
  Records* const records_;
  const crypto::PublicKey* const public_key_;
  const catalog::Catalog* const catalog_;
  std::function<void(proto::StatusReply*)> status_extension_;
};

// Converts an absl::Status to a grpc::Status with the same code and message.
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace yreb::node

#endif  // YREB_NODE_ADMIN_SERVICE_H_
