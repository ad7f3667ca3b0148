#include "catalog/catalog.h"

#include <gtest/gtest.h>
#include <iconv.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "i18n/i18n.h"

namespace yreb::catalog {
namespace {

const std::string kTestdata = YREB_TESTDATA_DIR;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Gb18030ToUtf8(const std::string& bytes) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  std::string out(bytes.size() * 4, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1)) return "";
  out.resize(out.size() - out_left);
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("\xEF\xBB\xBF")) line = line.substr(3);
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> SplitCommas(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  std::string field;
  while (std::getline(stream, field, ',')) fields.push_back(field);
  return fields;
}

TEST(CatalogDefault, ParsesAsVersionOne) {
  const Catalog& catalog = Catalog::Default();
  EXPECT_EQ(catalog.version(), 1);
  EXPECT_EQ(catalog.member_provinces().size(), 11u);
  EXPECT_EQ(catalog.annual_deadline(), "03-31");
  EXPECT_EQ(catalog.quarterly_deadline_days(), 20);
  EXPECT_GE(catalog.indicators().size(), 30u);
}

TEST(CatalogDefault, HashIsOfTheShippedFile) {
  const Catalog& catalog = Catalog::Default();
  std::string shipped = ReadFile(YREB_SOURCE_DIR "/catalog/default_catalog.json");
  ASSERT_FALSE(shipped.empty());
  EXPECT_EQ(catalog.bytes(), shipped);
  EXPECT_EQ(catalog.Sha256Hex().size(), 64u);
  absl::StatusOr<Catalog> reparsed = Catalog::Parse(shipped);
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(reparsed->Sha256Hex(), catalog.Sha256Hex());
}

TEST(CatalogSha256, MatchesKnownDigest) {
  // The digest of exactly these bytes, computed with sha256sum.
  const std::string minimal =
      R"({"version": 1, "member_provinces": [], "annual_deadline": "03-31", )"
      R"("quarterly_deadline_days": 20, "indicators": [], "regions": []})";
  absl::StatusOr<Catalog> catalog = Catalog::Parse(minimal);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ(catalog->Sha256Hex(),
            "066def879549e181f97f9d4788b053ed5d6b450d6d143bc4c9336929cd5dd26b");
}

TEST(CatalogMembers, ElevenBeltProvinces) {
  const Catalog& catalog = Catalog::Default();
  for (const char* code : {"310000", "320000", "330000", "340000", "360000", "420000", "430000",
                           "500000", "510000", "520000", "530000"}) {
    EXPECT_TRUE(catalog.IsMemberProvince(code)) << code;
  }
  for (const char* code : {"110000", "440000", "450000", "420100", "000000", ""}) {
    EXPECT_FALSE(catalog.IsMemberProvince(code)) << code;
  }
}

TEST(CatalogRegions, AllProvinceLevelUnits) {
  const Catalog& catalog = Catalog::Default();
  int provinces = 0;
  for (const Region& region : catalog.regions()) {
    if (region.level == RegionLevel::kProvince) {
      ++provinces;
      EXPECT_FALSE(region.name_en.empty()) << region.code;
    }
  }
  // 31 provinces of the mainland, plus Taiwan, Hong Kong and Macao.
  EXPECT_EQ(provinces, 34);
}

TEST(CatalogRegions, NamesBureausUse) {
  const Catalog& catalog = Catalog::Default();
  struct Case {
    const char* name;
    const char* code;
  };
  const Case cases[] = {
      {"上海", "310000"},           {"上海市", "310000"},
      {"江苏省", "320000"},         {"江苏", "320000"},
      {"广西", "450000"},           {"广西省", "450000"},
      {"广西壮族自治区", "450000"}, {"内蒙古", "150000"},
      {"内蒙古自治区", "150000"},   {"重庆市", "500000"},
      {"武汉市", "420100"},         {"武汉", "420100"},
      {"襄樊市", "420600"},         {"襄阳市", "420600"},
      {"恩施州", "422800"},         {"恩施土家族苗族自治州", "422800"},
      {"仙桃市", "429004"},         {"巢湖市", "341400"},
      {"毕节地区", "522400"},       {"全国", "000000"},
      {" 湖北省 ", "420000"},
  };
  for (const Case& c : cases) {
    const Region* region = catalog.FindRegionByName(c.name);
    ASSERT_NE(region, nullptr) << c.name;
    EXPECT_EQ(region->code, c.code) << c.name;
  }
  EXPECT_EQ(catalog.FindRegionByName("火星市"), nullptr);
  ASSERT_NE(catalog.FindRegion("341400"), nullptr);
  EXPECT_EQ(catalog.FindRegion("341400")->abolished, 2011);
  EXPECT_EQ(catalog.FindRegion("420100")->level, RegionLevel::kPrefecture);
  EXPECT_EQ(catalog.FindRegion("310100")->name_zh, "上海市");
}

TEST(CatalogRegions, ProvinceOfPrefecture) {
  EXPECT_EQ(Catalog::ProvinceOf("420100"), "420000");
  EXPECT_EQ(Catalog::ProvinceOf("429004"), "420000");
  EXPECT_EQ(Catalog::ProvinceOf("320000"), "320000");
  EXPECT_EQ(Catalog::ProvinceOf("000000"), "");
  EXPECT_EQ(Catalog::ProvinceOf("4201"), "");
  EXPECT_EQ(Catalog::ProvinceOf("42010a"), "");
}

TEST(CatalogRegions, EveryBeltPrefectureOfCensusAndDivisions) {
  const Catalog& catalog = Catalog::Default();
  std::vector<std::string> lines =
      Lines(ReadFile(kTestdata + "/census-prefecture-pop-2010-2020-leiii/"
                                 "census_city_2010-2020_v1.csv"));
  ASSERT_GT(lines.size(), 300u);
  int belt = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    // "city","city_code",...: the second quoted field is the code.
    std::vector<std::string> fields = SplitCommas(lines[i]);
    ASSERT_GE(fields.size(), 2u);
    std::string code = fields[1].substr(1, 6);
    const Region* region = catalog.FindRegion(code);
    ASSERT_NE(region, nullptr) << code;
    if (catalog.IsMemberProvince(Catalog::ProvinceOf(code))) ++belt;
  }
  EXPECT_EQ(belt, 130);
}

TEST(CatalogIndicators, LookupByNameAndCode) {
  const Catalog& catalog = Catalog::Default();
  const Indicator* gdp = catalog.FindIndicatorByName("地区生产总值(亿元)");
  ASSERT_NE(gdp, nullptr);
  EXPECT_EQ(gdp->code, "gdp");
  EXPECT_EQ(gdp->unit, "亿元");
  EXPECT_EQ(gdp->unit_multiplier, 8);
  EXPECT_EQ(gdp->measure, proto::MEASURE_KIND_CURRENT);
  EXPECT_EQ(gdp->value_kind, proto::VALUE_KIND_LEVEL);
  EXPECT_EQ(catalog.FindIndicatorByName("地区生产总值（亿元）"), gdp);
  EXPECT_EQ(catalog.FindIndicatorByName("地区生产总值"), gdp);
  EXPECT_EQ(catalog.FindIndicatorByName("地区生产总值 (亿元)"), gdp);
  EXPECT_EQ(catalog.FindIndicatorByName("地区生产总值\t（亿元）\r\n"), gdp);
  EXPECT_EQ(catalog.FindIndicatorByName("地区生产总值　(亿元)"), gdp);
  EXPECT_EQ(catalog.FindIndicator("gdp"), gdp);
  EXPECT_EQ(catalog.FindIndicator("GDP"), nullptr);

  const Indicator* employment = catalog.FindIndicatorByName("城镇单位就业人员(万人)");
  ASSERT_NE(employment, nullptr);
  EXPECT_EQ(employment->unit_multiplier, 4);

  const Indicator* growth = catalog.FindIndicatorByName("房地产投资累计增长（％）");
  ASSERT_NE(growth, nullptr);
  EXPECT_EQ(growth->code, "realestate_invest_cum_growth");
  EXPECT_EQ(growth->measure, proto::MEASURE_KIND_CUMULATIVE);
  EXPECT_EQ(growth->value_kind, proto::VALUE_KIND_GROWTH_RATE);
  EXPECT_EQ(growth->frequency, period::Period::kMonthly);
}

// Every indicator name that appears in a shipped data file resolves.
TEST(CatalogIndicators, CoverShippedDataFiles) {
  const Catalog& catalog = Catalog::Default();
  std::vector<std::string> names;

  // Portal exports by province: the title line "指标：NAME".
  const std::string fsnd = kTestdata + "/nbs-fsnd-multi-2006-2025-renjiyi";
  int fsnd_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fsnd)) {
    if (entry.path().extension() != ".csv") continue;
    ++fsnd_files;
    std::vector<std::string> lines = Lines(Gb18030ToUtf8(ReadFile(entry.path())));
    ASSERT_GE(lines.size(), 2u) << entry.path();
    ASSERT_TRUE(lines[1].starts_with("指标：")) << entry.path();
    names.push_back(lines[1].substr(std::string("指标：").size()));
  }
  EXPECT_EQ(fsnd_files, 7);

  // Monthly real-estate exports and the national quarterly export: an
  // indicator per row under the header row starting with "指标".
  std::vector<std::string> by_row = {kTestdata + "/nbs-jidu-national-gdp-alanbook/季度数据.csv"};
  for (const auto& entry : std::filesystem::directory_iterator(
           kTestdata + "/nbs-fsyd-realestate-yreb-2017-2019-wyq/csvFile")) {
    by_row.push_back(entry.path());
  }
  for (const std::string& path : by_row) {
    std::string bytes = ReadFile(path);
    std::string text = bytes.starts_with("\xEF\xBB\xBF") ? bytes : Gb18030ToUtf8(bytes);
    bool in_table = false;
    for (const std::string& line : Lines(text)) {
      std::vector<std::string> fields = SplitCommas(line);
      if (fields.empty()) continue;
      if (fields[0] == "指标") {
        in_table = true;
        continue;
      }
      if (!in_table || fields.size() < 2 || fields[0].starts_with("注") ||
          fields[0].starts_with("数据来源") || fields[0].starts_with("\xE3\x80\x80")) {
        continue;
      }
      names.push_back(fields[0]);
    }
  }

  // The panel: every column after 地区 and 年份 is an indicator.
  std::vector<std::string> panel =
      Lines(ReadFile(kTestdata + "/province-panel-2005-2024-renjiyi/分省年度数据_整合.csv"));
  ASSERT_FALSE(panel.empty());
  std::vector<std::string> columns = SplitCommas(panel[0]);
  ASSERT_EQ(columns.size(), 23u);
  names.insert(names.end(), columns.begin() + 2, columns.end());

  std::set<std::string> distinct(names.begin(), names.end());
  EXPECT_GE(distinct.size(), 7u + 4u + 11u + 21u);
  for (const std::string& name : distinct) {
    EXPECT_NE(catalog.FindIndicatorByName(name), nullptr) << "no indicator named " << name;
  }
}

// A minimal valid document with one indicator and two regions, which the
// strictness tests below break one field at a time.
std::string Document(const std::string& indicator_extra = "", const std::string& multiplier = "8",
                     const std::string& second_indicator = "") {
  return R"({"version": 1, "member_provinces": ["420000"], "annual_deadline": "03-31",
    "quarterly_deadline_days": 20,
    "indicators": [{"code": "gdp", "name_zh": "地区生产总值", "name_en": "GDP",
      "unit": "亿元", "unit_multiplier": )" +
         multiplier + R"(, "frequency": "annual", "scope": "both",
      "measure": "MEASURE_KIND_CURRENT", "value_kind": "VALUE_KIND_LEVEL",
      "domain": "经济", "decimals": 1, "aliases": ["GDP_亿元"])" +
         indicator_extra + "}" + second_indicator + R"(],
    "regions": [{"code": "420000", "name_zh": "湖北省", "name_en": "Hubei",
      "level": "province", "aliases": ["湖北"]},
      {"code": "420100", "name_zh": "武汉市", "name_en": "", "level": "prefecture"}]})";
}

TEST(CatalogParse, AcceptsMinimalDocument) {
  absl::StatusOr<Catalog> catalog = Catalog::Parse(Document());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_NE(catalog->FindIndicatorByName("GDP_亿元"), nullptr);
  EXPECT_NE(catalog->FindRegionByName("湖北"), nullptr);
}

TEST(CatalogParse, RejectsBadEntriesNamingThem) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  struct Case {
    std::string document;
    std::vector<std::string> expected;
  };
  const std::string duplicate = R"(, {"code": "gdp", "name_zh": "别的", "name_en": "x",
      "unit": "元", "unit_multiplier": 0, "frequency": "annual", "scope": "both",
      "measure": "MEASURE_KIND_CURRENT", "value_kind": "VALUE_KIND_LEVEL",
      "domain": "经济", "decimals": 0})";
  const std::string same_alias = R"(, {"code": "gdp2", "name_zh": "别的", "name_en": "x",
      "unit": "元", "unit_multiplier": 0, "frequency": "annual", "scope": "both",
      "measure": "MEASURE_KIND_CURRENT", "value_kind": "VALUE_KIND_LEVEL",
      "domain": "经济", "decimals": 0, "aliases": ["GDP_亿元"]})";
  const Case cases[] = {
      {Document(R"(, "colour": "red")"), {"indicator \"gdp\"", "unknown field \"colour\""}},
      {Document("", "4"), {"indicator \"gdp\"", "unit multiplier 4", "needs 8"}},
      {Document("", "13"), {"indicator \"gdp\"", "outside 0 to 12"}},
      {Document("", "\"8\""), {"indicator \"gdp\"", "\"unit_multiplier\" must be an integer"}},
      {Document("", "8", duplicate), {"duplicate indicator code \"gdp\""}},
      {Document("", "8", same_alias), {"GDP_亿元", "\"gdp\"", "\"gdp2\""}},
      {"{\"version\": 1", {"not valid JSON"}},
      {"[]", {"must be a JSON object"}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Catalog> catalog = Catalog::Parse(c.document);
    ASSERT_FALSE(catalog.ok()) << c.document;
    EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
    for (const std::string& part : c.expected) {
      EXPECT_NE(catalog.status().message().find(part), std::string::npos)
          << "expected \"" << part << "\" in: " << catalog.status().message();
    }
  }
}

TEST(CatalogParse, RejectsBadRegions) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  std::string document = Document();
  std::string missing_province = document;
  missing_province.replace(missing_province.find("\"420100\""), 8, "\"430100\"");
  absl::StatusOr<Catalog> catalog = Catalog::Parse(missing_province);
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.status().message().find("430000"), std::string::npos) << catalog.status();

  std::string bad_level = document;
  bad_level.replace(bad_level.find("\"prefecture\""), 12, "\"county\"");
  catalog = Catalog::Parse(bad_level);
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.status().message().find("region \"420100\""), std::string::npos)
      << catalog.status();
  EXPECT_NE(catalog.status().message().find("\"county\""), std::string::npos) << catalog.status();

  std::string missing_name = document;
  const std::string wuhan_name = "\"name_zh\": \"武汉市\", ";
  missing_name.replace(missing_name.find(wuhan_name), wuhan_name.size(), "");
  catalog = Catalog::Parse(missing_name);
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.status().message().find("missing field \"name_zh\""), std::string::npos)
      << catalog.status();
}

TEST(CatalogParse, MessageInChinese) {
  i18n::ScopedLang chinese(i18n::Lang::kChinese);
  absl::StatusOr<Catalog> catalog = Catalog::Parse(Document(R"(, "colour": "red")"));
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.status().message().find("未知字段"), std::string::npos) << catalog.status();
}

}  // namespace
}  // namespace yreb::catalog
