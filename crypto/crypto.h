// SHA-256 and Ed25519 over OpenSSL 3.
//
// Every signature in yreb-sync is Ed25519 and every hash SHA-256. Signing and
// verifying reset their OpenSSL context before each use: OpenSSL 3.0 keeps the
// first key of a reused EVP_MD_CTX, which would let a signature of key A pass
// as one of key B.
#ifndef YREB_CRYPTO_CRYPTO_H_
#define YREB_CRYPTO_CRYPTO_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace yreb::crypto {

inline constexpr size_t kHashSize = 32;
inline constexpr size_t kSignatureSize = 64;
inline constexpr size_t kPublicKeySize = 32;

using Hash = std::array<uint8_t, kHashSize>;
using Signature = std::array<uint8_t, kSignatureSize>;

// Returns SHA-256 of `data`.
Hash Sha256(std::string_view data);
// Returns SHA-256 of the concatenation of `parts`.
Hash Sha256(std::initializer_list<std::string_view> parts);

// Incremental SHA-256 for data that arrives in parts.
class Sha256Builder {
 public:
  Sha256Builder();
  ~Sha256Builder();
  Sha256Builder(const Sha256Builder&) = delete;
  Sha256Builder& operator=(const Sha256Builder&) = delete;

  void Update(std::string_view data);
  // Returns the digest. REQUIRES: called once.
  Hash Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Lower-case hex of `bytes`.
std::string ToHex(std::string_view bytes);
std::string ToHex(const Hash& hash);
// Parses hex text of any length; fails on odd length or a non-hex digit.
absl::StatusOr<std::string> FromHex(std::string_view hex);
absl::StatusOr<Hash> HashFromHex(std::string_view hex);

std::string_view AsBytes(const Hash& hash);
std::string_view AsBytes(const Signature& signature);

// An Ed25519 public key.
class PublicKey {
 public:
  static absl::StatusOr<PublicKey> FromRaw(std::string_view raw32);
  static absl::StatusOr<PublicKey> FromPem(std::string_view pem);

  // Returns true when `signature` is this key's signature of `message`.
  bool Verify(std::string_view message, std::string_view signature) const;

  const std::string& raw() const { return raw_; }
  std::string Pem() const;
  // "ed25519:" and the first 16 bytes of SHA-256(raw key) in hex: short
  // enough to read out over the phone, long enough to tell keys apart.
  std::string Fingerprint() const;

  bool operator==(const PublicKey& other) const { return raw_ == other.raw_; }

 private:
  std::string raw_;
};

// An Ed25519 private key. The key bytes never leave this class except as
// PEM written to a 0600 file.
class PrivateKey {
 public:
  static PrivateKey Generate();
  static absl::StatusOr<PrivateKey> FromPem(std::string_view pem);
  // Builds a key from a 32-byte seed, for test vectors only.
  static absl::StatusOr<PrivateKey> FromSeed(std::string_view seed32);

  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

  Signature Sign(std::string_view message) const;
  const PublicKey& public_key() const { return public_key_; }
  std::string Pem() const;

 private:
  PrivateKey() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  PublicKey public_key_;
};

// Writes `key` to `private_path` (mode 0600) and its public key to
// `public_path` (mode 0644). Fails with AlreadyExists, writing nothing, when
// either file exists.
absl::Status WriteKeyPair(const PrivateKey& key, const std::string& private_path,
                          const std::string& public_path);

// Reads a PEM private key; fails when the file is readable by group or others.
absl::StatusOr<PrivateKey> ReadPrivateKey(const std::string& path);
absl::StatusOr<PublicKey> ReadPublicKey(const std::string& path);

}  // namespace yreb::crypto

#endif  // YREB_CRYPTO_CRYPTO_H_
