// An index of the entries that coordinate the federation rather than carry
// data: catalog versions, releases, handover proposals and acceptances, and
// assignment votes (entry kinds 3 to 7).
//
// Whoever stores such an entry (the origin log on append, the receiver on a
// verified range) adds its index key in the same write batch, so the index
// never names an entry that is not stored. The lead chain and the shared
// sets read these few entries through the index instead of scanning logs.
#ifndef YREB_SYNC_COORDINATION_INDEX_H_
#define YREB_SYNC_COORDINATION_INDEX_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "proto/record.pb.h"
#include "storage/store.h"

namespace yreb::sync {

// Meta key: "coord/" kind (u8) origin (u32 BE) sequence (u64 BE); empty value.
inline constexpr std::string_view kCoordinationPrefix = "coord/";

struct CoordinationRef {
  proto::EntryKind kind = proto::ENTRY_KIND_UNSPECIFIED;
  uint32_t origin = 0;
  uint64_t sequence = 0;
};

bool IsCoordinationKind(proto::EntryKind kind);

std::string CoordinationKey(proto::EntryKind kind, uint32_t origin, uint64_t sequence);

// Returns nullopt when `key` is not a well-formed coordination key.
std::optional<CoordinationRef> ParseCoordinationKey(std::string_view key);

// Adds the index key of an entry to `batch` when its kind is indexed.
void IndexCoordinationEntry(proto::EntryKind kind, uint32_t origin, uint64_t sequence,
                            storage::Batch* batch);

// Calls `visit` for every indexed entry of `kind`, ordered by origin and
// sequence, until it returns false.
absl::Status ScanCoordination(const storage::Store& store, proto::EntryKind kind,
                              const std::function<bool(const CoordinationRef& ref)>& visit);

}  // namespace yreb::sync

#endif  // YREB_SYNC_COORDINATION_INDEX_H_
