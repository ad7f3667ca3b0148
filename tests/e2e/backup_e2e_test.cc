// Backup and restore with real yreb-node processes, driven through yrebctl as
// an operator would: backup while writes stream in, restore offline, and the
// append block that keeps a restored node from reusing sequence numbers.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"

namespace yreb {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::NodeProcess;

const std::map<std::string, std::string> kEnglish = {{"LANGUAGE", "en"}, {"LC_ALL", "C.UTF-8"}};
constexpr uint32_t kNodeId = 320000;

// Creates a node directory and returns its config path.
std::string InitNode() {
  std::string dir = testing::MakeTempDir("backup") + "/n";
  CommandResult init = testing::RunCommand(
      {testing::BinaryPath("yrebctl"), "init", "--node-id", std::to_string(kNodeId), "--dir", dir},
      "", std::chrono::seconds(30), kEnglish);
  EXPECT_EQ(init.exit_code, 0) << init.err;
  return dir + "/node.toml";
}

CommandResult Ctl(const std::string& config, const std::vector<std::string>& args,
                  const std::string& input = "") {
  return testing::Yrebctl(config, args, input, std::chrono::seconds(60), kEnglish);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Writes a second config beside `config` that uses the same key but the data
// directory `data_dir` and its own socket, and returns its path.
std::string ConfigWithDataDir(const std::string& config, const std::string& data_dir,
                              const std::string& name) {
  std::string text = ReadFile(config);
  auto replace = [&text](const std::string& from, const std::string& to) {
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  replace("data_dir = \"data\"", "data_dir = \"" + data_dir + "\"");
  replace("admin_socket = \"run/admin.sock\"", "admin_socket = \"run/" + name + ".sock\"");
  fs::path path = fs::path(config).parent_path() / (name + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

// Returns count lines of "gdp,320000,PERIOD,VALUE", each a new revision or a
// new cell, so every line appends one entry.
std::string PutLines(int count, int seed) {
  std::string lines;
  for (int i = 0; i < count; ++i) {
    lines += fmt::format("gdp,320000,{},{}.{}\n", 1990 + i % 30, 10000 + seed + i, i % 10);
  }
  return lines;
}

json Status(const std::string& config) {
  CommandResult status = Ctl(config, {"--json", "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  return json::parse(status.out, nullptr, false);
}

uint64_t OwnSequence(const json& vector) {
  for (const json& tip : vector) {
    if (tip["origin"] == kNodeId) return tip["sequence"].get<uint64_t>();
  }
  return 0;
}

// Takes a backup of the running node of `config` into a new directory.
std::string TakeBackup(const std::string& config) {
  std::string out = testing::MakeTempDir("backup-out") + "/b";
  CommandResult backup = Ctl(config, {"--json", "backup", "--out", out});
  EXPECT_EQ(backup.exit_code, 0) << backup.out << backup.err;
  return out;
}

TEST(BackupE2eTest, BackupDuringPutStreamRestoresManifestVector) {
  std::string config = InitNode();
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());

  constexpr int kLines = 20000;
  CommandResult stream;
  std::thread writer([&] { stream = Ctl(config, {"put", "--stdin"}, PutLines(kLines, 0)); });
  // Start the backup once the stream has written something, so it lands
  // while writes go on.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (OwnSequence(Status(config)["version_vector"]) < 200 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string backup = TakeBackup(config);
  writer.join();
  ASSERT_EQ(stream.exit_code, 0) << stream.err;
  uint64_t final_sequence = OwnSequence(Status(config)["version_vector"]);
  EXPECT_EQ(final_sequence, static_cast<uint64_t>(kLines));
  ASSERT_EQ(node.Stop(), 0);

  json manifest = json::parse(ReadFile(fs::path(backup) / "manifest.json"), nullptr, false);
  ASSERT_TRUE(manifest.is_object());
  EXPECT_EQ(manifest["node_id"], kNodeId);
  EXPECT_EQ(manifest["format"], "yreb-sync-backup-1");
  uint64_t backup_sequence = OwnSequence(manifest["version_vector"]);
  EXPECT_GE(backup_sequence, 200u);
  EXPECT_LE(backup_sequence, final_sequence);
  std::cerr << "backup holds entries 1-" << backup_sequence << " of " << final_sequence << "\n";
  for (const json& file : manifest["files"]) {
    EXPECT_TRUE(fs::exists(fs::path(backup) / file["path"].get<std::string>())) << file;
  }
  // The node removes its staging copy once the stream ends.
  fs::path backups_dir = fs::path(config).parent_path() / "backups";
  EXPECT_TRUE(fs::is_empty(backups_dir));

  std::string restored_config = ConfigWithDataDir(config, "fresh/data", "restored");
  CommandResult restore = Ctl(restored_config, {"--json", "restore", "--from", backup});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_EQ(json::parse(restore.out)["kept"], "");
  EXPECT_EQ(json::parse(restore.out)["sequence"], backup_sequence);

  NodeProcess restored;
  ASSERT_TRUE(restored.Start(restored_config));
  ASSERT_TRUE(restored.WaitReady());
  json status = Status(restored_config);
  ASSERT_EQ(status["version_vector"].size(), manifest["version_vector"].size());
  for (size_t i = 0; i < status["version_vector"].size(); ++i) {
    EXPECT_EQ(status["version_vector"][i]["origin"], manifest["version_vector"][i]["origin"]);
    EXPECT_EQ(status["version_vector"][i]["sequence"], manifest["version_vector"][i]["sequence"]);
    EXPECT_EQ(status["version_vector"][i]["hash"], manifest["version_vector"][i]["hash"]);
  }
  CommandResult verify = Ctl(restored_config, {"--json", "verify"});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(json::parse(verify.out)["ok"], true);
  EXPECT_EQ(json::parse(verify.out)["entries_checked"], backup_sequence);
}

TEST(BackupE2eTest, RestoredNodeBlocksAppendsUntilOverride) {
  std::string config = InitNode();
  std::string backup;
  {
    NodeProcess node;
    ASSERT_TRUE(node.Start(config));
    ASSERT_TRUE(node.WaitReady());
    ASSERT_EQ(Ctl(config, {"put", "--stdin"}, PutLines(50, 0)).exit_code, 0);
    backup = TakeBackup(config);
    // Entries after the backup: the restored store lacks them.
    ASSERT_EQ(Ctl(config, {"put", "--stdin"}, PutLines(10, 500)).exit_code, 0);
    ASSERT_EQ(node.Stop(), 0);
  }

  CommandResult restore = Ctl(config, {"restore", "--from", backup});
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_NE(restore.out.find("restored the backup"), std::string::npos) << restore.out;
  EXPECT_NE(restore.out.find("data.before-restore-"), std::string::npos) << restore.out;
  int kept_dirs = 0;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(fs::path(config).parent_path())) {
    if (entry.path().filename().string().starts_with("data.before-restore-")) ++kept_dirs;
  }
  EXPECT_EQ(kept_dirs, 1);

  {
    NodeProcess node;
    ASSERT_TRUE(node.Start(config));
    ASSERT_TRUE(node.WaitReady());
    json status = Status(config);
    EXPECT_EQ(status["append_allowed"], false);
    EXPECT_NE(status["append_blocked_reason"].get<std::string>().find(
                  "restored from a backup"),
              std::string::npos)
        << status;
    EXPECT_EQ(OwnSequence(status["version_vector"]), 50u);
    CommandResult put = Ctl(config, {"put", "--indicator", "gdp", "--region", "320000",
                                     "--period", "2024", "--value", "1"});
    EXPECT_NE(put.exit_code, 0);
    EXPECT_NE(put.err.find("restored from a backup"), std::string::npos) << put.err;
    EXPECT_NE(put.err.find("--accept-restored-log"), std::string::npos) << put.err;
    ASSERT_EQ(node.Stop(), 0);
  }

  // The override is needed once: the marker is gone afterwards.
  for (bool with_override : {true, false}) {
    NodeProcess node;
    std::vector<std::string> flags;
    if (with_override) flags.push_back("--accept-restored-log");
    ASSERT_TRUE(node.Start(config, flags));
    ASSERT_TRUE(node.WaitReady());
    EXPECT_EQ(Status(config)["append_allowed"], true);
    CommandResult put =
        Ctl(config, {"--json", "put", "--indicator", "gdp", "--region", "320000", "--period",
                     with_override ? "2024" : "2025", "--value", "1"});
    ASSERT_EQ(put.exit_code, 0) << put.err;
    EXPECT_EQ(json::parse(put.out)["sequence"], with_override ? 51 : 52);
    ASSERT_EQ(node.Stop(), 0);
  }
}

TEST(BackupE2eTest, RestoreRejectedWhileNodeRuns) {
  std::string config = InitNode();
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  ASSERT_EQ(Ctl(config, {"put", "--stdin"}, PutLines(5, 0)).exit_code, 0);
  std::string backup = TakeBackup(config);

  CommandResult restore = Ctl(config, {"restore", "--from", backup});
  EXPECT_EQ(restore.exit_code, 1);
  EXPECT_NE(restore.err.find("is in use"), std::string::npos) << restore.err;
  EXPECT_NE(restore.err.find("stop it first"), std::string::npos) << restore.err;
  // Nothing changed: the node still runs on its own data and appends.
  for (const fs::directory_entry& entry :
       fs::directory_iterator(fs::path(config).parent_path())) {
    EXPECT_FALSE(entry.path().filename().string().starts_with("data.")) << entry.path();
  }
  CommandResult put = Ctl(config, {"--json", "put", "--indicator", "gdp", "--region", "320000",
                                   "--period", "2024", "--value", "1"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(json::parse(put.out)["sequence"], 6);
}

TEST(BackupE2eTest, TamperedBackupRejectedWithFileName) {
  std::string config = InitNode();
  std::string backup;
  {
    NodeProcess node;
    ASSERT_TRUE(node.Start(config));
    ASSERT_TRUE(node.WaitReady());
    ASSERT_EQ(Ctl(config, {"put", "--stdin"}, PutLines(100, 0)).exit_code, 0);
    backup = TakeBackup(config);
    ASSERT_EQ(node.Stop(), 0);
  }

  // One flipped byte in a table file.
  fs::path table;
  for (const fs::directory_entry& entry : fs::directory_iterator(fs::path(backup) / "db")) {
    if (entry.path().extension() == ".sst") table = entry.path();
  }
  ASSERT_FALSE(table.empty());
  std::string bytes = ReadFile(table);
  bytes[bytes.size() / 2] ^= 0x01;
  std::ofstream(table, std::ios::binary | std::ios::trunc) << bytes;

  std::string name = "db/" + table.filename().string();
  CommandResult restore = Ctl(config, {"restore", "--from", backup});
  EXPECT_EQ(restore.exit_code, 1);
  EXPECT_NE(restore.err.find("backup file " + name + " is damaged"), std::string::npos)
      << restore.err;

  // An unlisted file is rejected by name too.
  std::ofstream(fs::path(backup) / "db" / "extra.sst") << "x";
  restore = Ctl(config, {"restore", "--from", backup});
  EXPECT_NE(restore.err.find("db/extra.sst is not listed"), std::string::npos) << restore.err;

  // No manifest: an interrupted backup.
  fs::remove(fs::path(backup) / "manifest.json");
  restore = Ctl(config, {"restore", "--from", backup});
  EXPECT_EQ(restore.exit_code, 2);
  EXPECT_NE(restore.err.find("is not a complete backup"), std::string::npos) << restore.err;

  // The data directory was never touched: the node appends at once.
  NodeProcess node;
  ASSERT_TRUE(node.Start(config));
  ASSERT_TRUE(node.WaitReady());
  EXPECT_EQ(Status(config)["append_allowed"], true);
  EXPECT_EQ(OwnSequence(Status(config)["version_vector"]), 100u);
}

TEST(BackupE2eTest, BackupOfAnotherKeyRejected) {
  std::string config = InitNode();
  std::string backup;
  {
    NodeProcess node;
    ASSERT_TRUE(node.Start(config));
    ASSERT_TRUE(node.WaitReady());
    ASSERT_EQ(Ctl(config, {"put", "--stdin"}, PutLines(3, 0)).exit_code, 0);
    backup = TakeBackup(config);
    ASSERT_EQ(node.Stop(), 0);
  }
  std::string other = InitNode();  // same province, another key
  CommandResult restore = Ctl(other, {"restore", "--from", backup});
  EXPECT_EQ(restore.exit_code, 1);
  EXPECT_NE(restore.err.find("the backup was made with key"), std::string::npos) << restore.err;

  std::string manifest = ReadFile(fs::path(backup) / "manifest.json");
  size_t at = manifest.find("\"node_id\": 320000");
  ASSERT_NE(at, std::string::npos);
  manifest.replace(at, 17, "\"node_id\": 420000");
  std::ofstream(fs::path(backup) / "manifest.json", std::ios::trunc) << manifest;
  restore = Ctl(config, {"restore", "--from", backup});
  EXPECT_EQ(restore.exit_code, 1);
  EXPECT_NE(restore.err.find("the backup belongs to node 420000"), std::string::npos)
      << restore.err;
}

}  // namespace
}  // namespace yreb
