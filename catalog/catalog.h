// The indicator catalog: the indicators the federation collects and the
// regions it recognizes.
//
// A catalog version is a JSON document (catalog/default_catalog.json is
// version 1, compiled into the binary). Nodes identify a version by the
// SHA-256 of its exact bytes, so the bytes are kept as read and never
// re-serialized. A Catalog is immutable after Parse() and safe to read from
// any thread.
#ifndef YREB_CATALOG_CATALOG_H_
#define YREB_CATALOG_CATALOG_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/period.h"
#include "proto/record.pb.h"

namespace yreb::catalog {

// Regions an indicator is collected for.
enum class Scope { kProvince, kPrefecture, kBoth };

enum class RegionLevel { kNational, kProvince, kPrefecture };

// Rule that derives the belt value of an indicator from the provinces' values.
enum class Aggregation { kSum, kWeightedMean, kNotAggregable };

// Checks a value must pass; each bound is exact decimal text, empty when the
// catalog sets none. A value outside them is a finding, never altered.
struct Bounds {
  std::string min;
  std::string max;
  // Largest allowed change against the previous period, in percent of the
  // previous value ("50" allows 150 after 100, and 50).
  std::string max_change_percent;
};

struct Indicator {
  std::string code;  // short ASCII identifier, e.g. "gdp"
  std::string name_zh;
  std::string name_en;
  std::string unit;  // as published, e.g. "亿元", "%"
  // Power of ten of the unit over its base unit: 8 for 亿元 over 元, 4 for 万人.
  int unit_multiplier = 0;
  period::Period::Frequency frequency = period::Period::kAnnual;
  Scope scope = Scope::kBoth;
  proto::MeasureKind measure = proto::MEASURE_KIND_CURRENT;
  proto::ValueKind value_kind = proto::VALUE_KIND_LEVEL;
  std::string domain;  // 生态, 交通, 经济, 市场, 机制 or 民生
  int decimals = 0;    // scale of published values and of computed aggregates
  // Names the indicator has in files, e.g. "地区生产总值(亿元)" as the data
  // portal writes it. "name_zh(unit)" is always an alias too.
  std::vector<std::string> aliases;
  // The belt aggregation rule. A document without "aggregation" gets the
  // default of rules version 1: a sum for levels whose unit has a multiplier
  // word (亿元, 万人, 万吨), since those are amounts, and not aggregable for
  // the rest (percentages, indices, per-capita values, growth rates).
  Aggregation aggregation = Aggregation::kNotAggregable;
  std::string weight_indicator;  // code of the weights of a weighted mean
  Bounds bounds;
  // Years an annual indicator is collected in, for a census: every
  // `collected_every_years` years from `collected_first_year` (2000, 10 for
  // 2000, 2010, 2020). 0 means every year. Shared sets expect the indicator
  // only in those years.
  int collected_first_year = 0;
  int collected_every_years = 0;

  // Returns true when a value is collected for a period of `year`.
  bool CollectedIn(int year) const {
    return collected_every_years == 0 ||
           (year >= collected_first_year &&
            (year - collected_first_year) % collected_every_years == 0);
  }
};

struct Region {
  std::string code;  // GB/T 2260, six digits; "000000" for the nation
  std::string name_zh;
  std::string name_en;  // empty where the catalog has no English name
  RegionLevel level = RegionLevel::kProvince;
  // Short, informal and former names, e.g. "广西", "广西省" or "襄樊市".
  std::vector<std::string> aliases;
  int abolished = 0;  // year the code went out of use; 0 while in use
};

class Catalog {
 public:
  // Parses a catalog document strictly and never throws. Returns
  // InvalidArgument naming the entry for an unknown or missing field, a
  // duplicate indicator or region code, or a duplicate alias. The same holds
  // for a unit multiplier outside 0-12 or at odds with the unit (万 means 4,
  // 亿 means 8), for a prefecture whose province is missing, for a bound that
  // is not decimal text, and for a weighted mean whose weight indicator is
  // missing, itself, or of another frequency.
  static absl::StatusOr<Catalog> Parse(std::string_view bytes);

  // Returns version 1, compiled into the binary. Aborts the process when the
  // compiled-in document does not parse, which a unit test rules out.
  static const Catalog& Default();

  int version() const { return version_; }
  // Lower-case hex SHA-256 of the exact bytes given to Parse().
  const std::string& Sha256Hex() const { return sha256_hex_; }
  const std::string& bytes() const { return bytes_; }

  const std::vector<Indicator>& indicators() const { return indicators_; }
  const std::vector<Region>& regions() const { return regions_; }
  const std::vector<std::string>& member_provinces() const { return member_provinces_; }
  // Day the annual set is due, as "MM-DD" in China Standard Time.
  const std::string& annual_deadline() const { return annual_deadline_; }
  // Days after a quarter's end by which its set is due.
  int quarterly_deadline_days() const { return quarterly_deadline_days_; }

  // The lookups return nullptr when nothing matches. Pointers stay valid for
  // the life of the Catalog.
  const Indicator* FindIndicator(std::string_view code) const;
  // Matches the Chinese name or an alias. Full-width and half-width
  // parentheses, colons and percent signs are treated alike, and spaces are
  // ignored, so "地区生产总值（亿元）" finds gdp.
  const Indicator* FindIndicatorByName(std::string_view name) const;
  const Region* FindRegion(std::string_view code) const;
  // Matches the Chinese name or an alias, ignoring spaces. When a province and
  // a prefecture share a name (上海市 is both 310000 and its city proper
  // 310100), the province is returned.
  const Region* FindRegionByName(std::string_view name) const;

  // Returns true when `code` is one of the member provinces.
  bool IsMemberProvince(std::string_view code) const;

  // Returns the province code of a region code: its first two digits followed
  // by "0000" ("420100" -> "420000"). Returns an empty string when `code` is
  // not six digits or is the nation's "000000".
  static std::string ProvinceOf(std::string_view region_code);

  // Returns `name` in the form used for name lookups: spaces removed, and
  // full-width parentheses, colon and percent sign replaced by ASCII ones.
  static std::string NormalizeName(std::string_view name);

 private:
  Catalog() = default;

  int version_ = 0;
  std::string bytes_;
  std::string sha256_hex_;
  std::vector<Indicator> indicators_;
  std::vector<Region> regions_;
  std::vector<std::string> member_provinces_;
  std::string annual_deadline_;
  int quarterly_deadline_days_ = 0;

  // Indexes into indicators_ and regions_, keyed by code or normalized name.
  std::map<std::string, size_t, std::less<>> indicator_by_code_;
  std::map<std::string, size_t, std::less<>> indicator_by_name_;
  std::map<std::string, size_t, std::less<>> region_by_code_;
  std::map<std::string, size_t, std::less<>> region_by_name_;
};

}  // namespace yreb::catalog

#endif  // YREB_CATALOG_CATALOG_H_
