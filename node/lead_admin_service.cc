#include "node/lead_admin_service.h"

#include "i18n/i18n.h"
#include "node/admin_service.h"

namespace yreb::node {
namespace {

using i18n::Tr;

i18n::Lang CallerLang(const grpc::ServerContext* context) {
  auto it = context->client_metadata().find("yreb-lang");
  if (it == context->client_metadata().end()) return i18n::Lang::kEnglish;
  return i18n::LangFromCode(std::string_view(it->second.data(), it->second.size()));
}

// Copies a call's result into `reply`, or returns its error.
template <typename Reply>
grpc::Status Answer(absl::StatusOr<Reply> result, Reply* reply) {
  if (!result.ok()) return ToGrpc(result.status());
  *reply = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status LeadAdminService::GetLeadStatus(grpc::ServerContext* context,
                                             const proto::LeadStatusRequest* /*request*/,
                                             proto::LeadStatusReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  return Answer(tracker_->Status(), reply);
}

grpc::Status LeadAdminService::Handover(grpc::ServerContext* context,
                                        const proto::HandoverRequest* request,
                                        proto::HandoverReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  return Answer(tracker_->Handover(request->to(), request->reason()), reply);
}

grpc::Status LeadAdminService::Accept(grpc::ServerContext* context,
                                      const proto::AcceptRequest* /*request*/,
                                      proto::AcceptReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  return Answer(tracker_->Accept(), reply);
}

grpc::Status LeadAdminService::SignAssignment(grpc::ServerContext* context,
                                              const proto::SignAssignmentRequest* request,
                                              proto::SignAssignmentReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  return Answer(tracker_->SignAssignment(request->to(), request->fence(), request->reason()),
                reply);
}

grpc::Status LeadAdminService::AppendTestEntry(grpc::ServerContext* context,
                                               const proto::AppendTestEntryRequest* request,
                                               proto::AppendTestEntryReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  if (!allow_test_entries_) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        Tr("test entries are disabled; only a node started with "
                           "--allow-test-entries appends them"));
  }
  if (!proto::EntryKind_IsValid(static_cast<int>(request->kind())) || request->kind() == 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        Tr("entry kind {} is not a known entry kind", request->kind()));
  }
  absl::StatusOr<uint64_t> sequence =
      tracker_->AppendUnchecked(static_cast<proto::EntryKind>(request->kind()), request->body());
  if (!sequence.ok()) return ToGrpc(sequence.status());
  reply->set_sequence(*sequence);
  return grpc::Status::OK;
}

}  // namespace yreb::node
