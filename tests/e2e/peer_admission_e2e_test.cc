// Admission on the peer port over real mutual TLS on 127.0.0.1: a call on a
// connection opened under an older manifest is checked against the newest
// one, and that the peer port speaks TLS 1.3 only.
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "federation/manifest.h"
#include "federation/membership.h"
#include "federation/peer_server.h"
#include "federation/tls.h"
#include "proto/peer.grpc.pb.h"
#include "storage/store.h"
#include "tests/support/federation.h"

namespace yreb {
namespace {

using testing::Federation;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

federation::TlsMaterial LoadTls(const Federation& federation, uint32_t id) {
  std::string dir = federation.Dir(id);
  absl::StatusOr<federation::TlsMaterial> tls =
      federation::LoadTlsMaterial({dir + "/ca.crt", dir + "/tls.crt", dir + "/tls.key"});
  EXPECT_TRUE(tls.ok()) << tls.status();
  return tls.ok() ? *tls : federation::TlsMaterial{};
}

// Member 320000's peer server, run in this process on a free port.
struct ServerSide {
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<federation::Membership> membership;
  std::unique_ptr<federation::PeerServer> server;

  explicit ServerSide(const Federation& federation) {
    absl::StatusOr<std::unique_ptr<storage::Store>> opened = storage::Store::Open(
        testing::MakeTempDir("admission") + "/store", {.create_if_missing = true});
    EXPECT_TRUE(opened.ok()) << opened.status();
    store = std::move(*opened);
    absl::StatusOr<crypto::PublicKey> root =
        crypto::ReadPublicKey(federation.Dir(320000) + "/root.pub");
    EXPECT_TRUE(root.ok()) << root.status();
    absl::StatusOr<std::unique_ptr<federation::Membership>> loaded =
        federation::Membership::Open(store.get(), *root);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    membership = std::move(*loaded);
    EXPECT_TRUE(membership->Apply(ReadAll(federation.root() + "/root/manifest.stmt"), "test").ok());
    server = std::make_unique<federation::PeerServer>(
        federation::PeerServer::Options{.node_id = 320000, .listen = "127.0.0.1:0"},
        LoadTls(federation, 320000), membership.get());
    EXPECT_TRUE(server->Start().ok());
  }
  ~ServerSide() {
    if (server != nullptr) server->Shutdown(std::chrono::system_clock::now());
  }
};

grpc::Status CallHealth(proto::Peer::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  proto::HealthReply reply;
  return stub.Health(&context, proto::HealthRequest(), &reply);
}

TEST(PeerAdmissionTest, RemovedMemberRefusedOnOpenConnection) {
  Federation federation({320000, 420000}, 320000);
  ServerSide side(federation);

  // 420000 dials with its own certificate; it admits 320000 by the CA alone.
  auto client_admission =
      std::make_shared<const federation::PeerAdmission>(LoadTls(federation, 420000).ca, nullptr);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
      fmt::format("127.0.0.1:{}", side.server->port()),
      federation::PeerChannelCredentials(LoadTls(federation, 420000), client_admission, 320000));
  auto stub = proto::Peer::NewStub(channel);
  grpc::Status first = CallHealth(*stub);
  ASSERT_TRUE(first.ok()) << first.error_message();
  ASSERT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);

  // Manifest version 2 removes 420000; the server applies it.
  absl::StatusOr<federation::ManifestVersion> v1 = federation::ParseManifestToml(
      ReadAll(federation.root() + "/root/manifest.toml"), "manifest.toml");
  ASSERT_TRUE(v1.ok()) << v1.status();
  proto::Manifest manifest = v1->manifest;
  manifest.clear_members();
  for (const proto::Member& member : v1->manifest.members()) {
    if (member.node_id() != 420000) *manifest.add_members() = member;
  }
  absl::StatusOr<crypto::PrivateKey> root_key =
      crypto::ReadPrivateKey(federation.root() + "/root/root.key");
  ASSERT_TRUE(root_key.ok()) << root_key.status();
  ASSERT_TRUE(side.membership->Apply(federation::SignManifest(*root_key, 2, manifest), "test").ok());

  // The same connection, still open, is refused at its next call by the
  // per-call check (a refused handshake would show as UNAVAILABLE).
  grpc::Status second = CallHealth(*stub);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::UNAUTHENTICATED) << second.error_message();
  EXPECT_NE(second.error_message().find("not a member of manifest version 2"), std::string::npos)
      << second.error_message();
}

// Runs openssl s_client against `port` as member 420000 with one TLS
// version allowed, and returns its output.
std::string TryTls(const Federation& federation, int port, const std::string& version) {
  std::string dir = federation.Dir(420000);
  testing::CommandResult result = testing::RunCommand(
      {"/usr/bin/openssl", "s_client", "-connect", fmt::format("127.0.0.1:{}", port), version,
       "-alpn", "h2", "-cert", dir + "/tls.crt", "-key", dir + "/tls.key", "-CAfile",
       dir + "/ca.crt", "-brief"},
      "", std::chrono::seconds(10));
  return result.out + result.err;
}

TEST(PeerAdmissionTest, PeerPortSpeaksOnlyTls13) {
  Federation federation({320000, 420000}, 320000);
  ServerSide side(federation);
  std::string tls13 = TryTls(federation, side.server->port(), "-tls1_3");
  EXPECT_NE(tls13.find("CONNECTION ESTABLISHED"), std::string::npos) << tls13;
  EXPECT_NE(tls13.find("Protocol version: TLSv1.3"), std::string::npos) << tls13;

  // A client that offers nothing newer than TLS 1.2 gets no connection:
  // the server ends the handshake and the client reads end of file.
  std::string tls12 = TryTls(federation, side.server->port(), "-tls1_2");
  EXPECT_EQ(tls12.find("CONNECTION ESTABLISHED"), std::string::npos) << tls12;
  EXPECT_NE(tls12.find("unexpected eof"), std::string::npos) << tls12;
}

TEST(PeerAdmissionTest, NodeProcessRefusesTls12) {
  Federation federation({320000, 420000}, 320000);
  ASSERT_TRUE(federation.Start(320000, {"--skip-majority-check"}));
  int port = federation.PeerPort(320000);
  std::string tls13 = TryTls(federation, port, "-tls1_3");
  EXPECT_NE(tls13.find("Protocol version: TLSv1.3"), std::string::npos) << tls13;
  std::string tls12 = TryTls(federation, port, "-tls1_2");
  EXPECT_EQ(tls12.find("CONNECTION ESTABLISHED"), std::string::npos) << tls12;
  EXPECT_NE(tls12.find("unexpected eof"), std::string::npos) << tls12;
  // The node's OpenSSL refused the version itself.
  std::string log = ReadAll(federation.Dir(320000) + "/node.log");
  EXPECT_NE(log.find("unsupported protocol"), std::string::npos) << log;
}

}  // namespace
}  // namespace yreb
