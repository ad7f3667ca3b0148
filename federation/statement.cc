#include "federation/statement.h"

#include <cstring>

#include "common/big_endian.h"
#include "i18n/i18n.h"

namespace yreb::federation {
namespace {

using i18n::Tr;

}  // namespace

std::string KindName(uint8_t kind) {
  if (kind == static_cast<uint8_t>(StatementKind::kManifest)) return "manifest";
  if (kind == static_cast<uint8_t>(StatementKind::kForkResolution)) return "fork-resolution";
  if (kind == static_cast<uint8_t>(StatementKind::kLeadAssignment)) return "lead-assignment";
  return "kind " + std::to_string(kind);
}

std::string RootKeyId(const crypto::PublicKey& root_key) {
  crypto::Hash digest = crypto::Sha256(root_key.raw());
  return std::string(reinterpret_cast<const char*>(digest.data()), kRootKeyIdSize);
}

std::string StatementMessage(std::string_view signed_part) {
  std::string message(kStatementDomain);
  message.push_back('\0');
  message.append(signed_part);
  return message;
}

std::string SignStatement(const crypto::PrivateKey& root_key, StatementKind kind,
                          uint64_t version, std::string_view body) {
  std::string out(kStatementMagic);
  out.push_back(static_cast<char>(kStatementFormat));
  out.push_back(static_cast<char>(kind));
  PutBigEndian(&out, version, 8);
  out.append(RootKeyId(root_key.public_key()));
  PutBigEndian(&out, body.size(), 4);
  out.append(body);
  crypto::Signature signature = root_key.Sign(StatementMessage(out));
  out.append(crypto::AsBytes(signature));
  return out;
}

absl::StatusOr<StatementView> DecodeStatement(std::string_view encoded) {
  if (encoded.size() < kStatementMagic.size() ||
      encoded.substr(0, kStatementMagic.size()) != kStatementMagic) {
    return absl::InvalidArgumentError(
        Tr("not a root statement: the file does not start with \"YREBSTMT\""));
  }
  if (encoded.size() < kStatementOverhead) {
    return absl::InvalidArgumentError(
        Tr("statement truncated: {} bytes, a statement has at least {}", encoded.size(),
           kStatementOverhead));
  }
  const char* p = encoded.data();
  uint8_t format = static_cast<uint8_t>(p[8]);
  if (format != kStatementFormat) {
    return absl::InvalidArgumentError(
        Tr("statement format {} is not supported (expected {}); upgrade yreb-sync",
           static_cast<int>(format), static_cast<int>(kStatementFormat)));
  }

  StatementView view;
  view.kind = static_cast<uint8_t>(p[9]);
  view.version = GetBigEndian(p + 10, 8);
  view.root_key_id.assign(p + 18, kRootKeyIdSize);
  uint64_t body_size = GetBigEndian(p + 18 + kRootKeyIdSize, 4);
  if (view.version == 0) {
    return absl::InvalidArgumentError(Tr("statement has version 0; versions start at 1"));
  }
  if (body_size > kMaxStatementBodySize || body_size + kStatementOverhead != encoded.size()) {
    return absl::InvalidArgumentError(
        Tr("statement body length {} does not match the {} bytes carried; the file is "
           "truncated or has bytes appended",
           body_size, encoded.size() - std::min(encoded.size(), kStatementOverhead)));
  }
  view.body = encoded.substr(kStatementHeaderSize, body_size);
  view.signed_part = encoded.substr(0, kStatementHeaderSize + body_size);
  std::memcpy(view.signature.data(), p + kStatementHeaderSize + body_size,
              crypto::kSignatureSize);
  return view;
}

absl::StatusOr<StatementView> VerifyStatement(std::string_view encoded,
                                              const crypto::PublicKey& root_key) {
  absl::StatusOr<StatementView> view = DecodeStatement(encoded);
  if (!view.ok()) return view.status();

  // The key id is inside the signed bytes, so a mismatch is either another
  // federation's root or damage to these 16 bytes; the id tells them apart
  // for the operator.
  if (view->root_key_id != RootKeyId(root_key)) {
    return absl::InvalidArgumentError(
        Tr("statement is signed by another root key {}, not by this node's root key {}; "
           "check [federation] root_public_key or ask the root holder for a statement of this "
           "federation",
           "ed25519:" + crypto::ToHex(view->root_key_id), root_key.Fingerprint()));
  }
  if (!root_key.Verify(StatementMessage(view->signed_part),
                       crypto::AsBytes(view->signature))) {
    return absl::InvalidArgumentError(
        Tr("statement signature is invalid for root key {}: the file was altered or damaged "
           "after signing; obtain an intact copy from the root holder",
           root_key.Fingerprint()));
  }
  return view;
}

crypto::Hash HashStatement(std::string_view encoded) {
  crypto::Sha256Builder builder;
  builder.Update(kStatementDomain);
  builder.Update(std::string_view("\0", 1));
  builder.Update(encoded);
  return builder.Finish();
}

}  // namespace yreb::federation
