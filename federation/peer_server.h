// The peer-facing gRPC server of a node: one listening port with mutual TLS
// (federation/tls.h) on which every node-to-node service runs.
//
// It serves the Peer service (proto/peer.proto) itself, the standard
// grpc.health.v1.Health service (SERVING while the server runs) and gRPC
// server reflection, which lists every service. Another service is
// added with RegisterService before Start; it then runs behind the same
// admission check, so a handler only ever sees admitted members. A handler
// finds the caller's node id with CallerNodeId.
#ifndef YREB_FEDERATION_PEER_SERVER_H_
#define YREB_FEDERATION_PEER_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "federation/membership.h"
#include "federation/tls.h"

namespace yreb::federation {

class PeerServer {
 public:
  struct Options {
    uint32_t node_id = 0;
    std::string listen;  // host:port; port 0 picks a free port
    int max_message_bytes = 64 << 20;
  };

  // `membership` must outlive the server.
  PeerServer(Options options, TlsMaterial material, const Membership* membership);
  ~PeerServer();

  // Adds a service to serve next to Peer. REQUIRES: Start not called yet;
  // `service` outlives the server.
  void RegisterService(grpc::Service* service);

  // Binds the port and starts serving. Fails with Unavailable when the
  // address cannot be bound.
  absl::Status Start();

  // Stops accepting calls; calls in progress get until `deadline`.
  void Shutdown(std::chrono::system_clock::time_point deadline);

  // The bound port, valid after Start.
  int port() const { return port_; }

 private:
  class HealthService;

  Options options_;
  TlsMaterial material_;
  const Membership* membership_;
  std::unique_ptr<HealthService> health_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// Returns the node id in the certificate of the peer making the call, or 0
// when the context carries no such certificate.
uint32_t CallerNodeId(const grpc::ServerContext& context);

}  // namespace yreb::federation

#endif  // YREB_FEDERATION_PEER_SERVER_H_
