#include "federation/tls.h"

#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>

#include "common/log_limiter.h"
#include "federation/refusals.h"
#include "i18n/i18n.h"

namespace yreb::federation {
namespace {

using grpc::experimental::ExternalCertificateVerifier;
using grpc::experimental::TlsCustomVerificationCheckRequest;
using i18n::Tr;

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(Tr("cannot read {}: {}", path, i18n::ErrnoMessage(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// OpenSSL configuration that disables every protocol below TLS 1.3. gRPC 1.51
// sets TLS 1.2 as the lowest version of each context it makes, but a protocol
// disabled in the system_default section stays disabled (checked by
// tests/e2e/peer_admission_e2e_test.cc).
constexpr char kTls13OnlyConfig[] =
    "openssl_conf = yreb_openssl\n"
    "[yreb_openssl]\n"
    "ssl_conf = yreb_ssl\n"
    "[yreb_ssl]\n"
    "system_default = yreb_tls\n"
    "[yreb_tls]\n"
    "MinProtocol = TLSv1.3\n"
    "Protocol = -SSLv3, -TLSv1, -TLSv1.1, -TLSv1.2\n";

absl::Status LoadTls13OnlyConfig() {
  if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, nullptr) != 1) {
    return absl::InternalError("OpenSSL failed to initialize");
  }
  CONF* conf = NCONF_new(nullptr);
  BIO* bio = BIO_new_mem_buf(kTls13OnlyConfig, -1);
  long error_line = 0;
  bool loaded = conf != nullptr && bio != nullptr && NCONF_load_bio(conf, bio, &error_line) > 0 &&
                CONF_modules_load(conf, nullptr, 0) > 0;
  BIO_free(bio);
  NCONF_free(conf);
  if (!loaded) {
    char detail[256] = {};
    ERR_error_string_n(ERR_get_error(), detail, sizeof detail);
    return absl::InternalError(fmt::format(
        "failed to load the OpenSSL configuration that requires TLS 1.3: {}", detail));
  }
  return absl::OkStatus();
}

std::string_view View(grpc::string_ref text) { return std::string_view(text.data(), text.size()); }

// Runs PeerAdmission in the TLS handshake. gRPC calls it once the handshake
// has proven that the peer holds the private key of the certificate it
// presented; rejecting here closes the connection before any call.
class AdmissionVerifier : public ExternalCertificateVerifier {
 public:
  AdmissionVerifier(std::shared_ptr<const PeerAdmission> admission, CaTrust::Purpose purpose,
                    uint32_t expected_node_id)
      : admission_(std::move(admission)),
        purpose_(purpose),
        expected_node_id_(expected_node_id) {}

  bool Verify(TlsCustomVerificationCheckRequest* request, std::function<void(grpc::Status)>,
              grpc::Status* sync_status) override {
    // The leaf first, then whatever chain gRPC reports, as untrusted
    // intermediates: on the server side gRPC 1.51 does not put the client's
    // leaf first in peer_cert_full_chain.
    std::string chain(View(request->peer_cert()));
    if (!chain.empty()) chain += std::string(View(request->peer_cert_full_chain()));
    absl::StatusOr<PeerIdentity> identity = admission_->Check(chain, purpose_, expected_node_id_);
    const char* side = purpose_ == CaTrust::Purpose::kClient ? "client" : "server";
    if (!identity.ok()) {
      // The presented identity, as far as it can be read, so an operator can
      // tell a misconfigured member from a stranger.
      std::string spki = "-";
      if (absl::StatusOr<SubjectInfo> subject = ReadCertificate(chain); subject.ok()) {
        spki = subject->spki_sha256;
      }
      std::string common_name(View(request->common_name()));
      if (common_name.empty()) common_name = "-";
      std::string reason(identity.status().message());
      RecordRefusal(common_name, spki, reason);
      // A refused stranger may retry often; log each identity a few times a
      // minute, with the count of lines left out.
      uint64_t suppressed = 0;
      if (log_limiter_.Allow(common_name + "/" + spki, &suppressed)) {
        spdlog::warn("peer rejected: side={} presented_cn=\"{}\" presented_spki={} "
                     "reason=\"{}\" suppressed={}",
                     side, common_name, spki, reason, suppressed);
      }
      *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                  std::string(identity.status().message()));
      return true;
    }
    spdlog::debug("peer admitted: side={} node={} manifest_version={}", side, identity->node_id,
                  identity->manifest_version);
    *sync_status = grpc::Status::OK;
    return true;
  }

  void Cancel(TlsCustomVerificationCheckRequest*) override {}

 private:
  std::shared_ptr<const PeerAdmission> admission_;
  CaTrust::Purpose purpose_;
  uint32_t expected_node_id_;
  LogLimiter log_limiter_{3, std::chrono::minutes(1)};
};

// Runs PeerAdmission again on every call, against the manifest newest at
// that moment. The handshake check alone would leave a connection opened
// before a newer manifest removed a member, or changed its TLS key, usable
// for as long as it stays open.
class CallAdmission : public grpc::AuthMetadataProcessor {
 public:
  explicit CallAdmission(std::shared_ptr<const PeerAdmission> admission)
      : admission_(std::move(admission)) {}

  // The check reads memory only, so it runs on the call's own thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata&, grpc::AuthContext* context, OutputMetadata*,
                       OutputMetadata*) override {
    std::string chain;
    for (const grpc::string_ref& pem : context->FindPropertyValues("x509_pem_cert")) {
      chain.append(pem.data(), pem.size());
    }
    absl::StatusOr<PeerIdentity> identity =
        admission_->Check(chain, CaTrust::Purpose::kClient, 0);
    if (identity.ok()) return grpc::Status::OK;

    std::string common_name = "-";
    for (const grpc::string_ref& name : context->FindPropertyValues("x509_common_name")) {
      common_name.assign(name.data(), name.size());
    }
    RecordRefusal(common_name, "-", std::string(identity.status().message()));
    // A removed member's sessions retry on their open connection, so the
    // log shows each presented name once per 10 seconds.
    uint64_t suppressed = 0;
    if (log_limiter_.Allow(common_name, &suppressed)) {
      spdlog::warn("peer call rejected: presented_cn=\"{}\" reason=\"{}\" suppressed={}",
                   common_name, identity.status().message(), suppressed);
    }
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        std::string(identity.status().message()));
  }

 private:
  std::shared_ptr<const PeerAdmission> admission_;
  LogLimiter log_limiter_{1, std::chrono::seconds(10)};
};

std::shared_ptr<grpc::experimental::StaticDataCertificateProvider> Provider(
    const TlsMaterial& material) {
  std::vector<grpc::experimental::IdentityKeyCertPair> identity = {
      {material.key_pem, material.cert_pem}};
  return std::make_shared<grpc::experimental::StaticDataCertificateProvider>(material.ca_pem,
                                                                            identity);
}

}  // namespace

void RequireTls13() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (absl::Status status = LoadTls13OnlyConfig(); !status.ok()) {
      // Without it a TLS 1.2 peer would be admitted; nothing may connect.
      spdlog::critical("{}", status.message());
      std::abort();
    }
  });
}

absl::StatusOr<TlsMaterial> LoadTlsMaterial(const TlsFiles& files) {
  TlsMaterial material;
  absl::StatusOr<std::string> ca = ReadTextFile(files.ca_cert);
  if (!ca.ok()) return ca.status();
  material.ca_pem = std::move(*ca);
  absl::StatusOr<std::string> cert = ReadTextFile(files.cert);
  if (!cert.ok()) return cert.status();
  material.cert_pem = std::move(*cert);
  absl::StatusOr<std::string> key = ReadPrivateKeyPem(files.key);
  if (!key.ok()) return key.status();
  material.key_pem = std::move(*key);

  absl::StatusOr<std::shared_ptr<const CaTrust>> trust = CaTrust::FromPem(material.ca_pem);
  if (!trust.ok()) {
    return absl::InvalidArgumentError(Tr("{}: {}", files.ca_cert, trust.status().message()));
  }
  material.ca = *trust;
  absl::StatusOr<SubjectInfo> subject =
      material.ca->Verify(material.cert_pem, CaTrust::Purpose::kServer);
  if (!subject.ok()) {
    return absl::InvalidArgumentError(
        Tr("{} is not a valid certificate of the CA in {}: {}; request a new one with yrebctl "
           "cert request",
           files.cert, files.ca_cert, subject.status().message()));
  }
  absl::StatusOr<std::string> key_spki = SpkiSha256OfPrivateKey(material.key_pem);
  if (!key_spki.ok()) {
    return absl::InvalidArgumentError(Tr("{}: {}", files.key, key_spki.status().message()));
  }
  if (*key_spki != subject->spki_sha256) {
    return absl::InvalidArgumentError(
        Tr("{} does not belong to the private key {}; restore the matching pair", files.cert,
           files.key));
  }
  material.subject = std::move(*subject);
  return material;
}

PeerAdmission::PeerAdmission(std::shared_ptr<const CaTrust> ca, const Membership* membership)
    : ca_(std::move(ca)), membership_(membership) {}

// Reasons are in English: they go to the log of the rejecting node.
absl::StatusOr<PeerIdentity> PeerAdmission::Check(std::string_view chain_pem,
                                                  CaTrust::Purpose purpose,
                                                  uint32_t expected_node_id) const {
  if (chain_pem.empty()) {
    return absl::PermissionDeniedError("no certificate presented");
  }
  absl::StatusOr<SubjectInfo> subject = ca_->Verify(chain_pem, purpose);
  if (!subject.ok()) {
    return absl::PermissionDeniedError(fmt::format(
        "certificate not issued by the federation CA: {}", subject.status().message()));
  }
  PeerIdentity identity;
  identity.node_id = NodeIdFromCommonName(subject->common_name);
  identity.spki_sha256 = subject->spki_sha256;
  if (identity.node_id == 0) {
    return absl::PermissionDeniedError(
        fmt::format("certificate CN \"{}\" names no node id", subject->common_name));
  }
  if (expected_node_id != 0 && identity.node_id != expected_node_id) {
    return absl::PermissionDeniedError(fmt::format(
        "certificate names node {}, but node {} was dialed", identity.node_id, expected_node_id));
  }
  if (membership_ == nullptr) return identity;

  std::shared_ptr<const ManifestVersion> manifest = membership_->NewestManifest();
  if (manifest == nullptr) {
    return absl::PermissionDeniedError(
        "this node has no manifest stored, so it admits no peer; apply one with yrebctl apply");
  }
  identity.manifest_version = manifest->version;
  const proto::Member* member = FindMember(manifest->manifest, identity.node_id);
  if (member == nullptr) {
    return absl::PermissionDeniedError(fmt::format("node {} is not a member of manifest version {}",
                                                   identity.node_id, manifest->version));
  }
  if (member->tls_spki_sha256() != identity.spki_sha256) {
    return absl::PermissionDeniedError(fmt::format(
        "node {} presented TLS key {}, but manifest version {} names key {} for it",
        identity.node_id, identity.spki_sha256, manifest->version, member->tls_spki_sha256()));
  }
  return identity;
}

std::shared_ptr<grpc::ServerCredentials> PeerServerCredentials(
    const TlsMaterial& material, std::shared_ptr<const PeerAdmission> admission) {
  RequireTls13();
  grpc::experimental::TlsServerCredentialsOptions options(Provider(material));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  // gRPC 1.51 leaves the chain check to the verifier in this mode, so that a
  // client without a certificate or with one of another CA reaches
  // AdmissionVerifier and is logged; PeerAdmission checks the chain itself.
  options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  options.set_certificate_verifier(ExternalCertificateVerifier::Create<AdmissionVerifier>(
      admission, CaTrust::Purpose::kClient, 0));
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(options);
  credentials->SetAuthMetadataProcessor(std::make_shared<CallAdmission>(std::move(admission)));
  return credentials;
}

std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(
    const TlsMaterial& material, std::shared_ptr<const PeerAdmission> admission,
    uint32_t node_id) {
  RequireTls13();
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(Provider(material));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  // Identity is the node id in the CN, checked by the verifier, not a host
  // name; the address comes from the signed manifest.
  options.set_check_call_host(false);
  options.set_certificate_verifier(ExternalCertificateVerifier::Create<AdmissionVerifier>(
      std::move(admission), CaTrust::Purpose::kServer, node_id));
  return grpc::experimental::TlsCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> DialMember(const TlsMaterial& material,
                                                          const Membership& membership,
                                                          uint32_t node_id) {
  std::shared_ptr<const ManifestVersion> manifest = membership.NewestManifest();
  if (manifest == nullptr) {
    return absl::NotFoundError(Tr("this node has no manifest stored; apply one with yrebctl apply"));
  }
  const proto::Member* member = FindMember(manifest->manifest, node_id);
  if (member == nullptr) {
    return absl::NotFoundError(
        Tr("node {} is not a member of manifest version {}", node_id, manifest->version));
  }
  auto admission = std::make_shared<const PeerAdmission>(material.ca, &membership);
  return grpc::CreateChannel(member->address(),
                             PeerChannelCredentials(material, std::move(admission), node_id));
}

}  // namespace yreb::federation
