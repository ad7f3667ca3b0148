#include "sync/receiver.h"

#include <chrono>
#include <cstring>
#include <set>

#include <spdlog/spdlog.h>

#include "common/big_endian.h"
#include "i18n/i18n.h"
#include "proto/record.pb.h"
#include "sync/coordination_index.h"

namespace yreb::sync {
namespace {

using i18n::Tr;

std::string EntryMetaKey(std::string_view prefix, uint32_t origin, uint64_t sequence) {
  std::string key(prefix);
  PutBigEndian(&key, origin, 4);
  PutBigEndian(&key, sequence, 8);
  return key;
}

std::string OriginMetaKey(std::string_view prefix, uint32_t origin) {
  std::string key(prefix);
  PutBigEndian(&key, origin, 4);
  return key;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

crypto::Hash HashOf(const std::string& bytes) {
  crypto::Hash hash{};
  if (bytes.size() == hash.size()) std::memcpy(hash.data(), bytes.data(), hash.size());
  return hash;
}

Receiver::Result Rejected(std::string reason, std::string detail) {
  Receiver::Result result;
  result.outcome = Receiver::Outcome::kRejected;
  result.reason = std::move(reason);
  result.detail = std::move(detail);
  return result;
}

uint64_t GetBigEndian(std::string_view in, size_t offset, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = value << 8 | static_cast<uint8_t>(in[offset + i]);
  return value;
}

// Stored form of a resolution: fork sequence, keep sequence (u64 BE each),
// keep hash, then the kept chain's hash at the fork when known.
std::string EncodeResolution(const ForkDecision& decision,
                             const std::optional<crypto::Hash>& kept_at_fork) {
  std::string value;
  PutBigEndian(&value, decision.fork_sequence, 8);
  PutBigEndian(&value, decision.keep_sequence, 8);
  value.append(crypto::AsBytes(decision.keep_hash));
  if (kept_at_fork.has_value()) value.append(crypto::AsBytes(*kept_at_fork));
  return value;
}

// A record counts only when its origin owns the province of its region.
bool OriginOwnsRegion(uint32_t origin, std::string_view region) {
  if (region.size() != 6 || region[0] < '1' || region[0] > '9' || region[1] < '0' ||
      region[1] > '9') {
    return false;
  }
  return static_cast<uint32_t>((region[0] - '0') * 10 + (region[1] - '0')) * 10000 == origin;
}

// Returns the changes the entry makes besides its place in the log, as far
// as the entry alone decides them.
// `record` is scratch space: parsing into the same message for every entry
// of a range reuses its strings instead of allocating them anew.
Receiver::Checked::Effect EffectOf(uint32_t origin, uint64_t sequence, std::string_view encoded,
                                   proto::Record& record) {
  Receiver::Checked::Effect effect;
  absl::StatusOr<entry::EntryView> view = entry::Decode(encoded);
  if (!view.ok()) return effect;
  effect.kind = view->kind;
  effect.created_ms = view->created_ms;
  if (view->kind == proto::ENTRY_KIND_RECORD) {
    if (!record.ParseFromArray(view->body.data(), static_cast<int>(view->body.size()))) {
      effect.void_reason = "damaged record body";
    } else if (!OriginOwnsRegion(origin, record.region())) {
      // Stored and relayed, never applied: only a region's own province
      // writes it.
      effect.void_reason =
          Tr("region {} is outside the province of origin {}", record.region(), origin);
    } else {
      effect.cell = storage::CellRevision{record.indicator(),
                                          record.region(),
                                          record.period(),
                                          record.revision(),
                                          origin,
                                          sequence,
                                          record.import_id()};
    }
  } else if (view->kind == proto::ENTRY_KIND_IMPORT_COMMIT) {
    proto::ImportCommit commit;
    if (commit.ParseFromArray(view->body.data(), static_cast<int>(view->body.size())) &&
        commit.import_id() != 0 && commit.first_sequence() >= commit.import_id() &&
        commit.first_sequence() < sequence) {
      effect.committed_import = commit.import_id();
    }
  }
  return effect;
}

}  // namespace

std::optional<crypto::Hash> AttributedHash(const proto::Range& range,
                                           const std::vector<crypto::Hash>& hashes,
                                           uint64_t sequence) {
  uint64_t first = range.first_sequence();
  if (sequence + 1 == first && !range.entries().empty()) {
    absl::StatusOr<entry::EntryView> view = entry::Decode(range.entries(0));
    if (view.ok()) return view->previous_hash;
    return std::nullopt;
  }
  if (sequence >= first && sequence - first < hashes.size()) return hashes[sequence - first];
  return std::nullopt;
}

absl::StatusOr<std::vector<crypto::Hash>> Receiver::VerifyRange(const proto::Range& range,
                                                                const crypto::PublicKey& key) {
  if (range.entries().empty()) {
    return absl::InvalidArgumentError(Tr("range of origin {} carries no entries", range.origin()));
  }
  uint64_t last = range.first_sequence() + range.entries_size() - 1;
  if (range.head().sequence() != last) {
    return absl::InvalidArgumentError(Tr("range {}/{}-{} ends at head {}, not at its last entry",
                                         range.origin(), range.first_sequence(), last,
                                         range.head().sequence()));
  }

  std::vector<crypto::Hash> hashes;
  hashes.reserve(range.entries_size());
  for (int i = 0; i < range.entries_size(); ++i) {
    uint64_t sequence = range.first_sequence() + i;
    absl::StatusOr<entry::EntryView> view = entry::Decode(range.entries(i));
    if (!view.ok()) {
      return absl::InvalidArgumentError(
          Tr("entry {}/{}: {}", range.origin(), sequence, view.status().message()));
    }
    if (view->origin != range.origin() || view->sequence != sequence) {
      return absl::InvalidArgumentError(Tr("entry sent as {}/{} names itself {}/{}",
                                           range.origin(), sequence, view->origin,
                                           view->sequence));
    }
    if (i > 0 && view->previous_hash != hashes.back()) {
      return absl::DataLossError(Tr("entry {}/{} does not carry the hash of entry {}",
                                    range.origin(), sequence, sequence - 1));
    }
    hashes.push_back(entry::HashEntry(range.entries(i)));
  }

  entry::Head head{range.origin(), last, HashOf(range.head().hash()), {}};
  if (range.head().signature().size() != crypto::kSignatureSize ||
      range.head().hash().size() != crypto::kHashSize) {
    return absl::PermissionDeniedError(Tr("head {}/{} is malformed", range.origin(), last));
  }
  std::memcpy(head.signature.data(), range.head().signature().data(), crypto::kSignatureSize);
  if (head.hash != hashes.back()) {
    return absl::DataLossError(Tr("head {}/{} names another hash than its entry has",
                                  range.origin(), last));
  }
  if (!entry::VerifyHead(key, head)) {
    return absl::PermissionDeniedError(
        Tr("head {}/{} has an invalid signature", range.origin(), last));
  }
  return hashes;
}

absl::Status ReadRangeInto(const storage::Store& store, uint32_t origin, uint64_t first,
                           uint64_t max_entries, proto::Range* range) {
  range->Clear();
  // End at the last head within max_entries, or at the first head after
  // `first` when none is that close.
  std::optional<entry::Head> end;
  absl::Status status = store.ScanHeads(
      origin,
      [&](const entry::Head& head) {
        if (end.has_value() && head.sequence >= first + max_entries) return false;
        end = head;
        return head.sequence < first + max_entries - 1;
      },
      first);
  if (!status.ok()) return status;
  if (!end.has_value()) {
    return absl::NotFoundError(Tr("no signed head of origin {} at or after {}", origin, first));
  }

  range->set_origin(origin);
  range->set_first_sequence(first);
  uint64_t expected = first;
  status = store.ScanEntries(origin, first, [&](uint64_t sequence, std::string_view encoded) {
    if (sequence != expected || sequence > end->sequence) return false;
    // Reuses a string the cleared range kept, when it has one.
    range->add_entries()->assign(encoded.data(), encoded.size());
    ++expected;
    return sequence < end->sequence;
  });
  if (!status.ok()) return status;
  if (expected != end->sequence + 1) {
    return absl::DataLossError(
        Tr("origin {} is missing entry {} below its head {}", origin, expected, end->sequence));
  }
  range->mutable_head()->set_sequence(end->sequence);
  range->mutable_head()->set_hash(std::string(crypto::AsBytes(end->hash)));
  range->mutable_head()->set_signature(std::string(crypto::AsBytes(end->signature)));
  return absl::OkStatus();
}

absl::StatusOr<proto::Range> ReadRange(const storage::Store& store, uint32_t origin, uint64_t first,
                                       uint64_t max_entries) {
  proto::Range range;
  if (absl::Status status = ReadRangeInto(store, origin, first, max_entries, &range);
      !status.ok()) {
    return status;
  }
  return range;
}

Receiver::Receiver(storage::Store* store, const Membership* membership, CommitNotifier* notifier,
                   const Options& options)
    : store_(store), membership_(membership), notifier_(notifier), options_(options) {}

absl::Status Receiver::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status status =
      store_->ScanMeta(kForkPrefix, [&](std::string_view, std::string_view value) {
        proto::ForkEvidence evidence;
        if (evidence.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          forks_[evidence.origin()] = evidence;
        }
        return true;
      });
  if (!status.ok()) return status;
  return store_->ScanMeta(kForkResolutionPrefix, [&](std::string_view key,
                                                     std::string_view value) {
    if (key.size() != kForkResolutionPrefix.size() + 4 || value.size() < 48) return true;
    Resolution resolution;
    resolution.decision.origin =
        static_cast<uint32_t>(GetBigEndian(key, kForkResolutionPrefix.size(), 4));
    resolution.decision.fork_sequence = GetBigEndian(value, 0, 8);
    resolution.decision.keep_sequence = GetBigEndian(value, 8, 8);
    resolution.decision.keep_hash = HashOf(std::string(value.substr(16, 32)));
    if (value.size() >= 80) resolution.kept_at_fork = HashOf(std::string(value.substr(48, 32)));
    resolutions_[resolution.decision.origin] = resolution;
    return true;
  });
}

void Receiver::SetOwnLogRecovery(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  own_log_recovery_ = on;
}

std::vector<proto::ForkEvidence> Receiver::Forks() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<proto::ForkEvidence> forks;
  for (const auto& [origin, evidence] : forks_) forks.push_back(evidence);
  return forks;
}

bool Receiver::IsForked(uint32_t origin) const {
  std::lock_guard<std::mutex> lock(mu_);
  return forks_.contains(origin);
}

Receiver::Checked Receiver::Check(const proto::Range& range) const {
  std::optional<crypto::PublicKey> key =
      membership_->SigningKey(range.origin(), range.head().sequence());
  if (!key.has_value()) {
    return Checked{absl::NotFoundError(Tr("origin {} has no key for sequence {} in the manifest",
                                          range.origin(), range.head().sequence())),
                   {}};
  }
  Checked checked{VerifyRange(range, *key), {}};
  if (!checked.hashes.ok()) return checked;
  checked.effects.reserve(range.entries_size());
  proto::Record record;
  for (int i = 0; i < range.entries_size(); ++i) {
    checked.effects.push_back(
        EffectOf(range.origin(), range.first_sequence() + i, range.entries(i), record));
  }
  return checked;
}

Receiver::Result Receiver::Apply(const proto::Range& range) { return Apply(range, Check(range)); }

Receiver::Result Receiver::Apply(const proto::Range& range, const Checked& checked) {
  std::lock_guard<std::mutex> lock(mu_);
  return ApplyLocked(range, checked, 0);
}

Receiver::Result Receiver::ApplyLocked(const proto::Range& range, const Checked& checked,
                                       int depth) {
  uint32_t origin = range.origin();
  if (forks_.contains(origin)) {
    Result result;
    result.outcome = Outcome::kHeld;
    result.reason = "held";
    result.detail = Tr("origin {} is held at a fork until a root statement resolves it", origin);
    return result;
  }
  const absl::StatusOr<std::vector<crypto::Hash>>& hashes = checked.hashes;
  if (!hashes.ok()) {
    absl::StatusCode code = hashes.status().code();
    std::string reason = code == absl::StatusCode::kNotFound           ? "unknown-origin"
                         : code == absl::StatusCode::kPermissionDenied ? "signature"
                         : code == absl::StatusCode::kDataLoss         ? "chain"
                                                                       : "decode";
    return Rejected(reason, std::string(hashes.status().message()));
  }

  absl::StatusOr<std::optional<storage::Tip>> stored_tip = store_->GetTip(origin);
  if (!stored_tip.ok()) return Rejected("storage", std::string(stored_tip.status().message()));
  storage::Tip tip = stored_tip->value_or(storage::Tip{origin, 0, {}});
  uint64_t first = range.first_sequence();
  uint64_t last = range.head().sequence();

  if (first > tip.sequence + 1) {
    return Rejected("gap", Tr("range {}/{}-{} starts after this node's tip {}", origin, first,
                              last, tip.sequence));
  }

  // Both logs are hash chains, so agreeing at the last sequence they share
  // means agreeing on everything before it. Only on disagreement look for the
  // first differing sequence: two valid chains that disagree are a fork.
  auto ours_at = [&](uint64_t sequence) -> std::optional<crypto::Hash> {
    if (sequence == tip.sequence) return tip.hash;
    absl::StatusOr<std::optional<std::string>> stored = store_->GetEntry(origin, sequence);
    if (!stored.ok() || !stored->has_value()) return std::nullopt;
    return entry::HashEntry(**stored);
  };
  uint64_t shared_end = std::min(last, tip.sequence);
  uint64_t shared_begin = std::max<uint64_t>(first > 1 ? first - 1 : 1, 1);
  if (shared_end >= shared_begin) {
    if (AttributedHash(range, *hashes, shared_end) != ours_at(shared_end)) {
      for (uint64_t sequence = shared_begin; sequence <= shared_end; ++sequence) {
        std::optional<crypto::Hash> theirs = AttributedHash(range, *hashes, sequence);
        if (!theirs.has_value() || theirs == ours_at(sequence)) continue;
        auto resolved = resolutions_.find(origin);
        if (resolved == resolutions_.end()) return RecordFork(range, sequence);

        // The root already named the chain to keep: settle the conflict by it.
        std::optional<bool> theirs_kept = OnKeptChain(resolved->second, &range, *hashes);
        std::optional<bool> ours_kept = OnKeptChain(resolved->second, nullptr, {});
        if (ours_kept == true) {
          return Rejected("fork-resolved",
                          Tr("range {}/{}-{} is on the chain a root fork resolution dropped",
                             origin, first, last));
        }
        if (theirs_kept != true || depth > 0) return RecordFork(range, sequence);
        storage::Batch batch;
        if (absl::Status status = DropFrom(origin, sequence, &batch); !status.ok()) {
          return Rejected("storage", std::string(status.message()));
        }
        if (absl::Status status = store_->Write(batch, true); !status.ok()) {
          return Rejected("storage", std::string(status.message()));
        }
        spdlog::warn("entries of the dropped chain removed: origin={} from={}", origin, sequence);
        return ApplyLocked(range, checked, depth + 1);
      }
    }
  }
  if (last <= tip.sequence) {
    Result result;
    result.outcome = Outcome::kAlreadyHeld;
    return result;
  }

  // After a resolution, entries past the fork are stored only once they are
  // shown to be on the kept chain.
  // NOTE: a node that never saw the evidence can show this only with a range
  // that reaches keep_sequence. Ranges end at most max_range_entries (1,024
  // by default) after their start, so a kept head further past the fork
  // leaves such a node rejecting the kept chain.
  if (auto resolved = resolutions_.find(origin);
      resolved != resolutions_.end() && last >= resolved->second.decision.fork_sequence &&
      OnKeptChain(resolved->second, &range, *hashes) != true) {
    return Rejected("fork-resolved",
                    Tr("range {}/{}-{} is not shown to be on the chain a root fork resolution "
                       "kept",
                       origin, first, last));
  }

  if (origin == options_.self && !own_log_recovery_) {
    spdlog::warn("peer holds entries of this node's own log beyond its tip: origin={} tip={} "
                 "range_end={}",
                 origin, tip.sequence, last);
    return Rejected("own-log", Tr("a peer holds entries {}-{} of this node's own log, which this "
                                  "node does not have",
                                  tip.sequence + 1, last));
  }
  return Store(range, checked, tip.sequence + 1 - first);
}

Receiver::Result Receiver::Store(const proto::Range& range, const Checked& checked,
                                 uint64_t skip) {
  uint32_t origin = range.origin();
  storage::Batch batch;
  Result result;
  int64_t future_limit = NowMs() + options_.future_skew_ms;
  for (int i = static_cast<int>(skip); i < range.entries_size(); ++i) {
    uint64_t sequence = range.first_sequence() + i;
    batch.PutEntry(origin, sequence, range.entries(i));
    result.stored_bytes += range.entries(i).size();
    ++result.stored_entries;
    if (checked.effects[i].created_ms > future_limit) {
      // Time never decides order or validity; a far-future stamp is only
      // reported.
      batch.PutMeta(EntryMetaKey(kFuturePrefix, origin, sequence),
                    std::to_string(checked.effects[i].created_ms));
    }
  }
  AddEffects(range, checked, skip, &batch);
  entry::Head head{origin, range.head().sequence(), checked.hashes->back(), {}};
  std::memcpy(head.signature.data(), range.head().signature().data(), crypto::kSignatureSize);
  batch.PutHead(head);
  batch.PutTip(storage::Tip{origin, head.sequence, head.hash});

  bool sync = options_.sync_writes || origin == options_.self;
  if (absl::Status status = store_->Write(batch, sync); !status.ok()) {
    spdlog::error("storing range failed: origin={} first={} error={}", origin,
                  range.first_sequence() + skip, status.message());
    return Rejected("storage", std::string(status.message()));
  }
  result.outcome = Outcome::kStored;
  if (notifier_ != nullptr) notifier_->Notify();
  return result;
}

void Receiver::AddEffects(const proto::Range& range, const Checked& checked, uint64_t skip,
                          storage::Batch* batch) {
  // A record of an import is indexed as it arrives, tagged with its import;
  // the index shows it once the import's commit entry is stored. An import's
  // records lie between its id (the sequence where its job began) and its
  // commit, so a record that names an import already committed, or a later
  // one, never counts.
  uint32_t origin = range.origin();
  std::set<uint64_t> committed_here;
  auto committed = [&](uint64_t import_id) {
    return committed_here.contains(import_id) || store_->IsImportCommitted(origin, import_id);
  };

  for (int i = static_cast<int>(skip); i < range.entries_size(); ++i) {
    uint64_t sequence = range.first_sequence() + i;
    const Checked::Effect& effect = checked.effects[i];
    if (effect.kind == proto::ENTRY_KIND_UNSPECIFIED) continue;
    IndexCoordinationEntry(effect.kind, origin, sequence, batch);

    if (effect.kind == proto::ENTRY_KIND_RECORD) {
      if (!effect.void_reason.empty()) {
        batch->PutMeta(EntryMetaKey(kVoidPrefix, origin, sequence), effect.void_reason);
        continue;
      }
      uint64_t import_id = effect.cell->import_id;
      if (import_id > sequence || committed(import_id)) {
        batch->PutMeta(EntryMetaKey(kVoidPrefix, origin, sequence),
                       Tr("record names import {}, which cannot hold it", import_id));
        continue;
      }
      batch->PutCell(*effect.cell);
    } else if (effect.kind == proto::ENTRY_KIND_IMPORT_COMMIT) {
      if (effect.committed_import == 0 || committed(effect.committed_import)) {
        batch->PutMeta(EntryMetaKey(kVoidPrefix, origin, sequence), "damaged import commit");
        continue;
      }
      batch->PutImportCommitted(origin, effect.committed_import, sequence);
      committed_here.insert(effect.committed_import);
    }
  }
}

Receiver::Result Receiver::RecordFork(const proto::Range& theirs, uint64_t sequence) {
  uint32_t origin = theirs.origin();
  proto::ForkEvidence evidence;
  evidence.set_origin(origin);
  evidence.set_sequence(sequence);

  absl::StatusOr<proto::Range> ours = ReadRange(*store_, origin, sequence, 4096);
  if (!ours.ok()) return Rejected("storage", std::string(ours.status().message()));
  *evidence.mutable_first() = *ours;
  *evidence.mutable_second() = theirs;

  storage::Batch batch;
  batch.PutMeta(OriginMetaKey(kForkPrefix, origin), evidence.SerializeAsString());
  if (absl::Status status = store_->Write(batch, true); !status.ok()) {
    return Rejected("storage", std::string(status.message()));
  }
  forks_[origin] = evidence;
  spdlog::critical("FORK: origin={} sequence={}: two validly signed chains disagree; the origin "
                   "is held until a root fork-resolution statement arrives",
                   origin, sequence);
  if (notifier_ != nullptr) notifier_->Notify();
  Result result;
  result.outcome = Outcome::kFork;
  result.reason = "fork";
  result.detail = Tr("origin {} forks at sequence {}", origin, sequence);
  return result;
}

Receiver::Result Receiver::ApplyForkEvidence(const proto::ForkEvidence& evidence) {
  std::lock_guard<std::mutex> lock(mu_);
  uint32_t origin = evidence.origin();
  if (forks_.contains(origin)) {
    Result result;
    result.outcome = Outcome::kAlreadyHeld;
    return result;
  }
  // Evidence of a fork the root already resolved, relayed by a peer that has
  // not applied the resolution yet.
  if (auto resolved = resolutions_.find(origin); resolved != resolutions_.end()) {
    for (const proto::Range* range : {&evidence.first(), &evidence.second()}) {
      std::vector<crypto::Hash> hashes;
      for (const std::string& encoded : range->entries()) hashes.push_back(entry::HashEntry(encoded));
      if (OnKeptChain(resolved->second, range, hashes) == true) {
        Result result;
        result.outcome = Outcome::kAlreadyHeld;
        return result;
      }
    }
  }
  if (evidence.first().origin() != origin || evidence.second().origin() != origin) {
    return Rejected("fork-evidence", Tr("fork evidence mixes origins"));
  }
  std::vector<crypto::Hash> attributed;
  for (const proto::Range* range : {&evidence.first(), &evidence.second()}) {
    std::optional<crypto::PublicKey> key =
        membership_->SigningKey(origin, range->head().sequence());
    if (!key.has_value()) {
      return Rejected("fork-evidence", Tr("origin {} has no key in the manifest", origin));
    }
    absl::StatusOr<std::vector<crypto::Hash>> hashes = VerifyRange(*range, *key);
    if (!hashes.ok()) return Rejected("fork-evidence", std::string(hashes.status().message()));
    std::optional<crypto::Hash> hash = AttributedHash(*range, *hashes, evidence.sequence());
    if (!hash.has_value()) {
      return Rejected("fork-evidence",
                      Tr("fork evidence does not cover sequence {}", evidence.sequence()));
    }
    attributed.push_back(*hash);
  }
  if (attributed[0] == attributed[1]) {
    return Rejected("fork-evidence", Tr("fork evidence shows no disagreement"));
  }

  storage::Batch batch;
  batch.PutMeta(OriginMetaKey(kForkPrefix, origin), evidence.SerializeAsString());
  if (absl::Status status = store_->Write(batch, true); !status.ok()) {
    return Rejected("storage", std::string(status.message()));
  }
  forks_[origin] = evidence;
  spdlog::critical("FORK: origin={} sequence={}: evidence received from a peer; the origin is "
                   "held until a root fork-resolution statement arrives",
                   origin, evidence.sequence());
  if (notifier_ != nullptr) notifier_->Notify();
  Result result;
  result.outcome = Outcome::kFork;
  result.reason = "fork";
  return result;
}

std::optional<crypto::Hash> Receiver::StoredHash(uint32_t origin, uint64_t sequence) const {
  absl::StatusOr<std::optional<std::string>> stored = store_->GetEntry(origin, sequence);
  if (!stored.ok() || !stored->has_value()) return std::nullopt;
  return entry::HashEntry(**stored);
}

std::optional<bool> Receiver::OnKeptChain(const Resolution& resolution, const proto::Range* range,
                                          const std::vector<crypto::Hash>& hashes) const {
  const ForkDecision& decision = resolution.decision;
  auto hash_at = [&](uint64_t sequence) -> std::optional<crypto::Hash> {
    if (range != nullptr) {
      if (sequence + 1 >= range->first_sequence()) {
        return AttributedHash(*range, hashes, sequence);
      }
    }
    return StoredHash(decision.origin, sequence);
  };
  if (std::optional<crypto::Hash> at_keep = hash_at(decision.keep_sequence); at_keep.has_value()) {
    return *at_keep == decision.keep_hash;
  }
  if (resolution.kept_at_fork.has_value()) {
    if (std::optional<crypto::Hash> at_fork = hash_at(decision.fork_sequence);
        at_fork.has_value()) {
      return *at_fork == *resolution.kept_at_fork;
    }
  }
  return std::nullopt;
}

absl::Status Receiver::DropFrom(uint32_t origin, uint64_t first, storage::Batch* batch) {
  absl::StatusOr<std::optional<storage::Tip>> tip = store_->GetTip(origin);
  if (!tip.ok()) return tip.status();
  if (!tip->has_value() || (*tip)->sequence < first) return absl::OkStatus();
  uint64_t last = (*tip)->sequence;

  // The dropped entries stay as evidence, as one range up to the tip's head.
  absl::StatusOr<proto::Range> dropped = ReadRange(*store_, origin, first, last - first + 1);
  if (dropped.ok()) batch->PutMeta(OriginMetaKey(kDroppedChainPrefix, origin),
                                   dropped->SerializeAsString());

  batch->DeleteEntriesFrom(origin, first);
  absl::Status status = store_->ScanEntries(origin, first, [&](uint64_t sequence,
                                                              std::string_view encoded) {
    batch->DeleteHead(origin, sequence);
    batch->DeleteMeta(EntryMetaKey(kVoidPrefix, origin, sequence));
    batch->DeleteMeta(EntryMetaKey(kFuturePrefix, origin, sequence));
    absl::StatusOr<entry::EntryView> view = entry::Decode(encoded);
    if (view.ok() && IsCoordinationKind(view->kind)) {
      batch->DeleteMeta(CoordinationKey(view->kind, origin, sequence));
    }
    if (view.ok() && view->kind == proto::ENTRY_KIND_RECORD) {
      proto::Record record;
      if (record.ParseFromArray(view->body.data(), static_cast<int>(view->body.size()))) {
        batch->DeleteCell(storage::CellRevision{record.indicator(), record.region(),
                                                record.period(), record.revision(), origin,
                                                sequence});
      }
    }
    if (view.ok() && view->kind == proto::ENTRY_KIND_IMPORT_COMMIT) {
      proto::ImportCommit commit;
      if (commit.ParseFromArray(view->body.data(), static_cast<int>(view->body.size()))) {
        batch->DeleteImportCommitted(origin, commit.import_id());
      }
    }
    return true;
  });
  if (!status.ok()) return status;

  if (first == 1) {
    batch->DeleteTip(origin);
  } else {
    std::optional<crypto::Hash> previous = StoredHash(origin, first - 1);
    if (!previous.has_value()) {
      return absl::DataLossError(
          Tr("origin {} is missing entry {} below the fork", origin, first - 1));
    }
    batch->PutTip(storage::Tip{origin, first - 1, *previous});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Receiver::ResolveFork(const ForkDecision& decision) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t origin = decision.origin;
  Resolution resolution{decision, std::nullopt};

  // The evidence tells which side the kept head belongs to, and so the kept
  // chain's hash at the fork.
  std::optional<proto::ForkEvidence> evidence;
  if (auto it = forks_.find(origin); it != forks_.end()) evidence = it->second;
  uint64_t drop_from = decision.fork_sequence;
  if (evidence.has_value()) {
    drop_from = std::min(drop_from, evidence->sequence());
    for (const proto::Range* range : {&evidence->first(), &evidence->second()}) {
      std::vector<crypto::Hash> hashes;
      for (const std::string& encoded : range->entries()) hashes.push_back(entry::HashEntry(encoded));
      if (AttributedHash(*range, hashes, decision.keep_sequence) == decision.keep_hash) {
        resolution.kept_at_fork = AttributedHash(*range, hashes, drop_from);
        resolution.decision.fork_sequence = drop_from;
      }
    }
  }

  storage::Batch batch;
  std::string outcome;
  std::optional<bool> ours_kept = OnKeptChain(resolution, nullptr, {});
  std::optional<crypto::Hash> ours_at_fork = StoredHash(origin, drop_from);
  if (ours_kept == false && ours_at_fork.has_value()) {
    if (origin == options_.self) {
      // NOTE: this node's own log is not rewritten here: the origin-log
      // writer holds its tip in memory. The operator restores the node from
      // the kept chain instead.
      spdlog::critical("root fork resolution drops this node's own chain: origin={} from={}",
                       origin, drop_from);
      return absl::FailedPreconditionError(
          Tr("the root resolution drops this node's own log from sequence {}; restore the node "
             "from a backup of the kept chain",
             drop_from));
    }
    if (absl::Status status = DropFrom(origin, drop_from, &batch); !status.ok()) return status;
    outcome = Tr("removed this node's entries of origin {} from sequence {} on; the kept chain "
                 "is fetched from peers",
                 origin, drop_from);
  } else if (ours_kept == true) {
    outcome = Tr("this node holds the kept chain of origin {}", origin);
  } else {
    outcome = Tr("this node holds nothing of origin {} past the fork; it accepts the kept chain",
                 origin);
  }

  batch.PutMeta(OriginMetaKey(kForkResolutionPrefix, origin),
                EncodeResolution(resolution.decision, resolution.kept_at_fork));
  if (evidence.has_value()) {
    batch.PutMeta(OriginMetaKey(kResolvedForkPrefix, origin), evidence->SerializeAsString());
    batch.DeleteMeta(OriginMetaKey(kForkPrefix, origin));
  }
  if (absl::Status status = store_->Write(batch, true); !status.ok()) return status;
  forks_.erase(origin);
  resolutions_[origin] = resolution;
  spdlog::warn("fork resolved by the root: origin={} fork_sequence={} keep_sequence={} "
               "outcome=\"{}\"",
               origin, resolution.decision.fork_sequence, decision.keep_sequence, outcome);
  if (notifier_ != nullptr) notifier_->Notify();
  return outcome;
}

}  // namespace yreb::sync
