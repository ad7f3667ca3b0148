#include "proto/entry.h"

#include <cstring>

#include "common/big_endian.h"
#include "i18n/i18n.h"

namespace yreb::entry {
namespace {

using i18n::Tr;

}  // namespace

std::string Encode(uint32_t origin, uint64_t sequence, const crypto::Hash& previous_hash,
                   proto::EntryKind kind, int64_t created_ms, std::string_view body) {
  std::string out;
  EncodeTo(origin, sequence, previous_hash, kind, created_ms, body, &out);
  return out;
}

void EncodeTo(uint32_t origin, uint64_t sequence, const crypto::Hash& previous_hash,
              proto::EntryKind kind, int64_t created_ms, std::string_view body, std::string* out) {
  out->clear();
  out->reserve(kHeaderSize + body.size());
  out->push_back(static_cast<char>(kFormatVersion));
  PutBigEndian(out, origin, 4);
  PutBigEndian(out, sequence, 8);
  out->append(crypto::AsBytes(previous_hash));
  PutBigEndian(out, static_cast<uint16_t>(kind), 2);
  PutBigEndian(out, static_cast<uint64_t>(created_ms), 8);
  PutBigEndian(out, body.size(), 4);
  out->append(body);
}

absl::StatusOr<EntryView> Decode(std::string_view encoded) {
  if (encoded.size() < kHeaderSize) {
    return absl::InvalidArgumentError(
        Tr("entry truncated: {} bytes, the header alone has {}", encoded.size(), kHeaderSize));
  }
  const char* p = encoded.data();
  if (static_cast<uint8_t>(p[0]) != kFormatVersion) {
    return absl::InvalidArgumentError(
        Tr("entry format version {} is not supported (expected {})", static_cast<int>(p[0]),
           static_cast<int>(kFormatVersion)));
  }
  EntryView view;
  view.origin = static_cast<uint32_t>(GetBigEndian(p + 1, 4));
  view.sequence = GetBigEndian(p + 5, 8);
  std::memcpy(view.previous_hash.data(), p + 13, crypto::kHashSize);
  view.kind = static_cast<proto::EntryKind>(GetBigEndian(p + 45, 2));
  view.created_ms = static_cast<int64_t>(GetBigEndian(p + 47, 8));
  uint64_t body_size = GetBigEndian(p + 55, 4);
  if (view.sequence == 0) {
    return absl::InvalidArgumentError(Tr("entry of origin {} has sequence 0", view.origin));
  }
  if (body_size > kMaxBodySize || kHeaderSize + body_size != encoded.size()) {
    return absl::InvalidArgumentError(
        Tr("entry {}/{}: body length {} does not match the {} bytes carried", view.origin,
           view.sequence, body_size, encoded.size() - kHeaderSize));
  }
  view.body = encoded.substr(kHeaderSize);
  return view;
}

crypto::Hash HashEntry(std::string_view encoded) {
  return crypto::Sha256({kEntryDomain, std::string_view("\0", 1), encoded});
}

std::string HeadMessage(uint32_t origin, uint64_t sequence, const crypto::Hash& hash) {
  std::string message(kHeadDomain);
  message.push_back('\0');
  PutBigEndian(&message, origin, 4);
  PutBigEndian(&message, sequence, 8);
  message.append(crypto::AsBytes(hash));
  return message;
}

Head SignHead(const crypto::PrivateKey& key, uint32_t origin, uint64_t sequence,
              const crypto::Hash& hash) {
  Head head{origin, sequence, hash, {}};
  head.signature = key.Sign(HeadMessage(origin, sequence, hash));
  return head;
}

bool VerifyHead(const crypto::PublicKey& key, const Head& head) {
  return key.Verify(HeadMessage(head.origin, head.sequence, head.hash),
                    crypto::AsBytes(head.signature));
}

std::string EncodeHeadValue(const Head& head) {
  std::string value(crypto::AsBytes(head.hash));
  value.append(crypto::AsBytes(head.signature));
  return value;
}

absl::StatusOr<Head> DecodeHeadValue(uint32_t origin, uint64_t sequence, std::string_view value) {
  if (value.size() != crypto::kHashSize + crypto::kSignatureSize) {
    return absl::DataLossError(
        Tr("stored head {}/{} has {} bytes, expected {}", origin, sequence, value.size(),
           crypto::kHashSize + crypto::kSignatureSize));
  }
  Head head{origin, sequence, {}, {}};
  std::memcpy(head.hash.data(), value.data(), crypto::kHashSize);
  std::memcpy(head.signature.data(), value.data() + crypto::kHashSize, crypto::kSignatureSize);
  return head;
}

}  // namespace yreb::entry
