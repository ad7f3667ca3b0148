#include "cli/federation_commands.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "cli/admin_client.h"
#include "cli/exit.h"
#include "cli/files.h"
#include "crypto/crypto.h"
#include "federation/certificates.h"
#include "federation/fork_resolution.h"
#include "federation/manifest.h"
#include "federation/statement.h"
#include "i18n/i18n.h"
#include "node/config.h"
#include "node/node.h"
#include "proto/federation_admin.grpc.pb.h"

namespace yreb::cli {
namespace {

using i18n::Tr;
using nlohmann::json;




std::string_view EnglishName(uint32_t node_id) {
  static const std::map<uint32_t, std::string_view> kNames = {
      {310000, "Shanghai"}, {320000, "Jiangsu"},   {330000, "Zhejiang"}, {340000, "Anhui"},
      {360000, "Jiangxi"},  {420000, "Hubei"},     {430000, "Hunan"},    {500000, "Chongqing"},
      {510000, "Sichuan"},  {520000, "Guizhou"},   {530000, "Yunnan"},
  };
  auto it = kNames.find(node_id);
  return it == kNames.end() ? std::string_view() : it->second;
}

// Writes a public file (mode 0644); fails when it exists, so nothing an
// operator made is overwritten.
absl::Status WriteNewPublicFile(const std::string& path, std::string_view content) {
  std::error_code error;
  if (std::filesystem::exists(path, error)) {
    return absl::AlreadyExistsError(
        Tr("{} already exists; move it away or choose another path", path));
  }
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (!out) return absl::InternalError(Tr("cannot write {}: {}", path, i18n::ErrnoMessage(errno)));
  ::chmod(path.c_str(), 0644);
  return absl::OkStatus();
}

std::string Host(std::string_view address) {
  size_t colon = address.rfind(':');
  std::string host(address.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

// --- root holder --------------------------------------------------------------

absl::Status CreateRootKeys(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        Tr("cannot create {}: {}", dir.string(), i18n::ErrnoMessage(error)));
  }
  ::chmod(dir.c_str(), 0700);
  crypto::PrivateKey root = crypto::PrivateKey::Generate();
  absl::Status status =
      crypto::WriteKeyPair(root, (dir / "root.key").string(), (dir / "root.pub").string());
  if (!status.ok()) return status;
  return federation::CreateCa((dir / "ca.key").string(), (dir / "ca.crt").string());
}

int RunRootKeygen(const std::string& dir) {
  absl::Status status = CreateRootKeys(dir);
  if (!status.ok()) return Fail(status);
  std::filesystem::path root(dir);
  absl::StatusOr<crypto::PublicKey> key = crypto::ReadPublicKey((root / "root.pub").string());
  if (!key.ok()) return Fail(key.status());
  std::cout << Tr("wrote the root key {} (mode 0600) and {}", (root / "root.key").string(),
                  (root / "root.pub").string())
            << "\n"
            << Tr("wrote the federation CA key {} (mode 0600) and certificate {}",
                  (root / "ca.key").string(), (root / "ca.crt").string())
            << "\n"
            << Tr("root key fingerprint: {}", key->Fingerprint()) << "\n"
            << Tr("keep root.key and ca.key offline; send root.pub and ca.crt to every member")
            << "\n";
  return 0;
}

int RunSignManifest(const std::string& manifest_path, const std::string& key_path,
                    std::string out_path) {
  absl::StatusOr<std::string> text = ReadWholeFile(manifest_path);
  if (!text.ok()) return Fail(text.status(), kExitBadInput);
  absl::StatusOr<federation::ManifestVersion> manifest =
      federation::ParseManifestToml(*text, manifest_path);
  if (!manifest.ok()) return Fail(manifest.status(), kExitBadInput);

  const catalog::Catalog& catalog = catalog::Catalog::Default();
  if (catalog.version() == 1 && manifest->manifest.catalog_v1_sha256() != catalog.Sha256Hex()) {
    return Fail(Tr("{}: catalog_v1_sha256 {} is not the SHA-256 of catalog version 1 ({}); copy "
                   "it from yrebctl catalog hash",
                   manifest_path, manifest->manifest.catalog_v1_sha256(), catalog.Sha256Hex()),
                kExitBadInput);
  }
  absl::StatusOr<crypto::PrivateKey> key = crypto::ReadPrivateKey(key_path);
  if (!key.ok()) return Fail(key.status(), kExitBadInput);

  manifest->manifest.set_issued_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  std::string statement = federation::SignManifest(*key, manifest->version, manifest->manifest);
  if (out_path.empty()) {
    out_path = std::filesystem::path(manifest_path).replace_extension(".stmt").string();
  }
  absl::Status status = WriteNewPublicFile(out_path, statement);
  if (!status.ok()) return Fail(status);
  std::cout << Tr("signed manifest version {} with {} members as {}", manifest->version,
                  manifest->manifest.members_size(), out_path)
            << "\n"
            << Tr("statement SHA-256: {}", crypto::ToHex(federation::HashStatement(statement)))
            << "\n"
            << Tr("load it on every node with: yrebctl apply {}", out_path) << "\n";
  return 0;
}

int RunSignForkResolution(uint32_t origin, uint64_t fork_sequence, const std::string& keep_hash,
                          uint64_t keep_sequence, uint64_t version, const std::string& key_path,
                          const std::string& out_path) {
  absl::StatusOr<crypto::Hash> hash = crypto::HashFromHex(keep_hash);
  if (!hash.ok()) {
    return Fail(Tr("--keep-hash: \"{}\" is not 64 hex digits; copy a chain's hash from yrebctl "
                   "forks",
                   keep_hash),
                kExitBadInput);
  }
  proto::ForkResolution resolution;
  resolution.set_origin(origin);
  resolution.set_fork_sequence(fork_sequence);
  // Without --keep-sequence the kept chain is named by its hash at the fork.
  resolution.set_keep_sequence(keep_sequence == 0 ? fork_sequence : keep_sequence);
  resolution.set_keep_hash(std::string(crypto::AsBytes(*hash)));
  resolution.set_issued_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count());
  if (absl::Status status = federation::ValidateForkResolution(resolution); !status.ok()) {
    return Fail(status, kExitBadInput);
  }
  absl::StatusOr<crypto::PrivateKey> key = crypto::ReadPrivateKey(key_path);
  if (!key.ok()) return Fail(key.status(), kExitBadInput);

  std::string statement = federation::SignForkResolution(*key, version, resolution);
  if (absl::Status status = WriteNewPublicFile(out_path, statement); !status.ok()) {
    return Fail(status);
  }
  std::cout << Tr("signed fork resolution version {} for origin {}: keep the chain with hash {} "
                  "at sequence {}; written to {}",
                  version, origin, keep_hash, resolution.keep_sequence(), out_path)
            << "\n"
            << Tr("statement SHA-256: {}", crypto::ToHex(federation::HashStatement(statement)))
            << "\n"
            << Tr("load it on any node with: yrebctl apply {}", out_path) << "\n";
  return 0;
}

int RunSignCert(const std::string& csr_path, const std::string& manifest_path,
                const std::string& ca_key_path, const std::string& ca_cert_path,
                std::string out_path, int days) {
  absl::StatusOr<std::string> csr = ReadWholeFile(csr_path);
  if (!csr.ok()) return Fail(csr.status(), kExitBadInput);
  absl::StatusOr<federation::SubjectInfo> subject = federation::ReadCsr(*csr);
  if (!subject.ok()) return Fail(Tr("{}: {}", csr_path, subject.status().message()), kExitBadInput);

  absl::StatusOr<std::string> manifest_text = ReadWholeFile(manifest_path);
  if (!manifest_text.ok()) return Fail(manifest_text.status(), kExitBadInput);
  absl::StatusOr<federation::ManifestVersion> manifest =
      federation::ParseManifestToml(*manifest_text, manifest_path);
  if (!manifest.ok()) return Fail(manifest.status(), kExitBadInput);

  uint32_t node_id = federation::NodeIdFromCommonName(subject->common_name);
  const proto::Member* member = federation::FindMember(manifest->manifest, node_id);
  if (node_id == 0 || member == nullptr) {
    return Fail(Tr("{} requests a certificate for \"{}\", which is not a member of {}; add the "
                   "member to the manifest first",
                   csr_path, subject->common_name, manifest_path),
                kExitBadInput);
  }
  if (member->tls_spki_sha256() != subject->spki_sha256) {
    return Fail(Tr("{} carries TLS key {}, but {} names key {} for member {}; update "
                   "tls_spki_sha256 in the manifest or ask the member for its current CSR",
                   csr_path, subject->spki_sha256, manifest_path, member->tls_spki_sha256(),
                   node_id),
                kExitBadInput);
  }

  absl::StatusOr<std::string> ca_key = federation::ReadPrivateKeyPem(ca_key_path);
  if (!ca_key.ok()) return Fail(ca_key.status(), kExitBadInput);
  absl::StatusOr<std::string> ca_cert = ReadWholeFile(ca_cert_path);
  if (!ca_cert.ok()) return Fail(ca_cert.status(), kExitBadInput);
  absl::StatusOr<std::string> certificate =
      federation::IssueCertificate(*csr, *ca_key, *ca_cert, days);
  if (!certificate.ok()) return Fail(certificate.status());

  if (out_path.empty()) out_path = std::to_string(node_id) + ".crt";
  absl::Status status = WriteNewPublicFile(out_path, *certificate);
  if (!status.ok()) return Fail(status);
  std::string sans;
  for (const std::string& san : subject->sans) sans += (sans.empty() ? "" : ", ") + san;
  std::cout << Tr("issued the certificate of node {} ({}) as {}, valid {} days", node_id,
                  member->name_zh(), out_path, days)
            << "\n"
            << Tr("subject alternative names: {}", sans.empty() ? "-" : sans) << "\n"
            << Tr("send {} and {} to the member", out_path, ca_cert_path) << "\n";
  return 0;
}

// --- node operator --------------------------------------------------------------

int RunCertRequest(const std::string& config_path, std::vector<std::string> sans,
                   std::string csr_path) {
  absl::StatusOr<node::Config> config = node::LoadConfig(config_path);
  if (!config.ok()) return Fail(config.status(), kExitBadInput);
  std::filesystem::path base = std::filesystem::path(config->path).parent_path();
  std::string key_path = config->federation.tls_key.empty() ? (base / "tls.key").string()
                                                           : config->federation.tls_key;
  if (csr_path.empty()) csr_path = (base / "tls.csr").string();
  if (sans.empty() && config->peer.enabled) sans.push_back(Host(config->peer.listen));

  std::error_code error;
  bool reused = std::filesystem::exists(key_path, error);
  if (!reused) {
    absl::Status status = federation::GenerateTlsKey(key_path);
    if (!status.ok()) return Fail(status);
  }
  absl::StatusOr<std::string> key_pem = federation::ReadPrivateKeyPem(key_path);
  if (!key_pem.ok()) return Fail(key_pem.status());
  absl::StatusOr<std::string> csr = federation::MakeCsr(*key_pem, config->node_id, sans);
  if (!csr.ok()) return Fail(csr.status(), kExitBadInput);
  absl::StatusOr<std::string> spki = federation::SpkiSha256OfPrivateKey(*key_pem);
  if (!spki.ok()) return Fail(spki.status());
  std::filesystem::remove(csr_path, error);  // a CSR is public and may be redone
  absl::Status status = WriteNewPublicFile(csr_path, *csr);
  if (!status.ok()) return Fail(status);

  absl::StatusOr<crypto::PublicKey> signing_key =
      crypto::ReadPublicKey(config->public_key_file);
  std::cout << (reused ? Tr("using the existing TLS key {}", key_path)
                       : Tr("generated the TLS key {} (mode 0600); it never leaves this machine",
                            key_path))
            << "\n"
            << Tr("wrote the certificate signing request {} for node {}", csr_path,
                  config->node_id)
            << "\n"
            << Tr("send the CSR and these lines to the root holder:") << "\n"
            << "  tls_spki_sha256 = \"" << *spki << "\"\n";
  if (signing_key.ok()) {
    std::cout << "  public_key = \"" << crypto::ToHex(signing_key->raw()) << "\"  # "
              << signing_key->Fingerprint() << "\n";
  }
  return 0;
}

std::unique_ptr<proto::FederationAdmin::Stub> FederationStub(const AdminClient& client) {
  return proto::FederationAdmin::NewStub(grpc::CreateChannel(
      "unix:" + client.socket_path(), grpc::InsecureChannelCredentials()));
}

int RunApply(const std::string& config_path, const std::string& path, bool as_json) {
  absl::StatusOr<std::string> bytes = ReadWholeFile(path);
  if (!bytes.ok()) return Fail(bytes.status(), kExitBadInput);
  absl::StatusOr<AdminClient> client = AdminClient::Connect(config_path);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);

  proto::ApplyStatementRequest request;
  request.set_file_name(std::filesystem::path(path).filename().string());
  request.set_statement(std::move(*bytes));
  proto::ApplyStatementReply reply;
  auto context = client->NewContext(std::chrono::seconds(30));
  grpc::Status status = FederationStub(*client)->ApplyStatement(context.get(), request, &reply);
  if (!status.ok()) {
    return Fail(client->Describe(status), status.error_code() == grpc::StatusCode::INVALID_ARGUMENT
                                              ? kExitBadInput
                                              : kExitFailed);
  }
  if (as_json) {
    std::cout << json{{"kind", reply.kind()},
                      {"version", reply.version()},
                      {"already_stored", reply.already_stored()},
                      {"statement_sha256", reply.statement_sha256()}}
                     .dump()
              << "\n";
  } else if (reply.already_stored()) {
    std::cout << Tr("{} version {} was already stored; nothing changed", reply.kind(),
                    reply.version())
              << "\n";
  } else {
    std::cout << Tr("applied {} version {} (statement SHA-256 {})", reply.kind(), reply.version(),
                    reply.statement_sha256())
              << "\n";
  }
  return 0;
}

int RunShow(const std::string& config_path, bool as_json) {
  absl::StatusOr<AdminClient> client = AdminClient::Connect(config_path);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  proto::GetManifestReply reply;
  auto context = client->NewContext(std::chrono::seconds(10));
  grpc::Status status =
      FederationStub(*client)->GetManifest(context.get(), proto::GetManifestRequest(), &reply);
  if (!status.ok()) return Fail(client->Describe(status));
  const proto::Manifest& manifest = reply.manifest();

  if (as_json) {
    json members = json::array();
    for (const proto::Member& member : manifest.members()) {
      json keys = json::array();
      for (const proto::SigningKey& key : member.signing_keys()) {
        absl::StatusOr<crypto::PublicKey> public_key =
            crypto::PublicKey::FromRaw(key.public_key());
        keys.push_back({{"public_key", crypto::ToHex(key.public_key())},
                        {"fingerprint", public_key.ok() ? public_key->Fingerprint() : ""},
                        {"first_sequence", key.first_sequence()},
                        {"last_sequence", key.last_sequence() == 0
                                              ? json(nullptr)
                                              : json(key.last_sequence())}});
      }
      members.push_back({{"node_id", member.node_id()},
                         {"name_zh", member.name_zh()},
                         {"name_en", member.name_en()},
                         {"address", member.address()},
                         {"tls_spki_sha256", member.tls_spki_sha256()},
                         {"signing_keys", keys}});
    }
    std::cout << json{{"version", reply.version()},
                      {"statement_sha256", reply.statement_sha256()},
                      {"root_key_fingerprint", reply.root_key_fingerprint()},
                      {"genesis_lead", manifest.genesis_lead()},
                      {"catalog_v1_sha256", manifest.catalog_v1_sha256()},
                      {"members", members}}
                     .dump(2)
              << "\n";
    return 0;
  }

  bool chinese = i18n::CurrentLang() == i18n::Lang::kChinese;
  const proto::Member* lead = federation::FindMember(manifest, manifest.genesis_lead());
  std::cout << Tr("manifest version {}, signed by root key {}", reply.version(),
                  reply.root_key_fingerprint())
            << "\n"
            << Tr("statement SHA-256: {}", reply.statement_sha256()) << "\n"
            << Tr("genesis lead (epoch 1): {} {}", manifest.genesis_lead(),
                  lead == nullptr ? "" : (chinese ? lead->name_zh() : lead->name_en()))
            << "\n"
            << Tr("catalog version 1 SHA-256: {}", manifest.catalog_v1_sha256()) << "\n"
            << Tr("{} members:", manifest.members_size()) << "\n";
  for (const proto::Member& member : manifest.members()) {
    std::cout << fmt::format("  {}  {}  {}  {}\n", member.node_id(), member.name_zh(),
                             member.name_en(), member.address())
              << "    " << Tr("TLS key SHA-256: {}", member.tls_spki_sha256()) << "\n";
    for (const proto::SigningKey& key : member.signing_keys()) {
      absl::StatusOr<crypto::PublicKey> public_key = crypto::PublicKey::FromRaw(key.public_key());
      std::string fingerprint = public_key.ok() ? public_key->Fingerprint() : "?";
      std::cout << "    "
                << (key.last_sequence() == 0
                        ? Tr("signing key {}: sequences {} on", fingerprint, key.first_sequence())
                        : Tr("signing key {}: sequences {} to {} (revoked after {})", fingerprint,
                             key.first_sequence(), key.last_sequence(), key.last_sequence()))
                << "\n";
    }
  }
  return 0;
}

// --- local test federation ------------------------------------------------------

absl::StatusOr<std::vector<uint32_t>> ParseMembers(const std::string& text) {
  std::vector<uint32_t> ids;
  std::set<uint32_t> seen;
  std::stringstream split(text);
  for (std::string item; std::getline(split, item, ',');) {
    uint32_t id = federation::NodeIdFromCommonName(item);
    if (!node::IsMemberProvince(id)) {
      return absl::InvalidArgumentError(
          Tr("--members: \"{}\" is not a member province code; use codes such as 310000,320000",
             item));
    }
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(Tr("--members: {} is listed twice", id));
    }
    ids.push_back(id);
  }
  if (ids.empty()) return absl::InvalidArgumentError(Tr("--members lists no member"));
  std::sort(ids.begin(), ids.end());
  return ids;
}

// Creates one member's node directory the way its operator would: node keys,
// store, TLS key and CSR, then the certificate from the CA. Returns the
// manifest entry of the member.
absl::StatusOr<proto::Member> InitMember(const std::filesystem::path& root_dir,
                                         const std::filesystem::path& dir, uint32_t id,
                                         const std::string& address) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::PermissionDeniedError(
        Tr("cannot create {}: {}", dir.string(), i18n::ErrnoMessage(error)));
  }
  ::chmod(dir.c_str(), 0750);

  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  absl::Status status =
      crypto::WriteKeyPair(key, (dir / "node.key").string(), (dir / "node.pub").string());
  if (!status.ok()) return status;
  status = WriteNewPublicFile((dir / "node.toml").string(), node::DefaultConfigText(id, address));
  if (!status.ok()) return status;
  status = node::CreateStore((dir / "data").string(), key.public_key().Fingerprint());
  if (!status.ok()) return status;
  std::filesystem::create_directories(dir / "run", error);
  ::chmod((dir / "run").c_str(), 0750);

  status = federation::GenerateTlsKey((dir / "tls.key").string());
  if (!status.ok()) return status;
  absl::StatusOr<std::string> key_pem = federation::ReadPrivateKeyPem((dir / "tls.key").string());
  if (!key_pem.ok()) return key_pem.status();
  absl::StatusOr<std::string> csr = federation::MakeCsr(*key_pem, id, {Host(address), "localhost"});
  if (!csr.ok()) return csr.status();
  status = WriteNewPublicFile((dir / "tls.csr").string(), *csr);
  if (!status.ok()) return status;

  absl::StatusOr<std::string> ca_key = federation::ReadPrivateKeyPem((root_dir / "ca.key").string());
  if (!ca_key.ok()) return ca_key.status();
  absl::StatusOr<std::string> ca_cert = ReadWholeFile((root_dir / "ca.crt").string());
  if (!ca_cert.ok()) return ca_cert.status();
  absl::StatusOr<std::string> certificate = federation::IssueCertificate(
      *csr, *ca_key, *ca_cert, federation::kDefaultCertificateDays);
  if (!certificate.ok()) return certificate.status();
  status = WriteNewPublicFile((dir / "tls.crt").string(), *certificate);
  if (!status.ok()) return status;
  for (const char* name : {"ca.crt", "root.pub"}) {
    std::filesystem::copy_file(root_dir / name, dir / name, error);
    if (error) {
      return absl::InternalError(Tr("cannot copy {} to {}: {}", (root_dir / name).string(),
                                    dir.string(), i18n::ErrnoMessage(error)));
    }
  }

  absl::StatusOr<std::string> spki = federation::SpkiSha256OfPrivateKey(*key_pem);
  if (!spki.ok()) return spki.status();
  proto::Member member;
  member.set_node_id(id);
  member.set_name_zh(std::string(node::MemberProvinceName(id)));
  member.set_name_en(std::string(EnglishName(id)));
  member.set_address(address);
  member.set_tls_spki_sha256(*spki);
  proto::SigningKey* signing_key = member.add_signing_keys();
  signing_key->set_public_key(key.public_key().raw());
  signing_key->set_first_sequence(1);
  return member;
}

int RunFederationInit(const std::string& members_text, uint32_t lead, const std::string& out,
                      int base_port) {
  absl::StatusOr<std::vector<uint32_t>> ids = ParseMembers(members_text);
  if (!ids.ok()) return Fail(ids.status(), kExitBadInput);
  if (std::find(ids->begin(), ids->end(), lead) == ids->end()) {
    return Fail(Tr("--lead {} is not one of --members", lead), kExitBadInput);
  }
  if (base_port < 1 || base_port + static_cast<int>(ids->size()) > 65536) {
    return Fail(Tr("--base-port {} leaves no room for {} ports", base_port, ids->size()),
                kExitBadInput);
  }
  std::error_code error;
  std::filesystem::path out_dir(out);
  if (std::filesystem::exists(out_dir, error) && !std::filesystem::is_empty(out_dir, error)) {
    return Fail(Tr("{} already exists and is not empty; choose another directory", out),
                kExitBadInput);
  }

  std::filesystem::path root_dir = out_dir / "root";
  absl::Status status = CreateRootKeys(root_dir);
  if (!status.ok()) return Fail(status);
  absl::StatusOr<crypto::PrivateKey> root_key =
      crypto::ReadPrivateKey((root_dir / "root.key").string());
  if (!root_key.ok()) return Fail(root_key.status());

  proto::Manifest manifest;
  manifest.set_genesis_lead(lead);
  manifest.set_catalog_v1_sha256(catalog::Catalog::Default().Sha256Hex());
  manifest.set_issued_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
  for (size_t i = 0; i < ids->size(); ++i) {
    uint32_t id = (*ids)[i];
    std::string address = fmt::format("127.0.0.1:{}", base_port + static_cast<int>(i));
    absl::StatusOr<proto::Member> member =
        InitMember(root_dir, out_dir / std::to_string(id), id, address);
    if (!member.ok()) return Fail(Tr("node {}: {}", id, member.status().message()));
    *manifest.add_members() = std::move(*member);
  }

  status = WriteNewPublicFile((root_dir / "manifest.toml").string(),
                              federation::ManifestToml(1, manifest));
  if (!status.ok()) return Fail(status);
  std::string statement = federation::SignManifest(*root_key, 1, manifest);
  status = WriteNewPublicFile((root_dir / "manifest.stmt").string(), statement);
  if (!status.ok()) return Fail(status);
  for (uint32_t id : *ids) {
    status = WriteNewPublicFile((out_dir / std::to_string(id) / "manifest.stmt").string(),
                                statement);
    if (!status.ok()) return Fail(status);
  }

  std::cout << Tr("FOR TESTING ONLY: every key of this federation was generated on this machine. "
                  "In production each bureau generates its own keys and only public files cross "
                  "between bureaus; see docs/FEDERATION.md")
            << "\n"
            << Tr("created a local federation of {} members in {}", ids->size(), out) << "\n"
            << Tr("root holder files (root key, CA, manifest.toml, manifest.stmt): {}",
                  root_dir.string())
            << "\n";
  for (size_t i = 0; i < ids->size(); ++i) {
    uint32_t id = (*ids)[i];
    std::cout << Tr("  node {} ({}): peer port 127.0.0.1:{}, start with: yreb-node --config {}",
                    id, node::MemberProvinceName(id), base_port + static_cast<int>(i),
                    (out_dir / std::to_string(id) / "node.toml").string())
              << "\n";
  }
  std::cout << Tr("each node applies manifest version 1 (manifest.stmt) at its first start")
            << "\n";
  return 0;
}

}  // namespace

std::function<std::optional<int>()> RegisterFederationCommands(CLI::App& app,
                                                               const std::string& config_path,
                                                               const bool& as_json) {
  struct Options {
    std::string root_dir = ".";
    std::string manifest_file, root_key = "root.key", statement_out;
    std::string csr_file, sign_manifest = "manifest.toml", ca_key = "ca.key", ca_cert = "ca.crt";
    std::string cert_out;
    int days = federation::kDefaultCertificateDays;
    std::vector<std::string> sans;
    std::string csr_out;
    std::string apply_file;
    uint32_t fork_origin = 0;
    uint64_t fork_sequence = 0, keep_sequence = 0, fork_version = 1;
    std::string keep_hash;
    std::string members, out;
    uint32_t lead = 0;
    int base_port = 7301;
  };
  auto options = std::make_shared<Options>();

  auto* root = app.add_subcommand("root", Tr("root holder: root key, CA, manifests, certificates"));
  root->require_subcommand(1);
  auto* root_keygen = root->add_subcommand(
      "keygen", Tr("create the root key (Ed25519) and the federation CA (P-256)"));
  root_keygen->add_option("--dir", options->root_dir,
                          Tr("directory for root.key, root.pub, ca.key and ca.crt; default ."));
  auto* sign_manifest =
      root->add_subcommand("sign-manifest", Tr("sign a manifest file (TOML) as a root statement"));
  sign_manifest->add_option("file", options->manifest_file, Tr("manifest file (TOML)"))
      ->required();
  sign_manifest->add_option("--key", options->root_key, Tr("root private key; default root.key"));
  sign_manifest->add_option("--out", options->statement_out,
                            Tr("statement file to write; default FILE with extension .stmt"));
  auto* sign_fork = root->add_subcommand(
      "sign-fork-resolution",
      Tr("sign a fork resolution naming the chain of a forked origin to keep"));
  sign_fork->add_option("--origin", options->fork_origin, Tr("node id of the forked origin"))
      ->required();
  sign_fork->add_option("--sequence", options->fork_sequence,
                        Tr("sequence at which the chains disagree, as yrebctl forks shows"))
      ->required();
  sign_fork->add_option("--keep-hash", options->keep_hash,
                        Tr("entry hash (hex) of the chain to keep, as yrebctl forks shows"))
      ->required();
  sign_fork->add_option("--keep-sequence", options->keep_sequence,
                        Tr("sequence of --keep-hash; default --sequence"));
  sign_fork->add_option("--version", options->fork_version,
                        Tr("statement version, unique among fork resolutions; default 1"));
  sign_fork->add_option("--key", options->root_key, Tr("root private key; default root.key"));
  sign_fork->add_option("--out", options->statement_out, Tr("statement file to write"))
      ->required();
  auto* sign_cert = root->add_subcommand(
      "sign-cert", Tr("issue a member's TLS certificate from its CSR"));
  sign_cert->add_option("csr", options->csr_file, Tr("the member's CSR (PEM)"))->required();
  sign_cert->add_option("--manifest", options->sign_manifest,
                        Tr("manifest file (TOML) naming the member and its TLS key; default "
                           "manifest.toml"));
  sign_cert->add_option("--ca-key", options->ca_key, Tr("CA private key; default ca.key"));
  sign_cert->add_option("--ca-cert", options->ca_cert, Tr("CA certificate; default ca.crt"));
  sign_cert->add_option("--out", options->cert_out,
                        Tr("certificate file to write; default NODE_ID.crt"));
  sign_cert->add_option("--days", options->days, Tr("days the certificate is valid; default 730"))
      ->check(CLI::Range(1, 3650));

  auto* cert = app.add_subcommand("cert", Tr("this node's TLS certificate"));
  cert->require_subcommand(1);
  auto* cert_request = cert->add_subcommand(
      "request", Tr("create this node's TLS key (if missing) and a CSR for the root holder"));
  cert_request->add_option("--san", options->sans,
                           Tr("IP address or DNS name peers dial; repeatable; default the host "
                              "of [peer] listen"));
  cert_request->add_option("--out", options->csr_out,
                           Tr("CSR file to write; default tls.csr beside the config"));

  auto* apply = app.add_subcommand(
      "apply", Tr("load a root statement (signed manifest or fork resolution) on the node"));
  apply->add_option("file", options->apply_file, Tr("statement file"))->required();

  auto* federation_command = app.add_subcommand("federation", Tr("federation membership"));
  federation_command->require_subcommand(1);
  auto* init = federation_command->add_subcommand(
      "init", Tr("create a complete local federation on 127.0.0.1, for testing"));
  init->add_option("--members", options->members,
                   Tr("comma-separated node ids, e.g. 310000,320000"))
      ->required();
  init->add_option("--lead", options->lead, Tr("node id of the genesis lead (epoch 1)"))
      ->required();
  init->add_option("--out", options->out, Tr("directory to create"))->required();
  init->add_option("--base-port", options->base_port,
                   Tr("peer port of the first member; the others count up; default 7301"));
  auto* show = federation_command->add_subcommand(
      "show", Tr("show the node's newest manifest: members, keys, lead"));

  return [=, &config_path, &as_json]() -> std::optional<int> {
    if (root_keygen->parsed()) return RunRootKeygen(options->root_dir);
    if (sign_manifest->parsed()) {
      return RunSignManifest(options->manifest_file, options->root_key, options->statement_out);
    }
    if (sign_fork->parsed()) {
      return RunSignForkResolution(options->fork_origin, options->fork_sequence,
                                   options->keep_hash, options->keep_sequence,
                                   options->fork_version, options->root_key,
                                   options->statement_out);
    }
    if (sign_cert->parsed()) {
      return RunSignCert(options->csr_file, options->sign_manifest, options->ca_key,
                         options->ca_cert, options->cert_out, options->days);
    }
    if (cert_request->parsed()) {
      return RunCertRequest(config_path, options->sans, options->csr_out);
    }
    if (apply->parsed()) return RunApply(config_path, options->apply_file, as_json);
    if (init->parsed()) {
      return RunFederationInit(options->members, options->lead, options->out, options->base_port);
    }
    if (show->parsed()) return RunShow(config_path, as_json);
    return std::nullopt;
  };
}

}  // namespace yreb::cli
