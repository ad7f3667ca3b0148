// Connection from yrebctl to a node's admin socket.
#ifndef YREB_CLI_ADMIN_CLIENT_H_
#define YREB_CLI_ADMIN_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "proto/admin.grpc.pb.h"

namespace yreb::cli {

class AdminClient {
 public:
  // Reads the node config at `config_path` to find the socket.
  static absl::StatusOr<AdminClient> Connect(const std::string& config_path);

  proto::Admin::Stub& stub() { return *stub_; }
  // The channel to the admin socket, for the stubs of other admin services.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // Returns a context carrying the caller's language and a deadline.
  std::unique_ptr<grpc::ClientContext> NewContext(std::chrono::seconds timeout) const;
  const std::string& socket_path() const { return socket_path_; }

  // Turns a failed call into a message that names the socket when the node
  // cannot be reached.
  std::string Describe(const grpc::Status& status) const;

 private:
  std::string socket_path_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::Admin::Stub> stub_;
};

}  // namespace yreb::cli

#endif  // YREB_CLI_ADMIN_CLIENT_H_
