// Full re-check of a stored origin log: every entry decodes and names its
// own origin and sequence, sequences run 1, 2, 3 ... without gaps, each entry
// carries the hash of the one before, every stored head matches its entry's
// hash and carries a valid signature, and the version-vector tip is the last
// entry and is covered by a head.
#ifndef YREB_SYNC_VERIFY_H_
#define YREB_SYNC_VERIFY_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "storage/store.h"

namespace yreb::sync {

struct VerifyResult {
  bool ok = true;
  uint64_t entries_checked = 0;
  uint64_t heads_checked = 0;
  // On failure: the entry that does not match what the rest of the log and
  // its heads vouch for, and why.
  uint32_t failed_origin = 0;
  uint64_t failed_sequence = 0;
  std::string problem;
};

// Checks the log of `origin` against `key`. `progress` is called now and then
// with the number of entries checked. Fails only when the store cannot be
// read; a damaged log is an ok StatusOr with result.ok == false.
absl::StatusOr<VerifyResult> VerifyOriginLog(const storage::Store& store, uint32_t origin,
                                             const crypto::PublicKey& key,
                                             const std::function<void(uint64_t)>& progress);

}  // namespace yreb::sync

#endif  // YREB_SYNC_VERIFY_H_
