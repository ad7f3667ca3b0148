#include "importers/importers.h"

#include <gtest/gtest.h>
#include <iconv.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "i18n/i18n.h"
#include "importers/layouts.h"
#include "importers/text.h"

namespace yreb::importers {
namespace {

const std::string kTestdata = YREB_TESTDATA_DIR;
const std::string kGdpFile = kTestdata + "/nbs-fsnd-multi-2006-2025-renjiyi/分省年度数据.csv";
const std::string kHubeiRealEstate =
    kTestdata + "/nbs-fsyd-realestate-yreb-2017-2019-wyq/csvFile/湖北.csv";
const std::string kCensusDir = kTestdata + "/census-prefecture-pop-2010-2020-leiii";
const std::string kMojibakeDir = kTestdata + "/damaged-mojibake-quarterly-gdp-hede";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Convert(const std::string& bytes, const char* from, const char* to) {
  iconv_t cd = iconv_open(to, from);
  std::string out(bytes.size() * 4 + 16, '\0');
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

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

absl::StatusOr<ParseResult> Parse(const std::string& bytes, std::string_view province,
                                  const std::string& file_name = "test.csv",
                                  const std::string& mapping = "") {
  ImportOptions options;
  options.file_name = file_name;
  options.mapping = mapping;
  return ParseFile(bytes, options, catalog::Catalog::Default(), province);
}

const Observation* Find(const ParseResult& result, std::string_view indicator,
                        std::string_view region, std::string_view period) {
  for (const Observation& observation : result.observations) {
    if (observation.indicator == indicator && observation.region == region &&
        observation.period == period) {
      return &observation;
    }
  }
  return nullptr;
}

std::string Describe(const std::vector<RowError>& errors) {
  std::string text;
  for (const RowError& error : errors) {
    text += error.file + ":" + std::to_string(error.line) + " [" + error.column + "] \"" +
            error.value + "\": " + error.reason + "\n";
  }
  return text;
}

// Observations without their place in the file, for comparing two parses of
// the same content.
std::vector<std::string> Contents(const ParseResult& result) {
  std::vector<std::string> rows;
  for (const Observation& o : result.observations) {
    rows.push_back(o.indicator + "|" + o.region + "|" + o.period + "|" + o.value + "|" + o.unit +
                   "|" + o.note + "|" + std::to_string(o.measure) + "|" +
                   std::to_string(o.value_kind) + "|" + std::to_string(o.status));
  }
  return rows;
}

TEST(ImportPortal, JiangsuGdpFromGbkExport) {
  absl::StatusOr<ParseResult> result = Parse(ReadFile(kGdpFile), "320000", "分省年度数据.csv");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  EXPECT_EQ(result->format, "portal");
  EXPECT_EQ(result->encoding, "GB18030");

  const Observation* gdp2023 = Find(*result, "gdp", "320000", "2023");
  ASSERT_NE(gdp2023, nullptr);
  EXPECT_EQ(gdp2023->value, "130924.3");
  EXPECT_EQ(gdp2023->unit, "亿元");
  EXPECT_EQ(gdp2023->measure, proto::MEASURE_KIND_CURRENT);
  EXPECT_EQ(gdp2023->value_kind, proto::VALUE_KIND_LEVEL);
  EXPECT_EQ(gdp2023->column, "2023年");
  EXPECT_EQ(gdp2023->line, 14);  // 3 title lines, the header, then Jiangsu is the 10th row
  const Observation* gdp2024 = Find(*result, "gdp", "320000", "2024");
  ASSERT_NE(gdp2024, nullptr);
  EXPECT_EQ(gdp2024->value, "136696.9");

  EXPECT_EQ(result->observations.size(), 19u);  // 2006-2024
  for (const Observation& observation : result->observations) {
    EXPECT_EQ(observation.region, "320000");
  }
  EXPECT_EQ(result->skipped_rows_other_regions, 30u);
  EXPECT_EQ(result->skipped_by_region.size(), 30u);
  EXPECT_EQ(result->skipped_by_region.count("320000"), 0u);
  EXPECT_EQ(result->skipped_by_region.at("110000"), 1u);
  EXPECT_EQ(result->skipped_by_region.at("650000"), 1u);
  ASSERT_EQ(result->footnotes.size(), 2u);
  EXPECT_TRUE(result->footnotes[0].starts_with("注：")) << result->footnotes[0];
  EXPECT_EQ(result->footnotes[1], "数据来源：国家统计局");
}

TEST(ImportPortal, AllSevenProvinceExports) {
  const std::string dir = kTestdata + "/nbs-fsnd-multi-2006-2025-renjiyi";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".csv") continue;
    ++files;
    absl::StatusOr<ParseResult> result =
        Parse(ReadFile(entry.path()), "420000", entry.path().filename());
    ASSERT_TRUE(result.ok()) << entry.path() << ": " << result.status();
    EXPECT_TRUE(result->errors.empty()) << entry.path() << "\n" << Describe(result->errors);
    EXPECT_FALSE(result->observations.empty()) << entry.path();
    EXPECT_EQ(result->skipped_rows_other_regions, 30u) << entry.path();
  }
  EXPECT_EQ(files, 7);
}

TEST(ImportPortal, EmptyCellsAreAbsent) {
  // The population sample export leaves 2025 and census years empty.
  absl::StatusOr<ParseResult> result = Parse(
      ReadFile(kTestdata + "/nbs-fsnd-multi-2006-2025-renjiyi/分省年度数据 (1).csv"), "420000");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  EXPECT_EQ(Find(*result, "pop_sample", "420000", "2025"), nullptr);
  EXPECT_EQ(Find(*result, "pop_sample", "420000", "2020"), nullptr);
  EXPECT_NE(Find(*result, "pop_sample", "420000", "2024"), nullptr);
}

TEST(ImportPortal, HubeiMonthlyRealEstate) {
  absl::StatusOr<ParseResult> result = Parse(ReadFile(kHubeiRealEstate), "420000", "湖北.csv");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  EXPECT_EQ(result->encoding, "UTF-8 with BOM");

  const Observation* december = Find(*result, "realestate_invest_cum", "420000", "2019-M12");
  ASSERT_NE(december, nullptr);
  EXPECT_EQ(december->value, "5111.73");
  EXPECT_EQ(december->measure, proto::MEASURE_KIND_CUMULATIVE);
  EXPECT_EQ(december->unit, "亿元");
  EXPECT_TRUE(december->note.empty());

  const Observation* february = Find(*result, "realestate_invest_cum", "420000", "2019-M02");
  ASSERT_NE(february, nullptr);
  EXPECT_EQ(february->value, "421.12");
  EXPECT_EQ(february->column, "2019年2月");
  EXPECT_EQ(february->note, kJanuaryFebruaryNote);
  EXPECT_EQ(Find(*result, "realestate_invest_cum", "420000", "2019-M01"), nullptr);

  const Observation* growth = Find(*result, "realestate_invest_cum_growth", "420000", "2018-M02");
  ASSERT_NE(growth, nullptr);
  EXPECT_EQ(growth->value, "7.4");
  EXPECT_EQ(growth->value_kind, proto::VALUE_KIND_GROWTH_RATE);
  EXPECT_EQ(growth->note, kJanuaryFebruaryNote);

  // 4 indicators x 36 months, less the 3 empty Januaries.
  EXPECT_EQ(result->observations.size(), 4u * 33u);
  EXPECT_EQ(result->skipped_rows_other_regions, 0u);
  ASSERT_EQ(result->footnotes.size(), 1u);
}

TEST(ImportPortal, OtherProvinceRegionTitleIsSkipped) {
  absl::StatusOr<ParseResult> result = Parse(ReadFile(kHubeiRealEstate), "320000");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  EXPECT_TRUE(result->observations.empty());
  EXPECT_EQ(result->skipped_rows_other_regions, 4u);
  EXPECT_EQ(result->skipped_by_region.at("420000"), 4u);
}

TEST(ImportPortal, NationalQuarterlyExport) {
  absl::StatusOr<ParseResult> result =
      Parse(ReadFile(kTestdata + "/nbs-jidu-national-gdp-alanbook/季度数据.csv"), "420000");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  EXPECT_TRUE(result->observations.empty());
  EXPECT_EQ(result->skipped_rows_other_regions, 11u);
  EXPECT_EQ(result->skipped_by_region.at("000000"), 11u);
  // The footnote goes on over unquoted lines indented with U+3000.
  ASSERT_EQ(result->footnotes.size(), 2u);
  EXPECT_NE(result->footnotes[0].find("4.2015年之前各季度"), std::string::npos);
  EXPECT_EQ(std::count(result->footnotes[0].begin(), result->footnotes[0].end(), '\n'), 3);
}

TEST(ImportPortal, QuotedMultiLineFootnote) {
  const std::string text =
      "数据库：分省年度数据\r\n指标：地区生产总值(亿元)\r\n时间：最近2年\r\n"
      "地区,2024年,2023年\r\n湖北省,60012.97,55803.63\r\n"
      "\"注：1.第一行。\r\n　　　2.第二行, 带逗号。\"\r\n数据来源：国家统计局\r\n";
  absl::StatusOr<ParseResult> result = Parse(text, "420000");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  EXPECT_EQ(result->observations.size(), 2u);
  ASSERT_EQ(result->footnotes.size(), 2u);
  EXPECT_NE(result->footnotes[0].find("第二行, 带逗号"), std::string::npos);
}

TEST(ImportPortal, ChinesePeriodLabels) {
  const std::string text =
      "数据库：分省月度数据\n地区：湖北省\n时间：最近3个月\n"
      "指标,2023年1-9月,2023年1-2月,2023年第三季度\n"
      "房地产投资累计值(亿元),100.5,20.1,\n"
      "地区生产总值累计值(亿元),,,40000.1\n";
  absl::StatusOr<ParseResult> result = Parse(text, "420000");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  const Observation* september = Find(*result, "realestate_invest_cum", "420000", "2023-M09");
  ASSERT_NE(september, nullptr);
  EXPECT_EQ(september->value, "100.5");
  const Observation* february = Find(*result, "realestate_invest_cum", "420000", "2023-M02");
  ASSERT_NE(february, nullptr);
  EXPECT_EQ(february->note, kJanuaryFebruaryNote);
  ASSERT_NE(Find(*result, "gdp_q_cum", "420000", "2023-Q3"), nullptr);
}

TEST(ImportMapping, CensusWuhanPopulation) {
  std::string mapping = ReadFile(kCensusDir + "/census_city_2010-2020_v1.mapping.toml");
  ASSERT_FALSE(mapping.empty());
  absl::StatusOr<ParseResult> result = Parse(ReadFile(kCensusDir + "/census_city_2010-2020_v1.csv"),
                                             "420000", "census_city_2010-2020_v1.csv", mapping);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  EXPECT_EQ(result->format, "mapping");
  EXPECT_EQ(result->encoding, "UTF-8 with BOM");

  const Observation* wuhan = Find(*result, "pop_census", "420100", "2020");
  ASSERT_NE(wuhan, nullptr);
  EXPECT_EQ(wuhan->value, "12326518");
  EXPECT_EQ(wuhan->unit, "人");
  EXPECT_EQ(wuhan->column, "popu_2020");
  const Observation* wuhan2010 = Find(*result, "pop_census", "420100", "2010");
  ASSERT_NE(wuhan2010, nullptr);
  EXPECT_EQ(wuhan2010->value, "9785388");
  ASSERT_NE(Find(*result, "pop_census", "429021", "2020"), nullptr);  // 神农架林区

  // 17 Hubei units (12 cities, Enshi and 4 county-level units under the
  // province) are kept; the other 352 rows are skipped.
  std::set<std::string> regions;
  for (const Observation& observation : result->observations) {
    EXPECT_TRUE(observation.region.starts_with("42")) << observation.region;
    regions.insert(observation.region);
  }
  EXPECT_EQ(regions.size(), 17u);
  EXPECT_EQ(result->skipped_rows_other_regions, 352u);
  EXPECT_EQ(result->skipped_by_region.at("320100"), 1u);
  EXPECT_EQ(result->skipped_by_region.at("810000"), 1u);
}

TEST(ImportMapping, ProvincePanel) {
  const std::string dir = kTestdata + "/province-panel-2005-2024-renjiyi";
  absl::StatusOr<ParseResult> result =
      Parse(ReadFile(dir + "/分省年度数据_整合.csv"), "320000", "分省年度数据_整合.csv",
            ReadFile(dir + "/分省年度数据_整合.mapping.toml"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  EXPECT_EQ(result->skipped_rows_other_regions, 30u * 20u);
  const Observation* trade = Find(*result, "trade_total_usd", "320000", "2006");
  ASSERT_NE(trade, nullptr);
  EXPECT_EQ(trade->unit, "万美元");
}

TEST(ImportMapping, InvalidMappingFiles) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  const std::string table = "code,value\n420100,5\n";
  struct Case {
    std::string mapping;
    std::string expected;
  };
  const Case cases[] = {
      {"region_column = \"code\"\n[[columns]]\ncolumn = \"nope\"\nindicator = \"gdp\"\n"
       "period = \"2020\"\n",
       "the header has no column \"nope\""},
      {"region_column = \"code\"\ncolour = 1\n", "unknown key \"colour\""},
      {"region_column = \"code\"\n[[columns]]\ncolumn = \"value\"\nindicator = \"nope\"\n"
       "period = \"2020\"\n",
       "unknown indicator \"nope\""},
      {"region_column = \"code\"\n[[columns]]\ncolumn = \"value\"\nindicator = \"gdp\"\n",
       "\"period\" is required"},
      {"region_column = \"code\"\n[[columns]]\ncolumn = \"value\"\nindicator = \"gdp\"\n"
       "period = \"2020Q1\"\n",
       "invalid period"},
      {"region_column = = \n", "invalid mapping file: line 1"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ParseResult> result = Parse(table, "420000", "t.csv", c.mapping);
    ASSERT_FALSE(result.ok()) << c.mapping;
    EXPECT_NE(result.status().message().find(c.expected), std::string::npos)
        << "expected \"" << c.expected << "\" in: " << result.status().message();
  }
}

TEST(Utf8Check, BadBytesAfterAsciiWords) {
  // The check skips ASCII eight bytes at a time; what follows a run of
  // whole words, or a partial word, must still be checked.
  EXPECT_TRUE(internal::IsValidUtf8("abcdefgh\xC3\xA9"));
  EXPECT_TRUE(internal::IsValidUtf8("abcdefghijklmnop"));
  EXPECT_FALSE(internal::IsValidUtf8("abcdefgh\xC3"));
  EXPECT_FALSE(internal::IsValidUtf8("abcdefghij\xFF"));
  EXPECT_FALSE(internal::IsValidUtf8("abcdefg\xE4\xBA"));
  EXPECT_FALSE(internal::IsValidUtf8("abcdefghijklmno\xED\xA0\x80"));
}

TEST(Utf8Check, MojibakeFoundPastAsciiWords) {
  // Three Cyrillic letters (GBK bytes read as a single-byte code page look
  // like this) after ASCII runs of different lengths.
  absl::Status status = internal::CheckNotMojibake(
      "indicator,region\nabcdefgh\xD0\x96"
      "x\xD0\x96"
      "abcdefghijklm\xD0\x96\n",
      "f.csv");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
}

TEST(Utf8Check, ControlByteAtAnyPlace) {
  // The check reads eight bytes at a time. A control byte must be found in
  // any place of a word and of the partial word at the end.
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  const std::string base = "a,b\n\xE4\xBA\xBF,1\t2\r\n~x,yz 7";
  ASSERT_TRUE(internal::Decode(base, "f.csv").ok());
  for (size_t at = 0; at <= base.size(); ++at) {
    if (at == 5 || at == 6) continue;  // inside 亿, where any byte breaks the UTF-8
    for (char control : {'\x01', '\x0B', '\x1F', '\0'}) {
      std::string text = base;
      text.insert(at, 1, control);
      absl::StatusOr<internal::DecodedText> decoded = internal::Decode(text, "f.csv");
      ASSERT_FALSE(decoded.ok()) << "byte " << int(control) << " at " << at;
      EXPECT_NE(decoded.status().message().find("binary file"), std::string::npos);
    }
    for (char allowed : {'\t', '\n', ' ', '\x7F'}) {
      std::string text = base;
      text.insert(at, 1, allowed);
      EXPECT_TRUE(internal::Decode(text, "f.csv").ok()) << "byte " << int(allowed) << " at " << at;
    }
  }
}

TEST(ImportEncoding, Utf8BomAndGbkGiveSameObservations) {
  std::string gbk = ReadFile(kGdpFile);
  std::string utf8 = Convert(gbk, "GB18030", "UTF-8");
  ASSERT_FALSE(utf8.empty());
  absl::StatusOr<ParseResult> from_gbk = Parse(gbk, "320000");
  absl::StatusOr<ParseResult> from_bom = Parse("\xEF\xBB\xBF" + utf8, "320000");
  absl::StatusOr<ParseResult> from_utf8 = Parse(utf8, "320000");
  ASSERT_TRUE(from_gbk.ok()) << from_gbk.status();
  ASSERT_TRUE(from_bom.ok()) << from_bom.status();
  ASSERT_TRUE(from_utf8.ok()) << from_utf8.status();
  EXPECT_EQ(from_bom->encoding, "UTF-8 with BOM");
  EXPECT_EQ(from_utf8->encoding, "UTF-8");
  EXPECT_EQ(Contents(*from_gbk), Contents(*from_bom));
  EXPECT_EQ(Contents(*from_gbk), Contents(*from_utf8));
  EXPECT_EQ(from_gbk->skipped_by_region, from_bom->skipped_by_region);
  EXPECT_EQ(from_gbk->footnotes, from_bom->footnotes);
}

TEST(ImportEncoding, CrlfAndLfGiveSameObservations) {
  std::string crlf = ReadFile(kGdpFile);
  ASSERT_NE(crlf.find("\r\n"), std::string::npos);
  std::string lf = ReplaceAll(crlf, "\r\n", "\n");
  absl::StatusOr<ParseResult> from_crlf = Parse(crlf, "320000");
  absl::StatusOr<ParseResult> from_lf = Parse(lf, "320000");
  ASSERT_TRUE(from_crlf.ok()) << from_crlf.status();
  ASSERT_TRUE(from_lf.ok()) << from_lf.status();
  EXPECT_EQ(Contents(*from_crlf), Contents(*from_lf));
  ASSERT_EQ(from_crlf->observations.size(), from_lf->observations.size());
  for (size_t i = 0; i < from_lf->observations.size(); ++i) {
    EXPECT_EQ(from_crlf->observations[i].line, from_lf->observations[i].line);
  }
  EXPECT_EQ(from_crlf->footnotes, from_lf->footnotes);
}

TEST(ImportRoundTrip, ExportThenParseIsIdentical) {
  std::vector<Observation> original;
  for (const std::string& path : {kGdpFile, kHubeiRealEstate}) {
    absl::StatusOr<ParseResult> parsed = Parse(ReadFile(path), "420000");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    original.insert(original.end(), parsed->observations.begin(), parsed->observations.end());
  }
  original[0].status = proto::DATA_STATUS_FINAL_VERIFICATION;
  ParseResult expected;
  expected.observations = original;

  for (Encoding encoding : {Encoding::kUtf8Bom, Encoding::kGb18030}) {
    std::vector<ExportRow> rows = ToExportRows(original, catalog::Catalog::Default());
    ASSERT_EQ(rows[0].region_name, "湖北省");
    absl::StatusOr<std::string> csv = WriteLongCsv(rows, encoding);
    ASSERT_TRUE(csv.ok()) << csv.status();
    absl::StatusOr<ParseResult> reparsed = Parse(*csv, "420000");
    ASSERT_TRUE(reparsed.ok()) << reparsed.status();
    EXPECT_TRUE(reparsed->errors.empty()) << Describe(reparsed->errors);
    EXPECT_EQ(reparsed->format, "long-csv");
    EXPECT_EQ(Contents(*reparsed), Contents(expected));
  }
}

TEST(ImportLongCsv, HeaderIsDocumentedLayout) {
  absl::StatusOr<std::string> csv = WriteLongCsv({}, Encoding::kUtf8Bom);
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(*csv, "\xEF\xBB\xBF" + std::string(kLongCsvHeader) + "\r\n");
}

TEST(ImportLongCsv, QuotesFieldsThatNeedIt) {
  ExportRow row;
  row.indicator = "gdp";
  row.region = "420000";
  row.region_name = "湖北省";
  row.period = "2023";
  row.value = "55803.63";
  row.unit = "亿元";
  row.measure = proto::MEASURE_KIND_CURRENT;
  row.value_kind = proto::VALUE_KIND_LEVEL;
  row.revision = 2;
  row.note = "修订, 见\"说明\"";
  absl::StatusOr<std::string> csv = WriteLongCsv({row}, Encoding::kUtf8Bom);
  ASSERT_TRUE(csv.ok());
  EXPECT_NE(csv->find("gdp,420000,湖北省,2023,55803.63,亿元,current,level,,2,"
                      "\"修订, 见\"\"说明\"\"\"\r\n"),
            std::string::npos)
      << *csv;
  absl::StatusOr<ParseResult> parsed = Parse(*csv, "420000");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->observations.size(), 1u);
  EXPECT_EQ(parsed->observations[0].note, row.note);
}

TEST(ImportLongCsv, RejectsInvalidExportRows) {
  ExportRow row;
  row.period = "2023";
  row.value = "1e5";
  EXPECT_FALSE(WriteLongCsv({row}, Encoding::kUtf8Bom).ok());
  row.value = "5";
  row.period = "2023Q1";
  EXPECT_FALSE(WriteLongCsv({row}, Encoding::kUtf8Bom).ok());
}

TEST(ImportLongCsv, HandMadeFileWithNames) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  const std::string text =
      "region,indicator,period,value,unit\n"
      "武汉市,常住人口(人口普查),2020,12326518,人\n"
      "湖北省,地区生产总值(亿元),2023年,55803.63,亿元\n"
      "湖北省,gdp,2022,53734.92,万元\n"
      "湖北省,gdp,2021-Q3,1.0,亿元\n"
      "武汉市,realestate_invest_cum,2019-M12,100,亿元\n"
      "江苏省,gdp,2023,130924.3,亿元\n";
  absl::StatusOr<ParseResult> result = Parse(text, "420000");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->format, "long-csv");
  ASSERT_NE(Find(*result, "pop_census", "420100", "2020"), nullptr);
  ASSERT_NE(Find(*result, "gdp", "420000", "2023"), nullptr);
  EXPECT_EQ(result->skipped_by_region.at("320000"), 1u);
  ASSERT_EQ(result->errors.size(), 3u) << Describe(result->errors);
  EXPECT_EQ(result->errors[0].line, 4);
  EXPECT_NE(result->errors[0].reason.find("unit differs"), std::string::npos);
  EXPECT_EQ(result->errors[1].line, 5);
  EXPECT_NE(result->errors[1].reason.find("does not fit indicator gdp, which is annual"),
            std::string::npos)
      << result->errors[1].reason;
  EXPECT_EQ(result->errors[2].line, 6);
  EXPECT_NE(result->errors[2].reason.find("provinces only"), std::string::npos);
}

TEST(ImportLongCsv, StatusTakesTheCliNames) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  const std::string text =
      "indicator,region,period,value,unit,status\n"
      "gdp,420000,2021,1.5,亿元,final\n"
      "gdp,420000,2022,2.5,亿元,preliminary-verification\n"
      "gdp,420000,2023,3.5,亿元,final_verification\n"
      "gdp,420000,2024,4.5,亿元,finished\n";
  absl::StatusOr<ParseResult> result = Parse(text, "420000");
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->observations.size(), 3u);
  EXPECT_EQ(Find(*result, "gdp", "420000", "2021")->status, proto::DATA_STATUS_FINAL_VERIFICATION);
  EXPECT_EQ(Find(*result, "gdp", "420000", "2022")->status,
            proto::DATA_STATUS_PRELIMINARY_VERIFICATION);
  EXPECT_EQ(Find(*result, "gdp", "420000", "2023")->status, proto::DATA_STATUS_FINAL_VERIFICATION);
  ASSERT_EQ(result->errors.size(), 1u) << Describe(result->errors);
  EXPECT_EQ(result->errors[0].line, 5);
  EXPECT_EQ(result->errors[0].value, "finished");
}

TEST(ImportLongCsv, LongFileKeepsLineNumbers) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  // More rows than the records read to recognize the layout, a note that
  // spans two lines, and a bad row near the end.
  std::string text = "indicator,region,period,value,unit,note\n";
  text += "gdp,420000,1999,1.5,亿元,\"first line\nsecond line\"\n";
  for (int year = 1000; year < 1600; ++year) {
    text += "gdp,420000," + std::to_string(year) + ",2.25,亿元,\n";
  }
  text += "gdp,420000,2000,not a number,亿元,\n";
  absl::StatusOr<ParseResult> result = Parse(text, "420000");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->format, "long-csv");
  EXPECT_EQ(result->observations.size(), 601u);
  const Observation* noted = Find(*result, "gdp", "420000", "1999");
  ASSERT_NE(noted, nullptr);
  EXPECT_EQ(noted->note, "first line\nsecond line");
  EXPECT_EQ(noted->line, 2);
  const Observation* last = Find(*result, "gdp", "420000", "1599");
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->line, 603);
  ASSERT_EQ(result->errors.size(), 1u) << Describe(result->errors);
  EXPECT_EQ(result->errors[0].line, 604);
  EXPECT_EQ(result->errors[0].value, "not a number");
}

// A small portal export in UTF-8 that the bad-input cases below break.
const std::string kGoodPortal =
    "数据库：分省年度数据\n"
    "指标：地区生产总值(亿元)\n"
    "时间：最近2年\n"
    "地区,2024年,2023年\n"
    "江苏省,136696.9,130924.3\n"
    "湖北省,60012.97,55803.63\n"
    "注：示例。\n";

TEST(ImportBadInput, GoodPortalSampleParses) {
  absl::StatusOr<ParseResult> result = Parse(kGoodPortal, "420000");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  EXPECT_EQ(result->observations.size(), 2u);
}

TEST(ImportBadInput, WholeFileErrors) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  struct Case {
    std::string name;
    std::string bytes;
    std::string expected;
    absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  };
  std::string latin1_mojibake = Convert(ReadFile(kGdpFile), "ISO-8859-1", "UTF-8");
  const Case cases[] = {
      {"empty", "", "the file is empty"},
      {"only a BOM", "\xEF\xBB\xBF\r\n", "the file is empty"},
      {"xls", std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0", 12), "binary file"},
      {"NUL bytes", std::string("\x89PNG\r\n\x1A\n\0\0\0\rIHDR\xFF\xFE", 19), "binary file"},
      {"mojibake", ReadFile(kMojibakeDir + "/分省季度数据-生产总值.csv"),
       "the text encoding is unreadable"},
      {"latin-1 mojibake", latin1_mojibake, "the text encoding is unreadable"},
      {"no indicator title", ReadFile(kMojibakeDir + "/主要城市年度数据-经济.csv"),
       "does not name the indicator"},
      {"unknown layout", "a,b,c\n1,2,3\n", "layout is not recognized"},
      {"unclosed quote", "indicator,region,period,value\ngdp,420000,2023,\"5\n",
       "line 2: a quoted field is not closed"},
      {"sdmx-csv", "STRUCTURE,STRUCTURE_ID,ACTION,REF_AREA,TIME_PERIOD,OBS_VALUE\n",
       "line 1: missing SDMX-CSV column \"INDICATOR\""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ParseResult> result = Parse(c.bytes, "420000", c.name + ".csv");
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.status().code(), c.code) << c.name;
    EXPECT_NE(result.status().message().find(c.expected), std::string::npos)
        << c.name << ": " << result.status().message();
    EXPECT_NE(result.status().message().find(c.name + ".csv"), std::string::npos)
        << c.name << ": the message does not name the file: " << result.status().message();
  }
}

TEST(ImportBadInput, Utf8ReadAsGbkIsMojibake) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  // UTF-8 bytes decoded as GB18030 and saved as UTF-8 again: 湖北省武汉市
  // becomes 婀栧寳鐪佹 and so on (glibc maps one byte pair to a private-use
  // code point).
  std::string damaged = Convert("湖北省武汉市", "GB18030", "UTF-8");
  ASSERT_TRUE(damaged.starts_with("婀栧寳鐪佹")) << damaged;
  std::string heading = Convert("指标地区时间", "GB18030", "UTF-8");
  ASSERT_FALSE(heading.empty());
  std::string bytes = heading + ",2024\n" + damaged + ",1\n";
  absl::StatusOr<ParseResult> result = Parse(bytes, "420000", "twice.csv");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("UTF-8 that was read as GBK"), std::string::npos)
      << result.status().message();
}

TEST(ImportBadInput, LateMojibakeIsFound) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  // The check converts the text in pieces of about 1 MB; the damage starts
  // well after the first piece, and an intact file of that size passes.
  std::string damaged = Convert("湖北省武汉市", "GB18030", "UTF-8");
  std::string heading = Convert("指标地区时间", "GB18030", "UTF-8");
  std::string ascii = "indicator,region,period,value,unit\n";
  while (ascii.size() < 3 * 1024 * 1024) ascii += "gdp,420000,2023,1.5,x\n";
  absl::StatusOr<ParseResult> result =
      Parse(ascii + heading + ",2024\n" + damaged + ",1\n", "420000", "late.csv");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("UTF-8 that was read as GBK"), std::string::npos)
      << result.status().message();
  result = Parse(ascii + "gdp,湖北省,2022,1.5,亿元\n", "420000", "intact.csv");
  EXPECT_TRUE(result.ok()) << result.status();
}

TEST(ImportLongCsv, ColumnsInAnyOrderAndHeaderErrors) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  absl::StatusOr<ParseResult> reordered =
      Parse("value,note,period,region,indicator\n104.1,census,2020,320000,sex_ratio_census\n",
            "320000", "reordered.csv");
  ASSERT_TRUE(reordered.ok()) << reordered.status();
  ASSERT_EQ(reordered->observations.size(), 1u);
  EXPECT_EQ(reordered->observations[0].value, "104.1");
  EXPECT_EQ(reordered->observations[0].note, "census");

  absl::StatusOr<ParseResult> unknown =
      Parse("indicator,region,period,value,colour\ngdp,320000,2023,1,red\n", "320000", "u.csv");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "u.csv: line 1: unknown column \"colour\"; the long CSV columns are "
            "indicator,region,region_name,period,value,unit,measure,value_kind,status,revision,"
            "note");
  absl::StatusOr<ParseResult> twice =
      Parse("indicator,region,period,value,note,note\ngdp,320000,2023,1,a,b\n", "320000", "t.csv");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "t.csv: line 1: column \"note\" appears twice");
}

TEST(CsvSplit, UnquotedFieldsKeepQuotesAndLoneCarriageReturns) {
  absl::StatusOr<std::vector<internal::CsvRecord>> records =
      internal::SplitCsv("a\"b,c\rd,\"q,\"\"x\"\"\",tail\"\r\n,\n\"multi\nline\",end", "t.csv");
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].fields, (std::vector<std::string>{"a\"b", "c\rd", "q,\"x\"", "tail\""}));
  EXPECT_EQ((*records)[1].fields, (std::vector<std::string>{"", ""}));
  EXPECT_EQ((*records)[2].fields, (std::vector<std::string>{"multi\nline", "end"}));
  EXPECT_EQ((*records)[2].line, 3);
}

TEST(ImportBadInput, FewChineseCharactersAreNotMojibake) {
  // The only Chinese here is the unit 女=100. In GB18030 女 is C5 AE, which
  // is also valid UTF-8, and that alone does not make the file mojibake.
  std::string bytes = "indicator,region,period,value,unit\n";
  for (int year = 2001; year <= 2006; ++year) {
    bytes += "sex_ratio_census,320000," + std::to_string(year) + ",104.1,女=100\n";
  }
  absl::StatusOr<ParseResult> result = Parse(bytes, "320000", "sex-ratio.csv");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->observations.size(), 6u);
}

TEST(ImportBadInput, RowErrorsNameLineColumnValueAndReason) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  struct Case {
    std::string name;
    std::string bytes;
    int line;
    std::string column;
    std::string value;
    std::string reason;
  };
  const Case cases[] = {
      {"wrong column count", ReplaceAll(kGoodPortal, "60012.97,55803.63", "60012.97,55803.63,1"), 6,
       "地区", "湖北省", "wrong column count: the header has 3 columns, this row 4"},
      {"too few columns", ReplaceAll(kGoodPortal, "60012.97,55803.63", "60012.97"), 6, "地区",
       "湖北省", "wrong column count"},
      {"non-numeric value", ReplaceAll(kGoodPortal, "55803.63", "abc"), 6, "2023年", "abc",
       "not a number"},
      {"exponent", ReplaceAll(kGoodPortal, "55803.63", "5.58e4"), 6, "2023年", "5.58e4",
       "exponent notation is not allowed"},
      {"unknown region", ReplaceAll(kGoodPortal, "江苏省", "火星省"), 5, "地区", "火星省",
       "unknown region name"},
      {"unknown indicator", ReplaceAll(kGoodPortal, "地区生产总值(亿元)", "幸福指数(点)"), 2,
       "指标", "幸福指数(点)", "unknown indicator"},
      {"duplicate rows", ReplaceAll(kGoodPortal, "注：", "湖北省,60012.97,55000\n注："), 7,
       "2023年", "55000", "duplicate of line 6: gdp 420000 2023 is 55803.63 there and 55000 here"},
      {"row after footnotes", kGoodPortal + "湖北省,1,2\n", 8, "地区", "湖北省",
       "unexpected row after the footnotes"},
      {"bad period header", ReplaceAll(kGoodPortal, "2023年", "2023年第五季度"), 4,
       "2023年第五季度", "2023年第五季度", "a quarter must be 1 to 4"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ParseResult> result = Parse(c.bytes, "420000", "bad.csv");
    ASSERT_TRUE(result.ok()) << c.name << ": " << result.status();
    ASSERT_EQ(result->errors.size(), 1u) << c.name << "\n" << Describe(result->errors);
    const RowError& error = result->errors[0];
    EXPECT_EQ(error.file, "bad.csv") << c.name;
    EXPECT_EQ(error.line, c.line) << c.name;
    EXPECT_EQ(error.column, c.column) << c.name;
    EXPECT_EQ(error.value, c.value) << c.name;
    EXPECT_NE(error.reason.find(c.reason), std::string::npos) << c.name << ": " << error.reason;
  }
}

TEST(ImportBadInput, EveryRowErrorIsReported) {
  std::string bytes = ReplaceAll(kGoodPortal, "136696.9", "x");
  bytes = ReplaceAll(bytes, "55803.63", "y");
  bytes = ReplaceAll(bytes, "注：", "火星省,1,2\n注：");
  absl::StatusOr<ParseResult> result = Parse(bytes, "320000");
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->errors.size(), 2u) << Describe(result->errors);
  EXPECT_EQ(result->errors[0].line, 5);
  EXPECT_EQ(result->errors[1].line, 7);
}

TEST(ImportBadInput, IdenticalDuplicatesCollapse) {
  absl::StatusOr<ParseResult> result =
      Parse(ReplaceAll(kGoodPortal, "注：", "湖北省,60012.970,55803.63\n注："), "420000");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  EXPECT_EQ(result->observations.size(), 2u);
  EXPECT_EQ(result->observations[0].line, 6);
}

TEST(ImportBadInput, ReasonInChinese) {
  i18n::ScopedLang chinese(i18n::Lang::kChinese);
  absl::StatusOr<ParseResult> result = Parse(ReplaceAll(kGoodPortal, "江苏省", "火星省"), "420000");
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->errors.size(), 1u);
  EXPECT_NE(result->errors[0].reason.find("未知的地区名称"), std::string::npos)
      << result->errors[0].reason;

  absl::StatusOr<ParseResult> mojibake =
      Parse(ReadFile(kMojibakeDir + "/分省季度数据-生产总值.csv"), "420000", "q.csv");
  ASSERT_FALSE(mojibake.ok());
  EXPECT_NE(mojibake.status().message().find("文本编码无法识别"), std::string::npos)
      << mojibake.status().message();
}

TEST(ImportOptions, RejectsUnknownNodeProvince) {
  EXPECT_FALSE(Parse(kGoodPortal, "420100").ok());
  EXPECT_FALSE(Parse(kGoodPortal, "990000").ok());
}

// Every message of these modules that goes through i18n::Tr has a Chinese
// translation, so a Chinese user never sees English in their place.
TEST(ImportMessages, AllHaveChineseTranslations) {
  const std::regex call(R"re(i18n::Tr\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+))re");
  const std::regex literal(R"re("((?:[^"\\]|\\.)*)")re");
  int messages = 0;
  for (const char* module : {"common", "catalog", "importers"}) {
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(YREB_SOURCE_DIR) + "/" + module)) {
      if (entry.path().extension() != ".cc") continue;
      std::string source = ReadFile(entry.path());
      for (std::sregex_iterator it(source.begin(), source.end(), call), end; it != end; ++it) {
        std::string arguments = (*it)[1];
        std::string msgid;
        for (std::sregex_iterator part(arguments.begin(), arguments.end(), literal);
             part != std::sregex_iterator(); ++part) {
          msgid += (*part)[1];
        }
        msgid = ReplaceAll(msgid, "\\\"", "\"");
        ++messages;
        EXPECT_TRUE(i18n::HasTranslation(msgid))
            << entry.path().filename() << ": no translation for \"" << msgid << "\"";
      }
    }
  }
  EXPECT_GT(messages, 80);
}

}  // namespace
std::string LongCsv(const std::vector<std::string>& rows) {
  std::string text = "indicator,region,period,value,unit,status\n";
  for (const std::string& row : rows) text += row + "\n";
  return text;
}

std::vector<std::string> Lines(const std::vector<RowError>& errors) {
  std::vector<std::string> lines;
  for (const RowError& error : errors) {
    lines.push_back(std::to_string(error.line) + " " + error.value + ": " + error.reason);
  }
  return lines;
}

std::vector<std::string> Cells(const std::vector<Observation>& observations) {
  std::vector<std::string> cells;
  for (const Observation& o : observations) {
    cells.push_back(o.indicator + " " + o.region + " " + o.period + " " + o.value + " " + o.note);
  }
  return cells;
}

// A duplicate found by the check pass is reported where the repeat is, among
// the other row errors in file order. An identical repeat collapses, and a
// January after its February still drops the February note.
const std::vector<std::string> kDuplicateRows = {
    "gdp,420000,2021,1.5,亿元,final",                            // line 2
    "gdp,420000,2022,oops,亿元,final",                           // 3: not a number
    "gdp,420000,2021,1.50,亿元,final",                           // 4: identical
    "realestate_invest_cum,420000,2023-M02,10,亿元,final",       // 5
    "gdp,420000,2021,2.5,亿元,final",                            // 6: conflict
    "gdp,420000,1999-Q1,1,亿元,final",                           // 7: wrong frequency
    "realestate_invest_cum,420000,2023-M01,4,亿元,final",        // 8
    "realestate_invest_cum,420000,2024-M02,7,亿元,preliminary",  // 9: no January
};
const std::vector<std::string> kDuplicateErrors = {
    "3 oops: invalid number \"oops\": not a number",
    "6 2.5: duplicate of line 2: gdp 420000 2021 is 1.5 there and 2.5 here",
    "7 1: period 1999-Q1 does not fit indicator gdp, which is annual",
};
const std::vector<std::string> kDuplicateCells = {
    "gdp 420000 2021 1.5 ",
    "realestate_invest_cum 420000 2023-M02 10 ",
    "realestate_invest_cum 420000 2023-M01 4 ",
    "realestate_invest_cum 420000 2024-M02 7 " + std::string(kJanuaryFebruaryNote),
};

TEST(ImportTwoPasses, DuplicatesAreReportedInFileOrder) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  absl::StatusOr<ParseResult> result = Parse(LongCsv(kDuplicateRows), "420000");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Lines(result->errors), kDuplicateErrors);
  EXPECT_EQ(Cells(result->observations), kDuplicateCells);
  EXPECT_EQ(result->observation_count, 4u);
  EXPECT_FALSE(result->status_missing);
}

uint64_t SameHashForEveryCell(std::string_view, std::string_view, const period::Period&) {
  return 7;
}

TEST(ImportTwoPasses, HashCollisionComparesNames) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  internal::SetCellHashForTest(&SameHashForEveryCell);
  absl::StatusOr<ParseResult> result = Parse(LongCsv(kDuplicateRows), "420000");
  internal::SetCellHashForTest(nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Lines(result->errors), kDuplicateErrors);
  EXPECT_EQ(Cells(result->observations), kDuplicateCells);
  EXPECT_EQ(result->observation_count, 4u);
}

TEST(ImportTwoPasses, VisitStopsAtTheFirstError) {
  std::string text = LongCsv({"gdp,420000,2021,1,亿元,", "gdp,420000,2022,2,亿元,",
                              "gdp,420000,2023,3,亿元,"});
  ImportOptions options;
  options.file_name = "three.csv";
  absl::StatusOr<ParseResult> checked =
      CheckFile(text, options, catalog::Catalog::Default(), "420000");
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_TRUE(checked->observations.empty());
  EXPECT_EQ(checked->observation_count, 3u);
  EXPECT_TRUE(checked->status_missing);
  std::vector<std::string> seen;
  absl::Status status = VisitObservations(*checked, [&](Observation&& observation) {
    seen.push_back(observation.period);
    return seen.size() == 2 ? absl::ResourceExhaustedError("full") : absl::OkStatus();
  });
  EXPECT_EQ(status, absl::ResourceExhaustedError("full"));
  EXPECT_EQ(seen, (std::vector<std::string>{"2021", "2022"}));
  // The check can be visited again.
  seen.clear();
  ASSERT_TRUE(VisitObservations(*checked, [&](Observation&& observation) {
                seen.push_back(observation.period);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(seen.size(), 3u);
}

TEST(CsvCut, CutsAfterRecordEnd) {
  // A quoted field spans lines 2-3, and line 4 has a literal quote.
  std::string text = "a,b\nx,\"one\ntwo\"\ny\"z,w\r\nlast";
  std::optional<internal::CsvCut> cut = internal::CsvCutAfter(text, 5);
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(text.substr(cut->offset), "y\"z,w\r\nlast");
  EXPECT_EQ(cut->line, 4);
  cut = internal::CsvCutAfter(text, cut->offset);
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(text.substr(cut->offset), "last");
  EXPECT_EQ(cut->line, 5);
  EXPECT_FALSE(internal::CsvCutAfter(text, cut->offset).has_value());
  // No record ends inside an unclosed quoted field.
  EXPECT_FALSE(internal::CsvCutAfter("a,b\nx,\"open\nrest\n", 4).has_value());
}

// The byte-by-byte scan CsvCutAfter replaced, kept to compare with.
std::optional<internal::CsvCut> CutByBytes(std::string_view text, size_t at) {
  bool in_quotes = false;
  bool field_started = false;
  int line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          ++i;
        } else {
          in_quotes = false;
        }
      } else if (c == '\n') {
        ++line;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      in_quotes = true;
      field_started = true;
    } else if (c == ',') {
      field_started = false;
    } else if (c == '\n') {
      ++line;
      field_started = false;
      if (i >= at) return internal::CsvCut{i + 1, line};
    } else if (!(c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      field_started = true;
    }
  }
  return std::nullopt;
}

TEST(CsvCut, MatchesByteScan) {
  // Short texts of the bytes that matter, with every cut offset.
  const char alphabet[] = {'a', ',', '"', '\n', '\r', 'b'};
  std::mt19937 random(20261205);
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    size_t length = random() % 24;
    for (size_t i = 0; i < length; ++i) text.push_back(alphabet[random() % 6]);
    for (size_t at = 0; at <= text.size() + 1; ++at) {
      std::optional<internal::CsvCut> fast = internal::CsvCutAfter(text, at);
      std::optional<internal::CsvCut> slow = CutByBytes(text, at);
      ASSERT_EQ(fast.has_value(), slow.has_value()) << "text \"" << text << "\" at " << at;
      if (!fast.has_value()) continue;
      ASSERT_EQ(fast->offset, slow->offset) << "text \"" << text << "\" at " << at;
      ASSERT_EQ(fast->line, slow->line) << "text \"" << text << "\" at " << at;
    }
  }
}

TEST(CsvCut, CountsLinesPastEightByteWords) {
  // 40 lines of 9 bytes: the count crosses many eight-byte words.
  std::string text;
  for (int i = 0; i < 40; ++i) text += "12345678\n";
  std::optional<internal::CsvCut> cut = internal::CsvCutAfter(text, 200);
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->offset, 207u);
  EXPECT_EQ(cut->line, 24);
}

// The character loop that ForEachCsvRow replaced, kept to compare with.
absl::Status SplitByBytes(std::string_view text, std::string_view file_name,
                          const std::function<bool(internal::CsvRecord& record)>& visit,
                          int first_line = 1) {
  internal::CsvRecord record;
  std::string field;
  int line = first_line;
  record.line = first_line;
  bool in_quotes = false;
  bool field_was_quoted = false;
  int quote_line = 0;
  bool stopped = false;

  auto end_field = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
    field_was_quoted = false;
  };
  auto end_record = [&] {
    end_field();
    stopped = !visit(record);
    record.fields.clear();
    record.line = line;
  };

  for (size_t i = 0; i < text.size() && !stopped; ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        // A CRLF inside a quoted field is kept as LF.
        if (!(c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) field.push_back(c);
      }
      continue;
    }
    if (c == '"' && field.empty() && !field_was_quoted) {
      in_quotes = true;
      field_was_quoted = true;
      quote_line = line;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n') {
      ++line;
      end_record();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else {
      // Copies the bytes up to the next one that may end the field or the
      // record. A quote found there is literal text, and the next round
      // appends it.
      size_t end = i + 1;
      while (end < text.size() && text[end] != ',' && text[end] != '\n' && text[end] != '\r' &&
             text[end] != '"') {
        ++end;
      }
      field.append(text.data() + i, end - i);
      i = end - 1;
    }
  }
  if (stopped) return absl::OkStatus();
  if (in_quotes) {
    return absl::InvalidArgumentError(
        i18n::Tr("{}: line {}: a quoted field is not closed", std::string(file_name), quote_line));
  }
  if (!field.empty() || !record.fields.empty()) end_record();
  return absl::OkStatus();
}

// Returns the records of `text` as one string, and the error if any.
template <typename Split>
std::string Records(const std::string& text, const Split& split) {
  std::string out;
  absl::Status status = split(
      text, "f.csv",
      [&](internal::CsvRecord& record) {
        out += std::to_string(record.line) + ":";
        for (const std::string& field : record.fields) out += "[" + field + "]";
        out += "\n";
        return true;
      },
      1);
  return out + status.ToString();
}

TEST(CsvRows, MatchCharacterLoop) {
  const char alphabet[] = {'a', ',', '"', '\n', '\r', 'b'};
  std::mt19937 random(51205);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    size_t length = random() % 20;
    for (size_t i = 0; i < length; ++i) text.push_back(alphabet[random() % 6]);
    ASSERT_EQ(Records(text, internal::ForEachCsvRecord), Records(text, SplitByBytes))
        << "text \"" << text << "\"";
  }
}

TEST(CsvRows, QuotedFieldsBuiltApart) {
  // Views of the text where a field is its bytes, copies where it is not.
  std::string text = "plain,\"quoted\",\"dou\"\"bled\",\"cr\r\nlf\"tail,\"\"\nnext\r\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> views;
  ASSERT_TRUE(internal::ForEachCsvRow(text, "f.csv", [&](const internal::CsvRow& row) {
                std::vector<std::string> fields(row.fields.begin(), row.fields.end());
                rows.push_back(fields);
                for (std::string_view field : row.fields) {
                  views.push_back(field.data() >= text.data() &&
                                  field.data() < text.data() + text.size());
                }
                return true;
              }).ok());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"plain", "quoted", "dou\"bled", "cr\nlftail", ""}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"next"}));
  EXPECT_EQ(views, (std::vector<bool>{true, true, false, false, false, true}));
}

// Rows for a file read in two halves: errors, other provinces' rows,
// duplicates and a January-February pair on both sides of the middle.
std::string TwoHalvesFile() {
  std::vector<std::string> rows;
  for (int year = 1900; year < 1960; ++year) {
    rows.push_back("gdp,420000," + std::to_string(year) + "," + std::to_string(year) + ".5,亿元,");
  }
  rows.push_back("gdp,420000,1901,1902.5,亿元,");                   // conflict, first half
  rows.push_back("gdp,430000,2001,1,亿元,");                        // other province
  rows.push_back("gdp,420000,1961,x,亿元,");                        // not a number
  rows.push_back("realestate_invest_cum,420000,2023-M01,4,亿元,");  // January
  rows.push_back("gdp,420000,1962,\"3\n\",亿元,");                  // value over two lines
  for (int year = 1963; year < 2020; ++year) {
    rows.push_back("gdp,420000," + std::to_string(year) + "," + std::to_string(year) + ".5,亿元,");
  }
  rows.push_back("gdp,420000,1930,1930.50,亿元,");                   // identical repeat
  rows.push_back("gdp,420000,1931,7,亿元,");                         // conflict, second half
  rows.push_back("gdp,430000,2002,1,亿元,");                         // other province
  rows.push_back("realestate_invest_cum,420000,2023-M02,10,亿元,");  // February
  rows.push_back("realestate_invest_cum,420000,2024-M02,7,亿元,");   // February alone
  rows.push_back("gdp,420000,2021-Q1,1,亿元,");                      // wrong frequency
  return LongCsv(rows);
}

TEST(ImportTwoPasses, HalvesMatchWholeRead) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  std::string text = TwoHalvesFile();
  absl::StatusOr<ParseResult> whole = Parse(text, "420000");
  internal::SetParallelCheckBytesForTest(1);
  absl::StatusOr<ParseResult> halves = Parse(text, "420000");
  internal::SetParallelCheckBytesForTest(0);
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_TRUE(halves.ok()) << halves.status();
  EXPECT_EQ(Describe(halves->errors), Describe(whole->errors));
  EXPECT_EQ(Cells(halves->observations), Cells(whole->observations));
  EXPECT_EQ(halves->observation_count, whole->observation_count);
  EXPECT_EQ(halves->skipped_rows_other_regions, 2u);
  EXPECT_EQ(halves->skipped_by_region, whole->skipped_by_region);
  std::vector<int> lines;
  for (const Observation& observation : halves->observations) lines.push_back(observation.line);
  std::vector<int> whole_lines;
  for (const Observation& observation : whole->observations)
    whole_lines.push_back(observation.line);
  EXPECT_EQ(lines, whole_lines);
}

// The expected findings of TwoHalvesFile, so that the comparison above
// cannot pass on a mistake both reads share.
TEST(ImportTwoPasses, HalvesFindingsAreExact) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  std::string text = TwoHalvesFile();
  // The second half begins with the value over two lines, after the
  // January and before its February.
  std::optional<internal::CsvCut> cut = internal::CsvCutAfter(text, text.size() / 2);
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->line, 66);
  internal::SetParallelCheckBytesForTest(1);
  absl::StatusOr<ParseResult> halves = Parse(text, "420000");
  internal::SetParallelCheckBytesForTest(0);
  ASSERT_TRUE(halves.ok()) << halves.status();

  EXPECT_EQ(Lines(halves->errors),
            (std::vector<std::string>{
                "62 1902.5: duplicate of line 3: gdp 420000 1901 is 1901.5 there and 1902.5 here",
                "64 x: invalid number \"x\": not a number",
                "126 7: duplicate of line 33: gdp 420000 1931 is 1931.5 there and 7 here",
                "130 1: period 2021-Q1 does not fit indicator gdp, which is annual",
            }));
  EXPECT_EQ(halves->observation_count, 121u);

  const Observation* value_over_lines = Find(*halves, "gdp", "420000", "1962");
  ASSERT_NE(value_over_lines, nullptr);
  EXPECT_EQ(value_over_lines->line, 66);
  const Observation* after = Find(*halves, "gdp", "420000", "1963");
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->line, 68);

  const Observation* february = Find(*halves, "realestate_invest_cum", "420000", "2023-M02");
  ASSERT_NE(february, nullptr);
  EXPECT_EQ(february->note, "");
  const Observation* alone = Find(*halves, "realestate_invest_cum", "420000", "2024-M02");
  ASSERT_NE(alone, nullptr);
  EXPECT_EQ(alone->note, std::string(kJanuaryFebruaryNote));
}

// A whole-file error in the second half is the one reading it whole gives.
TEST(ImportTwoPasses, HalvesReportUnclosedQuote) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  std::string text = TwoHalvesFile() + "gdp,420000,2030,\"5,亿元,\n";
  internal::SetParallelCheckBytesForTest(1);
  absl::StatusOr<ParseResult> halves = Parse(text, "420000");
  internal::SetParallelCheckBytesForTest(0);
  EXPECT_EQ(halves.status(),
            absl::InvalidArgumentError("test.csv: line 131: a quoted field is not closed"));
  EXPECT_EQ(Parse(text, "420000").status(), halves.status());
}

TEST(ImportSdmxCsv, ReadsEveryRowOfALongFile) {
  // More rows than the records read to recognize the layout: all of them
  // count, not only the first.
  std::string text =
      "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,OBS_STATUS,"
      "UNIT_MEASURE,UNIT_MULT\n";
  for (int year = 1700; year < 2000; ++year) {
    text += "dataflow,,I,A,420000,gdp," + std::to_string(year) + ",1.5,A,,\n";
  }
  absl::StatusOr<ParseResult> result = Parse(text, "420000", "long.sdmx.csv");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->format, "sdmx-csv");
  EXPECT_TRUE(result->errors.empty()) << Describe(result->errors);
  EXPECT_EQ(result->observations.size(), 300u);
  ASSERT_NE(Find(*result, "gdp", "420000", "1999"), nullptr);
}

}  // namespace yreb::importers
