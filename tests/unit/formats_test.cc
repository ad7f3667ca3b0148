// Recomputes every test vector of docs/FORMATS.md from its inputs, so the
// document and the code cannot drift apart. Run with YREB_PRINT_VECTORS=1 to
// print the vectors the code computes.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "proto/entry.h"
#include "proto/record.pb.h"

namespace yreb {
namespace {

// Reads the `name = hex-or-number` lines of the ```vectors block.
std::map<std::string, std::string> ReadVectors() {
  std::ifstream in(std::string(YREB_SOURCE_DIR) + "/docs/FORMATS.md");
  std::map<std::string, std::string> vectors;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "```vectors") {
      inside = true;
      continue;
    }
    if (inside && line == "```") break;
    if (!inside) continue;
    size_t equals = line.find(" = ");
    if (equals == std::string::npos) continue;
    std::string name = line.substr(0, equals);
    std::string value = line.substr(equals + 3);
    // Long hex values continue on following lines that start with spaces.
    vectors[name] = value;
  }
  return vectors;
}

std::string Bytes(const std::string& hex) {
  absl::StatusOr<std::string> bytes = crypto::FromHex(hex);
  EXPECT_TRUE(bytes.ok()) << hex;
  return bytes.ok() ? *bytes : "";
}

// The three bodies of the vectors: Jiangsu GDP 2022, 2023, 2024.
std::string RecordBody(const std::string& period, const std::string& value) {
  proto::Record record;
  record.set_indicator("gdp");
  record.set_region("320000");
  record.set_period(period);
  record.set_value(value);
  record.set_unit("亿元");
  record.set_measure(proto::MEASURE_KIND_CURRENT);
  record.set_value_kind(proto::VALUE_KIND_LEVEL);
  record.set_status(proto::DATA_STATUS_FINAL_VERIFICATION);
  record.set_revision(1);
  record.set_catalog_version(1);
  return record.SerializeAsString();
}

TEST(FormatsTest, DocumentedVectorsRecompute) {
  std::map<std::string, std::string> vectors = ReadVectors();
  bool print = std::getenv("YREB_PRINT_VECTORS") != nullptr;
  std::ostringstream computed;

  std::string seed = Bytes(vectors["seed"]);
  absl::StatusOr<crypto::PrivateKey> key = crypto::PrivateKey::FromSeed(seed);
  ASSERT_TRUE(key.ok()) << key.status();
  computed << "public_key = " << crypto::ToHex(key->public_key().raw()) << "\n";
  if (!print) {
    EXPECT_EQ(crypto::ToHex(key->public_key().raw()), vectors["public_key"]);
  }

  const uint32_t origin = 320000;
  const int64_t created_ms = 1764806400000;  // 2025-12-04T00:00:00Z
  const std::pair<std::string, std::string> cells[3] = {
      {"2022", "124564.2"}, {"2023", "130924.3"}, {"2024", "136696.9"}};
  crypto::Hash previous{};
  for (int i = 0; i < 3; ++i) {
    std::string body = RecordBody(cells[i].first, cells[i].second);
    std::string encoded = entry::Encode(origin, i + 1, previous, proto::ENTRY_KIND_RECORD,
                                        created_ms, body);
    crypto::Hash hash = entry::HashEntry(encoded);
    std::string n = std::to_string(i + 1);
    computed << "entry" << n << "_body = " << crypto::ToHex(body) << "\n";
    computed << "entry" << n << "_encoded = " << crypto::ToHex(encoded) << "\n";
    computed << "entry" << n << "_hash = " << crypto::ToHex(hash) << "\n";
    if (!print) {
      EXPECT_EQ(crypto::ToHex(body), vectors["entry" + n + "_body"]) << "entry " << n;
      EXPECT_EQ(crypto::ToHex(encoded), vectors["entry" + n + "_encoded"]) << "entry " << n;
      EXPECT_EQ(crypto::ToHex(hash), vectors["entry" + n + "_hash"]) << "entry " << n;
      // The documented hash is SHA-256 over the prefix, a zero byte and the
      // encoding, computed here without the library's helper.
      std::string message = std::string(entry::kEntryDomain) + std::string(1, '\0') + encoded;
      EXPECT_EQ(crypto::ToHex(crypto::Sha256(message)), vectors["entry" + n + "_hash"]);
    }
    previous = hash;
  }

  std::string head_message = entry::HeadMessage(origin, 3, previous);
  entry::Head head = entry::SignHead(*key, origin, 3, previous);
  computed << "head_message = " << crypto::ToHex(head_message) << "\n";
  computed << "head_signature = " << crypto::ToHex(crypto::AsBytes(head.signature)) << "\n";
  if (print) {
    std::cout << computed.str();
    return;
  }
  EXPECT_EQ(crypto::ToHex(head_message), vectors["head_message"]);
  EXPECT_EQ(crypto::ToHex(crypto::AsBytes(head.signature)), vectors["head_signature"]);

  // The documented signature verifies with the documented public key.
  absl::StatusOr<crypto::PublicKey> public_key =
      crypto::PublicKey::FromRaw(Bytes(vectors["public_key"]));
  ASSERT_TRUE(public_key.ok());
  EXPECT_TRUE(public_key->Verify(Bytes(vectors["head_message"]),
                                 Bytes(vectors["head_signature"])));
}

TEST(FormatsTest, DecodeRejectsDamagedEntries) {
  crypto::Hash zero{};
  std::string encoded = entry::Encode(320000, 1, zero, proto::ENTRY_KIND_RECORD, 0, "body");

  EXPECT_TRUE(entry::Decode(encoded).ok());
  EXPECT_EQ(entry::Decode(encoded.substr(0, 10)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(entry::Decode(encoded + "x").status().code(), absl::StatusCode::kInvalidArgument);

  std::string wrong_version = encoded;
  wrong_version[0] = 2;
  EXPECT_EQ(entry::Decode(wrong_version).status().code(), absl::StatusCode::kInvalidArgument);

  std::string sequence_zero = entry::Encode(320000, 0, zero, proto::ENTRY_KIND_RECORD, 0, "");
  EXPECT_EQ(entry::Decode(sequence_zero).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FormatsTest, DecodeReturnsEveryField) {
  crypto::Hash previous = crypto::Sha256("previous");
  std::string encoded =
      entry::Encode(420000, 77, previous, proto::ENTRY_KIND_IMPORT_COMMIT, 1234567, "abc");
  absl::StatusOr<entry::EntryView> view = entry::Decode(encoded);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->origin, 420000u);
  EXPECT_EQ(view->sequence, 77u);
  EXPECT_EQ(view->previous_hash, previous);
  EXPECT_EQ(view->kind, proto::ENTRY_KIND_IMPORT_COMMIT);
  EXPECT_EQ(view->created_ms, 1234567);
  EXPECT_EQ(view->body, "abc");
}

}  // namespace
}  // namespace yreb
