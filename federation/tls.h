// Mutual TLS between members: server and channel credentials for the peer
// port, and the admission rule both sides apply to the certificate the other
// presents.
//
// A peer is admitted when its certificate chains to the federation CA, names
// a node id as subject CN, that node is a member of the newest manifest, and
// the certificate's public key is the one that manifest names for it. The
// server checks this in the handshake and again on every call, so a newer
// manifest that removes a member or changes its TLS key shuts it out at its
// next call, even on a connection opened before, although its certificate is
// still valid.
#ifndef YREB_FEDERATION_TLS_H_
#define YREB_FEDERATION_TLS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "federation/certificates.h"
#include "federation/membership.h"

namespace yreb::federation {

// Paths of a node's TLS files.
struct TlsFiles {
  std::string ca_cert;  // the federation CA certificate (PEM)
  std::string cert;     // this node's certificate (PEM), issued by the CA
  std::string key;      // this node's TLS private key (PEM, mode 0600)
};

// A node's TLS material in memory. `key_pem` is secret: never log it.
struct TlsMaterial {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  SubjectInfo subject;  // of cert_pem
  std::shared_ptr<const CaTrust> ca;
};

// Reads the three files and checks that the key is mode 0600, the
// certificate belongs to the key and chains to the CA. Fails with the file
// and the fix.
absl::StatusOr<TlsMaterial> LoadTlsMaterial(const TlsFiles& files);

// A member a peer's certificate was admitted as.
struct PeerIdentity {
  uint32_t node_id = 0;
  std::string spki_sha256;
  uint64_t manifest_version = 0;
};

// Decides whether a presented certificate chain belongs to a current member.
class PeerAdmission {
 public:
  // `membership` may be null: then any certificate of the CA naming a node id
  // is admitted (used only by tests and tools that hold no manifest).
  PeerAdmission(std::shared_ptr<const CaTrust> ca, const Membership* membership);

  // Returns the member `chain_pem` proves, or PermissionDenied with the reason
  // when it is empty, not from the CA, names no node id, names no current
  // member, or carries a key the newest manifest does not name for it. When
  // `expected_node_id` is not 0 the CN must name that node.
  absl::StatusOr<PeerIdentity> Check(std::string_view chain_pem, CaTrust::Purpose purpose,
                                     uint32_t expected_node_id) const;

 private:
  std::shared_ptr<const CaTrust> ca_;
  const Membership* membership_;
};

// Makes every TLS connection of this process, as server or client, TLS 1.3
// or nothing, through OpenSSL's process-wide configuration. Idempotent; the
// credential functions below call it. Aborts when OpenSSL refuses, because
// the node must not admit older TLS.
void RequireTls13();

// Returns credentials for the peer port: TLS 1.3 with this node's certificate,
// requesting a client certificate and rejecting in the handshake, with a
// warning log naming the presented identity, every client `admission` rejects.
// Every call is checked again against the newest manifest and fails with
// UNAUTHENTICATED when the caller is no longer admitted (logged at most once
// per 10 s per presented name).
std::shared_ptr<grpc::ServerCredentials> PeerServerCredentials(
    const TlsMaterial& material, std::shared_ptr<const PeerAdmission> admission);

// Returns credentials for dialing member `node_id`: presents this node's
// certificate and accepts only a server certificate that `admission` admits
// as `node_id`.
std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(
    const TlsMaterial& material, std::shared_ptr<const PeerAdmission> admission,
    uint32_t node_id);

// Returns a channel to member `node_id` at the address the newest manifest
// gives it. Fails with NotFound when there is no manifest or no such member.
absl::StatusOr<std::shared_ptr<grpc::Channel>> DialMember(const TlsMaterial& material,
                                                          const Membership& membership,
                                                          uint32_t node_id);

}  // namespace yreb::federation

#endif  // YREB_FEDERATION_TLS_H_
