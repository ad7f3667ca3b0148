#include "node/admin_service.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "i18n/i18n.h"
#include "sync/verify.h"

namespace yreb::node {
namespace {

using i18n::Tr;

// Maximum PutStream requests accepted but not yet acknowledged; the reader
// waits beyond it, so a fast client cannot fill the node's memory.
constexpr size_t kMaxPutsInFlight = 8192;

i18n::Lang CallerLang(const grpc::ServerContext* context) {
  auto it = context->client_metadata().find("yreb-lang");
  if (it == context->client_metadata().end()) return i18n::Lang::kEnglish;
  return i18n::LangFromCode(std::string_view(it->second.data(), it->second.size()));
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

AdminService::AdminService(const Config* config, storage::Store* store, sync::OriginLog* log,
                           Records* records, const crypto::PublicKey* public_key,
                           const catalog::Catalog* catalog)
    : config_(config),
      store_(store),
      log_(log),
      records_(records),
      public_key_(public_key),
      catalog_(catalog) {}

grpc::Status AdminService::GetStatus(grpc::ServerContext* context, const proto::StatusRequest*,
                                     proto::StatusReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  return ToGrpc(FillStatus(reply));
}

absl::Status AdminService::FillStatus(proto::StatusReply* reply) const {
  reply->set_node_id(config_->node_id);
  reply->set_province_name(std::string(MemberProvinceName(config_->node_id)));
  reply->set_key_fingerprint(public_key_->Fingerprint());
  std::optional<std::string> blocked = log_->blocked_reason();
  reply->set_append_allowed(!blocked.has_value());
  if (blocked.has_value()) reply->set_append_blocked_reason(*blocked);
  absl::StatusOr<std::vector<storage::Tip>> tips = store_->GetTips();
  if (!tips.ok()) return tips.status();
  for (const storage::Tip& tip : *tips) {
    proto::VersionVectorEntry* entry = reply->add_version_vector();
    entry->set_origin(tip.origin);
    entry->set_sequence(tip.sequence);
    entry->set_hash(crypto::ToHex(tip.hash));
  }
  reply->set_database_bytes(store_->ApproximateSize());
  reply->set_version(YREB_VERSION);
  if (status_extension_) status_extension_(reply);
  return absl::OkStatus();
}

grpc::Status AdminService::Put(grpc::ServerContext* context, const proto::PutRequest* request,
                               proto::PutReply* reply) {
  i18n::Lang lang = CallerLang(context);
  i18n::ScopedLang scoped(lang);
  absl::Status validation = records_->ValidatePut(*request);
  if (!validation.ok()) return ToGrpc(validation);
  absl::StatusOr<proto::PutReply> result = records_->Put(*request);
  if (!result.ok()) return ToGrpc(result.status());
  *reply = *result;
  return grpc::Status::OK;
}

grpc::Status AdminService::PutStream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<proto::PutReply, proto::PutRequest>* stream) {
  i18n::Lang lang = CallerLang(context);
  i18n::ScopedLang scoped(lang);

  // Writes complete in submission order because the origin log runs jobs
  // first in, first out, but a rejected request is answered at once, so each
  // reply carries its request's tag. A writer thread sends replies as they
  // arrive.
  std::mutex mu;
  std::condition_variable changed;
  std::deque<proto::PutReply> ready;  // guarded by mu
  size_t in_flight = 0;               // guarded by mu
  bool reading_done = false;          // guarded by mu
  bool write_failed = false;          // guarded by mu

  std::thread writer([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      changed.wait(lock, [&] { return !ready.empty() || (reading_done && in_flight == 0); });
      if (ready.empty()) return;
      proto::PutReply reply = std::move(ready.front());
      ready.pop_front();
      lock.unlock();
      bool ok = stream->Write(reply);
      lock.lock();
      if (!ok) write_failed = true;
      changed.notify_all();
    }
  });

  proto::PutRequest request;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return in_flight < kMaxPutsInFlight || write_failed; });
      if (write_failed) break;
    }
    if (!stream->Read(&request)) break;
    {
      std::lock_guard<std::mutex> lock(mu);
      ++in_flight;
    }
    records_->PutAsync(request, [&, lang, tag = request.tag()](
                                    absl::StatusOr<proto::PutReply> result) {
      i18n::ScopedLang callback_lang(lang);
      proto::PutReply reply;
      if (result.ok()) {
        reply = *result;
      } else {
        reply.set_error(std::string(result.status().message()));
      }
      reply.set_tag(tag);
      std::lock_guard<std::mutex> lock(mu);
      ready.push_back(std::move(reply));
      --in_flight;
      changed.notify_all();
    });
  }

  {
    std::lock_guard<std::mutex> lock(mu);
    reading_done = true;
  }
  changed.notify_all();
  writer.join();
  return grpc::Status::OK;
}

grpc::Status AdminService::Query(grpc::ServerContext* context, const proto::QueryRequest* request,
                                 proto::QueryReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  absl::StatusOr<proto::QueryReply> result = records_->Query(*request);
  if (!result.ok()) return ToGrpc(result.status());
  *reply = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status AdminService::Verify(grpc::ServerContext* context, const proto::VerifyRequest*,
                                  grpc::ServerWriter<proto::VerifyProgress>* writer) {
  i18n::ScopedLang lang(CallerLang(context));
  uint64_t total = log_->durable_tip().sequence;
  absl::StatusOr<sync::VerifyResult> result = sync::VerifyOriginLog(
      *store_, config_->node_id, *public_key_, [&](uint64_t checked) {
        proto::VerifyProgress progress;
        progress.set_entries_checked(checked);
        progress.set_entries_total(total);
        writer->Write(progress);
      });
  if (!result.ok()) return ToGrpc(result.status());

  proto::VerifyProgress done;
  done.set_done(true);
  done.set_ok(result->ok);
  done.set_entries_checked(result->entries_checked);
  done.set_entries_total(total);
  done.set_heads_checked(result->heads_checked);
  if (!result->ok) {
    done.set_failed_origin(result->failed_origin);
    done.set_failed_sequence(result->failed_sequence);
    done.set_problem(result->problem);
    spdlog::error("verify failed: origin={} sequence={} problem=\"{}\"", result->failed_origin,
                  result->failed_sequence, result->problem);
  }
  writer->Write(done);
  return grpc::Status::OK;
}

grpc::Status AdminService::Import(grpc::ServerContext* context,
                                  const proto::ImportRequest* request,
                                  proto::ImportReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  absl::StatusOr<proto::ImportReply> result = records_->Import(*request);
  if (!result.ok()) {
    spdlog::warn("import rejected: file=\"{}\" error=\"{}\"", request->file_name(),
                 result.status().message());
    return ToGrpc(result.status());
  }
  *reply = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status AdminService::ImportUpload(grpc::ServerContext* context,
                                        grpc::ServerReader<proto::ImportRequest>* reader,
                                        proto::ImportReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  // Files up to the admin message limit, as with Import.
  constexpr uint64_t kMaxFileBytes = 512 << 20;
  proto::ImportRequest request;
  auto reject = [&](std::string message) {
    spdlog::warn("import upload rejected: file=\"{}\" error=\"{}\"", request.file_name(),
                 message);
    return ToGrpc(absl::InvalidArgumentError(message));
  };
  if (!reader->Read(&request)) return reject(Tr("the upload carries no file"));
  const uint64_t size = request.content_size();
  if (size > kMaxFileBytes) {
    return reject(
        Tr("{}: the file has {} bytes, more than the {} a node imports at once; split it",
           request.file_name(), size, kMaxFileBytes));
  }
  std::string content;
  content.reserve(size);
  content.append(request.content());
  request.clear_content();
  proto::ImportRequest piece;
  while (content.size() <= size && reader->Read(&piece)) content.append(piece.content());
  if (content.size() != size) {
    return reject(Tr("{}: the upload announced {} bytes and sent {}", request.file_name(), size,
                     content.size()));
  }
  request.set_content(std::move(content));
  return Import(context, &request, reply);
}

grpc::Status AdminService::Export(grpc::ServerContext* context,
                                  const proto::ExportRequest* request,
                                  proto::ExportReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  absl::StatusOr<proto::ExportReply> result = records_->Export(*request);
  if (!result.ok()) return ToGrpc(result.status());
  *reply = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status AdminService::GetCatalog(grpc::ServerContext*, const proto::CatalogRequest*,
                                      proto::CatalogReply* reply) {
  reply->set_version(catalog_->version());
  reply->set_sha256(catalog_->Sha256Hex());
  reply->set_content(catalog_->bytes());
  return grpc::Status::OK;
}

}  // namespace yreb::node
