// Root statements: versioned documents signed with the federation root key.
//
// The root key (Ed25519) is held offline by the root holder and decides
// membership. A statement is one file, carried and stored as its exact bytes;
// every node verifies those bytes and never a re-serialization. The byte
// layout is pinned in docs/FORMATS.md ("Root statements"):
//
//   "YREBSTMT" | format u8 = 1 | kind u8 | version u64 BE | root key id (16)
//   | body length u32 BE | body | Ed25519 signature (64)
//
// The signature covers "yreb-sync/v1/statement" 0x00 followed by every byte
// before the signature, so no entry hash or head signature can pass as a
// statement signature.
#ifndef YREB_FEDERATION_STATEMENT_H_
#define YREB_FEDERATION_STATEMENT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/crypto.h"

namespace yreb::federation {

inline constexpr std::string_view kStatementDomain = "yreb-sync/v1/statement";
inline constexpr std::string_view kStatementMagic = "YREBSTMT";
inline constexpr uint8_t kStatementFormat = 1;
inline constexpr size_t kRootKeyIdSize = 16;
// Bytes of a statement outside its body.
inline constexpr size_t kStatementHeaderSize = 8 + 1 + 1 + 8 + kRootKeyIdSize + 4;
inline constexpr size_t kStatementOverhead = kStatementHeaderSize + crypto::kSignatureSize;
inline constexpr size_t kMaxStatementBodySize = 1 << 20;

// What a statement decides. Versions count separately per kind.
enum class StatementKind : uint8_t {
  kManifest = 1,
  kLeadAssignment = 2,
  kForkResolution = 3,
};

// Returns "manifest", "lead-assignment", "fork-resolution", or "kind N" for a
// kind this build does not know.
std::string KindName(uint8_t kind);

// The decoded fields of a statement; `body` views the bytes decoded.
struct StatementView {
  uint8_t kind = 0;
  uint64_t version = 0;
  std::string root_key_id;  // first 16 bytes of SHA-256 of the raw root key
  std::string_view body;
  std::string_view signed_part;  // every byte before the signature
  crypto::Signature signature{};
};

// Returns the id a statement names its signing key by.
std::string RootKeyId(const crypto::PublicKey& root_key);

// Returns the message the root signs:
// "yreb-sync/v1/statement" 0x00 || signed_part.
std::string StatementMessage(std::string_view signed_part);

// Returns a signed statement. REQUIRES: version >= 1 and body no larger than
// kMaxStatementBodySize.
std::string SignStatement(const crypto::PrivateKey& root_key, StatementKind kind,
                          uint64_t version, std::string_view body);

// Decodes the layout without checking the signature. Fails with
// InvalidArgument naming the field when the bytes are not a statement, are
// truncated or carry trailing bytes.
absl::StatusOr<StatementView> DecodeStatement(std::string_view encoded);

// Decodes `encoded` and checks that `root_key` signed it. Fails with
// InvalidArgument when the statement names another root key (reason: signed
// by another root key) or when the signature does not verify (reason: altered
// or damaged).
absl::StatusOr<StatementView> VerifyStatement(std::string_view encoded,
                                              const crypto::PublicKey& root_key);

// Returns SHA-256("yreb-sync/v1/statement" 0x00 || encoded): the statement's
// id in logs and replies.
crypto::Hash HashStatement(std::string_view encoded);

}  // namespace yreb::federation

#endif  // YREB_FEDERATION_STATEMENT_H_
