// Checks ranges received from peers and stores what verifies.
//
// A range is stored only when its entries decode, link to each other and to
// the log already held, and its head carries a valid signature by the key the
// membership gives the origin at that sequence. Entries, head, version-vector
// tip and index changes go into one write batch. A range that fails is
// dropped whole: the receiver keeps its last verified head. Two validly
// signed chains that disagree are a fork: the evidence is stored, the origin
// is held at its current tip until the fork is resolved, and nothing is
// chosen between them.
#ifndef YREB_SYNC_RECEIVER_H_
#define YREB_SYNC_RECEIVER_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/entry.h"
#include "proto/sync.pb.h"
#include "storage/store.h"
#include "sync/membership.h"
#include "sync/notifier.h"

namespace yreb::sync {

// Meta key prefixes of what the receiver records, each followed by
// origin (u32 BE) and, for entries, sequence (u64 BE).
inline constexpr std::string_view kVoidPrefix = "void/";
inline constexpr std::string_view kFuturePrefix = "future/";
inline constexpr std::string_view kForkPrefix = "fork/";
// Fork evidence after a root resolution, the resolution itself, and the
// entries this node dropped because they were on the losing chain.
inline constexpr std::string_view kResolvedForkPrefix = "fork-resolved/";
inline constexpr std::string_view kForkResolutionPrefix = "fork-resolution/";
inline constexpr std::string_view kDroppedChainPrefix = "fork-dropped/";

// A root decision naming which chain of a forked origin stays. The
// federation module reads it from a fork-resolution statement.
struct ForkDecision {
  uint32_t origin = 0;
  uint64_t fork_sequence = 0;
  uint64_t keep_sequence = 0;  // >= fork_sequence
  crypto::Hash keep_hash{};    // the kept chain's entry hash at keep_sequence
};

class Receiver {
 public:
  struct Options {
    // The node that runs this receiver; ranges of its own log are accepted
    // only while own-log recovery is on.
    uint32_t self = 0;
    // Entries stamped further ahead of this node's clock are flagged.
    int64_t future_skew_ms = 5 * 60 * 1000;
    // fsync each stored range. Off by default: a lost range is fetched again.
    bool sync_writes = false;
  };

  enum class Outcome {
    kStored,       // new entries stored
    kAlreadyHeld,  // every entry was already stored, identically
    kRejected,     // did not verify; nothing stored
    kFork,         // a second valid chain; evidence stored, origin held
    kHeld,         // the origin is held at a fork; nothing stored
  };

  struct Result {
    Outcome outcome = Outcome::kRejected;
    uint64_t stored_entries = 0;
    uint64_t stored_bytes = 0;
    // Short reason for counters: "decode", "chain", "signature", "gap",
    // "unknown-origin", "own-log", "held".
    std::string reason;
    std::string detail;  // for the log
  };

  Receiver(storage::Store* store, const Membership* membership, CommitNotifier* notifier,
           const Options& options);

  // Reads the stored fork evidence. Call once before the first Apply.
  absl::Status Load();

  // The checks of a range that need neither the lock nor the store:
  // decoding, the links between its entries and its head's signature.
  struct Checked {
    // Each entry's hash, or why the range fails: PermissionDenied for the
    // signature, DataLoss for the chain, InvalidArgument for decoding, and
    // NotFound when the manifest gives the origin no key.
    absl::StatusOr<std::vector<crypto::Hash>> hashes;
    // The changes an entry makes besides its place in the log, as far as
    // the entry alone decides them. The storing thread then only checks
    // what depends on the store.
    struct Effect {
      proto::EntryKind kind = proto::ENTRY_KIND_UNSPECIFIED;
      int64_t created_ms = 0;
      // The reason the entry never counts, whatever the store contains;
      // empty for an entry that may count.
      std::string void_reason;
      // The cell revision of a record. Whether its import can hold it is
      // checked when the range is stored.
      std::optional<storage::CellRevision> cell;
      // An import commit's import id; 0 for a damaged commit.
      uint64_t committed_import = 0;
    };
    std::vector<Effect> effects;
  };
  Checked Check(const proto::Range& range) const;

  Result Apply(const proto::Range& range);
  // Applies a range whose Check() already ran, so that a caller can check
  // the next range while this one is stored.
  Result Apply(const proto::Range& range, const Checked& checked);
  // Verifies evidence sent by a peer and adopts it when valid.
  Result ApplyForkEvidence(const proto::ForkEvidence& evidence);

  // Applies a root fork resolution. When this node holds the kept chain (or
  // nothing beyond the fork), it ends the hold on the origin. When it holds
  // the other chain, it removes that origin's entries from the fork on, with
  // their heads, index cells, flags and tip, in one write batch, keeps them
  // as evidence, and from then on accepts only the kept chain. The decision
  // is stored, so conflicts that arrive later are settled by it too.
  // Returns a short description of what changed for the log.
  absl::StatusOr<std::string> ResolveFork(const ForkDecision& decision);

  // Allows ranges of this node's own log, for recovery before first append.
  void SetOwnLogRecovery(bool on);

  std::vector<proto::ForkEvidence> Forks() const;
  bool IsForked(uint32_t origin) const;

  // Checks one range on its own: decodes, links, and verifies the head with
  // `key`. Returns each entry's hash, or the reason it fails.
  static absl::StatusOr<std::vector<crypto::Hash>> VerifyRange(const proto::Range& range,
                                                               const crypto::PublicKey& key);

 private:
  Result Store(const proto::Range& range, const Checked& checked, uint64_t skip);
  // A stored decision and, when this node saw the evidence, the kept
  // chain's hash at the fork sequence.
  struct Resolution {
    ForkDecision decision;
    std::optional<crypto::Hash> kept_at_fork;
  };

  Result ApplyLocked(const proto::Range& range, const Checked& checked, int depth);
  Result RecordFork(const proto::Range& theirs, uint64_t sequence);
  std::optional<crypto::Hash> StoredHash(uint32_t origin, uint64_t sequence) const;
  // Returns whether the chain of stored entries below `range` followed by
  // `range` is the kept one, or nullopt when neither checked hash is known.
  std::optional<bool> OnKeptChain(const Resolution& resolution, const proto::Range* range,
                                  const std::vector<crypto::Hash>& hashes) const;
  // Adds to `batch` the removal of the stored entries of `origin` from
  // `first` on. REQUIRES: mu_ held.
  absl::Status DropFrom(uint32_t origin, uint64_t first, storage::Batch* batch);
  void AddEffects(const proto::Range& range, const Checked& checked, uint64_t skip,
                  storage::Batch* batch);

  storage::Store* const store_;
  const Membership* const membership_;
  CommitNotifier* const notifier_;
  const Options options_;

  mutable std::mutex mu_;
  bool own_log_recovery_ = false;                  // guarded by mu_
  std::map<uint32_t, proto::ForkEvidence> forks_;  // guarded by mu_
  std::map<uint32_t, Resolution> resolutions_;     // guarded by mu_
};

// Returns the hash `range` attributes to `sequence`: the previous hash its
// first entry carries, or the hash of one of its entries.
std::optional<crypto::Hash> AttributedHash(const proto::Range& range,
                                           const std::vector<crypto::Hash>& hashes,
                                           uint64_t sequence);

// Builds the range of stored entries of `origin` from `first` up to the first
// stored head at or after it.
absl::StatusOr<proto::Range> ReadRange(const storage::Store& store, uint32_t origin,
                                       uint64_t first, uint64_t max_entries);
// Builds the range ReadRange returns into `range`, clearing it first. Reading
// into the same range again reuses the strings of its earlier entries.
absl::Status ReadRangeInto(const storage::Store& store, uint32_t origin, uint64_t first,
                           uint64_t max_entries, proto::Range* range);

}  // namespace yreb::sync

#endif  // YREB_SYNC_RECEIVER_H_
