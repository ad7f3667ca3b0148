#include "catalog/catalog.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "common/decimal.h"
#include "i18n/i18n.h"

namespace yreb::catalog {

// Defined in the file generated from default_catalog.json at build time.
extern const unsigned char kDefaultCatalogJson[];
extern const size_t kDefaultCatalogJsonSize;

namespace {

using Json = nlohmann::json;

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

std::string HexSha256(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHexDigits[digest[i] >> 4]);
    hex.push_back(kHexDigits[digest[i] & 0xF]);
  }
  return hex;
}

// Reads the fields of one JSON object and remembers which were read, so that
// Finish() can reject every other field as unknown.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string entry) : object_(object), entry_(std::move(entry)) {}

  absl::Status String(const char* field, std::string* out, bool required = true) {
    const Json* value = Find(field, required);
    if (value == nullptr) return status_;
    if (!value->is_string())
      return Fail(i18n::Tr("{}: field \"{}\" must be a string", entry_, field));
    *out = value->get<std::string>();
    return absl::OkStatus();
  }

  absl::Status Integer(const char* field, int* out, bool required = true) {
    const Json* value = Find(field, required);
    if (value == nullptr) return status_;
    if (!value->is_number_integer()) {
      return Fail(i18n::Tr("{}: field \"{}\" must be an integer", entry_, field));
    }
    *out = value->get<int>();
    return absl::OkStatus();
  }

  absl::Status Strings(const char* field, std::vector<std::string>* out, bool required = true) {
    const Json* value = Find(field, required);
    if (value == nullptr) return status_;
    if (!value->is_array()) {
      return Fail(i18n::Tr("{}: field \"{}\" must be a list of strings", entry_, field));
    }
    for (const Json& item : *value) {
      if (!item.is_string()) {
        return Fail(i18n::Tr("{}: field \"{}\" must be a list of strings", entry_, field));
      }
      out->push_back(item.get<std::string>());
    }
    return absl::OkStatus();
  }

  // Marks `field` as read by a caller that parses it itself.
  absl::Status Skip(const char* field) {
    read_.insert(field);
    return absl::OkStatus();
  }

  // Rejects fields that no call above read.
  absl::Status Finish() const {
    for (const auto& [key, value] : object_.items()) {
      if (!read_.contains(key)) return Invalid(i18n::Tr("{}: unknown field \"{}\"", entry_, key));
    }
    return absl::OkStatus();
  }

  const std::string& entry() const { return entry_; }

 private:
  // Returns the field, or nullptr with status_ set: OK when an optional field
  // is absent, an error when a required one is.
  const Json* Find(const char* field, bool required) {
    read_.insert(field);
    auto it = object_.find(field);
    if (it == object_.end()) {
      status_ = required ? Invalid(i18n::Tr("{}: missing field \"{}\"", entry_, field))
                         : absl::OkStatus();
      return nullptr;
    }
    return &*it;
  }

  absl::Status Fail(std::string message) { return Invalid(std::move(message)); }

  const Json& object_;
  std::string entry_;
  std::set<std::string> read_;
  absl::Status status_;
};

// Returns the power of ten that the unit's leading Chinese multiplier word
// means: 8 for 亿元, 4 for 万人 and 万美元, 0 for 元, 人 or %.
int MultiplierOfUnit(std::string_view unit) {
  static constexpr std::array<std::pair<std::string_view, int>, 6> kPrefixes = {
      {{"万亿", 12}, {"百万", 6}, {"千万", 7}, {"亿", 8}, {"万", 4}, {"千", 3}}};
  for (const auto& [prefix, power] : kPrefixes) {
    if (unit.starts_with(prefix)) return power;
  }
  return 0;
}

absl::Status ParseEnum(ObjectReader& reader, const char* field,
                       const std::vector<std::string_view>& names, int* index) {
  std::string text;
  if (absl::Status status = reader.String(field, &text); !status.ok()) return status;
  for (size_t i = 0; i < names.size(); ++i) {
    if (text == names[i]) {
      *index = static_cast<int>(i);
      return absl::OkStatus();
    }
  }
  return Invalid(i18n::Tr("{}: invalid value \"{}\" of field \"{}\"", reader.entry(), text, field));
}

// Reads the optional "bounds" object: {"min", "max", "max_change_percent"},
// each a decimal string.
absl::Status ParseBounds(const Json& json, const std::string& label, Bounds* bounds) {
  auto it = json.find("bounds");
  if (it == json.end()) return absl::OkStatus();
  if (!it->is_object()) {
    return Invalid(i18n::Tr("{}: field \"{}\" must be a JSON object", label, "bounds"));
  }
  ObjectReader reader(*it, label + " bounds");
  for (absl::Status status : {
           reader.String("min", &bounds->min, /*required=*/false),
           reader.String("max", &bounds->max, /*required=*/false),
           reader.String("max_change_percent", &bounds->max_change_percent, /*required=*/false),
           reader.Finish(),
       }) {
    if (!status.ok()) return status;
  }
  for (auto [field, text] : {std::pair{"min", &bounds->min}, std::pair{"max", &bounds->max},
                             std::pair{"max_change_percent", &bounds->max_change_percent}}) {
    if (text->empty()) continue;
    if (absl::Status valid = decimal::Validate(*text); !valid.ok()) {
      return Invalid(i18n::Tr("{}: bounds field \"{}\": {}", label, field, valid.message()));
    }
  }
  if (!bounds->min.empty() && !bounds->max.empty() &&
      decimal::Compare(bounds->min, bounds->max) > 0) {
    return Invalid(i18n::Tr("{}: bounds min {} is greater than max {}", label, bounds->min,
                            bounds->max));
  }
  if (!bounds->max_change_percent.empty() &&
      decimal::Compare(bounds->max_change_percent, "0") < 0) {
    return Invalid(i18n::Tr("{}: bounds max_change_percent {} is negative", label,
                            bounds->max_change_percent));
  }
  return absl::OkStatus();
}

// Reads the optional "collected" object of a census indicator:
// {"first_year": 2000, "every_years": 10}.
absl::Status ParseCollected(const Json& json, const std::string& label, Indicator* indicator) {
  auto it = json.find("collected");
  if (it == json.end()) return absl::OkStatus();
  if (!it->is_object()) {
    return Invalid(i18n::Tr("{}: field \"{}\" must be a JSON object", label, "collected"));
  }
  ObjectReader reader(*it, label + " collected");
  for (absl::Status status : {
           reader.Integer("first_year", &indicator->collected_first_year),
           reader.Integer("every_years", &indicator->collected_every_years),
           reader.Finish(),
       }) {
    if (!status.ok()) return status;
  }
  if (indicator->collected_every_years < 1 || indicator->collected_first_year < 1900 ||
      indicator->collected_first_year > 2200) {
    return Invalid(i18n::Tr("{}: collected needs every_years of at least 1 and a first_year "
                            "from 1900 to 2200",
                            label));
  }
  if (indicator->frequency != period::Period::kAnnual) {
    return Invalid(i18n::Tr("{}: only an annual indicator can name the years it is collected",
                            label));
  }
  return absl::OkStatus();
}

absl::StatusOr<Indicator> ParseIndicator(const Json& json, size_t position) {
  if (!json.is_object()) {
    return Invalid(i18n::Tr("indicator number {} must be a JSON object", position + 1));
  }
  Indicator indicator;
  std::string label = i18n::Tr("indicator number {}", position + 1);
  if (auto it = json.find("code"); it != json.end() && it->is_string()) {
    label = i18n::Tr("indicator \"{}\"", it->get<std::string>());
  }
  ObjectReader reader(json, label);

  int frequency = 0, scope = 0, measure = 0, value_kind = 0, aggregation = -1;
  bool has_aggregation = json.contains("aggregation");
  for (absl::Status status : {
           reader.String("code", &indicator.code),
           reader.String("name_zh", &indicator.name_zh),
           reader.String("name_en", &indicator.name_en),
           reader.String("unit", &indicator.unit),
           reader.Integer("unit_multiplier", &indicator.unit_multiplier),
           ParseEnum(reader, "frequency", {"annual", "quarterly", "monthly"}, &frequency),
           ParseEnum(reader, "scope", {"province", "prefecture", "both"}, &scope),
           ParseEnum(reader, "measure", {"", "MEASURE_KIND_CURRENT", "MEASURE_KIND_CUMULATIVE"},
                     &measure),
           ParseEnum(reader, "value_kind", {"", "VALUE_KIND_LEVEL", "VALUE_KIND_GROWTH_RATE"},
                     &value_kind),
           reader.String("domain", &indicator.domain),
           reader.Integer("decimals", &indicator.decimals),
           reader.Strings("aliases", &indicator.aliases, /*required=*/false),
           has_aggregation ? ParseEnum(reader, "aggregation",
                                       {"sum", "weighted_mean", "not_aggregable"}, &aggregation)
                           : absl::OkStatus(),
           reader.String("weight_indicator", &indicator.weight_indicator, /*required=*/false),
           ParseBounds(json, label, &indicator.bounds),
           reader.Skip("bounds"),
           reader.Skip("collected"),
           reader.Finish(),
       }) {
    if (!status.ok()) return status;
  }

  if (indicator.code.empty() || indicator.code.find_first_not_of(
                                    "abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    return Invalid(
        i18n::Tr("{}: the code must be lower-case ASCII letters, digits and '_'", label));
  }
  if (measure == 0 || value_kind == 0) {
    return Invalid(i18n::Tr("{}: measure and value_kind must not be UNSPECIFIED", label));
  }
  if (indicator.unit_multiplier < 0 || indicator.unit_multiplier > 12) {
    return Invalid(
        i18n::Tr("{}: unit multiplier {} is outside 0 to 12", label, indicator.unit_multiplier));
  }
  if (int expected = MultiplierOfUnit(indicator.unit); expected != indicator.unit_multiplier) {
    return Invalid(i18n::Tr("{}: unit multiplier {} does not match unit \"{}\", which needs {}",
                            label, indicator.unit_multiplier, indicator.unit, expected));
  }
  static const std::set<std::string> kDomains = {"生态", "交通", "经济", "市场", "机制", "民生"};
  if (!kDomains.contains(indicator.domain)) {
    return Invalid(
        i18n::Tr("{}: invalid value \"{}\" of field \"{}\"", label, indicator.domain, "domain"));
  }
  if (indicator.decimals < 0 || indicator.decimals > 12) {
    return Invalid(i18n::Tr("{}: decimals {} is outside 0 to 12", label, indicator.decimals));
  }

  indicator.frequency = static_cast<period::Period::Frequency>(frequency);
  if (absl::Status status = ParseCollected(json, label, &indicator); !status.ok()) return status;
  indicator.scope = static_cast<Scope>(scope);
  if (has_aggregation) {
    indicator.aggregation = static_cast<Aggregation>(aggregation);
  } else {
    bool amount = value_kind == proto::VALUE_KIND_LEVEL && indicator.unit_multiplier > 0;
    indicator.aggregation = amount ? Aggregation::kSum : Aggregation::kNotAggregable;
  }
  bool weighted = indicator.aggregation == Aggregation::kWeightedMean;
  if (weighted && indicator.weight_indicator.empty()) {
    return Invalid(i18n::Tr("{}: a weighted mean needs \"weight_indicator\"", label));
  }
  if (!weighted && !indicator.weight_indicator.empty()) {
    return Invalid(i18n::Tr("{}: \"weight_indicator\" is only for \"aggregation\": "
                            "\"weighted_mean\"",
                            label));
  }
  indicator.measure = static_cast<proto::MeasureKind>(measure);
  indicator.value_kind = static_cast<proto::ValueKind>(value_kind);
  return indicator;
}

absl::StatusOr<Region> ParseRegion(const Json& json, size_t position) {
  if (!json.is_object()) {
    return Invalid(i18n::Tr("region number {} must be a JSON object", position + 1));
  }
  Region region;
  std::string label = i18n::Tr("region number {}", position + 1);
  if (auto it = json.find("code"); it != json.end() && it->is_string()) {
    label = i18n::Tr("region \"{}\"", it->get<std::string>());
  }
  ObjectReader reader(json, label);

  int level = 0;
  for (absl::Status status : {
           reader.String("code", &region.code),
           reader.String("name_zh", &region.name_zh),
           reader.String("name_en", &region.name_en),
           ParseEnum(reader, "level", {"national", "province", "prefecture"}, &level),
           reader.Strings("aliases", &region.aliases, /*required=*/false),
           reader.Integer("abolished", &region.abolished, /*required=*/false),
           reader.Finish(),
       }) {
    if (!status.ok()) return status;
  }
  region.level = static_cast<RegionLevel>(level);

  if (region.code.size() != 6 || region.code.find_first_not_of("0123456789") != std::string::npos) {
    return Invalid(i18n::Tr("{}: the code must be six digits", label));
  }
  bool ends_like_province = region.code.ends_with("0000");
  bool level_matches =
      (region.level == RegionLevel::kNational && region.code == "000000") ||
      (region.level == RegionLevel::kProvince && ends_like_province && region.code != "000000") ||
      (region.level == RegionLevel::kPrefecture && !ends_like_province);
  if (!level_matches) {
    return Invalid(i18n::Tr("{}: the code does not fit level \"{}\"", label,
                            json["level"].get<std::string>()));
  }
  return region;
}

// Rank of a region for names shared between regions: a lower rank wins.
int NameRank(const Region& region) {
  return static_cast<int>(region.level) * 2 + (region.abolished != 0 ? 1 : 0);
}

}  // namespace

std::string Catalog::NormalizeName(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kReplacements = {{
      {"\xEF\xBC\x88", "("},  // （
      {"\xEF\xBC\x89", ")"},  // ）
      {"\xEF\xBC\x9A", ":"},  // ：
      {"\xEF\xBC\x85", "%"},  // ％
      {"\xE3\x80\x80", ""},   // ideographic space
      {" ", ""},
  }};
  // Most names have nothing to replace or drop: the first bytes of the
  // replaced sequences, tab, CR and LF.
  if (name.find_first_of("\xEF\xE3 \t\r\n") == std::string_view::npos) return std::string(name);
  std::string out;
  out.reserve(name.size());
  size_t i = 0;
  while (i < name.size()) {
    bool replaced = false;
    for (const auto& [from, to] : kReplacements) {
      if (name.substr(i).starts_with(from)) {
        out.append(to);
        i += from.size();
        replaced = true;
        break;
      }
    }
    if (replaced) continue;
    if (name[i] != '\t' && name[i] != '\r' && name[i] != '\n') out.push_back(name[i]);
    ++i;
  }
  return out;
}

std::string Catalog::ProvinceOf(std::string_view region_code) {
  if (region_code.size() != 6 ||
      region_code.find_first_not_of("0123456789") != std::string_view::npos ||
      region_code.starts_with("00")) {
    return "";
  }
  return std::string(region_code.substr(0, 2)) + "0000";
}

absl::StatusOr<Catalog> Catalog::Parse(std::string_view bytes) {
  Json root;
  try {
    root = Json::parse(bytes.begin(), bytes.end());
  } catch (const Json::exception& e) {
    return Invalid(i18n::Tr("the catalog is not valid JSON: {}", e.what()));
  }
  if (!root.is_object()) return Invalid(i18n::Tr("the catalog must be a JSON object"));

  Catalog catalog;
  catalog.bytes_ = std::string(bytes);
  catalog.sha256_hex_ = HexSha256(bytes);

  ObjectReader reader(root, i18n::Tr("catalog"));
  std::vector<std::string> unused;
  for (absl::Status status : {
           reader.Integer("version", &catalog.version_),
           reader.Strings("member_provinces", &catalog.member_provinces_),
           reader.String("annual_deadline", &catalog.annual_deadline_),
           reader.Integer("quarterly_deadline_days", &catalog.quarterly_deadline_days_),
       }) {
    if (!status.ok()) return status;
  }
  for (const char* list : {"indicators", "regions"}) {
    auto it = root.find(list);
    if (it == root.end() || !it->is_array()) {
      return Invalid(i18n::Tr("catalog: field \"{}\" must be a list", list));
    }
  }
  reader.Strings("indicators", &unused).IgnoreError();
  reader.Strings("regions", &unused).IgnoreError();
  if (absl::Status status = reader.Finish(); !status.ok()) return status;

  if (catalog.version_ < 1) return Invalid(i18n::Tr("catalog: version must be 1 or more"));
  const std::string& deadline = catalog.annual_deadline_;
  if (deadline.size() != 5 || deadline[2] != '-' ||
      !period::ParseSdmx("2000-" + deadline.substr(0, 2)).ok() ||
      deadline.substr(3).find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(deadline.substr(3)) < 1 || std::stoi(deadline.substr(3)) > 31) {
    return Invalid(i18n::Tr("catalog: annual_deadline \"{}\" must be MM-DD", deadline));
  }
  if (catalog.quarterly_deadline_days_ < 1 || catalog.quarterly_deadline_days_ > 92) {
    return Invalid(i18n::Tr("catalog: quarterly_deadline_days must be 1 to 92"));
  }

  // Indicators, with their codes and names.
  const Json& indicators = root["indicators"];
  for (size_t i = 0; i < indicators.size(); ++i) {
    absl::StatusOr<Indicator> indicator = ParseIndicator(indicators[i], i);
    if (!indicator.ok()) return indicator.status();
    if (!catalog.indicator_by_code_.emplace(indicator->code, i).second) {
      return Invalid(i18n::Tr("catalog: duplicate indicator code \"{}\"", indicator->code));
    }
    catalog.indicators_.push_back(*std::move(indicator));
  }
  for (const Indicator& indicator : catalog.indicators_) {
    if (indicator.weight_indicator.empty()) continue;
    const Indicator* weight = catalog.FindIndicator(indicator.weight_indicator);
    if (weight == nullptr || weight == &indicator || weight->frequency != indicator.frequency) {
      return Invalid(i18n::Tr("indicator \"{}\": weight indicator \"{}\" must be another "
                              "indicator of the catalog with the same frequency",
                              indicator.code, indicator.weight_indicator));
    }
  }
  for (size_t i = 0; i < catalog.indicators_.size(); ++i) {
    const Indicator& indicator = catalog.indicators_[i];
    std::vector<std::string> names = indicator.aliases;
    names.push_back(indicator.name_zh);
    names.push_back(indicator.name_zh + "(" + indicator.unit + ")");
    for (const std::string& name : names) {
      auto [it, inserted] = catalog.indicator_by_name_.emplace(NormalizeName(name), i);
      if (!inserted && it->second != i) {
        return Invalid(i18n::Tr("catalog: the name \"{}\" is used by indicators \"{}\" and \"{}\"",
                                name, catalog.indicators_[it->second].code, indicator.code));
      }
    }
  }

  // Regions, then the names that point at them.
  const Json& regions = root["regions"];
  for (size_t i = 0; i < regions.size(); ++i) {
    absl::StatusOr<Region> region = ParseRegion(regions[i], i);
    if (!region.ok()) return region.status();
    if (!catalog.region_by_code_.emplace(region->code, i).second) {
      return Invalid(i18n::Tr("catalog: duplicate region code \"{}\"", region->code));
    }
    catalog.regions_.push_back(*std::move(region));
  }
  for (size_t i = 0; i < catalog.regions_.size(); ++i) {
    const Region& region = catalog.regions_[i];
    if (region.level == RegionLevel::kPrefecture) {
      const Region* province = catalog.FindRegion(ProvinceOf(region.code));
      if (province == nullptr || province->level != RegionLevel::kProvince) {
        return Invalid(i18n::Tr("catalog region \"{}\": its province {} is not in the catalog",
                                region.code, ProvinceOf(region.code)));
      }
    }
    std::vector<std::string> names = region.aliases;
    names.push_back(region.name_zh);
    for (const std::string& name : names) {
      std::string key = NormalizeName(name);
      auto [it, inserted] = catalog.region_by_name_.emplace(key, i);
      if (inserted || it->second == i) continue;
      const Region& other = catalog.regions_[it->second];
      if (NameRank(region) < NameRank(other)) {
        it->second = i;
      } else if (NameRank(region) == NameRank(other)) {
        return Invalid(i18n::Tr("catalog: the name \"{}\" is used by regions \"{}\" and \"{}\"",
                                name, other.code, region.code));
      }
    }
  }
  for (const std::string& code : catalog.member_provinces_) {
    const Region* region = catalog.FindRegion(code);
    if (region == nullptr || region->level != RegionLevel::kProvince) {
      return Invalid(
          i18n::Tr("catalog: member province \"{}\" is not a province in the catalog", code));
    }
  }
  return catalog;
}

const Catalog& Catalog::Default() {
  static const Catalog* const kDefault = [] {
    std::string_view bytes(reinterpret_cast<const char*>(kDefaultCatalogJson),
                           kDefaultCatalogJsonSize);
    absl::StatusOr<Catalog> catalog = Parse(bytes);
    if (!catalog.ok()) {
      std::fprintf(stderr, "the compiled-in catalog does not parse: %s\n",
                   std::string(catalog.status().message()).c_str());
      std::abort();
    }
    return new Catalog(*std::move(catalog));
  }();
  return *kDefault;
}

const Indicator* Catalog::FindIndicator(std::string_view code) const {
  auto it = indicator_by_code_.find(code);
  return it == indicator_by_code_.end() ? nullptr : &indicators_[it->second];
}

const Indicator* Catalog::FindIndicatorByName(std::string_view name) const {
  auto it = indicator_by_name_.find(NormalizeName(name));
  return it == indicator_by_name_.end() ? nullptr : &indicators_[it->second];
}

const Region* Catalog::FindRegion(std::string_view code) const {
  auto it = region_by_code_.find(code);
  return it == region_by_code_.end() ? nullptr : &regions_[it->second];
}

const Region* Catalog::FindRegionByName(std::string_view name) const {
  auto it = region_by_name_.find(NormalizeName(name));
  return it == region_by_name_.end() ? nullptr : &regions_[it->second];
}

bool Catalog::IsMemberProvince(std::string_view code) const {
  for (const std::string& member : member_provinces_) {
    if (member == code) return true;
  }
  return false;
}

}  // namespace yreb::catalog
