// Backups of a node's store and their offline restore.
//
// A backup is a directory: "db/" holds a RocksDB checkpoint of the store and
// "manifest.json" names the node, its key fingerprint, the version vector
// at backup time and the size and SHA-256 of every file. The node writes the
// checkpoint into the backups directory beside data_dir and streams it to
// yrebctl (AdminService::Backup); yrebctl restore checks the manifest and
// swaps the copy in while the node is stopped.
//
// A restored store may be older than the log its key has already written, so
// restore leaves the meta key kRestoredKey in it, and a node that finds the
// key blocks appends (CheckRestoredStore) until its latest entries are
// recovered from peers or an operator accepts the restored log.
#ifndef YREB_NODE_BACKUP_H_
#define YREB_NODE_BACKUP_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "node/config.h"
#include "storage/store.h"

namespace yreb::node {

// File names inside a backup directory.
inline constexpr std::string_view kBackupManifestName = "manifest.json";
inline constexpr std::string_view kBackupDbDir = "db";
// Value of the manifest's "format" field; restore rejects other values.
inline constexpr std::string_view kBackupFormat = "yreb-sync-backup-1";

// One file of a backup, by path relative to the backup directory.
struct BackupFile {
  std::string path;
  uint64_t size = 0;
  std::string sha256;  // hex
};

struct BackupManifest {
  uint32_t node_id = 0;
  std::string key_fingerprint;
  std::string created_at;  // UTC, ISO 8601
  std::string yreb_sync_version;
  std::vector<storage::Tip> version_vector;
  std::vector<BackupFile> files;
};

std::string SerializeManifest(const BackupManifest& manifest);
// Fails with InvalidArgument naming the field that is missing or malformed,
// and on a file path other than "db/NAME" (so a manifest cannot make restore
// write outside its directory).
absl::StatusOr<BackupManifest> ParseManifest(std::string_view text);

// Returns the directory where the node stages backups: "backups" beside
// data_dir, e.g. /var/lib/yreb-sync/backups for /var/lib/yreb-sync/data.
std::string BackupsDir(const std::string& data_dir);

// A checkpoint of the store staged for streaming. The destructor removes it.
class StagedBackup {
 public:
  // Creates a checkpoint of `store` in a new directory under
  // BackupsDir(data_dir) and reads its version vector. Removes staging
  // directories left by earlier backups that are not in progress. Fails with
  // PermissionDenied when the backups directory cannot be created.
  static absl::StatusOr<std::unique_ptr<StagedBackup>> Create(storage::Store* store,
                                                              const std::string& data_dir);
  ~StagedBackup();
  StagedBackup(const StagedBackup&) = delete;
  StagedBackup& operator=(const StagedBackup&) = delete;

  const std::string& dir() const { return dir_; }
  // Files to send, relative to dir(), sorted; sizes are filled in.
  const std::vector<BackupFile>& files() const { return files_; }
  uint64_t total_bytes() const { return total_bytes_; }
  const std::vector<storage::Tip>& version_vector() const { return version_vector_; }
  // UTC time of the checkpoint, ISO 8601.
  const std::string& created_at() const { return created_at_; }

 private:
  StagedBackup() = default;
  std::string dir_;
  std::vector<BackupFile> files_;
  uint64_t total_bytes_ = 0;
  std::vector<storage::Tip> version_vector_;
  std::string created_at_;
};

// Returns the reason appends must stay blocked because the store was
// restored from a backup, or nullopt when it was not (or no longer is). With
// `accept_restored_log` it removes kRestoredKey instead, logs a warning and
// returns nullopt.
absl::StatusOr<std::optional<std::string>> CheckRestoredStore(storage::Store* store,
                                                              uint32_t node_id,
                                                              bool accept_restored_log);

struct RestoreOptions {
  // Delete the replaced data directory instead of keeping it as
  // "<data_dir>.before-restore-<time>".
  bool discard_current = false;
  // Called while files are copied: bytes copied so far of the total.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct RestoreResult {
  BackupManifest manifest;
  std::string kept_dir;  // empty when nothing was kept
  uint64_t bytes = 0;
};

// Restores the backup in `from` into config.data_dir. Checks the manifest
// (format, node id, key fingerprint against config's key, every file's size
// and SHA-256, no unlisted files), copies into a sibling directory, checks
// the copy's version vector against the manifest, writes kRestoredKey and
// then swaps the directories. Fails with FailedPrecondition while a node
// holds the store, and with DataLoss naming the file whose checksum differs.
// On failure the current data directory is untouched.
absl::StatusOr<RestoreResult> RestoreBackup(const Config& config, const std::string& from,
                                            const RestoreOptions& options);

}  // namespace yreb::node

#endif  // YREB_NODE_BACKUP_H_
