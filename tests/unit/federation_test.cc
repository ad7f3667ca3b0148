// Root statements, manifests, their storage and the certificate checks, on
// real RocksDB and real OpenSSL.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "federation/certificates.h"
#include "federation/fork_resolution.h"
#include "federation/lead_assignment.h"
#include "federation/manifest.h"
#include "federation/membership.h"
#include "federation/statement.h"
#include "federation/tls.h"
#include "i18n/i18n.h"
#include "proto/entry.h"
#include "storage/store.h"
#include "tests/support/process.h"

namespace yreb::federation {
namespace {

class FederationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    i18n::SetCurrentLang(i18n::Lang::kEnglish);
    dir_ = testing::MakeTempDir("federation");
    absl::StatusOr<std::unique_ptr<storage::Store>> store =
        storage::Store::Open(dir_ + "/db", {.create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Returns a valid manifest of `ids`, each with a fresh signing key.
  proto::Manifest MakeManifest(std::vector<uint32_t> ids) {
    proto::Manifest manifest;
    manifest.set_genesis_lead(ids.front());
    manifest.set_catalog_v1_sha256(std::string(64, 'a'));
    for (uint32_t id : ids) {
      proto::Member* member = manifest.add_members();
      member->set_node_id(id);
      member->set_name_zh("省");
      member->set_name_en("Province");
      member->set_address("127.0.0.1:7301");
      member->set_tls_spki_sha256(std::string(64, 'b'));
      proto::SigningKey* key = member->add_signing_keys();
      key->set_public_key(crypto::PrivateKey::Generate().public_key().raw());
      key->set_first_sequence(1);
    }
    return manifest;
  }

  std::unique_ptr<Membership> OpenMembership(const crypto::PublicKey& root) {
    absl::StatusOr<std::unique_ptr<Membership>> membership = Membership::Open(store_.get(), root);
    EXPECT_TRUE(membership.ok()) << membership.status();
    return membership.ok() ? std::move(*membership) : nullptr;
  }

  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  crypto::PrivateKey root_ = crypto::PrivateKey::Generate();
};

TEST_F(FederationTest, SignedManifestApplies) {
  std::unique_ptr<Membership> membership = OpenMembership(root_.public_key());
  std::string statement = SignManifest(root_, 1, MakeManifest({310000, 320000}));
  absl::StatusOr<ApplyResult> result = membership->Apply(statement, "test");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->version, 1u);
  EXPECT_FALSE(result->already_stored);
  ASSERT_NE(membership->NewestManifest(), nullptr);
  EXPECT_EQ(membership->NewestManifest()->manifest.members_size(), 2);

  absl::StatusOr<ApplyResult> again = membership->Apply(statement, "test");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->already_stored);
}

TEST_F(FederationTest, WrongRootKeyRejected) {
  std::unique_ptr<Membership> membership = OpenMembership(root_.public_key());
  crypto::PrivateKey other_root = crypto::PrivateKey::Generate();
  absl::StatusOr<ApplyResult> result =
      membership->Apply(SignManifest(other_root, 1, MakeManifest({310000})), "test");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("signed by another root key"), std::string::npos)
      << result.status();
  EXPECT_EQ(membership->NewestManifest(), nullptr);
}

TEST_F(FederationTest, AlteredByteRejected) {
  std::unique_ptr<Membership> membership = OpenMembership(root_.public_key());
  std::string statement = SignManifest(root_, 1, MakeManifest({310000, 320000}));
  // Every byte of the body and of the signature is covered.
  for (size_t offset : {kStatementHeaderSize + 3, statement.size() - 10}) {
    std::string altered = statement;
    altered[offset] ^= 0x01;
    absl::StatusOr<ApplyResult> result = membership->Apply(altered, "test");
    ASSERT_FALSE(result.ok()) << offset;
    EXPECT_NE(result.status().message().find("altered or damaged"), std::string::npos)
        << result.status();
  }
  std::string truncated = statement.substr(0, statement.size() - 1);
  absl::StatusOr<ApplyResult> result = membership->Apply(truncated, "test");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("truncated"), std::string::npos) << result.status();
  EXPECT_EQ(membership->NewestManifest(), nullptr);
}

TEST_F(FederationTest, OlderVersionAfterNewerRejected) {
  std::unique_ptr<Membership> membership = OpenMembership(root_.public_key());
  std::string version1 = SignManifest(root_, 1, MakeManifest({310000, 320000}));
  std::string version2 = SignManifest(root_, 2, MakeManifest({310000}));
  ASSERT_TRUE(membership->Apply(version2, "test").ok());
  absl::StatusOr<ApplyResult> result = membership->Apply(version1, "test");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find(
                "manifest version 1 is older than the stored manifest version 2"),
            std::string::npos)
      << result.status();
  EXPECT_EQ(membership->NewestManifest()->version, 2u);
}

TEST_F(FederationTest, SameVersionOtherBytesRejected) {
  std::unique_ptr<Membership> membership = OpenMembership(root_.public_key());
  ASSERT_TRUE(membership->Apply(SignManifest(root_, 3, MakeManifest({310000})), "test").ok());
  absl::StatusOr<ApplyResult> result =
      membership->Apply(SignManifest(root_, 3, MakeManifest({320000})), "test");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("differs from the stored statement"),
            std::string::npos)
      << result.status();
}

TEST_F(FederationTest, ForkResolutionStoredAndNotified) {
  std::unique_ptr<Membership> membership = OpenMembership(root_.public_key());
  std::vector<std::string> notified;
  membership->AddStatementListener([&](uint8_t kind, std::string_view body) {
    if (kind == static_cast<uint8_t>(StatementKind::kForkResolution)) {
      notified.emplace_back(body);
    }
  });
  proto::ForkResolution resolution;
  resolution.set_origin(340000);
  resolution.set_fork_sequence(6);
  resolution.set_keep_sequence(7);
  resolution.set_keep_hash(std::string(32, 'k'));

  // Resolutions do not supersede each other: version 1 after version 2 is
  // accepted, the same bytes again change nothing.
  ASSERT_TRUE(membership->Apply(SignForkResolution(root_, 2, resolution), "test").ok());
  resolution.set_origin(420000);
  ASSERT_TRUE(membership->Apply(SignForkResolution(root_, 1, resolution), "test").ok());
  absl::StatusOr<ApplyResult> again =
      membership->Apply(SignForkResolution(root_, 1, resolution), "test");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->already_stored);
  EXPECT_EQ(notified.size(), 2u);

  absl::StatusOr<std::vector<std::string>> bodies =
      membership->StatementBodies(static_cast<uint8_t>(StatementKind::kForkResolution));
  ASSERT_TRUE(bodies.ok()) << bodies.status();
  EXPECT_EQ(bodies->size(), 2u);
}

TEST_F(FederationTest, InvalidForkResolutionRejected) {
  std::unique_ptr<Membership> membership = OpenMembership(root_.public_key());
  proto::ForkResolution resolution;
  resolution.set_origin(340000);
  resolution.set_fork_sequence(6);
  resolution.set_keep_sequence(5);  // below the fork
  resolution.set_keep_hash(std::string(32, 'k'));
  absl::StatusOr<ApplyResult> result =
      membership->Apply(SignForkResolution(root_, 1, resolution), "test");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("keep_sequence 5 is below fork_sequence 6"),
            std::string::npos)
      << result.status();

  resolution.set_keep_sequence(6);
  resolution.set_keep_hash("short");
  EXPECT_FALSE(membership->Apply(SignForkResolution(root_, 1, resolution), "test").ok());
}

proto::LeadAssignment Assignment(uint64_t epoch, uint32_t to, uint32_t fenced) {
  proto::LeadAssignment assignment;
  assignment.set_epoch(epoch);
  assignment.set_to(to);
  assignment.set_fenced_lead(fenced);
  assignment.set_fence(12);
  assignment.set_manifest_version(1);
  assignment.set_reason("lead lost");
  return assignment;
}

TEST_F(FederationTest, LeadAssignmentsKeepEveryVersion) {
  std::unique_ptr<Membership> membership = OpenMembership(root_.public_key());
  ASSERT_TRUE(
      membership->Apply(SignLeadAssignment(root_, 2, Assignment(2, 320000, 310000)), "test")
          .ok());
  absl::StatusOr<ApplyResult> older =
      membership->Apply(SignLeadAssignment(root_, 1, Assignment(2, 330000, 310000)), "test");
  ASSERT_TRUE(older.ok()) << older.status();
  EXPECT_EQ(KindName(older->kind), "lead-assignment");

  absl::StatusOr<std::vector<Membership::VersionedBody>> stored =
      membership->VersionedBodies(static_cast<uint8_t>(StatementKind::kLeadAssignment));
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].version, 1u);
  EXPECT_EQ((*stored)[1].version, 2u);
  absl::StatusOr<proto::LeadAssignment> newest = ParseLeadAssignmentBody((*stored)[1].body);
  ASSERT_TRUE(newest.ok()) << newest.status();
  EXPECT_EQ(newest->to(), 320000u);
  EXPECT_EQ(newest->fence(), 12u);
}

TEST_F(FederationTest, InvalidLeadAssignmentRejected) {
  std::unique_ptr<Membership> membership = OpenMembership(root_.public_key());
  struct Case {
    proto::LeadAssignment assignment;
    std::string reason;
  };
  proto::LeadAssignment no_manifest = Assignment(2, 320000, 310000);
  no_manifest.set_manifest_version(0);
  const std::vector<Case> cases = {
      {Assignment(1, 320000, 310000), "epoch 1 is invalid"},
      {Assignment(2, 320001, 310000), "to 320001 is not a province code"},
      {Assignment(2, 320000, 0), "fenced_lead 0 is not a province code"},
      {Assignment(2, 320000, 320000), "to and fenced_lead are both 320000"},
      {no_manifest, "manifest_version must be 1 or more"},
  };
  for (const Case& test : cases) {
    absl::StatusOr<ApplyResult> result =
        membership->Apply(SignLeadAssignment(root_, 1, test.assignment), "test");
    ASSERT_FALSE(result.ok()) << test.reason;
    EXPECT_NE(result.status().message().find("lead assignment version 1 is invalid"),
              std::string::npos)
        << result.status();
    EXPECT_NE(result.status().message().find(test.reason), std::string::npos) << result.status();
  }
  absl::StatusOr<std::vector<std::string>> stored =
      membership->StatementBodies(static_cast<uint8_t>(StatementKind::kLeadAssignment));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(stored->empty());
}

TEST_F(FederationTest, StatementsSurviveReopen) {
  std::string version1 = SignManifest(root_, 1, MakeManifest({310000, 320000}));
  std::string version2 = SignManifest(root_, 2, MakeManifest({310000}));
  {
    std::unique_ptr<Membership> membership = OpenMembership(root_.public_key());
    ASSERT_TRUE(membership->Apply(version1, "test").ok());
    ASSERT_TRUE(membership->Apply(version2, "test").ok());
  }
  std::unique_ptr<Membership> reopened = OpenMembership(root_.public_key());
  ASSERT_NE(reopened->NewestManifest(), nullptr);
  EXPECT_EQ(reopened->NewestManifest()->version, 2u);
  absl::StatusOr<std::vector<std::string>> all = reopened->AllStatements();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], version1);
  EXPECT_EQ((*all)[1], version2);

  // A node whose configured root key changed refuses to start on them.
  absl::StatusOr<std::unique_ptr<Membership>> other =
      Membership::Open(store_.get(), crypto::PrivateKey::Generate().public_key());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(FederationTest, StatementDomainDiffersFromHeads) {
  std::string statement = SignManifest(root_, 1, MakeManifest({310000}));
  absl::StatusOr<StatementView> view = DecodeStatement(statement);
  ASSERT_TRUE(view.ok()) << view.status();
  std::string message = StatementMessage(view->signed_part);
  EXPECT_EQ(message.substr(0, kStatementDomain.size() + 1),
            std::string(kStatementDomain) + std::string(1, '\0'));
  EXPECT_NE(kStatementDomain, entry::kHeadDomain);
  EXPECT_NE(kStatementDomain, entry::kEntryDomain);
  // The signature does not verify over the bare signed bytes.
  EXPECT_FALSE(root_.public_key().Verify(view->signed_part, crypto::AsBytes(view->signature)));
}

TEST_F(FederationTest, ManifestTomlRoundTrip) {
  proto::Manifest manifest = MakeManifest({320000, 310000 + 0});
  std::sort(manifest.mutable_members()->begin(), manifest.mutable_members()->end(),
            [](const auto& a, const auto& b) { return a.node_id() < b.node_id(); });
  manifest.mutable_members(0)->mutable_signing_keys(0)->set_last_sequence(500);
  proto::SigningKey* next = manifest.mutable_members(0)->add_signing_keys();
  next->set_public_key(crypto::PrivateKey::Generate().public_key().raw());
  next->set_first_sequence(501);
  absl::StatusOr<ManifestVersion> parsed =
      ParseManifestToml(ManifestToml(4, manifest), "manifest.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->version, 4u);
  EXPECT_EQ(parsed->manifest.SerializeAsString(), manifest.SerializeAsString());

  // The revoked key signs up to 500, its successor from 501.
  const std::string& first_key = manifest.members(0).signing_keys(0).public_key();
  EXPECT_EQ(KeyForSequence(manifest, 310000, 500)->raw(), first_key);
  EXPECT_EQ(KeyForSequence(manifest, 310000, 501)->raw(), next->public_key());
  EXPECT_FALSE(KeyForSequence(manifest, 330000, 1).has_value());
}

TEST_F(FederationTest, ManifestTomlUnknownKeyNamesLine) {
  std::string text = ManifestToml(1, MakeManifest({310000}));
  text += "colour = \"red\"\n";
  absl::StatusOr<ManifestVersion> parsed = ParseManifestToml(text, "m.toml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("unknown key colour"), std::string::npos)
      << parsed.status();
  EXPECT_NE(parsed.status().message().find("m.toml:"), std::string::npos) << parsed.status();
}

TEST_F(FederationTest, OverlappingKeysRejected) {
  proto::Manifest manifest = MakeManifest({310000});
  proto::SigningKey* second = manifest.mutable_members(0)->add_signing_keys();
  second->set_public_key(crypto::PrivateKey::Generate().public_key().raw());
  second->set_first_sequence(10);
  absl::Status status = ValidateManifest(manifest);
  EXPECT_NE(status.message().find("may both sign sequence 10"), std::string::npos) << status;
}

// Writes a CA into `dir` and a certificate for `node_id`; returns the cert
// and key PEM.
struct Issued {
  std::string cert_pem;
  std::string key_pem;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Issued Issue(const std::string& dir, uint32_t node_id, const std::string& name) {
  std::string key_path = dir + "/" + name + ".key";
  EXPECT_TRUE(GenerateTlsKey(key_path).ok());
  Issued issued;
  issued.key_pem = *ReadPrivateKeyPem(key_path);
  absl::StatusOr<std::string> csr = MakeCsr(issued.key_pem, node_id, {"127.0.0.1", "localhost"});
  EXPECT_TRUE(csr.ok()) << csr.status();
  absl::StatusOr<std::string> cert = IssueCertificate(
      *csr, *ReadPrivateKeyPem(dir + "/ca.key"), ReadAll(dir + "/ca.crt"), 30);
  EXPECT_TRUE(cert.ok()) << cert.status();
  issued.cert_pem = *cert;
  return issued;
}

TEST_F(FederationTest, CertificateNamesNodeAndSans) {
  ASSERT_TRUE(CreateCa(dir_ + "/ca.key", dir_ + "/ca.crt").ok());
  Issued issued = Issue(dir_, 320000, "n");
  absl::StatusOr<SubjectInfo> subject = ReadCertificate(issued.cert_pem);
  ASSERT_TRUE(subject.ok()) << subject.status();
  EXPECT_EQ(subject->common_name, "320000");
  EXPECT_EQ(subject->sans, (std::vector<std::string>{"127.0.0.1", "localhost"}));
  EXPECT_EQ(subject->spki_sha256, *SpkiSha256OfPrivateKey(issued.key_pem));
  EXPECT_EQ(std::filesystem::status(dir_ + "/n.key").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(GenerateTlsKey(dir_ + "/n.key").code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(FederationTest, AdmissionReasons) {
  ASSERT_TRUE(CreateCa(dir_ + "/ca.key", dir_ + "/ca.crt").ok());
  std::string other_dir = dir_ + "/other";
  std::filesystem::create_directories(other_dir);
  ASSERT_TRUE(CreateCa(other_dir + "/ca.key", other_dir + "/ca.crt").ok());
  Issued member = Issue(dir_, 310000, "m");
  Issued stranger = Issue(other_dir, 310000, "s");

  std::unique_ptr<Membership> membership = OpenMembership(root_.public_key());
  proto::Manifest manifest = MakeManifest({310000, 320000});
  manifest.mutable_members(0)->set_tls_spki_sha256(*SpkiSha256OfPrivateKey(member.key_pem));
  ASSERT_TRUE(membership->Apply(SignManifest(root_, 1, manifest), "test").ok());

  PeerAdmission admission(*CaTrust::FromPem(ReadAll(dir_ + "/ca.crt")), membership.get());
  absl::StatusOr<PeerIdentity> admitted =
      admission.Check(member.cert_pem, CaTrust::Purpose::kClient, 0);
  ASSERT_TRUE(admitted.ok()) << admitted.status();
  EXPECT_EQ(admitted->node_id, 310000u);

  auto reason = [&](const std::string& chain, uint32_t expected) {
    absl::StatusOr<PeerIdentity> result =
        admission.Check(chain, CaTrust::Purpose::kClient, expected);
    return result.ok() ? std::string("admitted") : std::string(result.status().message());
  };
  EXPECT_NE(reason("", 0).find("no certificate presented"), std::string::npos);
  EXPECT_NE(reason(stranger.cert_pem, 0).find("not issued by the federation CA"),
            std::string::npos);
  EXPECT_NE(reason(member.cert_pem, 320000).find("but node 320000 was dialed"),
            std::string::npos);

  // Manifest version 2 replaces 310000's TLS key: the old certificate is out.
  manifest.mutable_members(0)->set_tls_spki_sha256(std::string(64, 'c'));
  ASSERT_TRUE(membership->Apply(SignManifest(root_, 2, manifest), "test").ok());
  EXPECT_NE(reason(member.cert_pem, 0).find("but manifest version 2 names key"),
            std::string::npos);

  // Version 3 removes 310000.
  manifest.mutable_members()->DeleteSubrange(0, 1);
  manifest.set_genesis_lead(320000);
  ASSERT_TRUE(membership->Apply(SignManifest(root_, 3, manifest), "test").ok());
  EXPECT_NE(reason(member.cert_pem, 0).find("node 310000 is not a member of manifest version 3"),
            std::string::npos);
}

}  // namespace
}  // namespace yreb::federation
