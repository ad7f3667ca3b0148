// X.509 material of the federation: TLS keys (ECDSA P-256), certificate
// signing requests, the federation CA and the certificates it issues.
//
// A node's certificate names its node id as subject CN (e.g. "320000") and
// carries the SANs its CSR requested. The CA belongs to the root holder; a
// node's TLS private key is generated on the node and never leaves it: only
// the CSR travels. Private keys are written mode 0600 and never printed.
#ifndef YREB_FEDERATION_CERTIFICATES_H_
#define YREB_FEDERATION_CERTIFICATES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace yreb::federation {

// Days a node certificate is valid by default, and the CA certificate.
inline constexpr int kDefaultCertificateDays = 730;
inline constexpr int kCaCertificateDays = 3650;

// Writes a new P-256 private key as PKCS#8 PEM to `path`, mode 0600. Fails
// with AlreadyExists, writing nothing, when the file exists.
absl::Status GenerateTlsKey(const std::string& path);

// Reads a PEM private key file; fails with PermissionDenied when group or
// others may read it. The returned text is secret: never log or print it.
absl::StatusOr<std::string> ReadPrivateKeyPem(const std::string& path);

// Returns the lower-case hex SHA-256 of the DER SubjectPublicKeyInfo of the
// key in `key_pem`: the TLS identity a manifest names.
absl::StatusOr<std::string> SpkiSha256OfPrivateKey(std::string_view key_pem);

// Returns a PEM CSR for subject CN `node_id`, signed with `key_pem`, asking
// for `sans` ("127.0.0.1", "localhost", "node.example.org": IP addresses
// become IP SANs, other names DNS SANs).
absl::StatusOr<std::string> MakeCsr(std::string_view key_pem, uint32_t node_id,
                                    const std::vector<std::string>& sans);

// What a CSR or certificate says about its subject.
struct SubjectInfo {
  std::string common_name;
  std::string spki_sha256;        // hex SHA-256 of the DER SubjectPublicKeyInfo
  std::vector<std::string> sans;  // DNS names and IP addresses, as text
  std::string not_after;          // certificates only, e.g. "Jan  2 03:04:05 2027 GMT"
};

// Parses a PEM CSR and checks its self-signature. Fails with InvalidArgument.
absl::StatusOr<SubjectInfo> ReadCsr(std::string_view csr_pem);

// Parses the first certificate of `pem`. Fails with InvalidArgument.
absl::StatusOr<SubjectInfo> ReadCertificate(std::string_view pem);

// Returns the node id a subject CN names, or 0 when it is not six digits.
uint32_t NodeIdFromCommonName(std::string_view common_name);

// Creates the federation CA: a P-256 key at `key_path` (0600) and a
// self-signed CA certificate at `cert_path`. Fails with AlreadyExists when
// either file exists.
absl::Status CreateCa(const std::string& key_path, const std::string& cert_path);

// Issues a certificate for `csr_pem`: subject CN from the CSR, its public key
// and SANs, usable for TLS server and client authentication, valid `days`.
// REQUIRES: ReadCsr(csr_pem) is ok. Returns PEM.
absl::StatusOr<std::string> IssueCertificate(std::string_view csr_pem, std::string_view ca_key_pem,
                                             std::string_view ca_cert_pem, int days);

// Trust in one CA certificate, for checking presented chains. Thread-safe.
class CaTrust {
 public:
  static absl::StatusOr<std::shared_ptr<const CaTrust>> FromPem(std::string_view ca_cert_pem);
  ~CaTrust();

  enum class Purpose { kClient, kServer };
  // Checks that `chain_pem` (leaf first, then any intermediates) chains to
  // this CA, is valid now and allows `purpose`. Returns the leaf's subject, or
  // PermissionDenied with OpenSSL's reason.
  absl::StatusOr<SubjectInfo> Verify(std::string_view chain_pem, Purpose purpose) const;

 private:
  CaTrust() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yreb::federation

#endif  // YREB_FEDERATION_CERTIFICATES_H_
