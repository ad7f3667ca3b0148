#include "federation/certificates.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"
#include "i18n/i18n.h"

namespace yreb::federation {
namespace {

using i18n::Tr;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

void FreeCertificates(STACK_OF(X509) * certificates) {
  sk_X509_pop_free(certificates, X509_free);
}

constexpr char kOrganization[] = "yreb-sync federation";
constexpr char kCaCommonName[] = "yreb-sync federation CA";

// Returns OpenSSL's queued error text and clears the queue.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof(buffer));
  return buffer;
}

BioPtr MemoryBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<PkeyPtr> ParsePrivateKey(std::string_view pem) {
  BioPtr bio = MemoryBio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  // Never include the PEM in the message: it is the secret itself.
  if (key == nullptr) {
    return absl::InvalidArgumentError(Tr("invalid TLS private key: {}", OpenSslError()));
  }
  return key;
}

absl::StatusOr<X509Ptr> ParseCertificate(BIO* bio) {
  X509Ptr certificate(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  if (certificate == nullptr) {
    return absl::InvalidArgumentError(Tr("invalid certificate: {}", OpenSslError()));
  }
  return certificate;
}

PkeyPtr GenerateP256() { return PkeyPtr(EVP_EC_gen("P-256")); }

std::string SpkiSha256(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key, &der);
  if (size <= 0) return "";
  crypto::Hash digest =
      crypto::Sha256(std::string_view(reinterpret_cast<const char*>(der), size));
  OPENSSL_free(der);
  return crypto::ToHex(digest);
}

std::string CommonName(X509_NAME* name) {
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int size = ASN1_STRING_to_UTF8(&utf8, data);
  if (size < 0) return "";
  std::string text(reinterpret_cast<const char*>(utf8), size);
  OPENSSL_free(utf8);
  return text;
}

std::vector<std::string> SanTexts(const GENERAL_NAMES* names) {
  std::vector<std::string> texts;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      texts.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                         ASN1_STRING_length(dns));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      char buffer[INET6_ADDRSTRLEN] = {};
      int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
      if (inet_ntop(family, ASN1_STRING_get0_data(ip), buffer, sizeof(buffer)) != nullptr) {
        texts.emplace_back(buffer);
      }
    }
  }
  return texts;
}

// Returns the SAN list for X509V3_EXT_conf_nid: "IP:127.0.0.1,DNS:localhost".
absl::StatusOr<std::string> SanConfig(const std::vector<std::string>& sans) {
  std::string config;
  for (const std::string& san : sans) {
    unsigned char buffer[16];
    bool is_ip = inet_pton(AF_INET, san.c_str(), buffer) == 1 ||
                 inet_pton(AF_INET6, san.c_str(), buffer) == 1;
    bool valid_dns = !san.empty() && san.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyz"
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.*") ==
                                         std::string::npos;
    if (!is_ip && !valid_dns) {
      return absl::InvalidArgumentError(
          Tr("invalid subject alternative name \"{}\"; give an IP address or a DNS name", san));
    }
    if (!config.empty()) config += ",";
    config += (is_ip ? "IP:" : "DNS:") + san;
  }
  return config;
}

absl::Status AddExtension(X509* certificate, X509V3_CTX* context, int nid, const std::string& value) {
  ExtPtr extension(X509V3_EXT_conf_nid(nullptr, context, nid, value.c_str()));
  if (extension == nullptr || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return absl::InternalError(
        Tr("cannot add certificate extension {}: {}", OBJ_nid2sn(nid), OpenSslError()));
  }
  return absl::OkStatus();
}

absl::Status SetRandomSerial(X509* certificate) {
  std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> serial(BN_new());
  if (BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate)) == nullptr) {
    return absl::InternalError(Tr("cannot make a certificate serial number: {}", OpenSslError()));
  }
  return absl::OkStatus();
}

// Writes `text` to a new file `path` with `mode`; AlreadyExists when it
// exists, so a key is never overwritten.
absl::Status WriteNewFile(const std::string& path, std::string_view text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          Tr("{} already exists; move it away or choose another path", path));
    }
    return absl::PermissionDeniedError(Tr("cannot create {}: {}", path, i18n::ErrnoMessage(errno)));
  }
  ::fchmod(fd, mode);
  size_t written = 0;
  while (written < text.size()) {
    ssize_t count = ::write(fd, text.data() + written, text.size() - written);
    if (count < 0) {
      ::close(fd);
      return absl::InternalError(Tr("cannot write {}: {}", path, i18n::ErrnoMessage(errno)));
    }
    written += static_cast<size_t>(count);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return absl::InternalError(Tr("cannot write {}: {}", path, i18n::ErrnoMessage(errno)));
  }
  return absl::OkStatus();
}

std::string PrivateKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return BioText(bio.get());
}

std::string CertificatePem(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), certificate);
  return BioText(bio.get());
}

std::string NotAfterText(const X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), X509_get0_notAfter(certificate));
  return BioText(bio.get());
}

SubjectInfo CertificateSubject(X509* certificate) {
  SubjectInfo info;
  info.common_name = CommonName(X509_get_subject_name(certificate));
  info.spki_sha256 = SpkiSha256(X509_get0_pubkey(certificate));
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    info.sans = SanTexts(names);
    GENERAL_NAMES_free(names);
  }
  info.not_after = NotAfterText(certificate);
  return info;
}

}  // namespace

absl::Status GenerateTlsKey(const std::string& path) {
  PkeyPtr key = GenerateP256();
  if (key == nullptr) {
    return absl::InternalError(Tr("cannot generate a P-256 key: {}", OpenSslError()));
  }
  return WriteNewFile(path, PrivateKeyPem(key.get()), 0600);
}

absl::StatusOr<std::string> ReadPrivateKeyPem(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(Tr("cannot read {}: {}", path, i18n::ErrnoMessage(errno)));
  }
  if ((info.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(
        Tr("{} is readable by group or others (mode {:o}); run chmod 600 {}", path,
           info.st_mode & 0777, path));
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (!in) return absl::NotFoundError(Tr("cannot read {}: {}", path, i18n::ErrnoMessage(errno)));
  return buffer.str();
}

absl::StatusOr<std::string> SpkiSha256OfPrivateKey(std::string_view key_pem) {
  absl::StatusOr<PkeyPtr> key = ParsePrivateKey(key_pem);
  if (!key.ok()) return key.status();
  return SpkiSha256(key->get());
}

absl::StatusOr<std::string> MakeCsr(std::string_view key_pem, uint32_t node_id,
                                    const std::vector<std::string>& sans) {
  absl::StatusOr<PkeyPtr> key = ParsePrivateKey(key_pem);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> san_config = SanConfig(sans);
  if (!san_config.ok()) return san_config.status();

  ReqPtr request(X509_REQ_new());
  X509_REQ_set_version(request.get(), 0);
  X509_NAME* name = X509_REQ_get_subject_name(request.get());
  std::string common_name = std::to_string(node_id);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(kOrganization), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_REQ_set_pubkey(request.get(), key->get());
  if (!san_config->empty()) {
    STACK_OF(X509_EXTENSION)* extensions = sk_X509_EXTENSION_new_null();
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, san_config->c_str());
    if (san == nullptr) {
      sk_X509_EXTENSION_free(extensions);
      return absl::InvalidArgumentError(
          Tr("invalid subject alternative names {}: {}", *san_config, OpenSslError()));
    }
    sk_X509_EXTENSION_push(extensions, san);
    X509_REQ_add_extensions(request.get(), extensions);
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  }
  if (X509_REQ_sign(request.get(), key->get(), EVP_sha256()) <= 0) {
    return absl::InternalError(Tr("cannot sign the CSR: {}", OpenSslError()));
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), request.get());
  return BioText(bio.get());
}

absl::StatusOr<SubjectInfo> ReadCsr(std::string_view csr_pem) {
  BioPtr bio = MemoryBio(csr_pem);
  ReqPtr request(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (request == nullptr) {
    return absl::InvalidArgumentError(Tr("not a PEM certificate signing request: {}",
                                         OpenSslError()));
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(request.get());
  if (key == nullptr || X509_REQ_verify(request.get(), key) != 1) {
    return absl::InvalidArgumentError(
        Tr("the CSR's signature does not verify; it was altered or damaged"));
  }
  SubjectInfo info;
  info.common_name = CommonName(X509_REQ_get_subject_name(request.get()));
  info.spki_sha256 = SpkiSha256(key);
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(request.get());
  if (extensions != nullptr) {
    for (int i = 0; i < sk_X509_EXTENSION_num(extensions); ++i) {
      X509_EXTENSION* extension = sk_X509_EXTENSION_value(extensions, i);
      if (OBJ_obj2nid(X509_EXTENSION_get_object(extension)) != NID_subject_alt_name) continue;
      auto* names = static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(extension));
      if (names != nullptr) {
        info.sans = SanTexts(names);
        GENERAL_NAMES_free(names);
      }
    }
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  }
  return info;
}

absl::StatusOr<SubjectInfo> ReadCertificate(std::string_view pem) {
  BioPtr bio = MemoryBio(pem);
  absl::StatusOr<X509Ptr> certificate = ParseCertificate(bio.get());
  if (!certificate.ok()) return certificate.status();
  return CertificateSubject(certificate->get());
}

uint32_t NodeIdFromCommonName(std::string_view common_name) {
  if (common_name.size() != 6) return 0;
  uint32_t id = 0;
  for (char c : common_name) {
    if (c < '0' || c > '9') return 0;
    id = id * 10 + static_cast<uint32_t>(c - '0');
  }
  return id;
}

absl::Status CreateCa(const std::string& key_path, const std::string& cert_path) {
  std::error_code error;
  for (const std::string& path : {key_path, cert_path}) {
    if (std::filesystem::exists(path, error)) {
      return absl::AlreadyExistsError(
          Tr("{} already exists; move it away or choose another path", path));
    }
  }
  PkeyPtr key = GenerateP256();
  if (key == nullptr) {
    return absl::InternalError(Tr("cannot generate a P-256 key: {}", OpenSslError()));
  }
  X509Ptr certificate(X509_new());
  X509_set_version(certificate.get(), 2);
  if (absl::Status status = SetRandomSerial(certificate.get()); !status.ok()) return status;
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(kOrganization), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(kCaCommonName), -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  // An hour of slack for clocks that run behind.
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 86400L * kCaCertificateDays);
  X509_set_pubkey(certificate.get(), key.get());

  X509V3_CTX context;
  X509V3_set_ctx(&context, certificate.get(), certificate.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                            std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                            std::pair{NID_subject_key_identifier, "hash"}}) {
    if (absl::Status status = AddExtension(certificate.get(), &context, nid, value);
        !status.ok()) {
      return status;
    }
  }
  if (X509_sign(certificate.get(), key.get(), EVP_sha256()) <= 0) {
    return absl::InternalError(Tr("cannot sign the CA certificate: {}", OpenSslError()));
  }

  if (absl::Status status = WriteNewFile(key_path, PrivateKeyPem(key.get()), 0600);
      !status.ok()) {
    return status;
  }
  return WriteNewFile(cert_path, CertificatePem(certificate.get()), 0644);
}

absl::StatusOr<std::string> IssueCertificate(std::string_view csr_pem, std::string_view ca_key_pem,
                                             std::string_view ca_cert_pem, int days) {
  absl::StatusOr<SubjectInfo> request_info = ReadCsr(csr_pem);
  if (!request_info.ok()) return request_info.status();
  BioPtr request_bio = MemoryBio(csr_pem);
  ReqPtr request(PEM_read_bio_X509_REQ(request_bio.get(), nullptr, nullptr, nullptr));
  absl::StatusOr<PkeyPtr> ca_key = ParsePrivateKey(ca_key_pem);
  if (!ca_key.ok()) return ca_key.status();
  BioPtr ca_bio = MemoryBio(ca_cert_pem);
  absl::StatusOr<X509Ptr> ca = ParseCertificate(ca_bio.get());
  if (!ca.ok()) return ca.status();
  if (X509_check_private_key(ca->get(), ca_key->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        Tr("the CA private key does not belong to the CA certificate; use the pair from yrebctl "
           "root keygen"));
  }

  X509Ptr certificate(X509_new());
  X509_set_version(certificate.get(), 2);
  if (absl::Status status = SetRandomSerial(certificate.get()); !status.ok()) return status;
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(kOrganization), -1, -1, 0);
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_UTF8,
      reinterpret_cast<const unsigned char*>(request_info->common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(ca->get()));
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 86400L * days);
  X509_set_pubkey(certificate.get(), X509_REQ_get0_pubkey(request.get()));

  X509V3_CTX context;
  X509V3_set_ctx(&context, ca->get(), certificate.get(), nullptr, nullptr, 0);
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "serverAuth,clientAuth"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  absl::StatusOr<std::string> san_config = SanConfig(request_info->sans);
  if (!san_config.ok()) return san_config.status();
  if (!san_config->empty()) extensions.push_back({NID_subject_alt_name, *san_config});
  for (const auto& [nid, value] : extensions) {
    if (absl::Status status = AddExtension(certificate.get(), &context, nid, value);
        !status.ok()) {
      return status;
    }
  }
  if (X509_sign(certificate.get(), ca_key->get(), EVP_sha256()) <= 0) {
    return absl::InternalError(Tr("cannot sign the certificate: {}", OpenSslError()));
  }
  return CertificatePem(certificate.get());
}

struct CaTrust::Impl {
  StorePtr store;
};

CaTrust::~CaTrust() = default;

absl::StatusOr<std::shared_ptr<const CaTrust>> CaTrust::FromPem(std::string_view ca_cert_pem) {
  BioPtr bio = MemoryBio(ca_cert_pem);
  absl::StatusOr<X509Ptr> ca = ParseCertificate(bio.get());
  if (!ca.ok()) return ca.status();
  std::shared_ptr<CaTrust> trust(new CaTrust());
  trust->impl_ = std::make_unique<Impl>();
  trust->impl_->store.reset(X509_STORE_new());
  if (X509_STORE_add_cert(trust->impl_->store.get(), ca->get()) != 1) {
    return absl::InternalError(Tr("cannot load the CA certificate: {}", OpenSslError()));
  }
  return std::shared_ptr<const CaTrust>(std::move(trust));
}

absl::StatusOr<SubjectInfo> CaTrust::Verify(std::string_view chain_pem, Purpose purpose) const {
  BioPtr bio = MemoryBio(chain_pem);
  absl::StatusOr<X509Ptr> leaf = ParseCertificate(bio.get());
  if (!leaf.ok()) return absl::PermissionDeniedError(leaf.status().message());
  std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), FreeCertificates>> intermediates(
      sk_X509_new_null());
  while (X509* next = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(intermediates.get(), next);
  }
  ERR_clear_error();  // the loop ends on a "no start line" error

  StoreCtxPtr context(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(context.get(), impl_->store.get(), leaf->get(),
                          intermediates.get()) != 1) {
    return absl::InternalError(Tr("cannot check a certificate: {}", OpenSslError()));
  }
  X509_STORE_CTX_set_purpose(context.get(), purpose == Purpose::kClient
                                                ? X509_PURPOSE_SSL_CLIENT
                                                : X509_PURPOSE_SSL_SERVER);
  if (X509_verify_cert(context.get()) != 1) {
    std::string reason = X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()));
    ERR_clear_error();
    return absl::PermissionDeniedError(reason);
  }
  return CertificateSubject(leaf->get());
}

}  // namespace yreb::federation
