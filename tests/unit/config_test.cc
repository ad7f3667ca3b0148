#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "node/config.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

std::string WriteConfig(const std::string& text) {
  std::string path = testing::MakeTempDir("config") + "/node.toml";
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, DefaultTextLoadsWithResolvedPaths) {
  std::string path = WriteConfig(node::DefaultConfigText(420000));
  absl::StatusOr<node::Config> config = node::LoadConfig(path);
  ASSERT_TRUE(config.ok()) << config.status();
  std::string dir = std::filesystem::path(path).parent_path().string();
  EXPECT_EQ(config->node_id, 420000u);
  EXPECT_EQ(config->data_dir, dir + "/data");
  EXPECT_EQ(config->key_file, dir + "/node.key");
  EXPECT_EQ(config->admin_socket, dir + "/run/admin.sock");
  EXPECT_EQ(config->head_interval, 1024u);
  EXPECT_TRUE(config->sync_writes);
  EXPECT_EQ(config->log_level, "info");
}

TEST(ConfigTest, MissingFileNamesThePathAndTheFix) {
  absl::StatusOr<node::Config> config = node::LoadConfig("/nonexistent/node.toml");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(config.status().message().find("/nonexistent/node.toml"), std::string::npos);
  EXPECT_NE(config.status().message().find("yrebctl init"), std::string::npos);
}

TEST(ConfigTest, UnknownKeyNamesLineAndKey) {
  std::string path = WriteConfig("[node]\nid = 320000\ndata_dri = \"data\"\n");
  absl::StatusOr<node::Config> config = node::LoadConfig(path);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find(path + ":3"), std::string::npos)
      << config.status().message();
  EXPECT_NE(config.status().message().find("unknown key node.data_dri"), std::string::npos);
}

TEST(ConfigTest, WrongTypeNamesLineAndType) {
  std::string path = WriteConfig("[node]\nid = \"320000\"\n");
  absl::StatusOr<node::Config> config = node::LoadConfig(path);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find(path + ":2: node.id must be an integer"),
            std::string::npos)
      << config.status().message();
}

TEST(ConfigTest, NonMemberNodeIdIsRejected) {
  std::string path = WriteConfig("[node]\nid = 110000\n");
  absl::StatusOr<node::Config> config = node::LoadConfig(path);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("node.id 110000 is not a member province code"),
            std::string::npos)
      << config.status().message();
}

TEST(ConfigTest, InvalidTomlNamesLine) {
  std::string path = WriteConfig("[node]\nid = 320000\nlevel = = 3\n");
  absl::StatusOr<node::Config> config = node::LoadConfig(path);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find(path + ":3: invalid TOML"), std::string::npos)
      << config.status().message();
}

TEST(ConfigTest, OutOfRangeHeadInterval) {
  std::string path = WriteConfig("[node]\nid = 320000\n[storage]\nhead_interval = 5000\n");
  absl::StatusOr<node::Config> config = node::LoadConfig(path);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("head_interval must be between 1 and 1024"),
            std::string::npos);
}

TEST(ConfigTest, MissingNodeSection) {
  std::string path = WriteConfig("[log]\nlevel = \"info\"\n");
  absl::StatusOr<node::Config> config = node::LoadConfig(path);
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("missing section [node]"), std::string::npos);
}

}  // namespace
}  // namespace yreb
