// The bytes of origin-log entries and signed heads.
//
// An entry is stored and sent as its encoding, and every node hashes exactly
// those bytes, never a re-serialization. The layout, the domain-separation
// prefixes and test vectors are pinned in docs/FORMATS.md.
#ifndef YREB_PROTO_ENTRY_H_
#define YREB_PROTO_ENTRY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "proto/record.pb.h"

namespace yreb::entry {

inline constexpr uint8_t kFormatVersion = 1;
// Fixed-size part of an encoded entry, before the body.
inline constexpr size_t kHeaderSize = 1 + 4 + 8 + 32 + 2 + 8 + 4;
// Upper bound on a body; larger entries are rejected on decode.
inline constexpr size_t kMaxBodySize = 1 << 20;

// Domain-separation prefixes, each followed by one zero byte in the hashed or
// signed message, so that no entry hash can pass as a head signature input.
inline constexpr std::string_view kEntryDomain = "yreb-sync/v1/entry";
inline constexpr std::string_view kHeadDomain = "yreb-sync/v1/head";

// The decoded fields of an entry. `body` views the encoded bytes it was
// decoded from.
struct EntryView {
  uint32_t origin = 0;
  uint64_t sequence = 0;
  crypto::Hash previous_hash{};
  proto::EntryKind kind = proto::ENTRY_KIND_UNSPECIFIED;
  int64_t created_ms = 0;  // Unix time in milliseconds; information only.
  std::string_view body;
};

// Returns the encoding of an entry with these fields.
std::string Encode(uint32_t origin, uint64_t sequence, const crypto::Hash& previous_hash,
                   proto::EntryKind kind, int64_t created_ms, std::string_view body);
// Encode into `*out`, replacing what it held, so that a writer appending
// many entries can keep one buffer.
void EncodeTo(uint32_t origin, uint64_t sequence, const crypto::Hash& previous_hash,
              proto::EntryKind kind, int64_t created_ms, std::string_view body, std::string* out);

// Decodes `encoded`. Fails with InvalidArgument naming the field when the
// bytes are truncated, too long, of another format version or of sequence 0.
absl::StatusOr<EntryView> Decode(std::string_view encoded);

// Returns SHA-256("yreb-sync/v1/entry" 0x00 || encoded).
crypto::Hash HashEntry(std::string_view encoded);

// A head: the origin vouches for every entry of its log up to `sequence`,
// whose entry hash is `hash`.
struct Head {
  uint32_t origin = 0;
  uint64_t sequence = 0;
  crypto::Hash hash{};
  crypto::Signature signature{};
};

// Returns the message a head signature covers:
// "yreb-sync/v1/head" 0x00 || origin (u32 BE) || sequence (u64 BE) || hash.
std::string HeadMessage(uint32_t origin, uint64_t sequence, const crypto::Hash& hash);

Head SignHead(const crypto::PrivateKey& key, uint32_t origin, uint64_t sequence,
              const crypto::Hash& hash);
bool VerifyHead(const crypto::PublicKey& key, const Head& head);

// Stored form of a head: hash || signature (96 bytes). Origin and sequence
// are in the storage key.
std::string EncodeHeadValue(const Head& head);
absl::StatusOr<Head> DecodeHeadValue(uint32_t origin, uint64_t sequence, std::string_view value);

}  // namespace yreb::entry

#endif  // YREB_PROTO_ENTRY_H_
