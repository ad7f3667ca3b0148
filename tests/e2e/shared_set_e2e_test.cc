// Shared sets on eleven real yreb-node processes with the real data. The
// lead seals 2019-Q4 over the monthly real-estate investment files and 2022
// over the annual GDP export, and every node recomputes and verifies each
// release. A release falsified with the lead's own key raises a mismatch
// alarm on every other node.
//
// The tests of this suite share one federation and run in the order written:
// each builds on the releases of the one before.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <iconv.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "crypto/crypto.h"
#include "node/config.h"
#include "proto/coordinator.pb.h"
#include "proto/entry.h"
#include "storage/store.h"
#include "sync/coordination_index.h"
#include "sync/origin_log.h"
#include "tests/support/federation.h"
#include "tests/support/http.h"

namespace yreb {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::Federation;

constexpr uint32_t kLead = 310000;
constexpr uint32_t kWithheld = 430000;  // Hunan imports its real-estate file late
constexpr uint32_t kReference = 420000;
const std::vector<uint32_t> kMembers = {310000, 320000, 330000, 340000, 360000, 420000,
                                        430000, 500000, 510000, 520000, 530000};
const std::map<uint32_t, std::string> kRealEstateFile = {
    {310000, "上海"}, {320000, "江苏"}, {330000, "浙江"}, {340000, "安徽"},
    {360000, "江西"}, {420000, "湖北"}, {430000, "湖南"}, {500000, "重庆"},
    {510000, "四川"}, {520000, "贵州"}, {530000, "云南"}};
const std::map<uint32_t, std::string> kProvinceName = {
    {310000, "上海市"}, {320000, "江苏省"}, {330000, "浙江省"}, {340000, "安徽省"},
    {360000, "江西省"}, {420000, "湖北省"}, {430000, "湖南省"}, {500000, "重庆市"},
    {510000, "四川省"}, {520000, "贵州省"}, {530000, "云南省"}};
const std::vector<std::string> kRealEstateIndicators = {
    "realestate_invest_cum", "realestate_invest_cum_growth", "realestate_residential_invest_cum",
    "realestate_residential_invest_cum_growth"};
const std::string kGdpFile = "nbs-fsnd-multi-2006-2025-renjiyi/分省年度数据.csv";
constexpr std::string_view kCensusDir = "census-prefecture-pop-2010-2020-leiii";

std::string Testdata(const std::string& path) { return testing::TestdataDir() + "/" + path; }

std::string RealEstatePath(uint32_t id) {
  return Testdata("nbs-fsyd-realestate-yreb-2017-2019-wyq/csvFile/" + kRealEstateFile.at(id) +
                  ".csv");
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> SplitLine(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::stringstream stream(line);
  while (std::getline(stream, field, ',')) {
    if (!field.empty() && field.back() == '\r') field.pop_back();
    fields.push_back(field);
  }
  return fields;
}

// An exact sum of decimal texts with at most `kScale` digits after the point,
// kept as an integer count of 10^-kScale, written here independently of the
// code under test.
class ExactSum {
 public:
  static constexpr int kScale = 4;

  void Add(const std::string& text) {
    size_t point = text.find('.');
    std::string whole = text.substr(0, point);
    std::string fraction = point == std::string::npos ? "" : text.substr(point + 1);
    ASSERT_LE(fraction.size(), static_cast<size_t>(kScale)) << text;
    fraction.append(kScale - fraction.size(), '0');
    units_ += std::stoll(whole + fraction);
    ++count_;
  }

  // The canonical text: no trailing zeros after the point.
  std::string Text() const {
    std::string digits = std::to_string(units_);
    while (digits.size() <= static_cast<size_t>(kScale)) digits.insert(0, "0");
    std::string text =
        digits.substr(0, digits.size() - kScale) + "." + digits.substr(digits.size() - kScale);
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
  }

  int count() const { return count_; }

 private:
  long long units_ = 0;
  int count_ = 0;
};

// The December 2019 value of the row `label` in each province's file.
ExactSum DecemberSum(const std::string& label, const std::set<uint32_t>& provinces) {
  ExactSum sum;
  for (uint32_t id : provinces) {
    std::stringstream file(ReadAll(RealEstatePath(id)));
    std::string line;
    bool header_checked = false;
    while (std::getline(file, line)) {
      std::vector<std::string> fields = SplitLine(line);
      if (fields.size() > 1 && fields[0] == "指标") {
        EXPECT_EQ(fields[1], "2019年12月") << id;
        header_checked = true;
      }
      if (!fields.empty() && fields[0] == label) sum.Add(fields[1]);
    }
    EXPECT_TRUE(header_checked) << id;
  }
  return sum;
}

std::string Gb18030ToUtf8(const std::string& input) {
  iconv_t converter = iconv_open("UTF-8", "GB18030");
  std::string output(input.size() * 2, '\0');
  char* in = const_cast<char*>(input.data());
  size_t in_left = input.size();
  char* out = output.data();
  size_t out_left = output.size();
  size_t result = iconv(converter, &in, &in_left, &out, &out_left);
  iconv_close(converter);
  EXPECT_NE(result, static_cast<size_t>(-1));
  output.resize(output.size() - out_left);
  return output;
}

// The 2022 GDP of the eleven member provinces in the portal export.
ExactSum Gdp2022Sum() {
  std::stringstream file(Gb18030ToUtf8(ReadAll(Testdata(kGdpFile))));
  std::string line;
  int column = -1;
  ExactSum sum;
  std::set<std::string> names;
  for (const auto& [id, name] : kProvinceName) names.insert(name);
  while (std::getline(file, line)) {
    std::vector<std::string> fields = SplitLine(line);
    if (fields.empty()) continue;
    if (fields[0] == "地区") {
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "2022年") column = static_cast<int>(i);
      }
    } else if (column > 0 && names.contains(fields[0])) {
      sum.Add(fields[column]);
    }
  }
  EXPECT_EQ(sum.count(), 11);
  return sum;
}

const json* FindAggregate(const json& set, const std::string& indicator,
                          const std::string& period) {
  for (const json& aggregate : set["aggregates"]) {
    if (aggregate["indicator"] == indicator && aggregate["period"] == period) return &aggregate;
  }
  return nullptr;
}

std::set<std::string> MissingOf(const json& set, uint32_t province) {
  std::set<std::string> missing;
  for (const json& entry : set["provinces"]) {
    if (entry["id"] != std::to_string(province)) continue;
    for (const json& cell : entry["missing"]) {
      missing.insert(cell["indicator"].get<std::string>() + " " +
                     cell["period"].get<std::string>());
    }
  }
  return missing;
}

class SharedSets : public ::testing::Test {
 protected:
  // A fatal failure here would make googletest report every test of the
  // suite as skipped, which ctest counts as a pass. So the setup keeps its
  // error, and each test fails on it in SetUp.
  static void SetUpTestSuite() { setup_error_ = Prepare(); }
  void SetUp() override { ASSERT_EQ(setup_error_, ""); }

  // Starts the federation and imports the data. Returns what failed, or an
  // empty string.
  static std::string Prepare() {
    // The reference node also serves its status page.
    federation_ = new Federation(kMembers, kLead, {{kReference, testing::kHttpSections}});
    if (!federation_->StartAll()) return "the federation did not start";
    auto failed = [](uint32_t id, const CommandResult& result) {
      return std::to_string(id) + ": " + result.out + result.err;
    };
    for (uint32_t id : kMembers) {
      CommandResult gdp = federation_->Ctl(id, {"import", Testdata(kGdpFile), "--status", "final"});
      if (gdp.exit_code != 0) return failed(id, gdp);
      if (id == kWithheld) continue;
      CommandResult estate =
          federation_->Ctl(id, {"import", RealEstatePath(id), "--status", "final"});
      if (estate.exit_code != 0) return failed(id, estate);
    }
    CommandResult census = federation_->Ctl(
        kReference,
        {"import", Testdata(std::string(kCensusDir) + "/census_city_2010-2020_v1.csv"), "--mapping",
         Testdata(std::string(kCensusDir) + "/census_city_2010-2020_v1.mapping.toml"), "--status",
         "final"});
    if (census.exit_code != 0) return failed(kReference, census);
    if (!federation_->WaitConverged(std::chrono::seconds(90))) return "the nodes did not converge";
    return "";
  }
  static void TearDownTestSuite() {
    delete federation_;
    federation_ = nullptr;
  }

  // Seals `period` on the lead and returns the reply.
  static json Seal(const std::string& period) {
    CommandResult sealed = federation_->Ctl(kLead, {"--json", "shared", "seal", period});
    EXPECT_EQ(sealed.exit_code, 0) << sealed.out << sealed.err;
    return sealed.exit_code == 0 ? json::parse(sealed.out) : json();
  }

  // Waits until every node reports at least `count` releases verified.
  static void ExpectVerifiedEverywhere(uint64_t count) {
    for (uint32_t id : kMembers) {
      bool verified = federation_->WaitStatus(
          id,
          [&](const json& status) {
            return status["releases"].value("verified", uint64_t{0}) >= count;
          },
          std::chrono::seconds(60));
      EXPECT_TRUE(verified) << id << ": " << federation_->Status(id).dump();
    }
  }

  static Federation* federation_;
  static std::string setup_error_;
};

Federation* SharedSets::federation_ = nullptr;
std::string SharedSets::setup_error_;

TEST_F(SharedSets, StatusListsExactlyTheWithheldCells) {
  json set = federation_->Json(kLead, {"shared", "status", "2019-Q4"});
  ASSERT_TRUE(set.is_object());
  EXPECT_EQ(set["deadline"]["deadline"], "2020-01-20T23:59:59+08:00");
  EXPECT_LT(set["deadline"]["days_left"].get<int64_t>(), 0);

  std::set<std::string> expected = MissingOf(set, kReference);
  for (const std::string& indicator : kRealEstateIndicators) {
    for (const char* month : {"2019-M10", "2019-M11", "2019-M12"}) {
      std::string cell = indicator + " " + month;
      EXPECT_FALSE(expected.contains(cell)) << cell;
      expected.insert(cell);
    }
  }
  EXPECT_EQ(MissingOf(set, kWithheld), expected);

  CommandResult text = federation_->Ctl(kLead, {"shared", "status", "2019-Q4"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Hunan (430000) is missing"), std::string::npos) << text.out;
}

TEST_F(SharedSets, NextSealAfterImportIsComplete) {
  json first = Seal("2019-Q4");
  ASSERT_TRUE(first.is_object());
  EXPECT_EQ(first["release_number"], 1);
  const json* partial = FindAggregate(first, "realestate_invest_cum", "2019-M12");
  ASSERT_NE(partial, nullptr);
  EXPECT_EQ((*partial)["provinces"], 10);
  std::set<uint32_t> without(kMembers.begin(), kMembers.end());
  without.erase(kWithheld);
  EXPECT_EQ((*partial)["value"], DecemberSum("房地产投资累计值(亿元)", without).Text());

  CommandResult late =
      federation_->Ctl(kWithheld, {"import", RealEstatePath(kWithheld), "--status", "final"});
  ASSERT_EQ(late.exit_code, 0) << late.out << late.err;
  ASSERT_TRUE(federation_->WaitConverged(std::chrono::seconds(60)));

  json second = Seal("2019-Q4");
  ASSERT_TRUE(second.is_object());
  EXPECT_EQ(second["release_number"], 2);
  EXPECT_EQ(MissingOf(second, kWithheld), MissingOf(second, kReference));
  std::set<uint32_t> all(kMembers.begin(), kMembers.end());
  for (const auto& [indicator, label] : std::vector<std::pair<std::string, std::string>>{
           {"realestate_invest_cum", "房地产投资累计值(亿元)"},
           {"realestate_residential_invest_cum", "房地产住宅投资累计值(亿元)"}}) {
    const json* total = FindAggregate(second, indicator, "2019-M12");
    ASSERT_NE(total, nullptr) << indicator;
    EXPECT_EQ((*total)["provinces"], 11) << indicator;
    EXPECT_EQ((*total)["expected"], 11) << indicator;
    EXPECT_EQ((*total)["value"], DecemberSum(label, all).Text()) << indicator;
    // Ranks 1 to 11, one each.
    std::set<int> ranks;
    for (const json& share : (*total)["shares"]) ranks.insert(share["rank"].get<int>());
    EXPECT_EQ(ranks.size(), 11u);
    EXPECT_EQ(*ranks.begin(), 1);
    EXPECT_EQ(*ranks.rbegin(), 11);
  }
  // Growth rates are not summed.
  EXPECT_EQ(FindAggregate(second, "realestate_invest_cum_growth", "2019-M12"), nullptr);

  // The first release stays readable, with its ten provinces.
  json releases = federation_->Json(kReference, {"shared", "releases", "2019-Q4"});
  ASSERT_TRUE(federation_->WaitStatus(kReference, [](const json& status) {
    return status["releases"].value("verified", uint64_t{0}) >= 2;
  }));
  releases = federation_->Json(kReference, {"shared", "releases", "2019-Q4"});
  ASSERT_EQ(releases.size(), 2u) << releases.dump();
  EXPECT_EQ(releases[0]["release_number"], 1);
  EXPECT_EQ(releases[1]["release_number"], 2);
}

TEST_F(SharedSets, EveryNodeVerifiesTheReleases) {
  ExpectVerifiedEverywhere(2);
  for (uint32_t id : kMembers) {
    json releases = federation_->Json(id, {"shared", "releases", "2019-Q4"});
    ASSERT_EQ(releases.size(), 2u) << id;
    for (const json& release : releases) {
      EXPECT_EQ(release["state"], "verified") << id << ": " << release.dump();
      EXPECT_EQ(release["origin"], kLead);
    }
  }
}

TEST_F(SharedSets, AnnualSetSumsTheSourceGdp) {
  json sealed = Seal("2022");
  ASSERT_TRUE(sealed.is_object());
  EXPECT_EQ(sealed["release_number"], 1);
  EXPECT_EQ(sealed["deadline"]["deadline"], "2023-03-31T23:59:59+08:00");
  const json* gdp = FindAggregate(sealed, "gdp", "2022");
  ASSERT_NE(gdp, nullptr);
  EXPECT_EQ((*gdp)["provinces"], 11);
  EXPECT_EQ((*gdp)["value"], Gdp2022Sum().Text());
  // Jiangsu's 124564.2 of the portal export leads the belt.
  ASSERT_FALSE((*gdp)["shares"].empty());
  EXPECT_EQ((*gdp)["shares"][0]["region"], "320000");
  EXPECT_EQ((*gdp)["shares"][0]["rank"], 1);
  ExpectVerifiedEverywhere(3);
}

TEST_F(SharedSets, RevisionAppearsOnlyInTheNextRelease) {
  CommandResult revised = federation_->Ctl(
      320000, {"put", "--indicator", "realestate_invest_cum", "--region", "320000", "--period",
               "2019-M12", "--value", "12010.35", "--status", "revised"});
  ASSERT_EQ(revised.exit_code, 0) << revised.err;
  ASSERT_TRUE(federation_->WaitConverged(std::chrono::seconds(60)));
  json third = Seal("2019-Q4");
  ASSERT_TRUE(third.is_object());
  EXPECT_EQ(third["release_number"], 3);

  std::set<uint32_t> all(kMembers.begin(), kMembers.end());
  ExactSum expected = DecemberSum("房地产投资累计值(亿元)", all);
  expected.Add("1");  // Jiangsu 12009.35 -> 12010.35
  const json* total = FindAggregate(third, "realestate_invest_cum", "2019-M12");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ((*total)["value"], expected.Text());

  std::string old_export = federation_->Dir(kReference) + "/release2.csv";
  std::string new_export = federation_->Dir(kReference) + "/release3.csv";
  ASSERT_TRUE(federation_->WaitStatus(kReference, [](const json& status) {
    return status["releases"].value("verified", uint64_t{0}) >= 4;
  }));
  ASSERT_EQ(
      federation_
          ->Ctl(kReference, {"shared", "export", "2019-Q4", "--release", "2", "--out", old_export})
          .exit_code,
      0);
  ASSERT_EQ(
      federation_->Ctl(kReference, {"shared", "export", "2019-Q4", "--out", new_export}).exit_code,
      0);
  std::string jiangsu_old = "realestate_invest_cum,320000,江苏省,2019-M12,12009.35,";
  std::string jiangsu_new = "realestate_invest_cum,320000,江苏省,2019-M12,12010.35,";
  EXPECT_NE(ReadAll(old_export).find(jiangsu_old), std::string::npos);
  EXPECT_EQ(ReadAll(old_export).find(jiangsu_new), std::string::npos);
  EXPECT_NE(ReadAll(new_export).find(jiangsu_new), std::string::npos);
}

TEST_F(SharedSets, SdmxCsvExportImportsBackUnchanged) {
  // An output path that cannot be written names the path and the reason.
  CommandResult unwritable = federation_->Ctl(
      kReference, {"shared", "export", "2019-Q4", "--format", "csv", "--out",
                   "/nonexistent-yreb-dir/x.csv"});
  EXPECT_NE(unwritable.exit_code, 0);
  EXPECT_NE(unwritable.err.find(
                "cannot write /nonexistent-yreb-dir/x.csv: No such file or directory"),
            std::string::npos)
      << unwritable.err;

  std::string exported = federation_->Dir(320000) + "/release3.sdmx.csv";
  CommandResult written = federation_->Ctl(
      320000, {"shared", "export", "2019-Q4", "--format", "sdmx-csv", "--out", exported});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  std::string content = ReadAll(exported);
  EXPECT_TRUE(content.starts_with(
      "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,OBS_STATUS,"
      "UNIT_MEASURE,UNIT_MULT\r\n"))
      << content.substr(0, 200);
  EXPECT_NE(content.find("dataflow,YREB:YREB_SHARED(1.0.0),I,M,320000,realestate_invest_cum,"
                         "2019-M12,12010.35,B,亿元,8\r\n"),
            std::string::npos);

  // Each province's node reads its own rows back as unchanged and skips the
  // others' rows.
  for (uint32_t id : {320000u, kWithheld}) {
    json imported = federation_->Json(id, {"import", exported});
    ASSERT_TRUE(imported.is_object()) << id;
    EXPECT_EQ(imported["format"], "sdmx-csv");
    EXPECT_EQ(imported["new"], 0) << imported.dump();
    EXPECT_EQ(imported["revised"], 0) << imported.dump();
    EXPECT_EQ(imported["unchanged"], 12) << imported.dump();
    EXPECT_EQ(imported["skipped"], 120) << imported.dump();
  }
}

// Appends `body` as a release entry to the lead's own log with the lead's
// key, while the lead is stopped.
void AppendAsLead(Federation& federation,
                  const std::function<std::string(const storage::Store&)>& make_body) {
  absl::StatusOr<node::Config> config = node::LoadConfig(federation.Config(kLead));
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<crypto::PrivateKey> key = crypto::ReadPrivateKey(config->key_file);
  ASSERT_TRUE(key.ok()) << key.status();
  auto store = storage::Store::Open(config->data_dir, {});
  ASSERT_TRUE(store.ok()) << store.status();
  std::string body = make_body(**store);
  ASSERT_FALSE(body.empty());
  auto log = sync::OriginLog::Open(store->get(), &*key, kLead, {});
  ASSERT_TRUE(log.ok()) << log.status();
  absl::Status appended = (*log)->Run([&](sync::AppendContext& context) {
    context.Append(proto::ENTRY_KIND_RELEASE, body);
    return absl::OkStatus();
  });
  ASSERT_TRUE(appended.ok()) << appended;
}

// Returns the stored release of 2019-Q4 with the highest number.
proto::Release NewestQuarterRelease(const storage::Store& store) {
  proto::Release newest;
  absl::Status scanned = sync::ScanCoordination(
      store, proto::ENTRY_KIND_RELEASE, [&](const sync::CoordinationRef& ref) {
        auto encoded = store.GetEntry(ref.origin, ref.sequence);
        if (!encoded.ok() || !encoded->has_value()) return true;
        auto view = entry::Decode(**encoded);
        proto::Release release;
        if (view.ok() &&
            release.ParseFromArray(view->body.data(), static_cast<int>(view->body.size())) &&
            release.period() == "2019-Q4" && release.release_number() > newest.release_number()) {
          newest = release;
        }
        return true;
      });
  EXPECT_TRUE(scanned.ok());
  return newest;
}

TEST_F(SharedSets, FalsifiedReleaseRaisesMismatchEverywhere) {
  federation_->Stop(kLead);
  // Release 3 with one belt total changed, as release 4.
  AppendAsLead(*federation_, [](const storage::Store& store) -> std::string {
    proto::Release forged = NewestQuarterRelease(store);
    EXPECT_EQ(forged.release_number(), 3u);
    bool changed = false;
    for (proto::Aggregate& aggregate : *forged.mutable_aggregates()) {
      if (aggregate.indicator() == "realestate_invest_cum" && aggregate.period() == "2019-M12") {
        aggregate.set_value("99999.99");
        changed = true;
      }
    }
    EXPECT_TRUE(changed);
    forged.set_release_number(4);
    return forged.SerializeAsString();
  });
  // Release 3 unchanged but claiming rules no node runs, as release 5.
  AppendAsLead(*federation_, [](const storage::Store& store) -> std::string {
    proto::Release release = NewestQuarterRelease(store);
    EXPECT_EQ(release.release_number(), 4u);
    release.set_rules_version(99);
    release.set_release_number(5);
    return release.SerializeAsString();
  });
  ASSERT_TRUE(federation_->Start(kLead));

  for (uint32_t id : kMembers) {
    if (id == kLead) continue;
    bool alarmed = federation_->WaitStatus(
        id,
        [](const json& status) {
          for (const json& alarm : status["alarms"]) {
            if (alarm["kind"] == "release-mismatch" &&
                alarm["detail"].get<std::string>().find(
                    "belt aggregate realestate_invest_cum 2019-M12: release 99999.99") !=
                    std::string::npos) {
              return true;
            }
          }
          return false;
        },
        std::chrono::seconds(60));
    EXPECT_TRUE(alarmed) << id << ": " << federation_->Status(id).dump();
  }
  // The genuine releases stay verified; the one of other rules is not judged.
  json status = federation_->Status(kReference);
  EXPECT_EQ(status["releases"].value("verified", uint64_t{0}), 4u);
  EXPECT_EQ(status["releases"].value("mismatch", uint64_t{0}), 1u);
  EXPECT_EQ(status["releases"].value("unverifiable", uint64_t{0}), 1u);
  json releases = federation_->Json(kReference, {"shared", "releases", "2019-Q4"});
  ASSERT_EQ(releases.size(), 5u);
  EXPECT_EQ(releases[4]["state"], "unverifiable");
  EXPECT_EQ(releases[4]["details"][0],
            "the release follows rules version 99, this node runs version 1");
}

TEST_F(SharedSets, NonLeadCannotSeal) {
  // A period that has not ended, or one without any value, is not sealed.
  CommandResult future = federation_->Ctl(kLead, {"shared", "seal", "2099-Q1"});
  EXPECT_NE(future.exit_code, 0);
  EXPECT_NE(future.err.find("2099-Q1 has not ended yet (it ends at 2099-04-01T00:00:00+08:00)"),
            std::string::npos)
      << future.err;
  CommandResult empty = federation_->Ctl(kLead, {"shared", "seal", "2001-Q1"});
  EXPECT_NE(empty.exit_code, 0);
  EXPECT_NE(empty.err.find("this node holds no values of 2001-Q1 for any member"),
            std::string::npos)
      << empty.err;
  json listed = federation_->Json(kLead, {"shared", "releases"});
  EXPECT_EQ(listed.dump().find("2099-Q1"), std::string::npos) << listed.dump();
  EXPECT_EQ(listed.dump().find("2001-Q1"), std::string::npos) << listed.dump();

  CommandResult refused = federation_->Ctl(kReference, {"shared", "seal", "2019-Q4"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("this node 420000 (湖北省) is not the lead: the lead of epoch 1 is 310000 (上海市)"),
            std::string::npos)
      << refused.err;
}

// Returns the first `count` fields of a CSV line whose fields are all
// quoted, as in the census table.
std::vector<std::string> QuotedFields(const std::string& line, size_t count) {
  std::vector<std::string> fields;
  size_t position = 0;
  while (fields.size() < count) {
    size_t open = line.find('"', position);
    size_t close = line.find('"', open + 1);
    if (open == std::string::npos || close == std::string::npos) break;
    fields.push_back(line.substr(open + 1, close - open - 1));
    position = close + 1;
  }
  return fields;
}

TEST_F(SharedSets, PrefectureCoverageCountsHubeiCities) {
  // Expected: the Hubei rows of the census table with a 2020 population, of
  // the Hubei prefecture-level units the catalog has in use in 2020.
  int reported = 0;
  std::stringstream table(
      ReadAll(Testdata(std::string(kCensusDir) + "/census_city_2010-2020_v1.csv")));
  std::string line;
  while (std::getline(table, line)) {
    std::vector<std::string> fields = QuotedFields(line, 5);
    if (fields.size() == 5 && fields[3] == "420000" && !fields[4].empty()) ++reported;
  }
  int in_use = 0;
  json catalog =
      json::parse(ReadAll(std::string(YREB_SOURCE_DIR) + "/catalog/default_catalog.json"));
  for (const json& region : catalog["regions"]) {
    std::string code = region["code"];
    int abolished = region.value("abolished", 0);
    if (region["level"] == "prefecture" && code.starts_with("42") &&
        (abolished == 0 || abolished > 2020)) {
      ++in_use;
    }
  }
  ASSERT_GT(reported, 0);

  json set = federation_->Json(kWithheld, {"shared", "status", "2020"});
  ASSERT_TRUE(set.is_object());
  bool found = false;
  for (const json& province : set["provinces"]) {
    if (province["id"] != "420000") continue;
    for (const json& item : province["prefecture_coverage"]) {
      if (item["indicator"] != "pop_census") continue;
      EXPECT_EQ(item["period"], "2020");
      EXPECT_EQ(item["have"], reported);
      EXPECT_EQ(item["total"], in_use);
      found = true;
    }
  }
  EXPECT_TRUE(found) << set["provinces"].dump();
  CommandResult text = federation_->Ctl(kWithheld, {"shared", "status", "2020"});
  EXPECT_NE(text.out.find(fmt::format("Hubei (420000) prefecture cities reporting: "
                                      "pop_census {}/{}",
                                      reported, in_use)),
            std::string::npos)
      << text.out;
}

// Catalog version 2: version 1 without the residential growth rate, with
// bounds on GDP and quarterly sets due on day 25, as a lead would edit it.
std::string CatalogVersion2() {
  json document =
      json::parse(ReadAll(std::string(YREB_SOURCE_DIR) + "/catalog/default_catalog.json"));
  document["version"] = 2;
  document["quarterly_deadline_days"] = 25;
  json kept = json::array();
  for (json& indicator : document["indicators"]) {
    if (indicator["code"] == "realestate_residential_invest_cum_growth") continue;
    if (indicator["code"] == "gdp") {
      indicator["bounds"] = {{"min", "0"}, {"max_change_percent", "30"}};
    }
    kept.push_back(indicator);
  }
  document["indicators"] = kept;
  return document.dump(2);
}

TEST_F(SharedSets, CatalogVersionTwoTakesEffectEverywhere) {
  std::string file = federation_->Dir(kLead) + "/catalog-v2.json";
  std::ofstream(file) << CatalogVersion2();

  // Bad input names the place and stores nothing.
  std::string broken = federation_->Dir(kLead) + "/catalog-broken.json";
  std::string text = CatalogVersion2();
  text.replace(text.find("\"decimals\": 1"), std::string("\"decimals\": 1").size(),
               "\"decimals\": 1, \"colour\": \"red\"");
  std::ofstream(broken) << text;
  CommandResult rejected = federation_->Ctl(kLead, {"catalog", "publish", broken});
  EXPECT_EQ(rejected.exit_code, 2);
  EXPECT_NE(rejected.err.find("catalog-broken.json: indicator \"gdp\": unknown field \"colour\""),
            std::string::npos)
      << rejected.err;
  // The member provinces must be the manifest's members.
  std::string partial = federation_->Dir(kLead) + "/catalog-ten.json";
  json ten = json::parse(CatalogVersion2());
  json provinces = json::array();
  for (const json& code : ten["member_provinces"]) {
    if (code != "520000") provinces.push_back(code);
  }
  ten["member_provinces"] = provinces;
  std::ofstream(partial) << ten.dump(2);
  CommandResult mismatched = federation_->Ctl(kLead, {"catalog", "publish", partial});
  EXPECT_EQ(mismatched.exit_code, 2);
  EXPECT_NE(mismatched.err.find("catalog-ten.json: the catalog's member provinces differ from "
                                "the manifest's members (missing: 520000; not members: -)"),
            std::string::npos)
      << mismatched.err;
  CommandResult refused = federation_->Ctl(kReference, {"catalog", "publish", file});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("is not the lead"), std::string::npos) << refused.err;
  json shown = federation_->Json(kReference, {"catalog", "show"});
  EXPECT_EQ(shown["version"], 1);

  json published = federation_->Json(kLead, {"catalog", "publish", file});
  ASSERT_TRUE(published.is_object());
  EXPECT_EQ(published["version"], 2);
  CommandResult again = federation_->Ctl(kLead, {"catalog", "publish", file});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("the next version is 3"), std::string::npos) << again.err;

  // Every node stores version 2 and follows it for new records.
  for (uint32_t id : kMembers) {
    bool held = false;
    for (int attempt = 0; attempt < 100 && !held; ++attempt) {
      json document = federation_->Json(id, {"catalog", "show"});
      held = document.is_object() && document["version"] == 2;
      if (!held) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(held) << id;
  }
  // The newest version sets the deadline in the CLI and on the status page.
  json quarter = federation_->Json(kReference, {"shared", "status", "2019-Q4"});
  EXPECT_EQ(quarter["deadline"]["deadline"], "2020-01-25T23:59:59+08:00") << quarter.dump();
  int page = testing::LoggedPort(*federation_, kReference, "status page");
  ASSERT_NE(page, 0);
  json view = json::parse(testing::HttpGet(page, "/api/status?quarter=2019-Q4"), nullptr, false);
  ASSERT_TRUE(view.is_object());
  EXPECT_EQ(view["quarter"]["deadline"], "2020-01-25T23:59:59+08:00");
  CommandResult version_zero = federation_->Ctl(kReference, {"catalog", "diff", "0", "1"});
  EXPECT_EQ(version_zero.exit_code, 2);
  EXPECT_NE(version_zero.err.find("catalog versions are numbered from 1"), std::string::npos)
      << version_zero.err;

  json diff = federation_->Json(kReference, {"catalog", "diff", "1", "2"});
  ASSERT_TRUE(diff.is_object());
  EXPECT_EQ(diff["removed"], json::array({"realestate_residential_invest_cum_growth"}));
  EXPECT_EQ(diff["added"], json::array());
  EXPECT_EQ(diff["changed"],
            json::parse(R"([{"indicator":"gdp","field":"bounds.max_change_percent","from":"",)"
                        R"("to":"30"},{"indicator":"gdp","field":"bounds.min","from":"",)"
                        R"("to":"0"}])"));

  CommandResult put =
      federation_->Ctl(320000, {"put", "--indicator", "gdp", "--region", "320000", "--period",
                                "2025", "--value", "140000.1", "--status", "preliminary"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  json rows = federation_->Json(320000, {"query", "--indicator", "gdp", "--region", "320000",
                                         "--from", "2025", "--to", "2025"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["catalog_version"], 2);
  // The removed indicator stays readable in old periods.
  rows = federation_->Json(
      kReference, {"query", "--indicator", "realestate_residential_invest_cum_growth", "--region",
                   "320000", "--from", "2019-M12", "--to", "2019-M12"});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["value"], "13.1");

  // A seal now follows version 2 and every other node verifies it.
  json sealed = Seal("2019-Q4");
  ASSERT_TRUE(sealed.is_object());
  EXPECT_EQ(sealed["catalog_version"], 2);
  EXPECT_EQ(sealed["release_number"], 6);
  EXPECT_FALSE(sealed.contains("same_values_as_release")) << sealed.dump();
  ExpectVerifiedEverywhere(5);

  // A seal with no record changed names the release it repeats.
  json repeated = Seal("2019-Q4");
  ASSERT_TRUE(repeated.is_object());
  EXPECT_EQ(repeated["release_number"], 7);
  EXPECT_EQ(repeated["same_values_as_release"], 6);
  CommandResult again_text = federation_->Ctl(kLead, {"shared", "seal", "2019-Q4"});
  ASSERT_EQ(again_text.exit_code, 0) << again_text.err;
  EXPECT_NE(again_text.out.find(
                "The values are those of release 7: no record of the set changed since."),
            std::string::npos)
      << again_text.out;
}

}  // namespace
}  // namespace yreb
