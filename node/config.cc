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
        Tr("config file {} not found; create one with: yrebctl init --node-id ID --dir DIR", path));
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
    if (name != "node" && name != "storage" && name != "log") {
      errors.push_back(Tr("{}: unknown section or key {}; the sections are [node], [storage] "
                          "and [log]",
                          Where(path, value), name));
    }
  }

  const toml::table* node = Section(
      root, "node", {"id", "data_dir", "key_file", "public_key_file", "admin_socket"}, path,
      &errors);
  const toml::table* storage =
      Section(root, "storage", {"head_interval", "sync_writes"}, path, &errors);
  const toml::table* log = Section(root, "log", {"level"}, path, &errors);

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

  if (!errors.empty()) {
    std::string message;
    for (const std::string& line : errors) message += (message.empty() ? "" : "\n") + line;
    return absl::InvalidArgumentError(message);
  }
  return config;
}

std::string DefaultConfigText(uint32_t node_id) {
  return fmt::format(R"(# yreb-sync node configuration. Every key is documented in
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
}

}  // namespace yreb::node
