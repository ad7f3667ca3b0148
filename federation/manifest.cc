#include "federation/manifest.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <toml++/toml.h>

#include "federation/statement.h"
#include "i18n/i18n.h"

namespace yreb::federation {
namespace {

using i18n::Tr;

bool IsLowerHex(std::string_view text, size_t size) {
  if (text.size() != size) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsProvinceCode(uint32_t node_id) {
  return node_id >= 110000 && node_id <= 829999 && node_id % 10000 == 0;
}

// Accepts "host:port" and "[v6]:port" with a port of 1-65535.
bool IsAddress(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) return false;
  std::string_view port = address.substr(colon + 1);
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return false;
  }
  int number = std::stoi(std::string(port));
  return number >= 1 && number <= 65535;
}

absl::Status ValidateMember(const proto::Member& member) {
  uint32_t id = member.node_id();
  if (member.name_zh().empty() || member.name_en().empty()) {
    return absl::InvalidArgumentError(
        Tr("manifest member {}: name_zh and name_en must not be empty", id));
  }
  if (!IsAddress(member.address())) {
    return absl::InvalidArgumentError(
        Tr("manifest member {}: address \"{}\" is not host:port", id, member.address()));
  }
  if (!IsLowerHex(member.tls_spki_sha256(), 64)) {
    return absl::InvalidArgumentError(
        Tr("manifest member {}: tls_spki_sha256 must be 64 lower-case hex digits, as yrebctl "
           "cert request prints it",
           id));
  }
  if (member.signing_keys().empty()) {
    return absl::InvalidArgumentError(
        Tr("manifest member {}: at least one signing key is required", id));
  }

  std::vector<const proto::SigningKey*> keys;
  for (const proto::SigningKey& key : member.signing_keys()) {
    if (key.public_key().size() != crypto::kPublicKeySize) {
      return absl::InvalidArgumentError(
          Tr("manifest member {}: a signing key has {} bytes; an Ed25519 public key has 32", id,
             key.public_key().size()));
    }
    if (key.first_sequence() < 1) {
      return absl::InvalidArgumentError(
          Tr("manifest member {}: first_sequence must be at least 1", id));
    }
    if (key.last_sequence() != 0 && key.last_sequence() < key.first_sequence()) {
      return absl::InvalidArgumentError(
          Tr("manifest member {}: last_sequence {} is before first_sequence {}", id,
             key.last_sequence(), key.first_sequence()));
    }
    keys.push_back(&key);
  }
  std::sort(keys.begin(), keys.end(), [](const auto* a, const auto* b) {
    return a->first_sequence() < b->first_sequence();
  });
  for (size_t i = 1; i < keys.size(); ++i) {
    const proto::SigningKey& previous = *keys[i - 1];
    if (previous.last_sequence() == 0 || previous.last_sequence() >= keys[i]->first_sequence()) {
      return absl::InvalidArgumentError(
          Tr("manifest member {}: two signing keys may both sign sequence {}; give the earlier "
             "key a last_sequence before it",
             id, keys[i]->first_sequence()));
    }
  }
  return absl::OkStatus();
}

// Returns `text` as a TOML basic string, quoted and escaped.
std::string Quote(const std::string& text) {
  std::ostringstream out;
  out << toml::value<std::string>(text);
  return out.str();
}

std::string Where(std::string_view file_name, const toml::node& node) {
  return fmt::format("{}:{}", file_name, node.source().begin.line);
}

// Reads TOML tables strictly, collecting every problem with its line.
class TomlReader {
 public:
  explicit TomlReader(std::string_view file_name) : file_name_(file_name) {}

  void CheckKeys(const toml::table& table, std::string_view context,
                 const std::set<std::string>& allowed) {
    for (const auto& [key, value] : table) {
      if (!allowed.contains(std::string(key.str()))) {
        errors_.push_back(Tr("{}: unknown key {} in {}", Where(file_name_, value), key.str(),
                             context));
      }
    }
  }

  template <typename T>
  std::optional<T> Get(const toml::table& table, std::string_view context, std::string_view key,
                       std::string_view type_name, bool required) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      if (required) {
        errors_.push_back(Tr("{}:{}: missing key {} in {}", file_name_,
                             table.source().begin.line, key, context));
      }
      return std::nullopt;
    }
    std::optional<T> value = node->value_exact<T>();
    if (!value.has_value()) {
      errors_.push_back(Tr("{}: {} in {} must be {}", Where(file_name_, *node), key, context,
                           type_name));
    }
    return value;
  }

  void Error(std::string message) { errors_.push_back(std::move(message)); }
  const std::vector<std::string>& errors() const { return errors_; }
  std::string_view file_name() const { return file_name_; }

 private:
  std::string_view file_name_;
  std::vector<std::string> errors_;
};

void ReadKey(TomlReader& reader, const toml::table& table, uint32_t id,
             proto::Member* member) {
  std::string context = Tr("a key of member {}", id);
  reader.CheckKeys(table, context, {"public_key", "first_sequence", "last_sequence"});
  proto::SigningKey* key = member->add_signing_keys();
  if (auto hex = reader.Get<std::string>(table, context, "public_key", Tr("a string"), true)) {
    absl::StatusOr<std::string> raw = crypto::FromHex(*hex);
    if (!raw.ok() || raw->size() != crypto::kPublicKeySize) {
      reader.Error(Tr("{}: public_key of member {} must be 64 hex digits (the raw Ed25519 "
                      "public key, as yrebctl cert request prints it)",
                      Where(reader.file_name(), *table.get("public_key")), id));
    } else {
      key->set_public_key(*raw);
    }
  }
  if (auto first = reader.Get<int64_t>(table, context, "first_sequence", Tr("an integer"),
                                       true)) {
    key->set_first_sequence(*first < 0 ? 0 : static_cast<uint64_t>(*first));
  }
  if (auto last = reader.Get<int64_t>(table, context, "last_sequence", Tr("an integer"),
                                      false)) {
    key->set_last_sequence(*last < 0 ? 0 : static_cast<uint64_t>(*last));
  }
}

void ReadMember(TomlReader& reader, const toml::table& table, proto::Manifest* manifest) {
  std::string context = Tr("a [[member]] table");
  reader.CheckKeys(table, context,
                   {"id", "name_zh", "name_en", "address", "tls_spki_sha256", "key"});
  proto::Member* member = manifest->add_members();
  if (auto id = reader.Get<int64_t>(table, context, "id", Tr("an integer"), true)) {
    if (*id < 0 || !IsProvinceCode(static_cast<uint32_t>(*id))) {
      reader.Error(Tr("{}: member id {} is not a province code such as 320000",
                      Where(reader.file_name(), *table.get("id")), *id));
    } else {
      member->set_node_id(static_cast<uint32_t>(*id));
    }
  }
  uint32_t id = member->node_id();
  context = Tr("member {}", id);
  if (auto text = reader.Get<std::string>(table, context, "name_zh", Tr("a string"), true)) {
    member->set_name_zh(*text);
  }
  if (auto text = reader.Get<std::string>(table, context, "name_en", Tr("a string"), true)) {
    member->set_name_en(*text);
  }
  if (auto text = reader.Get<std::string>(table, context, "address", Tr("a string"), true)) {
    member->set_address(*text);
  }
  if (auto text =
          reader.Get<std::string>(table, context, "tls_spki_sha256", Tr("a string"), true)) {
    member->set_tls_spki_sha256(*text);
  }

  const toml::node* keys = table.get("key");
  if (keys == nullptr || !keys->is_array_of_tables()) {
    reader.Error(Tr("{}:{}: member {} needs at least one [[member.key]] table", reader.file_name(),
                    table.source().begin.line, id));
    return;
  }
  for (const toml::node& key : *keys->as_array()) ReadKey(reader, *key.as_table(), id, member);
}

}  // namespace

absl::Status ValidateManifest(const proto::Manifest& manifest) {
  if (manifest.members().empty()) {
    return absl::InvalidArgumentError(Tr("manifest has no members"));
  }
  uint32_t previous = 0;
  for (const proto::Member& member : manifest.members()) {
    if (!IsProvinceCode(member.node_id())) {
      return absl::InvalidArgumentError(
          Tr("manifest member id {} is not a province code such as 320000", member.node_id()));
    }
    if (member.node_id() <= previous) {
      return absl::InvalidArgumentError(
          Tr("manifest member {} appears twice or out of order; list each member once, by id",
             member.node_id()));
    }
    previous = member.node_id();
    if (absl::Status status = ValidateMember(member); !status.ok()) return status;
  }
  if (FindMember(manifest, manifest.genesis_lead()) == nullptr) {
    return absl::InvalidArgumentError(
        Tr("manifest genesis_lead {} is not a member", manifest.genesis_lead()));
  }
  if (!IsLowerHex(manifest.catalog_v1_sha256(), 64)) {
    return absl::InvalidArgumentError(
        Tr("manifest catalog_v1_sha256 must be 64 lower-case hex digits, as yrebctl catalog "
           "hash prints it"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ManifestVersion> ParseManifestToml(std::string_view text,
                                                  std::string_view file_name) {
  toml::table root;
  try {
    root = toml::parse(text, file_name);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(Tr("{}:{}: invalid TOML: {}", file_name,
                                         error.source().begin.line, error.description()));
  }

  TomlReader reader(file_name);
  std::string context = Tr("the manifest");
  reader.CheckKeys(root, context, {"version", "genesis_lead", "catalog_v1_sha256", "member"});
  ManifestVersion result;
  if (auto version = reader.Get<int64_t>(root, context, "version", Tr("an integer"), true)) {
    if (*version < 1) {
      reader.Error(Tr("{}: version must be at least 1", Where(file_name, *root.get("version"))));
    } else {
      result.version = static_cast<uint64_t>(*version);
    }
  }
  if (auto lead = reader.Get<int64_t>(root, context, "genesis_lead", Tr("an integer"), true)) {
    result.manifest.set_genesis_lead(*lead < 0 ? 0 : static_cast<uint32_t>(*lead));
  }
  if (auto hash =
          reader.Get<std::string>(root, context, "catalog_v1_sha256", Tr("a string"), true)) {
    result.manifest.set_catalog_v1_sha256(*hash);
  }
  const toml::node* members = root.get("member");
  if (members == nullptr || !members->is_array_of_tables()) {
    reader.Error(Tr("{}: the manifest needs [[member]] tables", file_name));
  } else {
    for (const toml::node& member : *members->as_array()) {
      ReadMember(reader, *member.as_table(), &result.manifest);
    }
  }

  if (!reader.errors().empty()) {
    std::string message;
    for (const std::string& line : reader.errors()) {
      message += (message.empty() ? "" : "\n") + line;
    }
    return absl::InvalidArgumentError(message);
  }

  std::sort(result.manifest.mutable_members()->begin(), result.manifest.mutable_members()->end(),
            [](const proto::Member& a, const proto::Member& b) {
              return a.node_id() < b.node_id();
            });
  if (absl::Status status = ValidateManifest(result.manifest); !status.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", file_name, status.message()));
  }
  return result;
}

std::string ManifestToml(uint64_t version, const proto::Manifest& manifest) {
  std::string out = fmt::format(
      "# yreb-sync federation manifest. Sign it with: yrebctl root sign-manifest FILE\n"
      "# A newer manifest needs a higher version; it supersedes every older one.\n"
      "version = {}\n"
      "# Lead office of epoch 1 (node id).\n"
      "genesis_lead = {}\n"
      "# SHA-256 of catalog version 1, as yrebctl catalog hash prints it.\n"
      "catalog_v1_sha256 = \"{}\"\n",
      version, manifest.genesis_lead(), manifest.catalog_v1_sha256());
  for (const proto::Member& member : manifest.members()) {
    out += fmt::format(
        "\n[[member]]\n"
        "id = {}\n"
        "name_zh = {}\n"
        "name_en = {}\n"
        "# host:port of the member's peer gRPC endpoint.\n"
        "address = \"{}\"\n"
        "# SHA-256 of the member's TLS public key, printed by yrebctl cert request.\n"
        "tls_spki_sha256 = \"{}\"\n",
        member.node_id(), Quote(member.name_zh()), Quote(member.name_en()), member.address(),
        member.tls_spki_sha256());
    for (const proto::SigningKey& key : member.signing_keys()) {
      out += fmt::format(
          "[[member.key]]\n"
          "# Raw Ed25519 public key (hex). Revoke it by setting last_sequence.\n"
          "public_key = \"{}\"\n"
          "first_sequence = {}\n",
          crypto::ToHex(key.public_key()), key.first_sequence());
      if (key.last_sequence() != 0) {
        out += fmt::format("last_sequence = {}\n", key.last_sequence());
      }
    }
  }
  return out;
}

std::string SignManifest(const crypto::PrivateKey& root_key, uint64_t version,
                         const proto::Manifest& manifest) {
  std::string body;
  google::protobuf::io::StringOutputStream stream(&body);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    manifest.SerializeToCodedStream(&coded);
  }
  return SignStatement(root_key, StatementKind::kManifest, version, body);
}

absl::StatusOr<proto::Manifest> ParseManifestBody(std::string_view body) {
  proto::Manifest manifest;
  if (!manifest.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError(Tr("manifest body is not a valid manifest message"));
  }
  if (absl::Status status = ValidateManifest(manifest); !status.ok()) return status;
  return manifest;
}

const proto::Member* FindMember(const proto::Manifest& manifest, uint32_t node_id) {
  for (const proto::Member& member : manifest.members()) {
    if (member.node_id() == node_id) return &member;
  }
  return nullptr;
}

std::optional<crypto::PublicKey> KeyForSequence(const proto::Manifest& manifest, uint32_t origin,
                                                uint64_t sequence) {
  const proto::Member* member = FindMember(manifest, origin);
  if (member == nullptr) return std::nullopt;
  for (const proto::SigningKey& key : member->signing_keys()) {
    bool after_first = sequence >= key.first_sequence();
    bool before_last = key.last_sequence() == 0 || sequence <= key.last_sequence();
    if (after_first && before_last) {
      absl::StatusOr<crypto::PublicKey> public_key = crypto::PublicKey::FromRaw(key.public_key());
      if (public_key.ok()) return *public_key;
    }
  }
  return std::nullopt;
}

}  // namespace yreb::federation
