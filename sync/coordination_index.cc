#include "sync/coordination_index.h"

#include "common/big_endian.h"

namespace yreb::sync {

bool IsCoordinationKind(proto::EntryKind kind) {
  switch (kind) {
    case proto::ENTRY_KIND_CATALOG:
    case proto::ENTRY_KIND_RELEASE:
    case proto::ENTRY_KIND_HANDOVER_PROPOSAL:
    case proto::ENTRY_KIND_HANDOVER_ACCEPT:
    case proto::ENTRY_KIND_ASSIGNMENT_VOTE:
      return true;
    default:
      return false;
  }
}

std::string CoordinationKey(proto::EntryKind kind, uint32_t origin, uint64_t sequence) {
  std::string key(kCoordinationPrefix);
  PutBigEndian(&key, static_cast<uint64_t>(kind), 1);
  PutBigEndian(&key, origin, 4);
  PutBigEndian(&key, sequence, 8);
  return key;
}

std::optional<CoordinationRef> ParseCoordinationKey(std::string_view key) {
  if (key.size() != kCoordinationPrefix.size() + 1 + 4 + 8 ||
      key.substr(0, kCoordinationPrefix.size()) != kCoordinationPrefix) {
    return std::nullopt;
  }
  key.remove_prefix(kCoordinationPrefix.size());
  CoordinationRef ref;
  auto kind = static_cast<proto::EntryKind>(GetBigEndian(key.data(), 1));
  if (!IsCoordinationKind(kind)) return std::nullopt;
  ref.kind = kind;
  ref.origin = static_cast<uint32_t>(GetBigEndian(key.data() + 1, 4));
  ref.sequence = GetBigEndian(key.data() + 5, 8);
  return ref;
}

void IndexCoordinationEntry(proto::EntryKind kind, uint32_t origin, uint64_t sequence,
                            storage::Batch* batch) {
  if (IsCoordinationKind(kind)) batch->PutMeta(CoordinationKey(kind, origin, sequence), "");
}

absl::Status ScanCoordination(const storage::Store& store, proto::EntryKind kind,
                              const std::function<bool(const CoordinationRef& ref)>& visit) {
  std::string prefix(kCoordinationPrefix);
  PutBigEndian(&prefix, static_cast<uint64_t>(kind), 1);
  return store.ScanMeta(prefix, [&](std::string_view key, std::string_view) {
    std::optional<CoordinationRef> ref = ParseCoordinationKey(key);
    return !ref.has_value() || visit(*ref);
  });
}

}  // namespace yreb::sync
