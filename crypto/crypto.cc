#include "crypto/crypto.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "i18n/i18n.h"

namespace yreb::crypto {
namespace {

using i18n::Tr;

struct EvpPkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

// One digest context per thread, reset before every Init: OpenSSL 3.0 keeps
// the first key of a reused Ed25519 context otherwise.
EVP_MD_CTX* ThreadContext() {
  struct Holder {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Holder() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Holder holder;
  EVP_MD_CTX_reset(holder.ctx);
  return holder.ctx;
}

std::string RawPublicKey(EVP_PKEY* key) {
  std::string raw(kPublicKeySize, '\0');
  size_t size = raw.size();
  EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &size);
  raw.resize(size);
  return raw;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, size);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(Tr("cannot read {}: {}", path, i18n::ErrnoMessage(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Creates `path` exclusively with `mode` and writes `contents`.
absl::Status WriteNewFile(const std::string& path, std::string_view contents, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          Tr("{} already exists; a key is never overwritten. Move it away first if you really "
             "mean to replace it",
             path));
    }
    return absl::PermissionDeniedError(Tr("cannot create {}: {}", path, i18n::ErrnoMessage(errno)));
  }
  ::fchmod(fd, mode);  // The umask may have narrowed or widened nothing; pin it.
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return absl::InternalError(Tr("cannot write {}: {}", path, i18n::ErrnoMessage(saved)));
    }
    written += n;
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(path.c_str());
    return absl::InternalError(Tr("cannot write {}: {}", path, i18n::ErrnoMessage(errno)));
  }
  return absl::OkStatus();
}

// SHA-256 fetched from the default provider once. Passing EVP_sha256() to
// each digest makes OpenSSL 3 look the algorithm up again every time, which
// cost more than hashing a 150-byte entry.
const EVP_MD* FetchedSha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

}  // namespace

Hash Sha256(std::string_view data) {
  Hash hash;
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), hash.data(), &size, FetchedSha256(), nullptr);
  return hash;
}

Hash Sha256(std::initializer_list<std::string_view> parts) {
  // One context per thread, reset for each digest, saves two allocations
  // per hash on the paths that hash every entry.
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  EVP_DigestInit_ex2(context.ctx, FetchedSha256(), nullptr);
  for (std::string_view part : parts) EVP_DigestUpdate(context.ctx, part.data(), part.size());
  Hash hash;
  unsigned int size = 0;
  EVP_DigestFinal_ex(context.ctx, hash.data(), &size);
  return hash;
}

struct Sha256Builder::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256Builder::Sha256Builder() : state_(std::make_unique<State>()) {
  EVP_DigestInit_ex2(state_->ctx, FetchedSha256(), nullptr);
}

Sha256Builder::~Sha256Builder() = default;

void Sha256Builder::Update(std::string_view data) {
  EVP_DigestUpdate(state_->ctx, data.data(), data.size());
}

Hash Sha256Builder::Finish() {
  Hash hash;
  unsigned int size = 0;
  EVP_DigestFinal_ex(state_->ctx, hash.data(), &size);
  return hash;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 0x0f]);
  }
  return hex;
}

std::string ToHex(const Hash& hash) { return ToHex(AsBytes(hash)); }

absl::StatusOr<std::string> FromHex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(Tr("invalid hex text of odd length {}", hex.size()));
  }
  std::string bytes(hex.size() / 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    int high = nibble(hex[2 * i]);
    int low = nibble(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return absl::InvalidArgumentError(Tr("invalid hex digit at position {}", 2 * i));
    }
    bytes[i] = static_cast<char>(high << 4 | low);
  }
  return bytes;
}

absl::StatusOr<Hash> HashFromHex(std::string_view hex) {
  absl::StatusOr<std::string> bytes = FromHex(hex);
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != kHashSize) {
    return absl::InvalidArgumentError(
        Tr("a SHA-256 hash has 64 hex digits, got {}", hex.size()));
  }
  Hash hash;
  std::memcpy(hash.data(), bytes->data(), kHashSize);
  return hash;
}

std::string_view AsBytes(const Hash& hash) {
  return std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size());
}

std::string_view AsBytes(const Signature& signature) {
  return std::string_view(reinterpret_cast<const char*>(signature.data()), signature.size());
}

absl::StatusOr<PublicKey> PublicKey::FromRaw(std::string_view raw32) {
  if (raw32.size() != kPublicKeySize) {
    return absl::InvalidArgumentError(
        Tr("an Ed25519 public key has 32 bytes, got {}", raw32.size()));
  }
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char*>(raw32.data()),
                                          raw32.size()));
  if (key == nullptr) return absl::InvalidArgumentError(Tr("invalid Ed25519 public key"));
  PublicKey result;
  result.raw_ = std::string(raw32);
  return result;
}

absl::StatusOr<PublicKey> PublicKey::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(Tr("not an Ed25519 public key in PEM format"));
  }
  PublicKey result;
  result.raw_ = RawPublicKey(key.get());
  return result;
}

bool PublicKey::Verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kSignatureSize || raw_.size() != kPublicKeySize) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char*>(raw_.data()),
                                          raw_.size()));
  if (key == nullptr) return false;
  EVP_MD_CTX* ctx = ThreadContext();
  if (EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key.get()) != 1) return false;
  int ok = EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()),
                            message.size());
  EVP_MD_CTX_reset(ctx);
  return ok == 1;
}

std::string PublicKey::Pem() const {
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char*>(raw_.data()),
                                          raw_.size()));
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key.get());
  return BioContents(bio.get());
}

std::string PublicKey::Fingerprint() const {
  Hash digest = Sha256(raw_);
  return "ed25519:" + ToHex(std::string_view(reinterpret_cast<const char*>(digest.data()), 16));
}

struct PrivateKey::Impl {
  PkeyPtr key;
};

PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

PrivateKey PrivateKey::Generate() {
  EVP_PKEY* raw = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  EVP_PKEY_keygen_init(ctx);
  EVP_PKEY_keygen(ctx, &raw);
  EVP_PKEY_CTX_free(ctx);
  PrivateKey result;
  result.impl_ = std::make_unique<Impl>();
  result.impl_->key.reset(raw);
  result.public_key_ = *PublicKey::FromRaw(RawPublicKey(raw));
  return result;
}

absl::StatusOr<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(Tr("not an Ed25519 private key in PEM format"));
  }
  PrivateKey result;
  result.public_key_ = *PublicKey::FromRaw(RawPublicKey(key.get()));
  result.impl_ = std::make_unique<Impl>();
  result.impl_->key = std::move(key);
  return result;
}

absl::StatusOr<PrivateKey> PrivateKey::FromSeed(std::string_view seed32) {
  if (seed32.size() != 32) {
    return absl::InvalidArgumentError(Tr("an Ed25519 seed has 32 bytes, got {}", seed32.size()));
  }
  PkeyPtr key(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed32.data()), 32));
  if (key == nullptr) return absl::InvalidArgumentError(Tr("invalid Ed25519 seed"));
  PrivateKey result;
  result.public_key_ = *PublicKey::FromRaw(RawPublicKey(key.get()));
  result.impl_ = std::make_unique<Impl>();
  result.impl_->key = std::move(key);
  return result;
}

Signature PrivateKey::Sign(std::string_view message) const {
  Signature signature{};
  size_t size = signature.size();
  EVP_MD_CTX* ctx = ThreadContext();
  EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, impl_->key.get());
  EVP_DigestSign(ctx, signature.data(), &size,
                 reinterpret_cast<const unsigned char*>(message.data()), message.size());
  EVP_MD_CTX_reset(ctx);
  return signature;
}

std::string PrivateKey::Pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return BioContents(bio.get());
}

absl::Status WriteKeyPair(const PrivateKey& key, const std::string& private_path,
                          const std::string& public_path) {
  struct stat info;
  for (const std::string& path : {private_path, public_path}) {
    if (::stat(path.c_str(), &info) == 0) {
      return absl::AlreadyExistsError(
          Tr("{} already exists; a key is never overwritten. Move it away first if you really "
             "mean to replace it",
             path));
    }
  }
  absl::Status status = WriteNewFile(private_path, key.Pem(), 0600);
  if (!status.ok()) return status;
  status = WriteNewFile(public_path, key.public_key().Pem(), 0644);
  if (!status.ok()) ::unlink(private_path.c_str());
  return status;
}

absl::StatusOr<PrivateKey> ReadPrivateKey(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(Tr("private key {} not found: {}", path, i18n::ErrnoMessage(errno)));
  }
  if ((info.st_mode & 0077) != 0) {
    return absl::PermissionDeniedError(
        Tr("private key {} is readable by other users (mode {:o}); run: chmod 600 {}", path,
           info.st_mode & 0777, path));
  }
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPem(*pem);
  if (!key.ok()) return absl::InvalidArgumentError(Tr("{}: {}", path, key.status().message()));
  return key;
}

absl::StatusOr<PublicKey> ReadPublicKey(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<PublicKey> key = PublicKey::FromPem(*pem);
  if (!key.ok()) return absl::InvalidArgumentError(Tr("{}: {}", path, key.status().message()));
  return key;
}

}  // namespace yreb::crypto
