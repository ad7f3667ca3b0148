// AdminService::Backup: stages a checkpoint and streams it to yrebctl.
#include <fstream>

#include <spdlog/spdlog.h>

#include "i18n/i18n.h"
#include "node/admin_service.h"
#include "node/backup.h"

namespace yreb::node {
namespace {

using i18n::Tr;

// Chunk payload size: large enough that per-message cost is small, far
// below the admin channel's message limit.
constexpr size_t kBackupChunkBytes = 1 << 20;

i18n::Lang CallerLang(const grpc::ServerContext* context) {
  auto it = context->client_metadata().find("yreb-lang");
  if (it == context->client_metadata().end()) return i18n::Lang::kEnglish;
  return i18n::LangFromCode(std::string_view(it->second.data(), it->second.size()));
}

}  // namespace

grpc::Status AdminService::Backup(grpc::ServerContext* context, const proto::BackupRequest*,
                                  grpc::ServerWriter<proto::BackupChunk>* writer) {
  i18n::ScopedLang lang(CallerLang(context));
  absl::StatusOr<std::unique_ptr<StagedBackup>> staged =
      StagedBackup::Create(store_, config_->data_dir);
  if (!staged.ok()) {
    spdlog::error("backup failed: {}", staged.status().message());
    return ToGrpc(staged.status());
  }
  spdlog::info("backup started: staging={} files={} bytes={}", (*staged)->dir(),
               (*staged)->files().size(), (*staged)->total_bytes());

  BackupManifest manifest;
  manifest.node_id = config_->node_id;
  manifest.key_fingerprint = public_key_->Fingerprint();
  manifest.yreb_sync_version = YREB_VERSION;
  manifest.version_vector = (*staged)->version_vector();

  std::string buffer(kBackupChunkBytes, '\0');
  uint64_t sent = 0;
  for (const BackupFile& listed : (*staged)->files()) {
    std::string path = (*staged)->dir() + "/" + listed.path;
    std::ifstream in(path, std::ios::binary);
    if (!in) return ToGrpc(absl::InternalError(Tr("cannot read {}", path)));

    crypto::Sha256Builder hasher;
    BackupFile file{listed.path, 0, ""};
    // An empty file still sends one chunk, so the client creates it.
    bool first = true;
    while (true) {
      in.read(buffer.data(), buffer.size());
      std::streamsize got = in.gcount();
      if (got <= 0 && !first) break;
      first = false;
      std::string_view data(buffer.data(), got > 0 ? got : 0);
      hasher.Update(data);

      proto::BackupChunk chunk;
      chunk.set_path(file.path);
      chunk.set_offset(file.size);
      chunk.set_data(data.data(), data.size());
      file.size += data.size();
      sent += data.size();
      chunk.set_bytes_sent(sent);
      chunk.set_bytes_total((*staged)->total_bytes());
      if (context->IsCancelled() || !writer->Write(chunk)) {
        spdlog::warn("backup cancelled by the client after {} of {} bytes", sent,
                     (*staged)->total_bytes());
        return grpc::Status(grpc::StatusCode::CANCELLED, Tr("backup cancelled"));
      }
      if (got < static_cast<std::streamsize>(buffer.size())) break;
    }
    if (in.bad()) return ToGrpc(absl::InternalError(Tr("cannot read {}", path)));
    file.sha256 = crypto::ToHex(hasher.Finish());
    manifest.files.push_back(std::move(file));
  }

  manifest.created_at = (*staged)->created_at();
  proto::BackupChunk last;
  last.set_bytes_sent(sent);
  last.set_bytes_total((*staged)->total_bytes());
  last.set_manifest(SerializeManifest(manifest));
  if (!writer->Write(last)) {
    return grpc::Status(grpc::StatusCode::CANCELLED, Tr("backup cancelled"));
  }
  uint64_t own_sequence = 0;
  for (const storage::Tip& tip : manifest.version_vector) {
    if (tip.origin == config_->node_id) own_sequence = tip.sequence;
  }
  spdlog::info("backup finished: files={} bytes={} sequence={}", manifest.files.size(), sent,
               own_sequence);
  return grpc::Status::OK;
}

}  // namespace yreb::node
