#include "federation/admin_service.h"

#include "i18n/i18n.h"

namespace yreb::federation {
namespace {

using i18n::Tr;

i18n::Lang CallerLang(const grpc::ServerContext* context) {
  auto it = context->client_metadata().find("yreb-lang");
  if (it == context->client_metadata().end()) return i18n::Lang::kEnglish;
  return i18n::LangFromCode(std::string_view(it->second.data(), it->second.size()));
}

grpc::Status NotConfigured() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      Tr("this node has no [federation] section in its config; add "
                         "root_public_key there (see yrebctl federation init) and restart"));
}

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace

grpc::Status FederationAdminService::ApplyStatement(grpc::ServerContext* context,
                                                    const proto::ApplyStatementRequest* request,
                                                    proto::ApplyStatementReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  if (membership_ == nullptr) return NotConfigured();
  absl::StatusOr<ApplyResult> result = membership_->Apply(
      request->statement(), fmt::format("admin file {}", request->file_name()));
  if (!result.ok()) {
    return ToGrpc(absl::Status(result.status().code(),
                               Tr("{}: {}", request->file_name(), result.status().message())));
  }
  reply->set_kind(KindName(result->kind));
  reply->set_version(result->version);
  reply->set_already_stored(result->already_stored);
  reply->set_statement_sha256(crypto::ToHex(result->statement_hash));
  return grpc::Status::OK;
}

grpc::Status FederationAdminService::GetManifest(grpc::ServerContext* context,
                                                 const proto::GetManifestRequest*,
                                                 proto::GetManifestReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  if (membership_ == nullptr) return NotConfigured();
  std::shared_ptr<const ManifestVersion> manifest = membership_->NewestManifest();
  if (manifest == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        Tr("this node holds no manifest yet; load one with yrebctl apply FILE"));
  }
  reply->set_version(manifest->version);
  *reply->mutable_manifest() = manifest->manifest;
  reply->set_statement_sha256(crypto::ToHex(manifest->statement_hash));
  reply->set_root_key_fingerprint(membership_->root_key().Fingerprint());
  return grpc::Status::OK;
}

}  // namespace yreb::federation
