#include "node/node.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "i18n/i18n.h"
#include "node/admin_service.h"
#include "node/backup.h"
#include "node/coordinator_service.h"
#include "node/federation_setup.h"
#include "node/lead_admin_service.h"
#include "node/lead_tracker.h"
#include "node/metrics.h"
#include "node/records.h"
#include "node/replication.h"
#include "node/status_page.h"
#include "node/status_view.h"
#include "node/watchdog.h"
#include "storage/store.h"
#include "sync/origin_log.h"

namespace yreb::node {
namespace {

using i18n::Tr;

// Largest admin message: an import file travels in one call.
constexpr int kMaxAdminMessageBytes = 512 << 20;

// Decides whether this node may append, per the rule that a node never
// appends before it knows it holds its own latest entry. Returns the reason
// appends are blocked, or nullopt.
absl::StatusOr<std::optional<std::string>> CheckBirth(storage::Store* store,
                                                      const crypto::PublicKey& key,
                                                      uint32_t node_id,
                                                      const StartOptions& options,
                                                      bool federated) {
  absl::StatusOr<std::optional<std::string>> birth = store->GetMeta(kBirthKey);
  if (!birth.ok()) return birth.status();
  if (birth->has_value()) {
    if (**birth != key.Fingerprint()) {
      return Tr("the database was created for key {}, but the configured key is {}; point "
                "key_file at the node's own key",
                **birth, key.Fingerprint());
    }
    return std::nullopt;
  }

  // A federated node asks a majority of members for its latest entry
  // before appending, which covers a wiped or replaced store.
  if (federated) return std::nullopt;

  absl::StatusOr<std::optional<storage::Tip>> tip = store->GetTip(node_id);
  if (!tip.ok()) return tip.status();
  if (options.accept_empty_log && !tip->has_value()) {
    storage::Batch batch;
    batch.PutMeta(kBirthKey, key.Fingerprint());
    if (absl::Status status = store->Write(batch, true); !status.ok()) return status;
    spdlog::warn("empty store accepted by --accept-empty-log: origin={} key={}", node_id,
                 key.Fingerprint());
    return std::nullopt;
  }
  return Tr("the database is empty but this node's key {} already exists, so the key may have "
            "signed entries before (a wiped disk, a restored backup or a replaced machine). "
            "Appending now could reuse sequence numbers. Recover the log from the federation "
            "peers, or, if this key has certainly never written, restart once with "
            "--accept-empty-log",
            key.Fingerprint());
}

absl::Status PrepareSocketPath(const std::string& socket_path) {
  if (socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(
        Tr("admin socket path {} is longer than the {} bytes a Unix socket allows; choose a "
           "shorter admin_socket",
           socket_path, sizeof(sockaddr_un::sun_path) - 1));
  }
  std::filesystem::path dir = std::filesystem::path(socket_path).parent_path();
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::PermissionDeniedError(Tr("cannot create the admin socket directory {}: {}",
                                          dir.string(), i18n::ErrnoMessage(error)));
  }
  // Owner and group only: the socket directory is the permission boundary.
  ::chmod(dir.c_str(), 0750);
  // A socket left by a killed node blocks the bind; nobody listens on it.
  std::filesystem::remove(socket_path, error);
  return absl::OkStatus();
}

}  // namespace

struct Node::Impl {
  Config config;
  crypto::PrivateKey key;
  std::unique_ptr<storage::Store> store;
  sync::CommitNotifier notifier;  // wakes live replication streams
  std::unique_ptr<sync::OriginLog> log;
  std::unique_ptr<Records> records;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<CoordinatorService> coordinator;
  FederationParts federation;
  std::unique_ptr<LeadTracker> lead;
  std::unique_ptr<LeadAdminService> lead_admin;
  std::unique_ptr<Replication> replication;  // null unless [federation] and [peer]
  std::unique_ptr<grpc::Server> admin_server;
  std::unique_ptr<Watchdog> watchdog;  // null unless systemd enabled it
  std::unique_ptr<MetricsServer> metrics;  // null without [metrics]
  std::unique_ptr<StatusPage> status_page;  // null without [status_page]
  std::once_flag shutdown_once;
  // Serializes Reload with Shutdown; `stopped` is guarded by it.
  std::mutex reload_mu;
  bool stopped = false;

  explicit Impl(crypto::PrivateKey private_key) : key(std::move(private_key)) {}
};

namespace {

// Returns the status in the thread's language, as the admin API would.
absl::StatusOr<proto::StatusReply> CurrentStatus(const Node::Impl& impl) {
  proto::StatusReply reply;
  if (absl::Status status = impl.admin->FillStatus(&reply); !status.ok()) return status;
  return reply;
}

// Adds the lead chain's summary to a status reply; a node without a
// manifest reports epoch 0 and may not coordinate.
void FillLeadStatus(const LeadTracker& lead, proto::StatusReply* reply) {
  absl::StatusOr<proto::LeadStatusReply> status = lead.Status();
  if (!status.ok()) return;
  reply->set_lead_epoch(status->epoch());
  reply->set_lead(status->lead());
  reply->set_lead_dispute(status->dispute());
  reply->set_may_coordinate(status->may_coordinate());
  reply->set_void_coordinator_entries(status->coordinator_entries_void());

  // Void lead entries and a dispute are alarms like other void entries, so
  // the status page and the alarm metric show them too.
  for (const proto::VoidLeadEntry& entry : status->void_entries()) {
    proto::Alarm* alarm = reply->add_alarms();
    alarm->set_kind("void");
    alarm->set_origin(entry.origin());
    alarm->set_sequence(entry.sequence());
    alarm->set_detail(entry.reason());
  }
  if (!status->dispute().empty()) {
    proto::Alarm* alarm = reply->add_alarms();
    alarm->set_kind("lead-dispute");
    alarm->set_detail(status->dispute());
  }
}

// Starts the [metrics] and [status_page] servers that the config enables.
absl::Status StartObservability(Node::Impl* impl) {
  if (impl->config.metrics.enabled) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> metrics =
        MetricsServer::Start(impl->config.metrics.listen, [impl] {
          i18n::ScopedLang lang(i18n::Lang::kEnglish);
          return CurrentStatus(*impl);
        });
    if (!metrics.ok()) return metrics.status();
    impl->metrics = std::move(*metrics);
  }
  if (impl->config.status_page.enabled) {
    absl::StatusOr<std::unique_ptr<StatusPage>> page = StatusPage::Start(
        impl->config.status_page.listen,
        [impl](std::optional<period::Period> quarter) -> absl::StatusOr<nlohmann::json> {
          // The newest catalog version in force sets the deadlines and the
          // indicators the page shows, as it does for yrebctl shared status.
          std::shared_ptr<const catalog::Catalog> newest;
          if (impl->coordinator != nullptr) {
            std::vector<std::shared_ptr<const catalog::Catalog>> catalogs =
                impl->coordinator->CatalogsNewestFirst();
            if (!catalogs.empty()) newest = catalogs.front();
          }
          const catalog::Catalog* catalog =
              newest != nullptr ? newest.get() : &catalog::Catalog::Default();
          absl::StatusOr<proto::StatusReply> status = CurrentStatus(*impl);
          if (!status.ok()) return status.status();
          StatusViewInput input;
          input.status = &*status;
          input.records = impl->records.get();
          input.store = impl->store.get();
          input.catalog = catalog;
          if (impl->federation.membership != nullptr) {
            input.manifest = impl->federation.membership->NewestManifest();
          }
          input.now = std::chrono::system_clock::now();
          input.quarter = quarter;
          if (impl->coordinator != nullptr) {
            absl::StatusOr<std::vector<proto::Release>> sealed =
                impl->coordinator->NewestVerifiedReleases();
            if (!sealed.ok()) return sealed.status();
            input.sealed = std::move(*sealed);
          }
          return BuildStatusView(input);
        });
    if (!page.ok()) return page.status();
    impl->status_page = std::move(*page);
  }
  return absl::OkStatus();
}

}  // namespace

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Node::~Node() { Shutdown(); }

absl::Status CreateStore(const std::string& data_dir, const std::string& fingerprint) {
  std::error_code error;
  if (std::filesystem::exists(data_dir, error) && !std::filesystem::is_empty(data_dir, error)) {
    return absl::AlreadyExistsError(
        Tr("{} already exists and is not empty; choose another directory", data_dir));
  }
  std::filesystem::create_directories(data_dir, error);
  ::chmod(data_dir.c_str(), 0700);
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::Store::Open(data_dir, {.create_if_missing = true});
  if (!store.ok()) return store.status();
  storage::Batch batch;
  batch.PutMeta(kBirthKey, fingerprint);
  return (*store)->Write(batch, true);
}

absl::StatusOr<std::unique_ptr<Node>> Node::Start(const Config& config,
                                                  const StartOptions& options) {
  absl::StatusOr<crypto::PrivateKey> key = crypto::ReadPrivateKey(config.key_file);
  if (!key.ok()) return key.status();
  auto impl = std::make_unique<Impl>(std::move(*key));
  impl->config = config;

  absl::StatusOr<crypto::PublicKey> public_key = crypto::ReadPublicKey(config.public_key_file);
  if (public_key.ok() && !(*public_key == impl->key.public_key())) {
    return absl::FailedPreconditionError(
        Tr("{} does not belong to the private key {}; restore the matching pair",
           config.public_key_file, config.key_file));
  }

  std::error_code error;
  std::filesystem::create_directories(config.data_dir, error);
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::Store::Open(config.data_dir, {.create_if_missing = true});
  if (store.status().code() == absl::StatusCode::kFailedPrecondition) {
    return absl::FailedPreconditionError(
        Tr("another yreb-node is already running with data directory {}; stop it first (or "
           "check for a leftover process) before starting this one",
           config.data_dir));
  }
  if (!store.ok()) return store.status();
  impl->store = std::move(*store);

  bool federated = config.federation.enabled && config.peer.enabled;
  absl::StatusOr<std::optional<std::string>> blocked =
      CheckBirth(impl->store.get(), impl->key.public_key(), config.node_id, options, federated);
  if (!blocked.ok()) return blocked.status();
  if (!blocked->has_value() && !federated) {
    // A store restored from a backup may lack entries its key signed later.
    // A federated node recovers them from a majority of members instead.
    blocked = CheckRestoredStore(impl->store.get(), config.node_id, options.accept_restored_log);
    if (!blocked.ok()) return blocked.status();
  }

  sync::OriginLog::Options log_options;
  log_options.head_interval = config.head_interval;
  log_options.sync = config.sync_writes;
  log_options.on_commit = [notifier = &impl->notifier] { notifier->Notify(); };
  absl::StatusOr<std::unique_ptr<sync::OriginLog>> log =
      sync::OriginLog::Open(impl->store.get(), &impl->key, config.node_id, log_options);
  if (!log.ok()) return log.status();
  impl->log = std::move(*log);
  if (blocked->has_value()) {
    spdlog::error("appends blocked: origin={} reason=\"{}\"", config.node_id, **blocked);
    impl->log->BlockAppends(**blocked);
  }

  const catalog::Catalog* catalog = &catalog::Catalog::Default();
  impl->records = std::make_unique<Records>(impl->store.get(), impl->log.get(), catalog,
                                            config.node_id, Records::Options{});
  impl->admin = std::make_unique<AdminService>(&impl->config, impl->store.get(), impl->log.get(),
                                               impl->records.get(), &impl->key.public_key(),
                                               catalog);

  absl::StatusOr<FederationParts> federation =
      SetUpFederation(config, impl->store.get(), impl->key.public_key());
  if (!federation.ok()) return federation.status();
  impl->federation = std::move(*federation);

  impl->lead = std::make_unique<LeadTracker>(impl->store.get(), impl->federation.membership.get(),
                                             impl->log.get(), config.node_id);
  impl->lead_admin =
      std::make_unique<LeadAdminService>(impl->lead.get(), options.allow_test_entries);
  Replication* replication = nullptr;
  if (impl->federation.peer_server != nullptr && impl->federation.membership != nullptr &&
      impl->federation.tls.has_value()) {
    Replication::Options replication_options;
    replication_options.self = config.node_id;
    replication_options.skip_peers = config.peer.skip_peers;
    replication_options.skip_majority_check = options.skip_majority_check;
    replication_options.max_reconnect_delay =
        std::chrono::seconds(config.peer.max_reconnect_delay_seconds);
    replication_options.send_rate_limit = config.peer.send_rate_limit;
    replication_options.key_fingerprint = impl->key.public_key().Fingerprint();
    impl->replication = std::make_unique<Replication>(
        replication_options, impl->store.get(), impl->federation.membership.get(),
        *impl->federation.tls, impl->log.get(), &impl->notifier);
    if (absl::Status status = impl->replication->Load(); !status.ok()) return status;
    impl->federation.peer_server->RegisterService(impl->replication->sync_service());
    replication = impl->replication.get();
  }
  LeadTracker* lead = impl->lead.get();
  impl->coordinator =
      std::make_unique<CoordinatorService>(impl->store.get(), impl->log.get(), lead);
  CoordinatorService* coordinator = impl->coordinator.get();
  if (federation::Membership* membership = impl->federation.membership.get()) {
    coordinator->SetMemberSource([membership] {
      std::vector<std::string> members;
      if (std::shared_ptr<const federation::ManifestVersion> manifest =
              membership->NewestManifest()) {
        for (const proto::Member& member : manifest->manifest.members()) {
          members.push_back(std::to_string(member.node_id()));
        }
      }
      return members;
    });
  }
  impl->records->SetCatalogSource([coordinator] { return coordinator->CatalogsNewestFirst(); });
  impl->admin->SetStatusExtension([replication, lead, coordinator](proto::StatusReply* reply) {
    if (replication != nullptr) replication->FillStatus(reply);
    FillLeadStatus(*lead, reply);
    if (absl::Status status = coordinator->FillStatus(reply); !status.ok()) {
      spdlog::error("release check failed: error=\"{}\"", status.message());
    }
  });

  if (absl::Status status = PrepareSocketPath(config.admin_socket); !status.ok()) return status;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + config.admin_socket, grpc::InsecureServerCredentials());
  builder.RegisterService(impl->admin.get());
  builder.RegisterService(impl->federation.admin.get());
  builder.RegisterService(impl->lead_admin.get());
  builder.RegisterService(impl->coordinator.get());
  builder.SetMaxReceiveMessageSize(kMaxAdminMessageBytes);
  builder.SetMaxSendMessageSize(kMaxAdminMessageBytes);
  mode_t old_mask = ::umask(0117);  // socket file 0660: owner and operator group
  impl->admin_server = builder.BuildAndStart();
  ::umask(old_mask);
  if (impl->admin_server == nullptr) {
    return absl::UnavailableError(
        Tr("cannot serve the admin API on {}; is another node running with this config?",
           config.admin_socket));
  }

  if (impl->federation.peer_server != nullptr) {
    if (absl::Status status = impl->federation.peer_server->Start(); !status.ok()) {
      impl->admin_server->Shutdown();
      return status;
    }
  }
  // Each release is checked within about two seconds of its cut arriving.
  impl->coordinator->StartChecking(std::chrono::seconds(2));
  // A permanent block (a store of another key) is never lifted by peers.
  if (impl->replication != nullptr && !blocked->has_value()) impl->replication->Start();

  if (absl::Status status = StartObservability(impl.get()); !status.ok()) {
    impl->admin_server->Shutdown();
    if (impl->federation.peer_server != nullptr) {
      impl->federation.peer_server->Shutdown(std::chrono::system_clock::now());
    }
    if (impl->replication != nullptr) impl->replication->Stop();
    return status;
  }

  storage::Tip tip = impl->log->durable_tip();
  spdlog::info("node started: origin={} key={} sequence={} admin_socket={}", config.node_id,
               impl->key.public_key().Fingerprint(), tip.sequence, config.admin_socket);
  sd_notify(0, "READY=1");
  // Healthy unless the origin-log writer has had work for a whole watchdog
  // interval without finishing a job or a write (a hung disk, a stuck job).
  sync::OriginLog* origin_log = impl->log.get();
  impl->watchdog = Watchdog::StartIfEnabled(
      [origin_log](std::chrono::microseconds interval) {
        return origin_log->StalledFor() < interval;
      });
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

void Node::Wait() {
  if (impl_->admin_server != nullptr) impl_->admin_server->Wait();
}

LeadGate* Node::lead_gate() { return impl_->lead.get(); }

absl::Status Node::Reload() {
  absl::StatusOr<Config> fresh = LoadConfig(impl_->config.path);
  if (!fresh.ok()) return fresh.status();
  std::lock_guard<std::mutex> lock(impl_->reload_mu);
  if (impl_->stopped) return absl::OkStatus();
  if (impl_->replication == nullptr) {
    spdlog::info("reload: no replication to reload (the node runs without [federation] and "
                 "[peer])");
    return absl::OkStatus();
  }
  std::string skipped;
  for (uint32_t id : fresh->peer.skip_peers) {
    skipped += (skipped.empty() ? "" : ",") + std::to_string(id);
  }
  spdlog::info("reload: skip_peers=[{}]", skipped);
  impl_->replication->Reload(fresh->peer.skip_peers);
  return absl::OkStatus();
}

void Node::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->reload_mu);
    impl_->stopped = true;
  }
  std::call_once(impl_->shutdown_once, [this] {
    sd_notify(0, "STOPPING=1");
    // Pings end here: a stop takes about 5 s plus the log drain, far less than
    // the unit's WatchdogSec.
    impl_->watchdog.reset();
    spdlog::info("node stopping: origin={}", impl_->config.node_id);
    // The HTTP endpoints read the store and the replication state, so they
    // stop before either goes away.
    impl_->status_page.reset();
    impl_->metrics.reset();
    if (impl_->coordinator != nullptr) impl_->coordinator->StopChecking();
    // Outgoing sessions first, then wake the live streams so they end.
    if (impl_->replication != nullptr) impl_->replication->Stop();
    impl_->notifier.Shutdown();
    // Calls in progress on both servers share one deadline to finish, then
    // are cancelled, so stopping takes at most 5 s plus the log drain below.
    auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(5);
    if (impl_->admin_server != nullptr) impl_->admin_server->Shutdown(deadline);
    if (impl_->federation.peer_server != nullptr) {
      impl_->federation.peer_server->Shutdown(deadline);
    }
    // NOTE: the drain finishes every queued job, including an import whose
    // call was cancelled above. A very large import so keeps the node
    // running until its last chunk and commit marker are written.
    impl_->log.reset();  // drains the queued commit groups
    impl_->replication.reset();
    impl_->records.reset();
    impl_->coordinator.reset();
    impl_->store.reset();
    std::error_code error;
    std::filesystem::remove(impl_->config.admin_socket, error);
    spdlog::info("node stopped: origin={}", impl_->config.node_id);
  });
}

}  // namespace yreb::node
