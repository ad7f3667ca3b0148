#include "node/config.h"

#include <filesystem>
#include <set>

#include <toml++/toml.h>

#include "i18n/i18n.h"

namespace yreb::node {
namespace {

using i18n::Tr;

struct Member {
  uint32_t id;
  const char* name;
};

constexpr Member kMembers[] = {
    {310000, "上海市"}, {320000, "江苏省"}, {330000, "浙江省"}, {340000, "安徽省"},
    {360000, "江西省"}, {420000, "湖北省"}, {430000, "湖南省"}, {500000, "重庆市"},
    {510000, "四川省"}, {520000, "贵州省"}, {530000, "云南省"},
};

std::string Where(const std::string& path, const toml::node& node) {
  return fmt::format("{}:{}", path, node.source().begin.line);
}

std::string Resolve(const std::filesystem::path& base, const std::string& value) {
  std::filesystem::path path(value);
  if (path.is_absolute()) return path.lexically_normal().string();
  return (base / path).lexically_normal().string();
}

// Reads the table `name` with only the `allowed` keys; fills errors.
const toml::table* Section(const toml::table& root, std::string_view name,
                           const std::set<std::string>& allowed, const std::string& path,
                           std::vector<std::string>* errors) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return nullptr;
  const toml::table* table = node->as_table();
  if (table == nullptr) {
    errors->push_back(Tr("{}: [{}] must be a table", Where(path, *node), name));
    return nullptr;
  }
  for (const auto& [key, value] : *table) {
    if (!allowed.contains(std::string(key.str()))) {
      errors->push_back(Tr("{}: unknown key {}.{}; remove it or check its spelling against "
                           "deploy/node.example.toml",
                           Where(path, value), name, key.str()));
    }
  }
  return table;
}

template <typename T>
std::optional<T> Value(const toml::table* table, std::string_view section, std::string_view key,
                       std::string_view type_name, const std::string& path,
                       std::vector<std::string>* errors) {
  if (table == nullptr) return std::nullopt;
  const toml::node* node = table->get(key);
  if (node == nullptr) return std::nullopt;
  std::optional<T> value = node->value_exact<T>();
  if (!value.has_value()) {
    errors->push_back(
        Tr("{}: {}.{} must be {}", Where(path, *node), section, key, type_name));
  }
  return value;
}

// Returns true for "host:port" with a port of 0-65535.
bool IsListenAddress(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size() ||
      address.size() - colon - 1 > 5) {
    return false;
  }
  for (char c : address.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
  }
  return std::stoi(std::string(address.substr(colon + 1))) <= 65535;
}

// Reads [federation] and [peer]. Both are optional; [peer] needs the TLS
// files of [federation].
void ReadFederation(const toml::table* federation, const toml::table* peer,
                    const std::filesystem::path& base, const std::string& path, Config* config,
                    std::vector<std::string>* errors) {
  if (federation != nullptr) {
    config->federation.enabled = true;
    auto path_value = [&](std::string_view key) -> std::string {
      std::optional<std::string> value =
          Value<std::string>(federation, "federation", key, Tr("a string"), path, errors);
      return value.has_value() ? Resolve(base, *value) : "";
    };
    config->federation.root_public_key = path_value("root_public_key");
    config->federation.ca_cert = path_value("ca_cert");
    config->federation.tls_cert = path_value("tls_cert");
    config->federation.tls_key = path_value("tls_key");
    config->federation.manifest = path_value("manifest");
    if (federation->get("root_public_key") == nullptr) {
      errors->push_back(Tr("{}:{}: missing key federation.root_public_key; set it to the root "
                           "public key file (root.pub) the root holder sent",
                           path, federation->source().begin.line));
    }
    int tls_keys = (federation->get("ca_cert") != nullptr) +
                   (federation->get("tls_cert") != nullptr) +
                   (federation->get("tls_key") != nullptr);
    if (tls_keys != 0 && tls_keys != 3) {
      errors->push_back(Tr("{}:{}: set all of federation.ca_cert, federation.tls_cert and "
                           "federation.tls_key, or none of them",
                           path, federation->source().begin.line));
    }
  }

  if (peer == nullptr) return;
  config->peer.enabled = true;
  std::optional<std::string> listen =
      Value<std::string>(peer, "peer", "listen", Tr("a string"), path, errors);
  if (peer->get("listen") == nullptr) {
    errors->push_back(Tr("{}:{}: missing key peer.listen; set it to host:port, e.g. listen = "
                         "\"127.0.0.1:7301\"",
                         path, peer->source().begin.line));
  } else if (listen.has_value() && !IsListenAddress(*listen)) {
    errors->push_back(Tr("{}: peer.listen \"{}\" is not host:port, e.g. \"127.0.0.1:7301\"",
                         Where(path, *peer->get("listen")), *listen));
  } else if (listen.has_value()) {
    config->peer.listen = *listen;
  }
  if (federation == nullptr || federation->get("tls_cert") == nullptr) {
    errors->push_back(Tr("{}:{}: [peer] needs [federation] with ca_cert, tls_cert and tls_key",
                         path, peer->source().begin.line));
  }
  if (std::optional<int64_t> delay = Value<int64_t>(peer, "peer", "max_reconnect_delay",
                                                    Tr("an integer"), path, errors)) {
    if (*delay < 1 || *delay > 3600) {
      errors->push_back(Tr("{}: peer.max_reconnect_delay must be between 1 and 3600 seconds, "
                           "got {}",
                           Where(path, *peer->get("max_reconnect_delay")), *delay));
    } else {
      config->peer.max_reconnect_delay_seconds = static_cast<int>(*delay);
    }
  }
  if (std::optional<int64_t> rate = Value<int64_t>(peer, "peer", "send_rate_limit",
                                                   Tr("an integer"), path, errors)) {
    if (*rate < 0) {
      errors->push_back(Tr("{}: peer.send_rate_limit must be 0 (no limit) or a positive number "
                           "of entries per second, got {}",
                           Where(path, *peer->get("send_rate_limit")), *rate));
    } else {
      config->peer.send_rate_limit = static_cast<uint64_t>(*rate);
    }
  }
  if (const toml::node* skip = peer->get("skip_peers"); skip != nullptr) {
    const toml::array* ids = skip->as_array();
    bool valid = ids != nullptr;
    if (valid) {
      for (const toml::node& id : *ids) {
        std::optional<int64_t> value = id.value_exact<int64_t>();
        if (!value.has_value() || !IsMemberProvince(static_cast<uint32_t>(*value))) {
          valid = false;
          break;
        }
        config->peer.skip_peers.insert(static_cast<uint32_t>(*value));
      }
    }
    if (!valid) {
      errors->push_back(Tr("{}: peer.skip_peers must be a list of member province codes, e.g. "
                           "skip_peers = [310000]",
                           Where(path, *skip)));
    }
  }
}

// Reads the listen address of an HTTP section ([metrics], [status_page]).
void ReadHttpListen(const toml::table* table, std::string_view section, const std::string& path,
                    std::string_view example, bool* enabled, std::string* listen,
                    std::vector<std::string>* errors) {
  if (table == nullptr) return;
  *enabled = true;
  std::optional<std::string> value =
      Value<std::string>(table, section, "listen", Tr("a string"), path, errors);
  if (table->get("listen") == nullptr) {
    errors->push_back(Tr("{}:{}: missing key {}.listen; set it to host:port, e.g. listen = "
                         "\"{}\"",
                         path, table->source().begin.line, section, example));
  } else if (value.has_value() && !IsListenAddress(*value)) {
    errors->push_back(Tr("{}: {}.listen \"{}\" is not host:port, e.g. \"{}\"",
                         Where(path, *table->get("listen")), section, *value, example));
  } else if (value.has_value()) {
    *listen = *value;
  }
}

}  // namespace

bool IsMemberProvince(uint32_t node_id) { return !MemberProvinceName(node_id).empty(); }

std::string_view MemberProvinceName(uint32_t node_id) {
  for (const Member& member : kMembers) {
    if (member.id == node_id) return member.name;
  }
  return "";
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(
        Tr("config file {} not found; give the node's config with --config PATH or the "
           "YREB_CONFIG environment variable. Only for a new node, create one with: yrebctl init "
           "--node-id ID --dir DIR",
           path));
  }

  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& parse_error) {
    return absl::InvalidArgumentError(Tr("{}:{}: invalid TOML: {}", path,
                                         parse_error.source().begin.line,
                                         parse_error.description()));
  }

  std::vector<std::string> errors;
  for (const auto& [key, value] : root) {
    std::string name(key.str());
    if (name != "node" && name != "storage" && name != "log" && name != "federation" &&
        name != "peer" && name != "metrics" && name != "status_page") {
      errors.push_back(Tr("{}: unknown section or key {}; the sections are [node], [storage], "
                          "[log], [federation], [peer], [metrics] and [status_page]",
                          Where(path, value), name));
    }
  }

  const toml::table* node = Section(
      root, "node", {"id", "data_dir", "key_file", "public_key_file", "admin_socket"}, path,
      &errors);
  const toml::table* storage =
      Section(root, "storage", {"head_interval", "sync_writes"}, path, &errors);
  const toml::table* log = Section(root, "log", {"level"}, path, &errors);
  const toml::table* federation = Section(
      root, "federation", {"root_public_key", "ca_cert", "tls_cert", "tls_key", "manifest"}, path,
      &errors);
  const toml::table* peer = Section(
      root, "peer", {"listen", "skip_peers", "max_reconnect_delay", "send_rate_limit"}, path,
      &errors);
  const toml::table* metrics = Section(root, "metrics", {"listen"}, path, &errors);
  const toml::table* status_page = Section(root, "status_page", {"listen"}, path, &errors);

  Config config;
  config.path = std::filesystem::absolute(path).lexically_normal().string();
  std::filesystem::path base = std::filesystem::path(config.path).parent_path();

  if (node == nullptr) {
    errors.push_back(Tr("{}: missing section [node] with id = <province code>", path));
  } else {
    std::optional<int64_t> id = Value<int64_t>(node, "node", "id", Tr("an integer"), path, &errors);
    if (!id.has_value() && node->get("id") == nullptr) {
      errors.push_back(Tr("{}: missing key node.id; set it to this bureau's province code, "
                          "e.g. id = 320000",
                          path));
    } else if (id.has_value() && !IsMemberProvince(static_cast<uint32_t>(*id))) {
      errors.push_back(Tr("{}: node.id {} is not a member province code; use one of 310000, "
                          "320000, 330000, 340000, 360000, 420000, 430000, 500000, 510000, "
                          "520000, 530000",
                          Where(path, *node->get("id")), *id));
    } else if (id.has_value()) {
      config.node_id = static_cast<uint32_t>(*id);
    }
    auto path_value = [&](std::string_view key, std::string fallback) {
      std::optional<std::string> value =
          Value<std::string>(node, "node", key, Tr("a string"), path, &errors);
      return Resolve(base, value.value_or(fallback));
    };
    config.data_dir = path_value("data_dir", "data");
    config.key_file = path_value("key_file", "node.key");
    config.public_key_file = path_value("public_key_file", "node.pub");
    config.admin_socket = path_value("admin_socket", "run/admin.sock");
  }

  if (std::optional<int64_t> interval = Value<int64_t>(storage, "storage", "head_interval",
                                                       Tr("an integer"), path, &errors)) {
    if (*interval < 1 || *interval > 1024) {
      errors.push_back(Tr("{}: storage.head_interval must be between 1 and 1024, got {}",
                          Where(path, *storage->get("head_interval")), *interval));
    } else {
      config.head_interval = static_cast<uint64_t>(*interval);
    }
  }
  if (std::optional<bool> sync =
          Value<bool>(storage, "storage", "sync_writes", Tr("true or false"), path, &errors)) {
    config.sync_writes = *sync;
  }
  if (std::optional<std::string> level =
          Value<std::string>(log, "log", "level", Tr("a string"), path, &errors)) {
    static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
    if (!kLevels.contains(*level)) {
      errors.push_back(Tr("{}: log.level must be one of trace, debug, info, warn, error; got {}",
                          Where(path, *log->get("level")), *level));
    } else {
      config.log_level = *level;
    }
  }

  ReadFederation(federation, peer, base, path, &config, &errors);
  ReadHttpListen(metrics, "metrics", path, "127.0.0.1:9464", &config.metrics.enabled,
                 &config.metrics.listen, &errors);
  ReadHttpListen(status_page, "status_page", path, "127.0.0.1:8080", &config.status_page.enabled,
                 &config.status_page.listen, &errors);
  if (config.metrics.enabled && config.status_page.enabled && !config.metrics.listen.empty() &&
      config.metrics.listen == config.status_page.listen &&
      !config.metrics.listen.ends_with(":0")) {
    errors.push_back(Tr("{}: metrics.listen and status_page.listen are both {}; give each its "
                        "own port",
                        path, config.metrics.listen));
  }

  if (!errors.empty()) {
    std::string message;
    for (const std::string& line : errors) message += (message.empty() ? "" : "\n") + line;
    return absl::InvalidArgumentError(message);
  }
  return config;
}

std::string DefaultConfigText(uint32_t node_id, std::string_view peer_listen) {
  std::string text = fmt::format(R"(# yreb-sync node configuration. Every key is documented in
# deploy/node.example.toml. Relative paths are resolved against the directory
# of this file.

[node]
# GB/T 2260 code of this bureau's province ({name}).
id = {id}
# RocksDB directory holding the origin logs, heads and version vector.
data_dir = "data"
# Ed25519 signing key of this node (PEM). Keep it mode 0600; never copy it.
key_file = "node.key"
public_key_file = "node.pub"
# Unix socket of the admin API used by yrebctl; guarded by file permissions.
admin_socket = "run/admin.sock"

[storage]
# A signed head every this many entries (1-1024), and at every commit.
head_interval = 1024
# fsync each commit before acknowledging it. Turn off only for throwaway tests.
sync_writes = true

[log]
# trace, debug, info, warn or error.
level = "info"
)",
                     fmt::arg("id", node_id), fmt::arg("name", MemberProvinceName(node_id)));

  if (peer_listen.empty()) {
    return text + R"(
# Federation membership. Without these two sections the node runs alone.
# yrebctl federation init writes them for a local test federation.
#
# [federation]
# Ed25519 public key of the federation root (PEM, from the root holder).
# Statements (yrebctl apply) must be signed by it.
# root_public_key = "root.pub"
# Certificate of the federation CA (PEM, from the root holder).
# ca_cert = "ca.crt"
# This node's TLS certificate, issued by the CA for the CSR of
# yrebctl cert request, and its private key (mode 0600; never copy it).
# tls_cert = "tls.crt"
# tls_key = "tls.key"
# Optional: a signed manifest applied at start while the node holds none.
# manifest = "manifest.stmt"
#
# [peer]
# host:port of the mutual-TLS gRPC port other members dial.
# listen = "127.0.0.1:7301"
)";
  }
  return text + fmt::format(R"(
[federation]
# Ed25519 public key of the federation root (PEM). Statements (yrebctl apply)
# must be signed by it.
root_public_key = "root.pub"
# Certificate of the federation CA (PEM).
ca_cert = "ca.crt"
# This node's TLS certificate, issued by the CA, and its private key (mode
# 0600; never copy it).
tls_cert = "tls.crt"
tls_key = "tls.key"
# Signed manifest applied at start while the node holds none.
manifest = "manifest.stmt"

[peer]
# host:port of the mutual-TLS gRPC port other members dial.
listen = "{}"
)",
                            peer_listen);
}

}  // namespace yreb::node
