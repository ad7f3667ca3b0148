#include <sys/stat.h>

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "proto/entry.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

TEST(CryptoTest, Sha256OfEmptyInput) {
  EXPECT_EQ(crypto::ToHex(crypto::Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, Sha256BuilderMatchesOneShot) {
  crypto::Sha256Builder builder;
  builder.Update("yreb-");
  builder.Update("sync");
  EXPECT_EQ(builder.Finish(), crypto::Sha256("yreb-sync"));
}

TEST(CryptoTest, Sha256OfPartsMatchesOneShot) {
  EXPECT_EQ(crypto::ToHex(crypto::Sha256({"", ""})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // The context is reused; a second digest must not carry the first's input.
  EXPECT_EQ(crypto::Sha256({"yreb-", "sync"}), crypto::Sha256("yreb-sync"));
  EXPECT_EQ(crypto::Sha256({"yreb-", "sync"}), crypto::Sha256("yreb-sync"));
  EXPECT_EQ(crypto::Sha256({std::string_view("a\0b", 3)}), crypto::Sha256(std::string_view("a\0b", 3)));
}

TEST(CryptoTest, HexRoundTripAndErrors) {
  EXPECT_EQ(*crypto::FromHex("00ff10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(crypto::FromHex("abc").ok());
  EXPECT_FALSE(crypto::FromHex("zz").ok());
  EXPECT_FALSE(crypto::HashFromHex("00").ok());
}

// OpenSSL 3.0 keeps the first key of a reused Ed25519 digest context, so a
// signature of node A would verify under node B's key. Interleave keys on one
// thread many times and expect every cross check to fail.
TEST(CryptoTest, HeadOfOneKeyFailsUnderAnother) {
  crypto::PrivateKey a = crypto::PrivateKey::Generate();
  crypto::PrivateKey b = crypto::PrivateKey::Generate();
  ASSERT_FALSE(a.public_key() == b.public_key());

  crypto::Hash hash = crypto::Sha256("entry");
  entry::Head head_a = entry::SignHead(a, 320000, 10, hash);
  entry::Head head_b = entry::SignHead(b, 320000, 10, hash);
  for (int round = 0; round < 500; ++round) {
    ASSERT_TRUE(entry::VerifyHead(a.public_key(), head_a)) << "round " << round;
    ASSERT_FALSE(entry::VerifyHead(b.public_key(), head_a)) << "round " << round;
    ASSERT_TRUE(entry::VerifyHead(b.public_key(), head_b)) << "round " << round;
    ASSERT_FALSE(entry::VerifyHead(a.public_key(), head_b)) << "round " << round;
  }
}

TEST(CryptoTest, SigningAlternatingKeysUsesEachKey) {
  crypto::PrivateKey a = crypto::PrivateKey::Generate();
  crypto::PrivateKey b = crypto::PrivateKey::Generate();
  for (int round = 0; round < 100; ++round) {
    crypto::Signature by_a = a.Sign("message");
    crypto::Signature by_b = b.Sign("message");
    ASSERT_NE(by_a, by_b);
    ASSERT_TRUE(b.public_key().Verify("message", crypto::AsBytes(by_b)));
    ASSERT_FALSE(b.public_key().Verify("message", crypto::AsBytes(by_a)));
  }
}

TEST(CryptoTest, AlteredHeadFieldsFailVerification) {
  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  entry::Head head = entry::SignHead(key, 320000, 5, crypto::Sha256("x"));

  entry::Head other_origin = head;
  other_origin.origin = 330000;
  EXPECT_FALSE(entry::VerifyHead(key.public_key(), other_origin));
  entry::Head other_sequence = head;
  other_sequence.sequence = 6;
  EXPECT_FALSE(entry::VerifyHead(key.public_key(), other_sequence));
  entry::Head other_hash = head;
  other_hash.hash[0] ^= 1;
  EXPECT_FALSE(entry::VerifyHead(key.public_key(), other_hash));
  entry::Head other_signature = head;
  other_signature.signature[63] ^= 1;
  EXPECT_FALSE(entry::VerifyHead(key.public_key(), other_signature));
}

TEST(CryptoTest, KeyPairFilesModesAndNoOverwrite) {
  std::string dir = testing::MakeTempDir("keys");
  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  ASSERT_TRUE(crypto::WriteKeyPair(key, dir + "/k.key", dir + "/k.pub").ok());

  struct stat info;
  ASSERT_EQ(::stat((dir + "/k.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir + "/k.pub").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);

  absl::StatusOr<crypto::PrivateKey> read = crypto::ReadPrivateKey(dir + "/k.key");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->public_key(), key.public_key());
  EXPECT_EQ(*crypto::ReadPublicKey(dir + "/k.pub"), key.public_key());

  crypto::PrivateKey other = crypto::PrivateKey::Generate();
  absl::Status again = crypto::WriteKeyPair(other, dir + "/k.key", dir + "/k.pub");
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(crypto::ReadPrivateKey(dir + "/k.key")->public_key(), key.public_key());
}

TEST(CryptoTest, PrivateKeyReadableByOthersIsRejected) {
  std::string dir = testing::MakeTempDir("keys");
  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  ASSERT_TRUE(crypto::WriteKeyPair(key, dir + "/k.key", dir + "/k.pub").ok());
  ::chmod((dir + "/k.key").c_str(), 0644);
  absl::StatusOr<crypto::PrivateKey> read = crypto::ReadPrivateKey(dir + "/k.key");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(read.status().message().find("chmod 600"), std::string::npos);
}

}  // namespace
}  // namespace yreb
