#include "sync/verify.h"

#include <map>
#include <optional>

#include "i18n/i18n.h"
#include "proto/entry.h"

namespace yreb::sync {
namespace {

using i18n::Tr;

// What the scan knows of one entry once its successor has been read.
struct Checked {
  uint64_t sequence = 0;
  bool broken_in = false;   // its previous-hash field disagrees with the entry before
  bool broken_out = false;  // its hash disagrees with its successor, head or tip
  std::string why_out;
};

}  // namespace

absl::StatusOr<VerifyResult> VerifyOriginLog(const storage::Store& store, uint32_t origin,
                                             const crypto::PublicKey& key,
                                             const std::function<void(uint64_t)>& progress) {
  VerifyResult result;
  auto fail = [&result, origin](uint64_t sequence, std::string problem) {
    if (!result.ok) return;
    result.ok = false;
    result.failed_origin = origin;
    result.failed_sequence = sequence;
    result.problem = std::move(problem);
  };

  // Heads first: each must carry a valid signature. Their hashes are compared
  // with the entries during the scan below.
  std::map<uint64_t, crypto::Hash> head_hashes;
  absl::Status status = store.ScanHeads(origin, [&](const entry::Head& head) {
    ++result.heads_checked;
    if (!entry::VerifyHead(key, head)) {
      fail(head.sequence, Tr("the signed head at sequence {} has an invalid signature",
                             head.sequence));
      return false;
    }
    head_hashes[head.sequence] = head.hash;
    return true;
  });
  if (!status.ok()) return status;
  if (!result.ok) return result;

  absl::StatusOr<std::optional<storage::Tip>> tip = store.GetTip(origin);
  if (!tip.ok()) return tip.status();

  // A one-byte change to entry N breaks the link N -> N+1 (its hash moved),
  // and, when the change hit N's previous-hash field, also N-1 -> N. So the
  // first entry whose outgoing link is broken is the culprit, unless its
  // successor's outgoing link is broken too: then the successor is.
  std::optional<Checked> suspect;
  crypto::Hash previous_hash{};
  uint64_t expected = 1;

  auto judge = [&](const Checked& current) {
    if (!suspect.has_value()) {
      if (current.broken_out) suspect = current;
      return;
    }
    if (current.broken_out && current.broken_in) {
      fail(current.sequence, current.why_out);
    } else {
      fail(suspect->sequence, suspect->why_out);
    }
  };

  std::optional<Checked> pending;  // the entry read last, waiting for its successor
  status = store.ScanEntries(origin, 1, [&](uint64_t sequence, std::string_view encoded) {
    if (sequence != expected) {
      fail(expected, Tr("entry {} is missing: the log jumps from {} to {}", expected,
                        expected - 1, sequence));
      return false;
    }
    absl::StatusOr<entry::EntryView> view = entry::Decode(encoded);
    if (!view.ok()) {
      fail(sequence, Tr("entry {} cannot be decoded: {}", sequence, view.status().message()));
      return false;
    }
    if (view->origin != origin || view->sequence != sequence) {
      fail(sequence, Tr("entry stored as {}/{} names itself {}/{}", origin, sequence,
                        view->origin, view->sequence));
      return false;
    }
    crypto::Hash hash = entry::HashEntry(encoded);
    bool broken_in = view->previous_hash != previous_hash;

    if (pending.has_value()) {
      if (broken_in) {
        pending->broken_out = true;
        pending->why_out = Tr("entry {} does not match the hash that entry {} carries for it",
                              pending->sequence, sequence);
      }
      judge(*pending);
      if (!result.ok) return false;
    }

    Checked current{sequence, broken_in, false, ""};
    if (auto it = head_hashes.find(sequence); it != head_hashes.end() && it->second != hash) {
      current.broken_out = true;
      current.why_out =
          Tr("entry {} does not match the hash its signed head vouches for", sequence);
    }
    pending = current;
    previous_hash = hash;
    ++expected;
    ++result.entries_checked;
    if (progress && result.entries_checked % 10000 == 0) progress(result.entries_checked);
    return true;
  });
  if (!status.ok()) return status;
  if (!result.ok) return result;

  uint64_t last = expected - 1;
  if (pending.has_value()) {
    bool tip_matches = tip->has_value() && (*tip)->sequence == last && (*tip)->hash == previous_hash;
    if (!pending->broken_out && !tip_matches) {
      pending->broken_out = true;
      pending->why_out =
          Tr("entry {} does not match the version vector's hash for this log", last);
    }
    judge(*pending);
    if (result.ok && suspect.has_value()) fail(suspect->sequence, suspect->why_out);
    if (!result.ok) return result;
  }

  if (tip->has_value() && (*tip)->sequence != last) {
    fail(last + 1, Tr("the version vector says the log ends at {}, but the last stored entry is {}",
                      (*tip)->sequence, last));
    return result;
  }
  if (last > 0 && !head_hashes.contains(last)) {
    fail(last, Tr("the last entry {} is not covered by a signed head", last));
    return result;
  }
  if (!head_hashes.empty() && head_hashes.rbegin()->first > last) {
    fail(head_hashes.rbegin()->first,
         Tr("a signed head names sequence {}, beyond the last entry {}",
            head_hashes.rbegin()->first, last));
  }
  return result;
}

}  // namespace yreb::sync
