// Importing the real published files into real node processes, as a bureau's
// operator does, and exporting them again.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "crypto/crypto.h"
#include "node/config.h"
#include "proto/admin.grpc.pb.h"
#include "proto/entry.h"
#include "proto/record.pb.h"
#include "storage/store.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::NodeProcess;

const std::map<std::string, std::string> kEnglish = {{"LANGUAGE", "en"}, {"LC_ALL", "C.UTF-8"}};

std::string Testdata(const std::string& path) { return testing::TestdataDir() + "/" + path; }

const std::string kGdp = "nbs-fsnd-multi-2006-2025-renjiyi/分省年度数据.csv";
const std::string kHubeiRealEstate = "nbs-fsyd-realestate-yreb-2017-2019-wyq/csvFile/湖北.csv";
const std::string kCensus = "census-prefecture-pop-2010-2020-leiii/census_city_2010-2020_v1.csv";
const std::string kCensusMapping =
    "census-prefecture-pop-2010-2020-leiii/census_city_2010-2020_v1.mapping.toml";
const std::string kMojibake = "damaged-mojibake-quarterly-gdp-hede/分省季度数据-生产总值.csv";

// A running node of `node_id` in a fresh directory.
class Node {
 public:
  explicit Node(uint32_t node_id) {
    dir_ = testing::MakeTempDir("import") + "/n";
    CommandResult init = testing::RunCommand({testing::BinaryPath("yrebctl"), "init",
                                              "--node-id", std::to_string(node_id), "--dir", dir_},
                                             "", std::chrono::seconds(30), kEnglish);
    EXPECT_EQ(init.exit_code, 0) << init.err;
    config_ = dir_ + "/node.toml";
    Start();
  }

  void Start() {
    EXPECT_TRUE(process_.Start(config_, {}, dir_ + "/node.log"));
    EXPECT_TRUE(process_.WaitReady());
  }

  CommandResult Ctl(const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    return testing::Yrebctl(config_, args, "", timeout, kEnglish);
  }

  json Json(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--json"};
    full.insert(full.end(), args.begin(), args.end());
    CommandResult result = Ctl(full);
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    return json::parse(result.out.empty() ? "null" : result.out);
  }

  // Returns the latest value of a cell, or "" when it has none.
  std::string Value(const std::string& indicator, const std::string& region,
                    const std::string& period) {
    json rows = Json({"query", "--indicator", indicator, "--region", region, "--from", period,
                      "--to", period});
    return rows.empty() ? "" : rows[0]["value"].get<std::string>();
  }

  json Vector() { return Json({"status"})["version_vector"]; }

  NodeProcess& process() { return process_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string config_;
  NodeProcess process_;
};

TEST(ImportE2eTest, JiangsuGdpFromPortalExport) {
  Node node(320000);
  json report = node.Json({"import", Testdata(kGdp), "--status", "final"});
  EXPECT_EQ(report["format"], "portal");
  EXPECT_EQ(report["encoding"], "GB18030");
  EXPECT_EQ(report["new"], 19);
  EXPECT_EQ(report["skipped"], 30);
  EXPECT_EQ(report["skipped_by_region"].size(), 30u);
  EXPECT_EQ(node.Value("gdp", "320000", "2023"), "130924.3");
  EXPECT_EQ(node.Value("gdp", "320000", "2024"), "136696.9");
  EXPECT_EQ(node.Value("gdp", "330000", "2023"), "");
  // The empty 2025 column stores nothing.
  EXPECT_EQ(node.Value("gdp", "320000", "2025"), "");

  json again = node.Json({"import", Testdata(kGdp), "--status", "final"});
  EXPECT_EQ(again["new"], 0);
  EXPECT_EQ(again["unchanged"], 19);
  EXPECT_EQ(node.Vector()[0]["sequence"], 20);  // 19 records and one commit
}

TEST(ImportE2eTest, HubeiMonthlyRealEstate) {
  Node node(420000);
  json report = node.Json({"import", Testdata(kHubeiRealEstate), "--status", "final"});
  EXPECT_EQ(report["format"], "portal");
  json december = node.Json({"query", "--indicator", "realestate_invest_cum", "--region",
                             "420000", "--from", "2019-M12", "--to", "2019-M12"});
  ASSERT_EQ(december.size(), 1u);
  EXPECT_EQ(december[0]["value"], "5111.73");
  json february = node.Json({"query", "--indicator", "realestate_invest_cum", "--region",
                             "420000", "--from", "2019-M02", "--to", "2019-M02"});
  ASSERT_EQ(february.size(), 1u);
  EXPECT_EQ(february[0]["value"], "421.12");
  EXPECT_EQ(february[0]["note"], "1-2月累计值，1月数据不单独发布");
}

// An import serializes each record in two parts on the thread that reads
// the file and joins them with the revision and import id on the writer.
// The stored bytes must be exactly what protobuf writes for the record,
// as every node hashes and verifies those bytes.
TEST(ImportE2eTest, StoredRecordsAreCanonical) {
  Node node(420000);
  json report = node.Json({"import", Testdata(kHubeiRealEstate), "--status", "final"});
  ASSERT_GT(report["new"].get<int>(), 100);
  // A revision, a note with a comma and quotes, and a status per row.
  std::string file = node.dir() + "/revise.csv";
  std::ofstream(file, std::ios::binary)
      << "indicator,region,period,value,status,note\n"
         "realestate_invest_cum,420000,2019-M12,5111.74,revised,\"修订, 见\"\"说明\"\"\"\n"
         "gdp,420000,2019,45828.31,final_verification,\n";
  json revise = node.Json({"import", file});
  EXPECT_EQ(revise["revised"], 1);
  EXPECT_EQ(revise["new"], 1);
  node.process().Stop();

  auto store = storage::Store::OpenReadOnly(node.dir() + "/data");
  ASSERT_TRUE(store.ok()) << store.status();
  int records = 0;
  std::vector<std::string> notes;
  std::vector<std::string> file_hashes;
  absl::Status scanned =
      (*store)->ScanEntries(420000, 1, [&](uint64_t sequence, std::string_view encoded) {
        absl::StatusOr<entry::EntryView> view = entry::Decode(encoded);
        EXPECT_TRUE(view.ok()) << sequence;
        if (view.ok() && view->kind == proto::ENTRY_KIND_IMPORT_COMMIT) {
          proto::ImportCommit commit;
          EXPECT_TRUE(commit.ParseFromString(std::string(view->body))) << sequence;
          file_hashes.push_back(commit.file_sha256());
        }
        if (!view.ok() || view->kind != proto::ENTRY_KIND_RECORD) return true;
        proto::Record record;
        EXPECT_TRUE(record.ParseFromString(std::string(view->body))) << sequence;
        EXPECT_EQ(record.SerializeAsString(), view->body) << "entry " << sequence;
        EXPECT_NE(record.import_id(), 0u) << sequence;
        ++records;
        if (record.revision() == 2) notes.push_back(record.note());
        return true;
      });
  ASSERT_TRUE(scanned.ok()) << scanned;
  EXPECT_EQ(records, report["new"].get<int>() + 2);
  EXPECT_EQ(notes, std::vector<std::string>{"修订, 见\"说明\""});
  // Each commit names the SHA-256 of the file's bytes.
  auto file_hash = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return crypto::ToHex(crypto::Sha256(bytes.str()));
  };
  EXPECT_EQ(file_hashes,
            (std::vector<std::string>{file_hash(Testdata(kHubeiRealEstate)), file_hash(file)}));
}

TEST(ImportE2eTest, CensusTableWithMappingFile) {
  Node node(420000);
  json report = node.Json({"import", Testdata(kCensus), "--mapping", Testdata(kCensusMapping),
                           "--status", "final"});
  EXPECT_EQ(report["format"], "mapping");
  EXPECT_GT(report["skipped"].get<int>(), 300);
  EXPECT_EQ(node.Value("pop_census", "420100", "2020"), "12326518");
  EXPECT_EQ(node.Value("pop_census", "320100", "2020"), "");
}

TEST(ImportE2eTest, EditedValueAddsExactlyOneRevision) {
  Node node(320000);
  node.Json({"import", Testdata(kGdp), "--status", "final"});
  std::string exported = node.dir() + "/gdp.csv";
  ASSERT_EQ(node.Ctl({"export", "--indicator", "gdp", "--out", exported}).exit_code, 0);

  std::ifstream in(exported, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  // A row's own status wins over the --status option, so the edit marks the
  // row as revised.
  const std::string original = ",2023,130924.3,亿元,current,level,final_verification,";
  const std::string revised = ",2023,130924.5,亿元,current,level,revised,";
  size_t at = text.find(original);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, original.size(), revised);
  std::string edited = node.dir() + "/gdp-edited.csv";
  std::ofstream(edited, std::ios::binary) << text;

  json report = node.Json({"import", edited, "--status", "revised"});
  EXPECT_EQ(report["format"], "long-csv");
  EXPECT_EQ(report["new"], 0);
  EXPECT_EQ(report["revised"], 1);
  EXPECT_EQ(report["unchanged"], 18);
  json history = node.Json({"query", "--indicator", "gdp", "--region", "320000", "--from",
                            "2023", "--to", "2023", "--history"});
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["value"], "130924.3");
  EXPECT_EQ(history[0]["revision"], 1);
  EXPECT_EQ(history[1]["value"], "130924.5");
  EXPECT_EQ(history[1]["revision"], 2);
  EXPECT_EQ(history[1]["status"], "revised");
}

TEST(ImportE2eTest, ExportImportsBackUnchanged) {
  Node source(420000);
  source.Json({"import", Testdata(kHubeiRealEstate), "--status", "final"});
  for (const char* encoding : {"utf8", "gb18030"}) {
    std::string exported = source.dir() + "/all-" + encoding + ".csv";
    ASSERT_EQ(source.Ctl({"export", "--encoding", encoding, "--out", exported}).exit_code, 0);
    Node target(420000);
    json report = target.Json({"import", exported});
    EXPECT_TRUE(report["errors"].empty()) << report.dump();
    EXPECT_EQ(report["encoding"], std::string(encoding) == "utf8" ? "UTF-8 with BOM" : "GB18030");
    std::string again = target.dir() + "/again.csv";
    ASSERT_EQ(target.Ctl({"export", "--encoding", encoding, "--out", again}).exit_code, 0);
    std::ifstream first(exported, std::ios::binary), second(again, std::ios::binary);
    std::stringstream a, b;
    a << first.rdbuf();
    b << second.rdbuf();
    EXPECT_EQ(a.str(), b.str()) << encoding;
  }
}

TEST(ImportE2eTest, BadFilesAreRejectedAndStoreNothing) {
  Node node(320000);
  node.Json({"import", Testdata(kGdp), "--status", "final"});
  json before = node.Vector();

  std::string dir = node.dir();
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name, std::ios::binary) << text;
    return dir + "/" + name;
  };
  const std::string header =
      "indicator,region,region_name,period,value,unit,measure,value_kind,status,revision,note\n";
  struct Case {
    std::string file;
    std::string reason;
  };
  const Case cases[] = {
      {write("empty.csv", ""), "empty"},
      {write("binary.csv", std::string("PK\x03\x04\x00\x00\x01\x02", 8)), "binary"},
      {Testdata(kMojibake), "text encoding is unreadable"},
      {write("columns.csv", header + "gdp,320000,江苏省,2023,1,亿元,current,level,,,,extra\n"),
       "columns"},
      {write("number.csv", header + "gdp,320000,江苏省,2022,12a4,亿元,,,,,\n"), "12a4"},
      {write("region.csv", header + "gdp,329999,,2022,1,亿元,,,,,\n"), "329999"},
      {write("indicator.csv", header + "no_such_indicator,320000,,2022,1,,,,,,\n"),
       "no_such_indicator"},
      {write("duplicate.csv",
             header + "gdp,320000,,2022,1,亿元,,,,,\ngdp,320000,,2022,2,亿元,,,,,\n"),
       "line 2"},
  };
  for (const Case& c : cases) {
    CommandResult result = node.Ctl({"import", c.file, "--status", "final"});
    EXPECT_EQ(result.exit_code, 2) << c.file << "\n" << result.out << result.err;
    EXPECT_NE(result.err.find(c.reason), std::string::npos)
        << c.file << ": expected \"" << c.reason << "\" in:\n" << result.err;
    EXPECT_EQ(node.Vector(), before) << c.file;
  }

  CommandResult no_status = node.Ctl({"import", Testdata(kGdp)});
  EXPECT_EQ(no_status.exit_code, 2);
  EXPECT_NE(no_status.err.find("--status"), std::string::npos) << no_status.err;
  EXPECT_EQ(node.Vector(), before);

  CommandResult missing = node.Ctl({"import", dir + "/no-such-file.csv"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no-such-file.csv"), std::string::npos);
}

// Sends `pieces` through ImportUpload, the first with the file's options
// and `announced` as its size; returns the status and fills `reply`.
grpc::Status Upload(const std::string& config_path, uint64_t announced,
                    const std::vector<std::string>& pieces, proto::ImportReply* reply) {
  absl::StatusOr<node::Config> config = node::LoadConfig(config_path);
  if (!config.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "no config");
  auto stub = proto::Admin::NewStub(
      grpc::CreateChannel("unix:" + config->admin_socket, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  context.AddMetadata("yreb-lang", "en");
  std::unique_ptr<grpc::ClientWriter<proto::ImportRequest>> writer =
      stub->ImportUpload(&context, reply);
  for (size_t i = 0; i < pieces.size(); ++i) {
    proto::ImportRequest request;
    if (i == 0) {
      request.set_file_name("pieces.csv");
      request.set_content_size(announced);
      request.set_status(proto::DATA_STATUS_FINAL_VERIFICATION);
    }
    request.set_content(pieces[i]);
    if (!writer->Write(request)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

TEST(ImportE2eTest, UploadChecksTheAnnouncedSize) {
  Node node(320000);
  const std::string file =
      "indicator,region,period,value,unit\ngdp,320000,2021,1.5,亿元\ngdp,320000,2022,2.5,亿元\n";
  const std::string config = node.dir() + "/node.toml";
  struct Case {
    uint64_t announced;
    std::vector<std::string> pieces;
    std::string reason;
  };
  const Case bad[] = {
      {file.size() + 1, {file.substr(0, 20), file.substr(20)}, "announced 90 bytes and sent 89"},
      {10, {file.substr(0, 20), file.substr(20)}, "announced 10 bytes and sent 20"},
      {600ull << 20, {file}, "more than the 536870912"},
      {0, {}, "the upload carries no file"},
  };
  ASSERT_EQ(file.size(), 89u);
  for (const Case& c : bad) {
    proto::ImportReply reply;
    grpc::Status status = Upload(config, c.announced, c.pieces, &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.reason;
    EXPECT_NE(status.error_message().find(c.reason), std::string::npos)
        << c.reason << ": " << status.error_message();
    EXPECT_TRUE(node.Vector().empty()) << c.reason;
  }

  proto::ImportReply reply;
  grpc::Status status =
      Upload(config, file.size(), {file.substr(0, 7), file.substr(7, 30), file.substr(37)},
             &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.new_records(), 2u);
  EXPECT_EQ(node.Value("gdp", "320000", "2022"), "2.5");
}

TEST(ImportE2eTest, FileOfAnotherProvinceIsRejected) {
  Node node(320000);
  CommandResult result = node.Ctl({"import", Testdata(kHubeiRealEstate), "--status", "final"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("the file holds no rows of 江苏省 (320000)"), std::string::npos)
      << result.err;
  EXPECT_TRUE(node.Vector().empty());
}

TEST(ImportE2eTest, DryRunStoresNothing) {
  Node node(320000);
  json report = node.Json({"import", Testdata(kGdp), "--status", "final", "--dry-run"});
  EXPECT_EQ(report["new"], 19);
  EXPECT_TRUE(node.Vector().empty());
}

int EnvOr(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::atoi(value) : fallback;
}

// A long CSV of `rows` monthly cells of two indicators, with values that
// name the round, so a partial import would show as a mix.
std::string GeneratedImport(int rows, int round) {
  std::string text =
      "indicator,region,region_name,period,value,unit,measure,value_kind,status,revision,note\n";
  for (int i = 0; i < rows; ++i) {
    const char* indicator = i % 2 == 0 ? "realestate_invest_cum" : "realestate_residential_invest_cum";
    int cell = i / 2;
    text += fmt::format("{},320000,,{}-M{:02d},{}.{},亿元,,,,,\n", indicator, 1000 + cell / 12,
                        cell % 12 + 1, round + 1, i);
  }
  return text;
}

// Counts the cells of the generated import whose latest value comes from
// `round`.
int CountRound(Node& node, int round) {
  int count = 0;
  std::string prefix = std::to_string(round + 1) + ".";
  for (const char* indicator : {"realestate_invest_cum", "realestate_residential_invest_cum"}) {
    json rows = node.Json({"query", "--indicator", indicator, "--region", "320000"});
    for (const json& row : rows) {
      if (row["value"].get<std::string>().starts_with(prefix)) ++count;
    }
  }
  return count;
}

TEST(ImportE2eTest, KilledImportIsWhollyPresentOrAbsent) {
  const int rows = EnvOr("YREB_IMPORT_CRASH_ROWS", 200000);
  const int kills = EnvOr("YREB_IMPORT_CRASH_KILLS", 10);
  Node node(320000);
  std::mt19937 random(std::random_device{}());
  int present = 0, absent = 0;
  for (int round = 0; round < kills; ++round) {
    std::string file = node.dir() + "/generated.csv";
    std::ofstream(file, std::ios::binary) << GeneratedImport(rows, round);
    auto import = std::async(std::launch::async, [&] {
      return node.Ctl({"import", file, "--status", "preliminary"}, std::chrono::seconds(120));
    });
    std::uniform_int_distribution<int> delay(200, 2500);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay(random)));
    node.process().Signal(SIGKILL);
    CommandResult result = import.get();
    node.Start();

    CommandResult verify = node.Ctl({"verify"});
    ASSERT_EQ(verify.exit_code, 0) << "round " << round << ": " << verify.out;
    int count = CountRound(node, round);
    if (result.exit_code == 0) {
      EXPECT_EQ(count, rows) << "round " << round << " was acknowledged";
    }
    ASSERT_TRUE(count == 0 || count == rows)
        << "round " << round << ": " << count << " of " << rows << " rows visible";
    (count == 0 ? absent : present)++;
  }
  std::cout << "imports killed: " << kills << ", wholly present: " << present
            << ", wholly absent: " << absent << "\n";
}

}  // namespace
}  // namespace yreb
