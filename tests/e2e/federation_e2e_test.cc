// A local federation from `yrebctl federation init`: real yreb-node processes
// on 127.0.0.1 talking mutual TLS, statements applied with yrebctl, and
// in-test gRPC clients as members, strangers and removed members.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "federation/certificates.h"
#include "federation/manifest.h"
#include "federation/tls.h"
#include "proto/peer.grpc.pb.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::NodeProcess;

const std::map<std::string, std::string> kEnglish = {{"LANGUAGE", "en"}, {"LC_ALL", "C.UTF-8"}};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

CommandResult Ctl(const std::vector<std::string>& args) {
  std::vector<std::string> command = {testing::BinaryPath("yrebctl")};
  command.insert(command.end(), args.begin(), args.end());
  return testing::RunCommand(command, "", std::chrono::seconds(60), kEnglish);
}

// Returns true once `path` contains `text`, waiting at most 10 seconds.
bool WaitForLog(const std::string& path, const std::string& text) {
  for (int i = 0; i < 100; ++i) {
    if (ReadAll(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

struct Federation {
  std::string dir;
  std::shared_ptr<testing::PortBand> ports;
  int base_port = 0;
  std::string Config(uint32_t id) const { return dir + "/" + std::to_string(id) + "/node.toml"; }
  std::string Log(uint32_t id) const { return dir + "/" + std::to_string(id) + ".log"; }
  std::string Address(int index) const { return "127.0.0.1:" + std::to_string(base_port + index); }
  std::string File(uint32_t id, const std::string& name) const {
    return dir + "/" + std::to_string(id) + "/" + name;
  }
};

Federation InitFederation(const std::string& members, int count, CommandResult* output = nullptr) {
  Federation federation;
  federation.dir = testing::MakeTempDir("fed") + "/f";
  federation.ports = std::make_shared<testing::PortBand>(count);
  federation.base_port = federation.ports->first();
  EXPECT_NE(federation.base_port, 0);
  CommandResult init = Ctl({"federation", "init", "--members", members, "--lead", "310000",
                            "--out", federation.dir, "--base-port",
                            std::to_string(federation.base_port)});
  EXPECT_EQ(init.exit_code, 0) << init.err;
  EXPECT_NE(init.out.find("FOR TESTING ONLY"), std::string::npos) << init.out;
  if (output != nullptr) *output = init;
  return federation;
}

void StartNode(const Federation& federation, uint32_t id, NodeProcess* node) {
  ASSERT_TRUE(node->Start(federation.Config(id), {}, federation.Log(id), kEnglish));
  ASSERT_TRUE(node->WaitReady()) << ReadAll(federation.Log(id));
}

federation::TlsMaterial Material(const Federation& federation, uint32_t id) {
  absl::StatusOr<federation::TlsMaterial> material = federation::LoadTlsMaterial(
      {federation.File(id, "ca.crt"), federation.File(id, "tls.crt"),
       federation.File(id, "tls.key")});
  EXPECT_TRUE(material.ok()) << material.status();
  return *material;
}

grpc::Status CallHealthOn(std::shared_ptr<grpc::Channel> channel, proto::HealthReply* reply) {
  auto stub = proto::Peer::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return stub->Health(&context, proto::HealthRequest(), reply);
}

// Calls Health on `address` as the member whose TLS files are `material`,
// accepting only a server certificate that names `server_id`.
grpc::Status CallHealth(const federation::TlsMaterial& material, const std::string& address,
                        uint32_t server_id, proto::HealthReply* reply) {
  auto admission = std::make_shared<const federation::PeerAdmission>(material.ca, nullptr);
  auto channel = grpc::CreateChannel(
      address, federation::PeerChannelCredentials(material, admission, server_id));
  return CallHealthOn(channel, reply);
}

TEST(FederationE2eTest, MembersCallHealthOverMutualTls) {
  Federation federation = InitFederation("310000,320000", 2);
  NodeProcess shanghai, jiangsu;
  StartNode(federation, 310000, &shanghai);
  StartNode(federation, 320000, &jiangsu);

  proto::HealthReply reply;
  grpc::Status status =
      CallHealth(Material(federation, 320000), federation.Address(0), 310000, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.node_id(), 310000u);
  EXPECT_EQ(reply.manifest_version(), 1u);

  status = CallHealth(Material(federation, 310000), federation.Address(1), 320000, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.node_id(), 320000u);

  // The client checks that the server's certificate names the node it dialed.
  status = CallHealth(Material(federation, 310000), federation.Address(1), 310000, &reply);
  EXPECT_FALSE(status.ok());

  CommandResult show = Ctl({"--config", federation.Config(320000), "--json", "federation", "show"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  json manifest = json::parse(show.out);
  EXPECT_EQ(manifest["version"], 1);
  EXPECT_EQ(manifest["genesis_lead"], 310000);
  ASSERT_EQ(manifest["members"].size(), 2u);
  EXPECT_EQ(manifest["members"][1]["node_id"], 320000);
  EXPECT_EQ(manifest["members"][1]["name_zh"], "江苏省");
  EXPECT_EQ(manifest["members"][1]["address"], federation.Address(1));
  EXPECT_EQ(manifest["members"][1]["signing_keys"][0]["first_sequence"], 1);
  EXPECT_TRUE(manifest["members"][1]["signing_keys"][0]["last_sequence"].is_null());

  CommandResult text = Ctl({"--config", federation.Config(320000), "federation", "show"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("manifest version 1"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("genesis lead (epoch 1): 310000"), std::string::npos) << text.out;
}

TEST(FederationE2eTest, StrangersAndRemovedMemberRejected) {
  Federation federation = InitFederation("310000,320000,330000", 3);
  NodeProcess shanghai;
  StartNode(federation, 310000, &shanghai);
  std::string log = federation.Log(310000);
  proto::HealthReply reply;

  // A client without a certificate.
  grpc::SslCredentialsOptions anonymous;
  anonymous.pem_root_certs = ReadAll(federation.File(310000, "ca.crt"));
  grpc::Status status =
      CallHealthOn(grpc::CreateChannel(federation.Address(0), grpc::SslCredentials(anonymous)),
                   &reply);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(WaitForLog(log, "reason=\"no certificate presented\"")) << ReadAll(log);

  // A client whose certificate names member 320000 but comes from the test's
  // own CA.
  std::string stranger_dir = testing::MakeTempDir("stranger");
  ASSERT_TRUE(federation::CreateCa(stranger_dir + "/ca.key", stranger_dir + "/ca.crt").ok());
  ASSERT_TRUE(federation::GenerateTlsKey(stranger_dir + "/tls.key").ok());
  std::string stranger_key = *federation::ReadPrivateKeyPem(stranger_dir + "/tls.key");
  absl::StatusOr<std::string> csr = federation::MakeCsr(stranger_key, 320000, {"127.0.0.1"});
  ASSERT_TRUE(csr.ok());
  absl::StatusOr<std::string> stranger_cert = federation::IssueCertificate(
      *csr, *federation::ReadPrivateKeyPem(stranger_dir + "/ca.key"),
      ReadAll(stranger_dir + "/ca.crt"), 30);
  ASSERT_TRUE(stranger_cert.ok());
  grpc::SslCredentialsOptions stranger = anonymous;
  stranger.pem_private_key = stranger_key;
  stranger.pem_cert_chain = *stranger_cert;
  status = CallHealthOn(
      grpc::CreateChannel(federation.Address(0), grpc::SslCredentials(stranger)), &reply);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(WaitForLog(log, "presented_cn=\"320000\"")) << ReadAll(log);
  EXPECT_TRUE(WaitForLog(log, "certificate not issued by the federation CA")) << ReadAll(log);

  // Both refusals are alarms in the node's status.
  CommandResult status_json = Ctl({"--config", federation.Config(310000), "--json", "status"});
  ASSERT_EQ(status_json.exit_code, 0) << status_json.err;
  std::string refused_stranger, refused_anonymous;
  nlohmann::json node_status = nlohmann::json::parse(status_json.out);
  for (const auto& alarm : node_status["alarms"]) {
    if (alarm["kind"] != "refused-certificate") continue;
    std::string detail = alarm["detail"];
    if (detail.find("presented name \"320000\"") != std::string::npos) refused_stranger = detail;
    if (detail.find("no certificate presented") != std::string::npos) refused_anonymous = detail;
  }
  EXPECT_NE(refused_stranger.find("certificate not issued by the federation CA"),
            std::string::npos)
      << status_json.out;
  EXPECT_FALSE(refused_anonymous.empty()) << status_json.out;

  // Member 330000 is admitted under manifest version 1.
  federation::TlsMaterial zhejiang = Material(federation, 330000);
  status = CallHealth(zhejiang, federation.Address(0), 310000, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // The root holder removes 330000 in version 2.
  std::string root = federation.dir + "/root";
  absl::StatusOr<federation::ManifestVersion> version1 =
      federation::ParseManifestToml(ReadAll(root + "/manifest.toml"), "manifest.toml");
  ASSERT_TRUE(version1.ok()) << version1.status();
  proto::Manifest manifest = version1->manifest;
  manifest.mutable_members()->RemoveLast();
  WriteAll(root + "/manifest-v2.toml", federation::ManifestToml(2, manifest));
  CommandResult sign = Ctl({"root", "sign-manifest", root + "/manifest-v2.toml", "--key",
                            root + "/root.key"});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  CommandResult apply =
      Ctl({"--config", federation.Config(310000), "apply", root + "/manifest-v2.stmt"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_NE(apply.out.find("applied manifest version 2"), std::string::npos) << apply.out;

  // A new connection of 330000 is now rejected in the handshake.
  status = CallHealth(zhejiang, federation.Address(0), 310000, &reply);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(WaitForLog(log, "node 330000 is not a member of manifest version 2"))
      << ReadAll(log);

  // 320000 is still a member.
  status = CallHealth(Material(federation, 320000), federation.Address(0), 310000, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.manifest_version(), 2u);

  // Statements the node rejects, each with its reason.
  CommandResult older =
      Ctl({"--config", federation.Config(310000), "apply", root + "/manifest.stmt"});
  EXPECT_EQ(older.exit_code, 2);
  EXPECT_NE(older.err.find("manifest version 1 is older than the stored manifest version 2"),
            std::string::npos)
      << older.err;

  std::string altered = ReadAll(root + "/manifest-v2.stmt");
  altered[federation::kStatementHeaderSize + 5] ^= 0x20;
  WriteAll(root + "/altered.stmt", altered);
  CommandResult damaged =
      Ctl({"--config", federation.Config(310000), "apply", root + "/altered.stmt"});
  EXPECT_EQ(damaged.exit_code, 2);
  EXPECT_NE(damaged.err.find("altered or damaged"), std::string::npos) << damaged.err;

  std::string other_root = testing::MakeTempDir("other-root");
  ASSERT_EQ(Ctl({"root", "keygen", "--dir", other_root}).exit_code, 0);
  WriteAll(root + "/manifest-v3.toml", federation::ManifestToml(3, manifest));
  ASSERT_EQ(Ctl({"root", "sign-manifest", root + "/manifest-v3.toml", "--key",
                 other_root + "/root.key", "--out", root + "/foreign.stmt"})
                .exit_code,
            0);
  CommandResult foreign =
      Ctl({"--config", federation.Config(310000), "apply", root + "/foreign.stmt"});
  EXPECT_EQ(foreign.exit_code, 2);
  EXPECT_NE(foreign.err.find("signed by another root key"), std::string::npos) << foreign.err;
}

// Secret forms of one private key file: the PEM body lines, the DER, and the
// raw private key bytes, each also in hex.
std::vector<std::string> SecretForms(const std::string& key_path) {
  std::vector<std::string> forms;
  std::string pem = ReadAll(key_path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EXPECT_NE(key, nullptr) << key_path;
  if (key == nullptr) return forms;

  // Each base64 line of the PEM file, except a line that encodes only bytes
  // of the public key: an EC key file carries its public point, which the
  // certificate also contains, so such a line may appear there.
  std::string public_der;
  unsigned char* public_bytes = nullptr;
  if (int size = i2d_PUBKEY(key, &public_bytes); size > 0) {
    public_der.assign(reinterpret_cast<char*>(public_bytes), size);
  }
  OPENSSL_free(public_bytes);
  std::stringstream lines(pem);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("-----") != std::string::npos || line.size() < 16) continue;
    std::string decoded(line.size() / 4 * 3, '\0');
    int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                               reinterpret_cast<const unsigned char*>(line.data()),
                               static_cast<int>(line.size()));
    if (size < 0) continue;
    decoded.resize(size - std::count(line.begin(), line.end(), '='));
    if (public_der.find(decoded) != std::string::npos) continue;
    forms.push_back(line);
  }
  unsigned char* der = nullptr;
  int der_size = i2d_PrivateKey(key, &der);
  if (der_size > 0) forms.emplace_back(reinterpret_cast<char*>(der), der_size);
  OPENSSL_free(der);
  std::string raw(64, '\0');
  size_t raw_size = raw.size();
  if (EVP_PKEY_get_raw_private_key(key, reinterpret_cast<unsigned char*>(raw.data()),
                                   &raw_size) == 1) {
    forms.push_back(raw.substr(0, raw_size));
  } else {
    BIGNUM* scalar = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &scalar) == 1) {
      std::string bytes(32, '\0');
      BN_bn2binpad(scalar, reinterpret_cast<unsigned char*>(bytes.data()), 32);
      forms.push_back(bytes);
      BN_free(scalar);
    }
  }
  EVP_PKEY_free(key);
  size_t binary = forms.size();
  for (size_t i = 0; i < binary; ++i) {
    static const char* kDigits = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : forms[i]) {
      hex.push_back(kDigits[c >> 4]);
      hex.push_back(kDigits[c & 15]);
    }
    forms.push_back(hex);
  }
  return forms;
}

TEST(FederationE2eTest, PrivateKeysNeverLeak) {
  CommandResult init;
  Federation federation = InitFederation("310000,320000", 2, &init);
  std::vector<std::pair<std::string, std::string>> outputs = {{"init", init.out + init.err}};
  auto record = [&](const std::string& name, const CommandResult& result) {
    EXPECT_EQ(result.exit_code, 0) << name << ": " << result.err;
    outputs.push_back({name, result.out + result.err});
  };

  // Every flow that touches a key: root keys, CSR, certificate, manifest.
  std::string root = federation.dir + "/root";
  std::string extra_root = federation.dir + "/extra-root";
  record("root keygen", Ctl({"root", "keygen", "--dir", extra_root}));
  record("cert request",
         Ctl({"--config", federation.Config(320000), "cert", "request"}));
  record("sign-cert", Ctl({"root", "sign-cert", federation.File(320000, "tls.csr"), "--manifest",
                           root + "/manifest.toml", "--ca-key", root + "/ca.key", "--ca-cert",
                           root + "/ca.crt", "--out", root + "/320000.crt"}));
  std::string version2 = ReadAll(root + "/manifest.toml");
  version2.replace(version2.find("version = 1"), 11, "version = 2");
  WriteAll(root + "/manifest-v2.toml", version2);
  record("sign-manifest",
         Ctl({"root", "sign-manifest", root + "/manifest-v2.toml", "--key", root + "/root.key"}));
  {
    NodeProcess shanghai, jiangsu;
    StartNode(federation, 310000, &shanghai);
    StartNode(federation, 320000, &jiangsu);
    record("apply",
           Ctl({"--config", federation.Config(310000), "apply", root + "/manifest-v2.stmt"}));
    record("show", Ctl({"--config", federation.Config(310000), "--json", "federation", "show"}));
    proto::HealthReply reply;
    EXPECT_TRUE(
        CallHealth(Material(federation, 320000), federation.Address(0), 310000, &reply).ok());
    EXPECT_EQ(shanghai.Stop(), 0);
    EXPECT_EQ(jiangsu.Stop(), 0);
  }

  // Every key file, and every other file the flows wrote, logs included.
  std::vector<std::string> key_files;
  std::vector<std::pair<std::string, std::string>> artifacts = outputs;
  for (const auto& file : std::filesystem::recursive_directory_iterator(federation.dir)) {
    if (!file.is_regular_file()) continue;
    std::string path = file.path().string();
    if (file.path().extension() == ".key") {
      key_files.push_back(path);
    } else {
      artifacts.push_back({path, ReadAll(path)});
    }
  }
  ASSERT_EQ(key_files.size(), 2u * 2 + 4) << "node.key and tls.key per node, two root dirs";

  for (const std::string& key_file : key_files) {
    std::vector<std::string> forms = SecretForms(key_file);
    ASSERT_GE(forms.size(), 4u) << key_file;
    for (const auto& [name, content] : artifacts) {
      for (const std::string& form : forms) {
        ASSERT_EQ(content.find(form), std::string::npos)
            << "material of " << key_file << " appears in " << name;
      }
    }
  }
  for (const auto& [name, content] : artifacts) {
    EXPECT_EQ(content.find("PRIVATE KEY"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace yreb
