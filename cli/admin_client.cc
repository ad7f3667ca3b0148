#include "cli/admin_client.h"

#include "i18n/i18n.h"
#include "node/config.h"

namespace yreb::cli {

using i18n::Tr;

absl::StatusOr<AdminClient> AdminClient::Connect(const std::string& config_path) {
  absl::StatusOr<node::Config> config = node::LoadConfig(config_path);
  if (!config.ok()) return config.status();
  AdminClient client;
  client.socket_path_ = config->admin_socket;
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(512 << 20);
  arguments.SetMaxSendMessageSize(512 << 20);
  client.channel_ = grpc::CreateCustomChannel("unix:" + config->admin_socket,
                                              grpc::InsecureChannelCredentials(), arguments);
  client.stub_ = proto::Admin::NewStub(client.channel_);
  return client;
}

std::unique_ptr<grpc::ClientContext> AdminClient::NewContext(std::chrono::seconds timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("yreb-lang", std::string(i18n::LangCode(i18n::CurrentLang())));
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

std::string AdminClient::Describe(const grpc::Status& status) const {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return Tr("cannot reach the node at {}. Check that yreb-node runs with this config and that "
              "your user may open the socket (member of the operator group). Detail: {}",
              socket_path_, status.error_message());
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return Tr("the node at {} did not answer in time; check its log", socket_path_);
  }
  return status.error_message();
}

}  // namespace yreb::cli
