// The LeadAdmin calls of the local admin API (proto/lead_admin.proto): yrebctl
// lead status, handover, accept and sign-assignment. Served on the admin Unix
// socket next to the Admin service; each call runs in the caller's language.
#ifndef YREB_NODE_LEAD_ADMIN_SERVICE_H_
#define YREB_NODE_LEAD_ADMIN_SERVICE_H_

#include "node/lead_tracker.h"
#include "proto/lead_admin.grpc.pb.h"

namespace yreb::node {

class LeadAdminService final : public proto::LeadAdmin::Service {
 public:
  // `tracker` must outlive the service. AppendTestEntry works only when
  // `allow_test_entries` is set (yreb-node --allow-test-entries).
  LeadAdminService(LeadTracker* tracker, bool allow_test_entries)
      : tracker_(tracker), allow_test_entries_(allow_test_entries) {}

  grpc::Status GetLeadStatus(grpc::ServerContext* context, const proto::LeadStatusRequest* request,
                             proto::LeadStatusReply* reply) override;
  grpc::Status Handover(grpc::ServerContext* context, const proto::HandoverRequest* request,
                        proto::HandoverReply* reply) override;
  grpc::Status Accept(grpc::ServerContext* context, const proto::AcceptRequest* request,
                      proto::AcceptReply* reply) override;
  grpc::Status SignAssignment(grpc::ServerContext* context,
                              const proto::SignAssignmentRequest* request,
                              proto::SignAssignmentReply* reply) override;
  grpc::Status AppendTestEntry(grpc::ServerContext* context,
                               const proto::AppendTestEntryRequest* request,
                               proto::AppendTestEntryReply* reply) override;

 private:
  LeadTracker* const tracker_;
  const bool allow_test_entries_;
};

}  // namespace yreb::node

#endif  // YREB_NODE_LEAD_ADMIN_SERVICE_H_
