// Unit tests of the coordinator: exact arithmetic, the RFC 6962 Merkle root,
// deadlines, catalog rules, SDMX-CSV output, and shared sets computed from a
// real RocksDB store with an origin log.
#include <gtest/gtest.h>

#include "catalog/catalog.h"
#include "coordinator/deadline.h"
#include "coordinator/exact.h"
#include "coordinator/merkle.h"
#include "coordinator/release.h"
#include "coordinator/shared_set.h"
#include "i18n/i18n.h"
#include "importers/importers.h"
#include "proto/entry.h"
#include "sync/origin_log.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

using coordinator::Exact;

std::string Quotient(const std::string& a, const std::string& b, int scale) {
  absl::StatusOr<Exact> result =
      coordinator::Divide(*coordinator::ParseExact(a), *coordinator::ParseExact(b), scale);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? coordinator::ExactFixedText(*result) : "";
}

TEST(ExactTest, DivisionRoundsHalfToEven) {
  EXPECT_EQ(Quotient("1", "8", 2), "0.12");  // 0.125 -> even 2
  EXPECT_EQ(Quotient("3", "8", 2), "0.38");  // 0.375 -> even 8
  EXPECT_EQ(Quotient("-1", "8", 2), "-0.12");
  EXPECT_EQ(Quotient("2", "3", 4), "0.6667");
  EXPECT_EQ(Quotient("12009.35", "1", 1), "12009.4");  // .35 -> .4 (4 is even)
  EXPECT_EQ(Quotient("12009.25", "1", 1), "12009.2");
  EXPECT_EQ(Quotient("5", "2", 0), "2");
}

TEST(ExactTest, SumIsExactAndOverflowFails) {
  absl::StatusOr<Exact> sum =
      coordinator::Add(*coordinator::ParseExact("0.1"), *coordinator::ParseExact("0.2"));
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(coordinator::ExactText(*sum), "0.3");
  Exact big = *coordinator::ParseExact("999999999999999999999999999999999999");
  EXPECT_EQ(coordinator::Multiply(big, big).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(coordinator::Divide(big, Exact{0, 0}, 2).status().code(),
            absl::StatusCode::kInvalidArgument);
}

crypto::Hash LeafHash(const crypto::Hash& leaf) {
  return crypto::Sha256(std::string(1, '\0') + std::string(crypto::AsBytes(leaf)));
}

crypto::Hash NodeHash(const crypto::Hash& left, const crypto::Hash& right) {
  return crypto::Sha256(std::string(1, '\1') + std::string(crypto::AsBytes(left)) +
                        std::string(crypto::AsBytes(right)));
}

TEST(MerkleTest, FollowsRfc6962Shape) {
  EXPECT_EQ(crypto::ToHex(coordinator::MerkleRoot({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::vector<crypto::Hash> leaves;
  for (const char* text : {"a", "b", "c", "d", "e"}) leaves.push_back(crypto::Sha256(text));
  EXPECT_EQ(coordinator::MerkleRoot({leaves[0]}), LeafHash(leaves[0]));
  // Three leaves split 2 + 1; five split 4 + 1.
  std::vector<crypto::Hash> three(leaves.begin(), leaves.begin() + 3);
  EXPECT_EQ(coordinator::MerkleRoot(three),
            NodeHash(NodeHash(LeafHash(leaves[0]), LeafHash(leaves[1])), LeafHash(leaves[2])));
  crypto::Hash four = NodeHash(NodeHash(LeafHash(leaves[0]), LeafHash(leaves[1])),
                               NodeHash(LeafHash(leaves[2]), LeafHash(leaves[3])));
  EXPECT_EQ(coordinator::MerkleRoot(leaves), NodeHash(four, LeafHash(leaves[4])));
}

TEST(DeadlineTest, QuarterAndAnnualInChinaTime) {
  period::Period q4{2019, period::Period::kQuarterly, 4};
  EXPECT_EQ(coordinator::ChinaTime(coordinator::QuarterDeadline(q4, 20)),
            "2020-01-20T23:59:59+08:00");
  period::Period q2{2024, period::Period::kQuarterly, 2};
  EXPECT_EQ(coordinator::ChinaTime(coordinator::QuarterDeadline(q2, 20)),
            "2024-07-20T23:59:59+08:00");
  auto annual = coordinator::AnnualDeadline(2022, "03-31");
  ASSERT_TRUE(annual.ok());
  EXPECT_EQ(coordinator::ChinaTime(*annual), "2023-03-31T23:59:59+08:00");
  EXPECT_FALSE(coordinator::AnnualDeadline(2022, "02-30").ok());
  EXPECT_FALSE(coordinator::AnnualDeadline(2022, "3-31").ok());
}

TEST(CatalogRulesTest, DefaultRuleSumsAmountsOnly) {
  const catalog::Catalog& catalog = catalog::Catalog::Default();
  EXPECT_EQ(catalog.FindIndicator("gdp")->aggregation, catalog::Aggregation::kSum);
  EXPECT_EQ(catalog.FindIndicator("realestate_invest_cum")->aggregation,
            catalog::Aggregation::kSum);
  EXPECT_EQ(catalog.FindIndicator("realestate_invest_cum_growth")->aggregation,
            catalog::Aggregation::kNotAggregable);
  EXPECT_EQ(catalog.FindIndicator("urbanization_rate")->aggregation,
            catalog::Aggregation::kNotAggregable);
}

// A small catalog: two provinces, an amount with bounds, a weighted mean
// and a cumulative monthly indicator.
std::string SmallCatalog(const std::string& rate_extra = "") {
  return R"({
  "version": 2,
  "member_provinces": ["320000", "420000"],
  "annual_deadline": "03-31",
  "quarterly_deadline_days": 20,
  "indicators": [
    {"code": "output", "name_zh": "产出", "name_en": "Output", "unit": "亿元",
     "unit_multiplier": 8, "frequency": "quarterly", "scope": "province",
     "measure": "MEASURE_KIND_CURRENT", "value_kind": "VALUE_KIND_LEVEL", "domain": "经济",
     "decimals": 1, "bounds": {"min": "0", "max": "1000", "max_change_percent": "50"}},
    {"code": "rate", "name_zh": "比率", "name_en": "Rate", "unit": "%",
     "unit_multiplier": 0, "frequency": "quarterly", "scope": "province",
     "measure": "MEASURE_KIND_CURRENT", "value_kind": "VALUE_KIND_LEVEL", "domain": "经济",
     "decimals": 2, "aggregation": "weighted_mean", "weight_indicator": "output")" +
         rate_extra + R"(},
    {"code": "invest", "name_zh": "投资", "name_en": "Investment", "unit": "亿元",
     "unit_multiplier": 8, "frequency": "monthly", "scope": "province",
     "measure": "MEASURE_KIND_CUMULATIVE", "value_kind": "VALUE_KIND_LEVEL", "domain": "经济",
     "decimals": 2}
  ],
  "regions": [
    {"code": "320000", "name_zh": "江苏省", "name_en": "Jiangsu", "level": "province"},
    {"code": "420000", "name_zh": "湖北省", "name_en": "Hubei", "level": "province"}
  ]
})";
}

TEST(CatalogRulesTest, ParsesRulesAndRejectsBadOnes) {
  absl::StatusOr<catalog::Catalog> catalog = catalog::Catalog::Parse(SmallCatalog());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  const catalog::Indicator* rate = catalog->FindIndicator("rate");
  EXPECT_EQ(rate->aggregation, catalog::Aggregation::kWeightedMean);
  EXPECT_EQ(rate->weight_indicator, "output");
  EXPECT_EQ(catalog->FindIndicator("output")->bounds.max_change_percent, "50");

  std::string bad_weight = SmallCatalog();
  bad_weight.replace(bad_weight.find("\"weight_indicator\": \"output\""),
                     std::string("\"weight_indicator\": \"output\"").size(),
                     "\"weight_indicator\": \"invest\"");
  absl::StatusOr<catalog::Catalog> rejected = catalog::Catalog::Parse(bad_weight);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.status().message().find("indicator \"rate\": weight indicator \"invest\""),
            absl::string_view::npos)
      << rejected.status();

  std::string bad_bounds = SmallCatalog();
  bad_bounds.replace(bad_bounds.find("\"max\": \"1000\""), std::string("\"max\": \"1000\"").size(),
                     "\"max\": \"1e3\"");
  rejected = catalog::Catalog::Parse(bad_bounds);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.status().message().find(
                "indicator \"output\": bounds field \"max\": invalid number \"1e3\""),
            absl::string_view::npos)
      << rejected.status();
}

TEST(CatalogRulesTest, CensusIsExpectedInCensusYearsOnly) {
  i18n::ScopedLang english(i18n::Lang::kEnglish);
  const catalog::Catalog& shipped = catalog::Catalog::Default();
  const catalog::Indicator* census = shipped.FindIndicator("pop_census");
  ASSERT_NE(census, nullptr);
  EXPECT_EQ(census->collected_first_year, 2000);
  EXPECT_EQ(census->collected_every_years, 10);
  EXPECT_TRUE(coordinator::IsRequiredPeriod(*census, *period::ParseSdmx("2020")));
  EXPECT_FALSE(coordinator::IsRequiredPeriod(*census, *period::ParseSdmx("2023")));
  EXPECT_FALSE(coordinator::IsRequiredPeriod(*census, *period::ParseSdmx("1990")));
  const catalog::Indicator* gdp = shipped.FindIndicator("gdp");
  EXPECT_TRUE(coordinator::IsRequiredPeriod(*gdp, *period::ParseSdmx("2023")));

  std::string quarterly = SmallCatalog();
  quarterly.replace(quarterly.find("\"decimals\""), 0,
                    "\"collected\": {\"first_year\": 2000, \"every_years\": 0}, ");
  absl::StatusOr<catalog::Catalog> rejected = catalog::Catalog::Parse(quarterly);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.status().message().find("collected needs every_years of at least 1"),
            absl::string_view::npos)
      << rejected.status();
}

TEST(SdmxCsvTest, WritesTheLayoutOfVersionsTwoAndOne) {
  const catalog::Catalog& catalog = catalog::Catalog::Default();
  std::vector<importers::ExportRow> rows(2);
  rows[0].indicator = "gdp";
  rows[0].region = "320000";
  rows[0].period = "2022";
  rows[0].value = "122875.6";
  rows[0].status = proto::DATA_STATUS_FINAL_VERIFICATION;
  rows[1].indicator = "realestate_invest_cum";
  rows[1].region = "420000";
  rows[1].period = "2019-M12";
  rows[1].value = "6181.65";
  rows[1].status = proto::DATA_STATUS_PRELIMINARY;

  absl::StatusOr<std::string> two = importers::WriteSdmxCsv(rows, catalog, {.version = 2});
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(*two,
            "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,"
            "OBS_STATUS,UNIT_MEASURE,UNIT_MULT\r\n"
            "dataflow,YREB:YREB_SHARED(1.0.0),I,A,320000,gdp,2022,122875.6,A,亿元,8\r\n"
            "dataflow,YREB:YREB_SHARED(1.0.0),I,M,420000,realestate_invest_cum,2019-M12,"
            "6181.65,P,亿元,8\r\n");

  absl::StatusOr<std::string> one = importers::WriteSdmxCsv(rows, catalog, {.version = 1});
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(*one,
            "DATAFLOW,FREQ,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,OBS_STATUS,UNIT_MEASURE,"
            "UNIT_MULT\r\n"
            "YREB:YREB_SHARED(1.0),A,320000,gdp,2022,122875.6,A,亿元,8\r\n"
            "YREB:YREB_SHARED(1.0),M,420000,realestate_invest_cum,2019-M12,6181.65,P,亿元,8\r\n");
}

// A store with two origin logs written directly, as the receiver would
// store them, for computing shared sets.
class SharedSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("shared");
    auto store = storage::Store::Open(dir_, {.create_if_missing = true});
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    auto catalog = catalog::Catalog::Parse(SmallCatalog());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = std::make_unique<catalog::Catalog>(*std::move(catalog));
    for (uint32_t origin : {320000u, 420000u}) {
      keys_.emplace(origin, crypto::PrivateKey::Generate());
      auto log = sync::OriginLog::Open(store_.get(), &keys_.at(origin), origin, {});
      ASSERT_TRUE(log.ok());
      logs_[origin] = std::move(*log);
    }
  }

  // Writes one record as its origin (the region's province) and indexes it.
  uint64_t Put(const std::string& indicator, const std::string& region, const std::string& period,
               const std::string& value, uint32_t revision, bool withdrawn = false) {
    uint32_t origin = static_cast<uint32_t>(std::stoul(region));
    proto::Record record;
    record.set_indicator(indicator);
    record.set_region(region);
    record.set_period(period);
    record.set_value(value);
    record.set_revision(revision);
    record.set_withdrawn(withdrawn);
    uint64_t sequence = 0;
    absl::Status status = logs_[origin]->Run([&](sync::AppendContext& context) {
      sequence = context.Append(proto::ENTRY_KIND_RECORD, record.SerializeAsString());
      context.batch().PutCell({indicator, region, period, revision, origin, sequence});
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return sequence;
  }

  coordinator::SharedSet Compute(const std::string& period, const coordinator::Cut& cut) {
    coordinator::SharedSetInput input;
    input.store = store_.get();
    input.catalog = catalog_.get();
    input.period = *period::ParseSdmx(period);
    input.cut = cut;
    absl::StatusOr<coordinator::SharedSet> set = coordinator::ComputeSharedSet(input);
    EXPECT_TRUE(set.ok()) << set.status();
    return set.ok() ? *set : coordinator::SharedSet{};
  }

  coordinator::Cut Now() { return *coordinator::CurrentCut(*store_); }

  static const proto::Aggregate* Find(const coordinator::SharedSet& set,
                                      const std::string& indicator, const std::string& period) {
    for (const proto::Aggregate& aggregate : set.aggregates) {
      if (aggregate.indicator() == indicator && aggregate.period() == period) return &aggregate;
    }
    return nullptr;
  }

  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::map<uint32_t, crypto::PrivateKey> keys_;
  std::map<uint32_t, std::unique_ptr<sync::OriginLog>> logs_;
};

TEST_F(SharedSetTest, AggregatesSharesAndWeightedMean) {
  Put("output", "320000", "2024-Q3", "300.5", 1);
  Put("output", "420000", "2024-Q3", "100.5", 1);
  Put("rate", "320000", "2024-Q3", "2.10", 1);
  Put("rate", "420000", "2024-Q3", "4.3", 1);
  coordinator::SharedSet set = Compute("2024-Q3", Now());

  const proto::Aggregate* output = Find(set, "output", "2024-Q3");
  ASSERT_NE(output, nullptr);
  EXPECT_EQ(output->value(), "401");
  EXPECT_EQ(output->provinces(), 2u);
  ASSERT_EQ(output->shares_size(), 2);
  EXPECT_EQ(output->shares(0).region(), "320000");
  EXPECT_EQ(output->shares(0).share_percent(), "74.94");  // 300.5 / 401 = 74.937...
  EXPECT_EQ(output->shares(1).share_percent(), "25.06");

  // (2.10 * 300.5 + 4.3 * 100.5) / 401 = 1063.2 / 401 = 2.65137...
  const proto::Aggregate* rate = Find(set, "rate", "2024-Q3");
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ(rate->rule(), "weighted_mean");
  EXPECT_EQ(rate->value(), "2.65");
  EXPECT_EQ(rate->shares(0).region(), "420000");
}

TEST_F(SharedSetTest, CutDecidesTheRevisionAndWithdrawalsEmptyCells) {
  Put("output", "320000", "2024-Q3", "300.5", 1);
  coordinator::Cut first = Now();
  Put("output", "320000", "2024-Q3", "310.5", 2);
  Put("output", "420000", "2024-Q3", "100", 1);
  Put("output", "420000", "2024-Q3", "", 2, /*withdrawn=*/true);

  coordinator::SharedSet old_set = Compute("2024-Q3", first);
  ASSERT_EQ(old_set.cells.size(), 1u);
  EXPECT_EQ(old_set.cells[0].value(), "300.5");
  EXPECT_EQ(Find(old_set, "output", "2024-Q3")->value(), "300.5");

  coordinator::SharedSet new_set = Compute("2024-Q3", Now());
  ASSERT_EQ(new_set.cells.size(), 1u);  // 420000's value was withdrawn
  EXPECT_EQ(new_set.cells[0].value(), "310.5");
  EXPECT_EQ(new_set.cells[0].revision(), 2u);
  EXPECT_NE(old_set.merkle_root, new_set.merkle_root);

  // Hubei misses output and rate; Jiangsu misses rate.
  std::set<std::string> missing;
  for (const coordinator::MissingCell& cell : new_set.missing) {
    missing.insert(cell.province + " " + cell.indicator + " " + cell.period);
  }
  EXPECT_TRUE(missing.contains("420000 output 2024-Q3"));
  EXPECT_TRUE(missing.contains("420000 rate 2024-Q3"));
  EXPECT_TRUE(missing.contains("320000 rate 2024-Q3"));
  EXPECT_FALSE(missing.contains("320000 output 2024-Q3"));
  // January of a cumulative monthly indicator is not required; the other
  // months of Q3 are: 3 per province.
  EXPECT_TRUE(missing.contains("320000 invest 2024-M07"));
}

TEST_F(SharedSetTest, FindingsFlagWithoutAltering) {
  Put("output", "320000", "2024-Q2", "100", 1);
  Put("output", "320000", "2024-Q3", "151", 1);     // +51% against Q2: a jump
  Put("output", "420000", "2024-Q3", "1000.1", 1);  // above the maximum 1000
  Put("invest", "320000", "2024-M07", "50.5", 1);
  Put("invest", "320000", "2024-M08", "49.5", 1);  // year to date falls
  coordinator::SharedSet set = Compute("2024-Q3", Now());

  std::set<std::string> findings;
  for (const coordinator::Finding& finding : set.findings) {
    findings.insert(finding.kind + " " + finding.region + " " + finding.period);
  }
  EXPECT_EQ(findings, (std::set<std::string>{"jump 320000 2024-Q3", "above_max 420000 2024-Q3",
                                             "ytd_decrease 320000 2024-M08"}));
  // Flagged, never altered: the aggregate uses the values as reported.
  EXPECT_EQ(Find(set, "output", "2024-Q3")->value(), "1151.1");
}

TEST_F(SharedSetTest, ComparisonNamesTheDifferingCell) {
  Put("output", "320000", "2024-Q3", "300.5", 1);
  Put("output", "420000", "2024-Q3", "100.5", 1);
  coordinator::SharedSet set = Compute("2024-Q3", Now());
  proto::Release genuine = coordinator::MakeRelease(set, 1, 1);
  EXPECT_TRUE(coordinator::CompareReleases(genuine, genuine).empty());

  proto::Release forged = genuine;
  forged.mutable_aggregates(0)->set_value("500");
  std::vector<std::string> differences = coordinator::CompareReleases(forged, genuine);
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_EQ(differences[0], "belt aggregate output 2024-Q3: release 500, computed 401");

  auto held = coordinator::CheckCutHeld(*store_, coordinator::CutOf(genuine));
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(held->complete);
  coordinator::Cut ahead = coordinator::CutOf(genuine);
  ahead[320000].sequence += 5;
  held = coordinator::CheckCutHeld(*store_, ahead);
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(held->complete);
  EXPECT_EQ(held->missing, "origin 320000 up to sequence 6 (held: 1)");
}

TEST(CoordinatorMessagesTest, ChineseReordersArguments) {
  i18n::ScopedLang chinese(i18n::Lang::kChinese);
  EXPECT_EQ(i18n::Tr("{} {} {}: value {} changes by more than {}% against {} in {}", "gdp",
                     "320000", "2022", "130", "30", "100", "2021"),
            "gdp 320000 2022：数值 130 较 2021 的 100 变动超过 30%");
  EXPECT_EQ(i18n::Tr("{} {} {}: year-to-date value {} is lower than {} in {}", "invest", "320000",
                     "2024-M08", "49.5", "50.5", "2024-M07"),
            "invest 320000 2024-M08：累计值 49.5 低于 2024-M07 的 50.5");
  EXPECT_EQ(i18n::Tr("release {} of {} (entry {}/{}) does not match this node's computation: {}", 4,
                     "2019-Q4", 310000, 160, "x"),
            "2019-Q4 的第 4 次发布（条目 310000/160）与本节点的计算结果不符：x");
  EXPECT_EQ(
      i18n::Tr("UNIT_MULT must be {} for indicator {} ({}); convert the value", 8, "gdp", "亿元"),
      "指标 gdp（亿元）的 UNIT_MULT 必须为 8；请换算数值");
}

}  // namespace
}  // namespace yreb
