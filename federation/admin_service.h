// The FederationAdmin calls of the local admin API (proto/federation_admin.proto):
// yrebctl apply and yrebctl federation show. Served on the admin Unix socket
// next to the Admin service.
#ifndef YREB_FEDERATION_ADMIN_SERVICE_H_
#define YREB_FEDERATION_ADMIN_SERVICE_H_

#include "federation/membership.h"
#include "proto/federation_admin.grpc.pb.h"

namespace yreb::federation {

class FederationAdminService final : public proto::FederationAdmin::Service {
 public:
  // `membership` is null on a node without a [federation] section; every
  // call then fails with FAILED_PRECONDITION naming the missing section.
  explicit FederationAdminService(Membership* membership) : membership_(membership) {}

  grpc::Status ApplyStatement(grpc::ServerContext* context,
                              const proto::ApplyStatementRequest* request,
                              proto::ApplyStatementReply* reply) override;
  grpc::Status GetManifest(grpc::ServerContext* context, const proto::GetManifestRequest* request,
                           proto::GetManifestReply* reply) override;

 private:
  Membership* const membership_;
};

}  // namespace yreb::federation

#endif  // YREB_FEDERATION_ADMIN_SERVICE_H_
