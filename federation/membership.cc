#include "federation/membership.h"

#include <spdlog/spdlog.h>

#include "federation/fork_resolution.h"
#include "federation/lead_assignment.h"
#include "i18n/i18n.h"

namespace yreb::federation {
namespace {

using i18n::Tr;

// Meta keys. The index lists (kind u8, version u64 BE) of every stored
// statement in ascending order; it is written in the same batch as the
// statement, so the two never disagree.
constexpr std::string_view kIndexKey = "federation/index";
constexpr size_t kIndexRecordSize = 9;

std::string StatementKey(uint8_t kind, uint64_t version) {
  return fmt::format("federation/statement/{:03}/{:020}", kind, version);
}

struct IndexRecord {
  uint8_t kind;
  uint64_t version;
  auto operator<=>(const IndexRecord&) const = default;
};

absl::StatusOr<std::vector<IndexRecord>> ReadIndex(const storage::Store& store) {
  absl::StatusOr<std::optional<std::string>> value = store.GetMeta(kIndexKey);
  if (!value.ok()) return value.status();
  std::vector<IndexRecord> records;
  if (!value->has_value()) return records;
  const std::string& bytes = **value;
  if (bytes.size() % kIndexRecordSize != 0) {
    return absl::DataLossError(Tr("the stored statement index has {} bytes, not a multiple of "
                                  "{}; the database is damaged",
                                  bytes.size(), kIndexRecordSize));
  }
  for (size_t offset = 0; offset < bytes.size(); offset += kIndexRecordSize) {
    IndexRecord record{static_cast<uint8_t>(bytes[offset]), 0};
    for (size_t i = 1; i < kIndexRecordSize; ++i) {
      record.version = record.version << 8 | static_cast<uint8_t>(bytes[offset + i]);
    }
    records.push_back(record);
  }
  return records;
}

std::string EncodeIndex(const std::vector<IndexRecord>& records) {
  std::string bytes;
  for (const IndexRecord& record : records) {
    bytes.push_back(static_cast<char>(record.kind));
    for (int shift = 56; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<char>((record.version >> shift) & 0xff));
    }
  }
  return bytes;
}

uint64_t NewestVersion(const std::vector<IndexRecord>& records, uint8_t kind) {
  uint64_t newest = 0;
  for (const IndexRecord& record : records) {
    if (record.kind == kind) newest = std::max(newest, record.version);
  }
  return newest;
}

// A statement that verified, with its decoded body.
struct CheckedStatement {
  uint8_t kind = 0;
  uint64_t version = 0;
  crypto::Hash statement_hash{};
  std::string body;
  ManifestVersion manifest;  // kind kManifest only
};

// Checks everything about `encoded` that does not depend on what is stored.
absl::StatusOr<CheckedStatement> CheckStatement(std::string_view encoded,
                                                const crypto::PublicKey& root_key) {
  absl::StatusOr<StatementView> view = VerifyStatement(encoded, root_key);
  if (!view.ok()) return view.status();
  CheckedStatement result;
  result.kind = view->kind;
  result.version = view->version;
  result.statement_hash = HashStatement(encoded);
  result.body = std::string(view->body);

  if (view->kind == static_cast<uint8_t>(StatementKind::kForkResolution)) {
    absl::StatusOr<proto::ForkResolution> resolution = ParseForkResolutionBody(view->body);
    if (!resolution.ok()) {
      return absl::InvalidArgumentError(Tr("fork resolution version {} is invalid: {}",
                                           view->version, resolution.status().message()));
    }
    return result;
  }
  if (view->kind == static_cast<uint8_t>(StatementKind::kLeadAssignment)) {
    absl::StatusOr<proto::LeadAssignment> assignment = ParseLeadAssignmentBody(view->body);
    if (!assignment.ok()) {
      return absl::InvalidArgumentError(Tr("lead assignment version {} is invalid: {}",
                                           view->version, assignment.status().message()));
    }
    return result;
  }
  if (view->kind != static_cast<uint8_t>(StatementKind::kManifest)) {
    return absl::InvalidArgumentError(
        Tr("statement {} is not known to this version of yreb-sync; upgrade the node",
           KindName(view->kind)));
  }
  absl::StatusOr<proto::Manifest> manifest = ParseManifestBody(view->body);
  if (!manifest.ok()) {
    return absl::InvalidArgumentError(
        Tr("manifest version {} is invalid: {}", view->version, manifest.status().message()));
  }
  result.manifest.version = view->version;
  result.manifest.manifest = std::move(*manifest);
  result.manifest.statement_hash = result.statement_hash;
  return result;
}

}  // namespace

Membership::Membership(storage::Store* store, crypto::PublicKey root_key)
    : store_(store), root_key_(std::move(root_key)) {}

absl::StatusOr<std::unique_ptr<Membership>> Membership::Open(storage::Store* store,
                                                             crypto::PublicKey root_key) {
  std::unique_ptr<Membership> membership(new Membership(store, std::move(root_key)));
  absl::StatusOr<std::vector<IndexRecord>> index = ReadIndex(*store);
  if (!index.ok()) return index.status();

  uint64_t newest = NewestVersion(*index, static_cast<uint8_t>(StatementKind::kManifest));
  if (newest == 0) return membership;
  std::string key = StatementKey(static_cast<uint8_t>(StatementKind::kManifest), newest);
  absl::StatusOr<std::optional<std::string>> bytes = store->GetMeta(key);
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) {
    return absl::DataLossError(
        Tr("manifest version {} is in the statement index but not stored; the database is "
           "damaged",
           newest));
  }
  absl::StatusOr<CheckedStatement> manifest = CheckStatement(**bytes, membership->root_key_);
  if (!manifest.ok()) {
    return absl::DataLossError(
        Tr("stored manifest version {} no longer verifies: {}. Was [federation] "
           "root_public_key changed?",
           newest, manifest.status().message()));
  }
  absl::MutexLock lock(&membership->mu_);
  membership->newest_manifest_ =
      std::make_shared<const ManifestVersion>(std::move(manifest->manifest));
  return membership;
}

absl::StatusOr<ApplyResult> Membership::Apply(std::string_view encoded, std::string_view source) {
  absl::StatusOr<CheckedStatement> checked = CheckStatement(encoded, root_key_);
  if (!checked.ok()) {
    spdlog::warn("statement rejected: source=\"{}\" reason=\"{}\"", source,
                 checked.status().message());
    return checked.status();
  }
  ApplyResult result;
  result.kind = checked->kind;
  result.version = checked->version;
  result.statement_hash = checked->statement_hash;
  const bool is_manifest = result.kind == static_cast<uint8_t>(StatementKind::kManifest);

  absl::MutexLock apply_lock(&apply_mu_);
  absl::StatusOr<std::vector<IndexRecord>> index = ReadIndex(*store_);
  if (!index.ok()) return index.status();
  uint64_t newest = NewestVersion(*index, result.kind);
  std::string key = StatementKey(result.kind, result.version);

  // A manifest supersedes every older one, so an older version is never
  // applied. Fork resolutions each name their own fork and all stay in
  // force; only their versions must differ.
  if (is_manifest && result.version < newest) {
    absl::Status status = absl::InvalidArgumentError(
        Tr("manifest version {} is older than the stored manifest version {}; a newer manifest "
           "supersedes every older one, so it is not applied",
           result.version, newest));
    spdlog::warn("statement rejected: source=\"{}\" reason=\"{}\"", source, status.message());
    return status;
  }
  absl::StatusOr<std::optional<std::string>> stored = store_->GetMeta(key);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) {
    if (**stored == encoded) {
      result.already_stored = true;
      return result;
    }
    absl::Status status = absl::InvalidArgumentError(
        Tr("{} version {} differs from the stored statement of the same version; the root "
           "signed two different statements as version {}. Ask the root holder which is valid",
           KindName(result.kind), result.version, result.version));
    spdlog::error("statement rejected: source=\"{}\" reason=\"{}\"", source, status.message());
    return status;
  }

  index->push_back({result.kind, result.version});
  std::sort(index->begin(), index->end());
  storage::Batch batch;
  batch.PutMeta(key, encoded);
  batch.PutMeta(kIndexKey, EncodeIndex(*index));
  if (absl::Status status = store_->Write(batch, true); !status.ok()) return status;

  std::vector<std::function<void(uint8_t, std::string_view)>> statement_listeners;
  if (!is_manifest) {
    {
      absl::MutexLock lock(&mu_);
      statement_listeners = statement_listeners_;
    }
    spdlog::info("statement applied: kind={} version={} statement={} source=\"{}\"",
                 KindName(result.kind), result.version, crypto::ToHex(result.statement_hash),
                 source);
    for (const auto& listener : statement_listeners) listener(result.kind, checked->body);
    return result;
  }

  auto newest_manifest = std::make_shared<const ManifestVersion>(std::move(checked->manifest));
  std::vector<std::function<void(std::shared_ptr<const ManifestVersion>)>> listeners;
  {
    absl::MutexLock lock(&mu_);
    newest_manifest_ = newest_manifest;
    listeners = listeners_;
    statement_listeners = statement_listeners_;
  }
  spdlog::info("manifest applied: version={} members={} statement={} source=\"{}\"",
               newest_manifest->version, newest_manifest->manifest.members_size(),
               crypto::ToHex(newest_manifest->statement_hash), source);
  for (const auto& listener : listeners) listener(newest_manifest);
  for (const auto& listener : statement_listeners) listener(result.kind, checked->body);
  return result;
}

absl::StatusOr<std::vector<std::string>> Membership::StatementBodies(uint8_t kind) const {
  absl::StatusOr<std::vector<VersionedBody>> statements = VersionedBodies(kind);
  if (!statements.ok()) return statements.status();
  std::vector<std::string> bodies;
  for (VersionedBody& statement : *statements) bodies.push_back(std::move(statement.body));
  return bodies;
}

absl::StatusOr<std::vector<Membership::VersionedBody>> Membership::VersionedBodies(
    uint8_t kind) const {
  absl::StatusOr<std::vector<IndexRecord>> index = ReadIndex(*store_);
  if (!index.ok()) return index.status();
  std::vector<VersionedBody> bodies;
  for (const IndexRecord& record : *index) {
    if (record.kind != kind) continue;
    absl::StatusOr<std::optional<std::string>> bytes =
        store_->GetMeta(StatementKey(record.kind, record.version));
    if (!bytes.ok()) return bytes.status();
    if (!bytes->has_value()) continue;
    // Stored statements verified when applied; decoding again only finds
    // the body.
    absl::StatusOr<StatementView> view = DecodeStatement(**bytes);
    if (view.ok()) bodies.push_back({record.version, std::string(view->body)});
  }
  return bodies;
}

absl::StatusOr<std::vector<std::string>> Membership::AllStatements() const {
  absl::StatusOr<std::vector<IndexRecord>> index = ReadIndex(*store_);
  if (!index.ok()) return index.status();
  std::vector<std::string> statements;
  for (const IndexRecord& record : *index) {
    absl::StatusOr<std::optional<std::string>> bytes =
        store_->GetMeta(StatementKey(record.kind, record.version));
    if (!bytes.ok()) return bytes.status();
    if (!bytes->has_value()) {
      return absl::DataLossError(
          Tr("{} version {} is in the statement index but not stored; the database is damaged",
             KindName(record.kind), record.version));
    }
    statements.push_back(std::move(**bytes));
  }
  return statements;
}

std::shared_ptr<const ManifestVersion> Membership::NewestManifest() const {
  absl::MutexLock lock(&mu_);
  return newest_manifest_;
}

void Membership::AddStatementListener(
    std::function<void(uint8_t kind, std::string_view body)> listener) {
  absl::MutexLock lock(&mu_);
  statement_listeners_.push_back(std::move(listener));
}

void Membership::AddManifestListener(
    std::function<void(std::shared_ptr<const ManifestVersion>)> listener) {
  absl::MutexLock lock(&mu_);
  listeners_.push_back(std::move(listener));
}

}  // namespace yreb::federation
