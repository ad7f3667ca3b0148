#include "federation/peer_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include "i18n/i18n.h"
#include "proto/peer.grpc.pb.h"

namespace yreb::federation {

using i18n::Tr;

class PeerServer::HealthService final : public proto::Peer::Service {
 public:
  HealthService(uint32_t node_id, const Membership* membership)
      : node_id_(node_id), membership_(membership) {}

  grpc::Status Health(grpc::ServerContext* context, const proto::HealthRequest*,
                      proto::HealthReply* reply) override {
    reply->set_node_id(node_id_);
    std::shared_ptr<const ManifestVersion> manifest = membership_->NewestManifest();
    reply->set_manifest_version(manifest == nullptr ? 0 : manifest->version);
    spdlog::debug("peer call: Health from node {}", CallerNodeId(*context));
    return grpc::Status::OK;
  }

 private:
  uint32_t node_id_;
  const Membership* membership_;
};

PeerServer::PeerServer(Options options, TlsMaterial material, const Membership* membership)
    : options_(std::move(options)),
      material_(std::move(material)),
      membership_(membership),
      health_(std::make_unique<HealthService>(options_.node_id, membership)) {
  services_.push_back(health_.get());
}

PeerServer::~PeerServer() {
  if (server_ != nullptr) Shutdown(std::chrono::system_clock::now());
}

void PeerServer::RegisterService(grpc::Service* service) { services_.push_back(service); }

absl::Status PeerServer::Start() {
  auto admission = std::make_shared<const PeerAdmission>(material_.ca, membership_);
  // The standard grpc.health.v1.Health service and server reflection, both
  // behind the same mutual TLS as every other call on this port. Both calls
  // set process-wide switches, so servers built later get them too.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, PeerServerCredentials(material_, admission), &port_);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(
        Tr("cannot serve the peer API on {}; is the address in use or not local? Check "
           "[peer] listen",
           options_.listen));
  }
  spdlog::info("peer server started: node={} listen={} port={} certificate_cn={}",
               options_.node_id, options_.listen, port_, material_.subject.common_name);
  return absl::OkStatus();
}

void PeerServer::Shutdown(std::chrono::system_clock::time_point deadline) {
  if (server_ == nullptr) return;
  // Health checks answer NOT_SERVING while calls in progress finish.
  if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
    health->Shutdown();
  }
  server_->Shutdown(deadline);
  server_->Wait();
  server_.reset();
  spdlog::info("peer server stopped: node={}", options_.node_id);
}

uint32_t CallerNodeId(const grpc::ServerContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return 0;
  for (const grpc::string_ref& value : auth->FindPropertyValues("x509_common_name")) {
    return NodeIdFromCommonName(std::string_view(value.data(), value.size()));
  }
  return 0;
}

}  // namespace yreb::federation
