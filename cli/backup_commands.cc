#include "cli/backup_commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/admin_client.h"
#include "cli/exit.h"
#include "crypto/crypto.h"
#include "i18n/i18n.h"
#include "node/backup.h"
#include "node/config.h"

namespace yreb::cli {
namespace {

namespace fs = std::filesystem;
using i18n::Tr;
using nlohmann::json;



std::string Megabytes(uint64_t bytes) { return fmt::format("{:.1f}", bytes / 1048576.0); }

// A file being received: its stream and running digest.
struct ReceivedFile {
  std::ofstream out;
  std::unique_ptr<crypto::Sha256Builder> hasher;
  uint64_t size = 0;
  std::string sha256;
};

// Checks that `out` may receive a backup: absent, or an empty directory.
absl::Status PrepareOutputDir(const fs::path& out) {
  std::error_code error;
  if (fs::exists(out, error)) {
    if (!fs::is_directory(out, error) || !fs::is_empty(out, error)) {
      return absl::AlreadyExistsError(
          Tr("{} exists and is not an empty directory; choose a new directory for the backup",
             out.string()));
    }
  }
  fs::create_directories(out / node::kBackupDbDir, error);
  if (error) {
    return absl::PermissionDeniedError(
        Tr("cannot create {}: {}", out.string(), i18n::ErrnoMessage(error)));
  }
  // The copy holds the node's whole store; keep it as private as the store.
  ::chmod(out.c_str(), 0700);
  return absl::OkStatus();
}

int RunBackup(const std::string& config_path, const std::string& out_text, bool as_json) {
  absl::StatusOr<AdminClient> client = AdminClient::Connect(config_path);
  if (!client.ok()) return Fail(std::string(client.status().message()), kExitBadInput);
  fs::path out(out_text);
  if (absl::Status status = PrepareOutputDir(out); !status.ok()) {
    return Fail(std::string(status.message()), kExitBadInput);
  }
  std::string incomplete =
      Tr("{} is incomplete: it has no {} and cannot be restored; remove it and run the backup "
         "again",
         out.string(), node::kBackupManifestName);

  auto context = client->NewContext(std::chrono::hours(24));
  auto reader = client->stub().Backup(context.get(), proto::BackupRequest());
  bool interactive = ::isatty(STDERR_FILENO) && !as_json;
  std::map<std::string, ReceivedFile> files;
  ReceivedFile* current = nullptr;
  std::string current_path;
  std::string manifest_text;
  std::string write_error;

  proto::BackupChunk chunk;
  while (reader->Read(&chunk)) {
    if (!chunk.manifest().empty()) {
      manifest_text = chunk.manifest();
      continue;
    }
    if (chunk.path() != current_path) {
      // Files arrive whole and in order; a path seen before, or one outside
      // db/, means the stream is not from a compatible node.
      std::string prefix = std::string(node::kBackupDbDir) + "/";
      std::string name = chunk.path().substr(std::min(chunk.path().size(), prefix.size()));
      if (!chunk.path().starts_with(prefix) || name.empty() || name.find('/') != std::string::npos ||
          name == "." || name == ".." || files.count(chunk.path()) != 0) {
        write_error = Tr("the node sent an invalid backup file path {}", chunk.path());
        break;
      }
      if (current != nullptr) {
        current->out.close();
        current->sha256 = crypto::ToHex(current->hasher->Finish());
      }
      current_path = chunk.path();
      current = &files[current_path];
      current->hasher = std::make_unique<crypto::Sha256Builder>();
      current->out.open(out / current_path, std::ios::binary | std::ios::trunc);
      if (!current->out) {
        write_error = Tr("cannot write {}", (out / current_path).string());
        break;
      }
    }
    current->out.write(chunk.data().data(), chunk.data().size());
    current->hasher->Update(chunk.data());
    current->size += chunk.data().size();
    if (!current->out) {
      write_error = Tr("cannot write {}", (out / current_path).string());
      break;
    }
    if (interactive) {
      std::cerr << "\r" << Tr("received {} of {} MB", Megabytes(chunk.bytes_sent()),
                              Megabytes(chunk.bytes_total()))
                << std::flush;
    }
  }
  if (interactive) std::cerr << "\n";
  if (!write_error.empty()) {
    context->TryCancel();
    reader->Finish();
    return Fail(write_error + "\n" + incomplete);
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(client->Describe(status) + "\n" + incomplete);
  if (current != nullptr) {
    current->out.close();
    current->sha256 = crypto::ToHex(current->hasher->Finish());
  }

  absl::StatusOr<node::BackupManifest> manifest = node::ParseManifest(manifest_text);
  if (!manifest.ok()) return Fail(std::string(manifest.status().message()) + "\n" + incomplete);
  uint64_t bytes = 0;
  for (const node::BackupFile& listed : manifest->files) {
    auto it = files.find(listed.path);
    if (it == files.end()) {
      return Fail(Tr("backup file {} is listed in the manifest but was not received",
                     listed.path) +
                  "\n" + incomplete);
    }
    if (it->second.size != listed.size || it->second.sha256 != listed.sha256) {
      return Fail(Tr("backup file {} arrived damaged: its SHA-256 differs from the manifest",
                     listed.path) +
                  "\n" + incomplete);
    }
    bytes += listed.size;
  }
  if (files.size() != manifest->files.size()) {
    return Fail(Tr("the node sent files that its manifest does not list") + "\n" + incomplete);
  }

  // The manifest goes last, under a temporary name first, so its presence
  // means every file is complete.
  fs::path manifest_path = out / node::kBackupManifestName;
  fs::path temporary = manifest_path.string() + ".tmp";
  std::ofstream manifest_out(temporary, std::ios::binary | std::ios::trunc);
  manifest_out << manifest_text;
  manifest_out.close();
  std::error_code error;
  if (!manifest_out) return Fail(Tr("cannot write {}", temporary.string()) + "\n" + incomplete);
  fs::rename(temporary, manifest_path, error);
  if (error) return Fail(Tr("cannot write {}", manifest_path.string()) + "\n" + incomplete);

  uint64_t own_sequence = 0;
  for (const storage::Tip& tip : manifest->version_vector) {
    if (tip.origin == manifest->node_id) own_sequence = tip.sequence;
  }
  if (as_json) {
    std::cout << json{{"out", out.string()},
                      {"files", manifest->files.size()},
                      {"bytes", bytes},
                      {"node_id", manifest->node_id},
                      {"sequence", own_sequence},
                      {"created_at", manifest->created_at}}
                     .dump()
              << "\n";
  } else {
    std::cout << Tr("backup of node {} written to {}: {} files, {} MB, own log up to entry {} "
                    "({})",
                    manifest->node_id, out.string(), manifest->files.size(), Megabytes(bytes),
                    own_sequence, manifest->created_at)
              << "\n";
  }
  return 0;
}

int RunRestore(const std::string& config_path, const std::string& from, bool discard_current,
               bool as_json) {
  absl::StatusOr<node::Config> config = node::LoadConfig(config_path);
  if (!config.ok()) return Fail(std::string(config.status().message()), kExitBadInput);

  node::RestoreOptions options;
  options.discard_current = discard_current;
  if (::isatty(STDERR_FILENO) && !as_json) {
    options.progress = [](uint64_t done, uint64_t total) {
      std::cerr << "\r" << Tr("copied {} of {} MB", Megabytes(done), Megabytes(total))
                << std::flush;
    };
  }
  absl::StatusOr<node::RestoreResult> result = node::RestoreBackup(*config, from, options);
  if (options.progress) std::cerr << "\n";
  if (!result.ok()) {
    bool bad_input = result.status().code() == absl::StatusCode::kInvalidArgument ||
                     result.status().code() == absl::StatusCode::kNotFound;
    return Fail(std::string(result.status().message()), bad_input ? kExitBadInput : kExitFailed);
  }

  uint64_t own_sequence = 0;
  for (const storage::Tip& tip : result->manifest.version_vector) {
    if (tip.origin == result->manifest.node_id) own_sequence = tip.sequence;
  }
  if (as_json) {
    std::cout << json{{"data_dir", config->data_dir},
                      {"kept", result->kept_dir},
                      {"sequence", own_sequence},
                      {"backup_created_at", result->manifest.created_at},
                      {"bytes", result->bytes}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << Tr("restored the backup of {} into {}: own log up to entry {}",
                  result->manifest.created_at, config->data_dir, own_sequence)
            << "\n";
  if (!result->kept_dir.empty()) {
    std::cout << Tr("the replaced data directory is kept as {}", result->kept_dir) << "\n";
  }
  std::cout << Tr("appends stay blocked after the next start until the node has recovered its "
                  "newer entries from peers, or until it is started once with "
                  "--accept-restored-log")
            << "\n";
  return 0;
}

}  // namespace

std::function<std::optional<int>()> RegisterBackupCommands(CLI::App& app,
                                                           const std::string& config_path,
                                                           const bool& as_json) {
  auto* backup = app.add_subcommand(
      "backup", Tr("copy the running node's store into a new directory, with a manifest"));
  auto out = std::make_shared<std::string>();
  backup->add_option("--out", *out,
                     Tr("directory to create for the backup; must not exist or be empty"))
      ->required();

  auto* restore = app.add_subcommand(
      "restore", Tr("replace the stopped node's data directory with a backup (offline)"));
  auto from = std::make_shared<std::string>();
  auto discard_current = std::make_shared<bool>(false);
  restore->add_option("--from", *from, Tr("backup directory written by yrebctl backup"))
      ->required();
  restore->add_flag("--discard-current", *discard_current,
                    Tr("delete the replaced data directory instead of keeping it as "
                       "DATA_DIR.before-restore-TIME"));

  return [backup, restore, out, from, discard_current, &config_path,
          &as_json]() -> std::optional<int> {
    if (backup->parsed()) return RunBackup(config_path, *out, as_json);
    if (restore->parsed()) return RunRestore(config_path, *from, *discard_current, as_json);
    return std::nullopt;
  };
}

}  // namespace yreb::cli
