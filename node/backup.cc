#include "node/backup.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include <fmt/chrono.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "i18n/i18n.h"
#include "node/node.h"

namespace yreb::node {
namespace {

namespace fs = std::filesystem;
using i18n::Tr;
using nlohmann::json;

constexpr size_t kCopyBufferBytes = 1 << 20;

// Staging directories of backups in progress in this process, by path;
// everything else under the backups directory is left over and removed.
std::mutex staging_mu;
std::set<std::string> staging_in_use;  // guarded by staging_mu
std::atomic<uint64_t> staging_counter{0};

// Returns the current UTC time as 20250131T083000Z, a name that sorts by
// time and is valid in every file system.
std::string CompactUtcNow() {
  return fmt::format("{:%Y%m%dT%H%M%SZ}", fmt::gmtime(std::time(nullptr)));
}

std::string IsoUtcNow() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
}

// A file name RocksDB writes into its directory: no separator, not "." or
// "..", not empty.
bool IsPlainFileName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// Removes leftovers of interrupted backups: every entry of `backups_dir` that
// no backup of this process is using.
void RemoveStaleStaging(const fs::path& backups_dir) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(backups_dir, error)) {
    {
      std::lock_guard<std::mutex> lock(staging_mu);
      if (staging_in_use.count(entry.path().string()) != 0) continue;
    }
    std::error_code remove_error;
    fs::remove_all(entry.path(), remove_error);
    if (remove_error) {
      spdlog::warn("cannot remove stale backup staging {}: {}", entry.path().string(),
                   remove_error.message());
    } else {
      spdlog::info("removed stale backup staging {}", entry.path().string());
    }
  }
}

// An exclusive fcntl lock on a RocksDB LOCK file, the lock RocksDB itself
// takes, so holding it keeps a node from opening the database. Closing the
// descriptor releases it.
class DatabaseLock {
 public:
  ~DatabaseLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  DatabaseLock() = default;
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;

  // Locks `db_dir`/LOCK. Fails with FailedPrecondition when another process
  // holds it; succeeds without locking when the directory holds no database.
  absl::Status Acquire(const fs::path& db_dir) {
    fs::path lock_path = db_dir / "LOCK";
    std::error_code error;
    if (!fs::exists(lock_path, error)) return absl::OkStatus();
    fd_ = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) {
      return absl::PermissionDeniedError(
          Tr("cannot open {}: {}; run restore as the service user or root", lock_path.string(),
             i18n::ErrnoMessage(errno)));
    }
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd_, F_SETLK, &lock) != 0) {
      return absl::FailedPreconditionError(
          Tr("the database {} is in use, so the node is probably running; stop it first "
             "(systemctl stop yreb-node) and run restore again",
             db_dir.string()));
    }
    return absl::OkStatus();
  }

 private:
  int fd_ = -1;
};

absl::StatusOr<crypto::PublicKey> ReadConfiguredKey(const Config& config) {
  // The public key file is readable by operators; the private key usually is
  // not, so it is only the fallback.
  absl::StatusOr<crypto::PublicKey> public_key = crypto::ReadPublicKey(config.public_key_file);
  if (public_key.ok()) return public_key;
  absl::StatusOr<crypto::PrivateKey> private_key = crypto::ReadPrivateKey(config.key_file);
  if (private_key.ok()) return private_key->public_key();
  return absl::FailedPreconditionError(
      Tr("cannot read the node's key to check the backup against it: {}",
         public_key.status().message()));
}

// Checks the manifest against the configured node and the files in `from`.
absl::Status CheckBackup(const Config& config, const BackupManifest& manifest,
                         const crypto::PublicKey& key, const fs::path& from) {
  if (manifest.node_id != config.node_id) {
    return absl::FailedPreconditionError(
        Tr("the backup belongs to node {}, but {} configures node {}; restore a backup of this "
           "node",
           manifest.node_id, config.path, config.node_id));
  }
  if (manifest.key_fingerprint != key.Fingerprint()) {
    return absl::FailedPreconditionError(
        Tr("the backup was made with key {}, but the configured key is {}; restore a backup of "
           "this node's key",
           manifest.key_fingerprint, key.Fingerprint()));
  }

  std::set<std::string> listed;
  for (const BackupFile& file : manifest.files) listed.insert(file.path);
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(from / kBackupDbDir, error)) {
    std::string path = std::string(kBackupDbDir) + "/" + entry.path().filename().string();
    if (listed.count(path) == 0) {
      return absl::DataLossError(
          Tr("backup file {} is not listed in the manifest; the backup was changed after it was "
             "written",
             path));
    }
  }
  if (error) {
    return absl::NotFoundError(
        Tr("cannot list {}: {}", (from / kBackupDbDir).string(), i18n::ErrnoMessage(error)));
  }
  return absl::OkStatus();
}

// Copies every manifest file from `from` into `to`, checking size and
// SHA-256 of the bytes copied.
absl::Status CopyAndCheckFiles(const BackupManifest& manifest, const fs::path& from,
                               const fs::path& to, const RestoreOptions& options,
                               uint64_t* copied) {
  uint64_t total = 0;
  for (const BackupFile& file : manifest.files) total += file.size;
  std::string buffer(kCopyBufferBytes, '\0');
  *copied = 0;

  for (const BackupFile& file : manifest.files) {
    fs::path source = from / file.path;
    std::ifstream in(source, std::ios::binary);
    if (!in) {
      return absl::NotFoundError(
          Tr("backup file {} is missing: {}", file.path, i18n::ErrnoMessage(errno)));
    }
    fs::path target = to / fs::path(file.path).filename();
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    if (!out) return absl::InternalError(Tr("cannot write {}", target.string()));

    crypto::Sha256Builder hasher;
    uint64_t size = 0;
    while (in) {
      in.read(buffer.data(), buffer.size());
      std::streamsize got = in.gcount();
      if (got <= 0) break;
      std::string_view chunk(buffer.data(), got);
      hasher.Update(chunk);
      out.write(chunk.data(), chunk.size());
      size += got;
      *copied += got;
      if (options.progress) options.progress(*copied, total);
    }
    out.flush();
    if (in.bad()) return absl::DataLossError(Tr("cannot read backup file {}", file.path));
    if (!out) return absl::InternalError(Tr("cannot write {}", target.string()));
    out.close();

    std::string digest = crypto::ToHex(hasher.Finish());
    if (size != file.size || digest != file.sha256) {
      return absl::DataLossError(
          Tr("backup file {} is damaged or was changed: its SHA-256 is {} ({} bytes), the "
             "manifest records {} ({} bytes); use another backup",
             file.path, digest, size, file.sha256, file.size));
    }
  }
  return absl::OkStatus();
}

// Checks the copy's birth record and version vector against the manifest,
// then marks it as restored.
absl::Status CheckAndMarkCopy(const BackupManifest& manifest, const fs::path& copy) {
  absl::StatusOr<std::unique_ptr<storage::Store>> store = storage::Store::Open(copy.string(), {});
  if (!store.ok()) return store.status();

  absl::StatusOr<std::optional<std::string>> birth = (*store)->GetMeta(kBirthKey);
  if (!birth.ok()) return birth.status();
  if (birth->has_value() && **birth != manifest.key_fingerprint) {
    return absl::DataLossError(
        Tr("the backed-up database was created for key {}, not {} as its manifest says",
           **birth, manifest.key_fingerprint));
  }

  absl::StatusOr<std::vector<storage::Tip>> tips = (*store)->GetTips();
  if (!tips.ok()) return tips.status();
  bool same = tips->size() == manifest.version_vector.size();
  for (size_t i = 0; same && i < tips->size(); ++i) {
    const storage::Tip& ours = (*tips)[i];
    const storage::Tip& recorded = manifest.version_vector[i];
    same = ours.origin == recorded.origin && ours.sequence == recorded.sequence &&
           ours.hash == recorded.hash;
  }
  if (!same) {
    return absl::DataLossError(
        Tr("the version vector of the backed-up database differs from the one in its manifest; "
           "use another backup"));
  }

  uint64_t own_sequence = 0;
  for (const storage::Tip& tip : *tips) {
    if (tip.origin == manifest.node_id) own_sequence = tip.sequence;
  }
  json marker = {{"restored_at", IsoUtcNow()},
                 {"backup_created_at", manifest.created_at},
                 {"sequence", own_sequence}};
  storage::Batch batch;
  batch.PutMeta(kRestoredKey, marker.dump());
  return (*store)->Write(batch, true);
}

// Gives `root` and everything under it to `uid`:`gid`.
absl::Status ChownTree(const fs::path& root, uid_t uid, gid_t gid) {
  std::error_code error;
  if (::lchown(root.c_str(), uid, gid) != 0) {
    return absl::InternalError(
        Tr("cannot change the owner of {}: {}", root.string(), i18n::ErrnoMessage(errno)));
  }
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root, error)) {
    if (::lchown(entry.path().c_str(), uid, gid) != 0) {
      return absl::InternalError(Tr("cannot change the owner of {}: {}", entry.path().string(),
                                    i18n::ErrnoMessage(errno)));
    }
  }
  return absl::OkStatus();
}

// Puts `copy` in place of `data_dir`. Where both exist and the file system
// supports it, one renameat2(RENAME_EXCHANGE) swaps them, so data_dir always
// names a whole database; otherwise two renames leave a short gap. Returns
// the path now holding the replaced directory, or "" when there was none.
// On failure `copy` still holds the restored copy and data_dir is unchanged.
absl::StatusOr<std::string> SwapIn(const fs::path& copy, const fs::path& data_dir,
                                   const std::string& time) {
  std::error_code error;
  if (!fs::exists(data_dir, error)) {
    if (::rename(copy.c_str(), data_dir.c_str()) != 0) {
      return absl::InternalError(Tr("cannot rename {} to {}: {}", copy.string(), data_dir.string(),
                                    i18n::ErrnoMessage(errno)));
    }
    return std::string();
  }

  fs::path kept = data_dir.string() + ".before-restore-" + time;
  if (::renameat2(AT_FDCWD, copy.c_str(), AT_FDCWD, data_dir.c_str(), RENAME_EXCHANGE) == 0) {
    // The restore is done; the old database now sits under the copy's name,
    // which is kept rather than lost.
    if (::rename(copy.c_str(), kept.c_str()) != 0) {
      spdlog::warn("restored, but cannot rename the old data directory {} to {}: {}", copy.string(),
                   kept.string(), i18n::ErrnoMessage(errno));
      return copy.string();
    }
    return kept.string();
  }
  if (errno != EINVAL && errno != ENOSYS) {
    return absl::InternalError(Tr("cannot swap {} and {}: {}", copy.string(), data_dir.string(),
                                  i18n::ErrnoMessage(errno)));
  }
  if (::rename(data_dir.c_str(), kept.c_str()) != 0) {
    return absl::InternalError(Tr("cannot rename {} to {}: {}", data_dir.string(), kept.string(),
                                  i18n::ErrnoMessage(errno)));
  }
  if (::rename(copy.c_str(), data_dir.c_str()) != 0) {
    int saved = errno;
    ::rename(kept.c_str(), data_dir.c_str());
    return absl::InternalError(Tr("cannot rename {} to {}: {}", copy.string(), data_dir.string(),
                                  i18n::ErrnoMessage(saved)));
  }
  return kept.string();
}

}  // namespace

std::string SerializeManifest(const BackupManifest& manifest) {
  json vector = json::array();
  for (const storage::Tip& tip : manifest.version_vector) {
    vector.push_back(
        {{"origin", tip.origin}, {"sequence", tip.sequence}, {"hash", crypto::ToHex(tip.hash)}});
  }
  json files = json::array();
  for (const BackupFile& file : manifest.files) {
    files.push_back({{"path", file.path}, {"size", file.size}, {"sha256", file.sha256}});
  }
  json document = {{"format", kBackupFormat},
                   {"node_id", manifest.node_id},
                   {"key_fingerprint", manifest.key_fingerprint},
                   {"created_at", manifest.created_at},
                   {"yreb_sync_version", manifest.yreb_sync_version},
                   {"version_vector", vector},
                   {"files", files}};
  return document.dump(2) + "\n";
}

absl::StatusOr<BackupManifest> ParseManifest(std::string_view text) {
  json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return absl::InvalidArgumentError(Tr("the backup manifest is not valid JSON"));
  }
  auto field = [&](const json& object, const char* name,
                   json::value_t type) -> absl::StatusOr<const json*> {
    auto it = object.find(name);
    bool type_ok = it != object.end() &&
                   (it->type() == type || (type == json::value_t::number_unsigned &&
                                           it->type() == json::value_t::number_integer &&
                                           it->get<int64_t>() >= 0));
    if (!type_ok) {
      return absl::InvalidArgumentError(
          Tr("the backup manifest has no valid field \"{}\"", name));
    }
    return &*it;
  };

  absl::StatusOr<const json*> format = field(document, "format", json::value_t::string);
  if (!format.ok()) return format.status();
  if ((*format)->get<std::string>() != kBackupFormat) {
    return absl::InvalidArgumentError(
        Tr("the backup manifest has format {}, but this yreb-sync reads {}",
           (*format)->get<std::string>(), kBackupFormat));
  }

  BackupManifest manifest;
  absl::StatusOr<const json*> value = field(document, "node_id", json::value_t::number_unsigned);
  if (!value.ok()) return value.status();
  manifest.node_id = (*value)->get<uint32_t>();
  for (auto [name, target] : {std::pair{"key_fingerprint", &manifest.key_fingerprint},
                              std::pair{"created_at", &manifest.created_at},
                              std::pair{"yreb_sync_version", &manifest.yreb_sync_version}}) {
    value = field(document, name, json::value_t::string);
    if (!value.ok()) return value.status();
    *target = (*value)->get<std::string>();
  }

  value = field(document, "version_vector", json::value_t::array);
  if (!value.ok()) return value.status();
  for (const json& item : **value) {
    absl::StatusOr<const json*> origin = field(item, "origin", json::value_t::number_unsigned);
    absl::StatusOr<const json*> sequence = field(item, "sequence", json::value_t::number_unsigned);
    absl::StatusOr<const json*> hash = field(item, "hash", json::value_t::string);
    if (!origin.ok() || !sequence.ok() || !hash.ok()) {
      return absl::InvalidArgumentError(Tr("the backup manifest has an invalid version vector"));
    }
    absl::StatusOr<crypto::Hash> parsed = crypto::HashFromHex((*hash)->get<std::string>());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(Tr("the backup manifest has an invalid version vector"));
    }
    manifest.version_vector.push_back(
        {(*origin)->get<uint32_t>(), (*sequence)->get<uint64_t>(), *parsed});
  }

  value = field(document, "files", json::value_t::array);
  if (!value.ok()) return value.status();
  for (const json& item : **value) {
    absl::StatusOr<const json*> path = field(item, "path", json::value_t::string);
    absl::StatusOr<const json*> size = field(item, "size", json::value_t::number_unsigned);
    absl::StatusOr<const json*> sha256 = field(item, "sha256", json::value_t::string);
    if (!path.ok() || !size.ok() || !sha256.ok()) {
      return absl::InvalidArgumentError(Tr("the backup manifest has an invalid file list"));
    }
    BackupFile file{(*path)->get<std::string>(), (*size)->get<uint64_t>(),
                    (*sha256)->get<std::string>()};
    std::string prefix = std::string(kBackupDbDir) + "/";
    if (!file.path.starts_with(prefix) ||
        !IsPlainFileName(std::string_view(file.path).substr(prefix.size()))) {
      return absl::InvalidArgumentError(
          Tr("the backup manifest lists the path {}, which is not a file under {}/", file.path,
             kBackupDbDir));
    }
    manifest.files.push_back(std::move(file));
  }
  if (manifest.files.empty()) {
    return absl::InvalidArgumentError(Tr("the backup manifest lists no files"));
  }
  return manifest;
}

std::string BackupsDir(const std::string& data_dir) {
  fs::path path(data_dir);
  if (!path.has_filename()) path = path.parent_path();  // "/var/lib/x/data/"
  return (path.parent_path() / "backups").string();
}

absl::StatusOr<std::unique_ptr<StagedBackup>> StagedBackup::Create(storage::Store* store,
                                                                   const std::string& data_dir) {
  fs::path backups_dir = BackupsDir(data_dir);
  std::error_code error;
  fs::create_directories(backups_dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        Tr("cannot create the backups directory {}: {}. The node stages backups beside data_dir, "
           "so data_dir must be a subdirectory of a directory the node may write (for the "
           "service: data_dir = \"/var/lib/yreb-sync/data\")",
           backups_dir.string(), i18n::ErrnoMessage(error)));
  }
  ::chmod(backups_dir.c_str(), 0700);
  RemoveStaleStaging(backups_dir);

  auto staged = std::unique_ptr<StagedBackup>(new StagedBackup());
  staged->dir_ = (backups_dir / fmt::format("{}-{}", CompactUtcNow(), ++staging_counter)).string();
  {
    std::lock_guard<std::mutex> lock(staging_mu);
    staging_in_use.insert(staged->dir_);
  }
  fs::create_directory(staged->dir_, error);
  if (error) {
    return absl::InternalError(Tr("cannot create {}: {}", staged->dir_, i18n::ErrnoMessage(error)));
  }

  fs::path db_dir = fs::path(staged->dir_) / kBackupDbDir;
  staged->created_at_ = IsoUtcNow();
  if (absl::Status status = store->CreateCheckpoint(db_dir.string()); !status.ok()) return status;

  // The vector comes from the copy itself, not the live store, which moves on
  // while the backup streams.
  {
    absl::StatusOr<std::unique_ptr<storage::Store>> copy =
        storage::Store::OpenReadOnly(db_dir.string());
    if (!copy.ok()) return copy.status();
    absl::StatusOr<std::vector<storage::Tip>> tips = (*copy)->GetTips();
    if (!tips.ok()) return tips.status();
    staged->version_vector_ = std::move(*tips);
  }

  for (const fs::directory_entry& entry : fs::directory_iterator(db_dir, error)) {
    if (!entry.is_regular_file()) continue;
    BackupFile file;
    file.path = std::string(kBackupDbDir) + "/" + entry.path().filename().string();
    file.size = entry.file_size();
    staged->total_bytes_ += file.size;
    staged->files_.push_back(std::move(file));
  }
  if (error)
    return absl::InternalError(
        Tr("cannot list {}: {}", db_dir.string(), i18n::ErrnoMessage(error)));
  std::sort(staged->files_.begin(), staged->files_.end(),
            [](const BackupFile& a, const BackupFile& b) { return a.path < b.path; });
  return staged;
}

StagedBackup::~StagedBackup() {
  if (dir_.empty()) return;
  std::error_code error;
  fs::remove_all(dir_, error);
  if (error) spdlog::warn("cannot remove backup staging {}: {}", dir_, error.message());
  std::lock_guard<std::mutex> lock(staging_mu);
  staging_in_use.erase(dir_);
}

absl::StatusOr<std::optional<std::string>> CheckRestoredStore(storage::Store* store,
                                                              uint32_t node_id,
                                                              bool accept_restored_log) {
  absl::StatusOr<std::optional<std::string>> marker = store->GetMeta(kRestoredKey);
  if (!marker.ok()) return marker.status();
  if (!marker->has_value()) return std::nullopt;

  if (accept_restored_log) {
    storage::Batch batch;
    batch.DeleteMeta(kRestoredKey);
    if (absl::Status status = store->Write(batch, true); !status.ok()) return status;
    spdlog::warn("restored store accepted by --accept-restored-log: origin={} marker={}", node_id,
                 **marker);
    return std::nullopt;
  }

  json details = json::parse(**marker, nullptr, /*allow_exceptions=*/false);
  std::string backup_time = "?";
  if (details.is_object() && details.contains("backup_created_at") &&
      details["backup_created_at"].is_string()) {
    backup_time = details["backup_created_at"].get<std::string>();
  }
  return Tr("this node was restored from a backup made at {}, so its own log may lack entries "
            "that its key signed after that time, and appending now could reuse their sequence "
            "numbers. Let the node recover its latest entries from the federation peers before "
            "appending, or, if you are certain that no entry of this node newer than the backup "
            "exists anywhere, restart it once with --accept-restored-log",
            backup_time);
}

absl::StatusOr<RestoreResult> RestoreBackup(const Config& config, const std::string& from,
                                            const RestoreOptions& options) {
  fs::path from_dir(from);
  fs::path data_dir(config.data_dir);
  if (!data_dir.has_filename()) data_dir = data_dir.parent_path();
  std::error_code error;

  // A node that runs holds the LOCK file; checking first saves a long copy.
  DatabaseLock current_lock;
  if (absl::Status status = current_lock.Acquire(data_dir); !status.ok()) return status;

  fs::path manifest_path = from_dir / kBackupManifestName;
  std::ifstream manifest_in(manifest_path, std::ios::binary);
  if (!manifest_in) {
    return absl::NotFoundError(
        Tr("{} not found: {} is not a complete backup (an interrupted yrebctl backup leaves no "
           "manifest)",
           manifest_path.string(), from));
  }
  std::string manifest_text((std::istreambuf_iterator<char>(manifest_in)),
                            std::istreambuf_iterator<char>());
  absl::StatusOr<BackupManifest> manifest = ParseManifest(manifest_text);
  if (!manifest.ok()) {
    return absl::InvalidArgumentError(
        Tr("{}: {}", manifest_path.string(), manifest.status().message()));
  }

  absl::StatusOr<crypto::PublicKey> key = ReadConfiguredKey(config);
  if (!key.ok()) return key.status();
  if (absl::Status status = CheckBackup(config, *manifest, *key, from_dir); !status.ok()) {
    return status;
  }

  std::string time = CompactUtcNow();
  fs::path copy = data_dir.string() + ".restore-" + time;
  fs::remove_all(copy, error);
  fs::create_directories(copy, error);
  if (error)
    return absl::InternalError(
        Tr("cannot create {}: {}", copy.string(), i18n::ErrnoMessage(error)));
  ::chmod(copy.c_str(), 0700);
  auto remove_copy = [&copy] {
    std::error_code ignored;
    fs::remove_all(copy, ignored);
  };

  RestoreResult result;
  absl::Status status = CopyAndCheckFiles(*manifest, from_dir, copy, options, &result.bytes);
  if (status.ok()) status = CheckAndMarkCopy(*manifest, copy);
  if (!status.ok()) {
    remove_copy();
    return status;
  }

  // Files made by root would lock the service user out of its own database.
  if (::geteuid() == 0) {
    struct stat owner {};
    bool found = ::stat(data_dir.c_str(), &owner) == 0 ||
                 ::stat(data_dir.parent_path().c_str(), &owner) == 0;
    if (found) status = ChownTree(copy, owner.st_uid, owner.st_gid);
    if (!status.ok()) {
      remove_copy();
      return status;
    }
  }

  // Hold the copy's lock across the swap, so a node started meanwhile fails
  // to open either directory instead of opening a half-swapped one.
  DatabaseLock copy_lock;
  if (status = copy_lock.Acquire(copy); !status.ok()) {
    remove_copy();
    return status;
  }
  absl::StatusOr<std::string> kept = SwapIn(copy, data_dir, time);
  if (!kept.ok()) {
    remove_copy();
    return kept.status();
  }

  if (!kept->empty() && options.discard_current) {
    fs::remove_all(*kept, error);
    if (error) {
      spdlog::warn("restored, but cannot remove the old data directory {}: {}", *kept,
                   error.message());
      result.kept_dir = *kept;
    }
  } else {
    result.kept_dir = *kept;
  }
  result.manifest = std::move(*manifest);
  return result;
}

}  // namespace yreb::node
