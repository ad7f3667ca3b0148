#include "node/coordinator_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>

#include "absl/strings/str_join.h"
#include "coordinator/deadline.h"
#include "coordinator/release.h"
#include "i18n/i18n.h"
#include "importers/importers.h"
#include "node/admin_service.h"
#include "proto/entry.h"
#include "sync/coordination_index.h"

namespace yreb::node {
namespace {

// Returns the first instant after `period` in China Standard Time (UTC+8).
std::chrono::system_clock::time_point PeriodEnd(const period::Period& period) {
  int months = period.frequency == period::Period::kAnnual      ? 12
               : period.frequency == period::Period::kQuarterly ? 3
                                                                : 1;
  int next = period.StartMonth() - 1 + months;  // months since January of period.year
  std::chrono::sys_days first_day = std::chrono::year{period.year + next / 12} /
                                    std::chrono::month{static_cast<unsigned>(next % 12 + 1)} /
                                    std::chrono::day{1};
  return std::chrono::system_clock::time_point(first_day) - std::chrono::hours(8);
}

using i18n::Tr;
using nlohmann::json;

i18n::Lang CallerLang(const grpc::ServerContext* context) {
  auto it = context->client_metadata().find("yreb-lang");
  if (it == context->client_metadata().end()) return i18n::Lang::kEnglish;
  return i18n::LangFromCode(std::string_view(it->second.data(), it->second.size()));
}

bool Chinese() { return i18n::CurrentLang() == i18n::Lang::kChinese; }

std::string RegionName(const catalog::Catalog& catalog, const std::string& code) {
  const catalog::Region* region = catalog.FindRegion(code);
  if (region == nullptr) return code;
  return !Chinese() && !region->name_en.empty() ? region->name_en : region->name_zh;
}

std::string IndicatorName(const catalog::Catalog& catalog, const std::string& code) {
  const catalog::Indicator* indicator = catalog.FindIndicator(code);
  if (indicator == nullptr) return code;
  return Chinese() || indicator->name_en.empty() ? indicator->name_zh : indicator->name_en;
}

// Parses the period of a shared set: a year or a quarter.
absl::StatusOr<period::Period> SetPeriod(const std::string& text) {
  absl::StatusOr<period::Period> period = period::ParseSdmx(text);
  if (!period.ok()) return absl::InvalidArgumentError(period.status().message());
  if (period->frequency == period::Period::kMonthly) {
    return absl::InvalidArgumentError(
        Tr("shared sets are quarterly or annual; give a period such as 2019-Q4 or 2022, not {}",
           text));
  }
  return period;
}

// Returns the deadline of a set and the time left, in China Standard Time.
absl::StatusOr<json> DeadlineJson(const catalog::Catalog& catalog, const period::Period& period) {
  std::chrono::system_clock::time_point deadline;
  if (period.frequency == period::Period::kQuarterly) {
    deadline = coordinator::QuarterDeadline(period, catalog.quarterly_deadline_days());
  } else {
    absl::StatusOr<std::chrono::system_clock::time_point> annual =
        coordinator::AnnualDeadline(period.year, catalog.annual_deadline());
    if (!annual.ok()) return annual.status();
    deadline = *annual;
  }
  auto now = std::chrono::system_clock::now();
  int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(deadline - now).count();
  json out = {{"deadline", coordinator::ChinaTime(deadline)}, {"seconds_left", seconds}};
  if (seconds >= 0) {
    out["days_left"] = seconds / 86400;
    out["text"] = Tr("{} days {} hours left", seconds / 86400, seconds % 86400 / 3600);
  } else {
    int64_t days = (-seconds + 86399) / 86400;
    out["days_left"] = -days;
    out["text"] = Tr("overdue by {} days", days);
  }
  return out;
}

json CutJson(const coordinator::Cut& cut) {
  json out = json::array();
  for (const auto& [origin, tip] : cut) {
    out.push_back(
        {{"origin", origin}, {"sequence", tip.sequence}, {"hash", crypto::ToHex(tip.hash)}});
  }
  return out;
}

json AggregatesJson(const catalog::Catalog& catalog,
                    const google::protobuf::RepeatedPtrField<proto::Aggregate>& aggregates) {
  json out = json::array();
  for (const proto::Aggregate& aggregate : aggregates) {
    const catalog::Indicator* indicator = catalog.FindIndicator(aggregate.indicator());
    json shares = json::array();
    for (const proto::ProvinceShare& share : aggregate.shares()) {
      shares.push_back({{"region", share.region()},
                        {"name", RegionName(catalog, share.region())},
                        {"share_percent", share.share_percent()},
                        {"rank", share.rank()}});
    }
    out.push_back({{"indicator", aggregate.indicator()},
                   {"name", IndicatorName(catalog, aggregate.indicator())},
                   {"unit", indicator != nullptr ? indicator->unit : ""},
                   {"period", aggregate.period()},
                   {"rule", aggregate.rule()},
                   {"value", aggregate.value()},
                   {"provinces", aggregate.provinces()},
                   {"expected", aggregate.expected()},
                   {"shares", shares}});
  }
  return out;
}

json FindingsJson(const catalog::Catalog& catalog,
                  const std::vector<coordinator::Finding>& findings) {
  json out = json::array();
  for (const coordinator::Finding& finding : findings) {
    std::string text;
    if (finding.kind == "below_min") {
      text = Tr("{} {} {}: value {} is below the minimum {}", finding.indicator, finding.region,
                finding.period, finding.value, finding.limit);
    } else if (finding.kind == "above_max") {
      text = Tr("{} {} {}: value {} is above the maximum {}", finding.indicator, finding.region,
                finding.period, finding.value, finding.limit);
    } else if (finding.kind == "jump") {
      text = Tr("{} {} {}: value {} changes by more than {}% against {} in {}", finding.indicator,
                finding.region, finding.period, finding.value, finding.limit,
                finding.previous_value, finding.previous_period);
    } else {
      text = Tr("{} {} {}: year-to-date value {} is lower than {} in {}", finding.indicator,
                finding.region, finding.period, finding.value, finding.previous_value,
                finding.previous_period);
    }
    out.push_back({{"kind", finding.kind},
                   {"indicator", finding.indicator},
                   {"region", finding.region},
                   {"region_name", RegionName(catalog, finding.region)},
                   {"period", finding.period},
                   {"value", finding.value},
                   {"limit", finding.limit},
                   {"previous_period", finding.previous_period},
                   {"previous_value", finding.previous_value},
                   {"text", text}});
  }
  return out;
}

absl::StatusOr<json> SharedSetJson(const catalog::Catalog& catalog,
                                   const coordinator::SharedSet& set,
                                   const period::Period& period) {
  json out = {{"period", set.period},
              {"catalog_version", set.catalog_version},
              {"catalog_sha256", set.catalog_sha256},
              {"rules_version", set.rules_version},
              {"cut", CutJson(set.cut)},
              {"merkle_root", crypto::ToHex(set.merkle_root)},
              {"cells", set.cells.size()},
              {"expected_cells", set.expected_cells},
              {"missing_cells", set.missing.size()}};
  absl::StatusOr<json> deadline = DeadlineJson(catalog, period);
  if (!deadline.ok()) return deadline.status();
  out["deadline"] = *deadline;

  json provinces = json::array();
  for (const std::string& province : set.provinces) {
    json missing = json::array();
    for (const coordinator::MissingCell& cell : set.missing) {
      if (cell.province != province) continue;
      missing.push_back({{"indicator", cell.indicator},
                         {"name", IndicatorName(catalog, cell.indicator)},
                         {"period", cell.period}});
    }
    json coverage = json::array();
    for (const coordinator::PrefectureCoverage& item : set.prefecture_coverage) {
      if (item.province != province) continue;
      coverage.push_back({{"indicator", item.indicator},
                          {"period", item.period},
                          {"have", item.have},
                          {"total", item.total}});
    }
    provinces.push_back({{"id", province},
                         {"name", RegionName(catalog, province)},
                         {"missing", missing},
                         {"prefecture_coverage", coverage}});
  }
  out["provinces"] = provinces;
  out["findings"] = FindingsJson(catalog, set.findings);
  google::protobuf::RepeatedPtrField<proto::Aggregate> aggregates(set.aggregates.begin(),
                                                                  set.aggregates.end());
  out["aggregates"] = AggregatesJson(catalog, aggregates);
  return out;
}

json ReleaseJson(const catalog::Catalog& catalog, const CoordinatorService::StoredRelease& stored) {
  const proto::Release& release = stored.release;
  return {{"origin", stored.origin},
          {"sequence", stored.sequence},
          {"period", release.period()},
          {"release_number", release.release_number()},
          {"epoch", release.epoch()},
          {"catalog_version", release.catalog_version()},
          {"rules_version", release.rules_version()},
          {"cut", CutJson(coordinator::CutOf(release))},
          {"merkle_root", crypto::ToHex(release.merkle_root())},
          {"cells", release.cells_size()},
          {"findings", release.findings()},
          {"missing_cells", release.missing_cells()},
          {"aggregates", AggregatesJson(catalog, release.aggregates())},
          {"state", stored.state},
          {"details", stored.details}};
}

}  // namespace

CoordinatorService::CoordinatorService(storage::Store* store, sync::OriginLog* log,
                                       const LeadGate* gate)
    : store_(store), log_(log), gate_(gate) {}

CoordinatorService::~CoordinatorService() { StopChecking(); }

void CoordinatorService::StartChecking(std::chrono::milliseconds interval) {
  checker_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(checker_mu_);
    while (!stop_checking_) {
      lock.unlock();
      absl::StatusOr<std::vector<StoredRelease>> releases = Releases();
      if (!releases.ok()) {
        spdlog::error("release check failed: error=\"{}\"", releases.status().message());
      }
      lock.lock();
      checker_wake_.wait_for(lock, interval, [this] { return stop_checking_; });
    }
  });
}

void CoordinatorService::StopChecking() {
  {
    std::lock_guard<std::mutex> lock(checker_mu_);
    stop_checking_ = true;
  }
  checker_wake_.notify_all();
  if (checker_.joinable()) checker_.join();
}

absl::StatusOr<std::map<uint32_t, CoordinatorService::CatalogEntry>>
CoordinatorService::CatalogVersions() {
  std::map<uint32_t, CatalogEntry> versions;
  versions[1] = CatalogEntry{
      0, 0,
      std::shared_ptr<const catalog::Catalog>(&catalog::Catalog::Default(), [](const auto*) {})};

  std::vector<sync::CoordinationRef> refs;
  absl::Status scanned =
      sync::ScanCoordination(*store_, proto::ENTRY_KIND_CATALOG, [&](const auto& ref) {
        refs.push_back(ref);
        return true;
      });
  if (!scanned.ok()) return scanned;

  for (const sync::CoordinationRef& ref : refs) {
    std::shared_ptr<const catalog::Catalog> parsed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = parsed_.find({ref.origin, ref.sequence}); it != parsed_.end()) {
        parsed = it->second;
      }
    }
    if (parsed == nullptr) {
      absl::StatusOr<std::optional<std::string>> encoded =
          store_->GetEntry(ref.origin, ref.sequence);
      if (!encoded.ok()) return encoded.status();
      if (!encoded->has_value()) continue;
      absl::StatusOr<entry::EntryView> view = entry::Decode(**encoded);
      proto::CatalogVersion body;
      if (!view.ok() ||
          !body.ParseFromArray(view->body.data(), static_cast<int>(view->body.size()))) {
        spdlog::warn("catalog entry ignored: origin={} sequence={} reason=\"damaged body\"",
                     ref.origin, ref.sequence);
        continue;
      }
      std::string reason;
      if (gate_->Judge(ref.origin, ref.sequence, body.epoch(), &reason) != lead::Verdict::kCounts) {
        continue;
      }
      absl::StatusOr<catalog::Catalog> catalog = catalog::Catalog::Parse(body.document());
      if (!catalog.ok() || static_cast<uint32_t>(catalog->version()) != body.version()) {
        spdlog::warn("catalog entry ignored: origin={} sequence={} reason=\"invalid document\"",
                     ref.origin, ref.sequence);
        continue;
      }
      parsed = std::make_shared<const catalog::Catalog>(*std::move(catalog));
      std::lock_guard<std::mutex> lock(mu_);
      parsed_[{ref.origin, ref.sequence}] = parsed;
    }
    // The first entry of a version counts; a later one of the same number
    // is ignored.
    versions.try_emplace(static_cast<uint32_t>(parsed->version()),
                         CatalogEntry{ref.origin, ref.sequence, parsed});
  }
  return versions;
}

std::vector<std::shared_ptr<const catalog::Catalog>> CoordinatorService::CatalogsNewestFirst() {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!newest_first_.empty() && now - newest_first_read_ < std::chrono::seconds(1)) {
      return newest_first_;
    }
  }
  absl::StatusOr<std::map<uint32_t, CatalogEntry>> versions = CatalogVersions();
  std::vector<std::shared_ptr<const catalog::Catalog>> newest_first;
  if (!versions.ok()) {
    spdlog::error("catalog versions unreadable, using version 1: error=\"{}\"",
                  versions.status().message());
    newest_first.emplace_back(&catalog::Catalog::Default(), [](const catalog::Catalog*) {});
    return newest_first;
  }
  for (auto it = versions->rbegin(); it != versions->rend(); ++it) {
    newest_first.push_back(it->second.catalog);
  }
  std::lock_guard<std::mutex> lock(mu_);
  newest_first_ = newest_first;
  newest_first_read_ = now;
  return newest_first;
}

absl::StatusOr<coordinator::SharedSet> CoordinatorService::Compute(
    const catalog::Catalog& catalog, const period::Period& period,
    const coordinator::Cut& cut) const {
  coordinator::SharedSetInput input;
  input.store = store_;
  input.catalog = &catalog;
  input.period = period;
  input.cut = cut;
  return coordinator::ComputeSharedSet(input);
}

absl::Status CoordinatorService::Check(StoredRelease* stored,
                                       const std::map<uint32_t, CatalogEntry>& catalogs) const {
  const proto::Release& release = stored->release;
  stored->details.clear();
  if (release.rules_version() != coordinator::kRulesVersion) {
    stored->state = "unverifiable";
    stored->details.push_back(Tr("the release follows rules version {}, this node runs version {}",
                                 release.rules_version(), coordinator::kRulesVersion));
    return absl::OkStatus();
  }
  auto catalog = catalogs.find(release.catalog_version());
  if (catalog == catalogs.end()) {
    stored->state = "pending";
    stored->details.push_back(Tr("catalog version {} is not held yet", release.catalog_version()));
    return absl::OkStatus();
  }
  if (catalog->second.catalog->Sha256Hex() != release.catalog_sha256()) {
    stored->state = "mismatch";
    stored->details.push_back(Tr("catalog version {}: release names SHA-256 {}, this node holds {}",
                                 release.catalog_version(), release.catalog_sha256(),
                                 catalog->second.catalog->Sha256Hex()));
    return absl::OkStatus();
  }

  coordinator::Cut cut = coordinator::CutOf(release);
  absl::StatusOr<coordinator::CutHolding> holding = coordinator::CheckCutHeld(*store_, cut);
  if (!holding.ok()) return holding.status();
  if (!holding->conflicts.empty()) {
    stored->state = "mismatch";
    stored->details = holding->conflicts;
    return absl::OkStatus();
  }
  if (!holding->complete) {
    stored->state = "pending";
    stored->details.push_back(Tr("waiting for {}", holding->missing));
    return absl::OkStatus();
  }

  absl::StatusOr<period::Period> period = SetPeriod(release.period());
  if (!period.ok()) {
    stored->state = "mismatch";
    stored->details.push_back(std::string(period.status().message()));
    return absl::OkStatus();
  }
  absl::StatusOr<coordinator::SharedSet> set = Compute(*catalog->second.catalog, *period, cut);
  if (!set.ok()) return set.status();
  proto::Release computed =
      coordinator::MakeRelease(*set, release.epoch(), release.release_number());
  stored->details = coordinator::CompareReleases(release, computed);
  stored->state = stored->details.empty() ? "verified" : "mismatch";
  return absl::OkStatus();
}

absl::StatusOr<std::vector<proto::Release>> CoordinatorService::NewestVerifiedReleases() {
  absl::StatusOr<std::vector<StoredRelease>> releases = Releases();
  if (!releases.ok()) return releases.status();
  std::map<std::string, proto::Release> newest;  // period -> release
  for (StoredRelease& stored : *releases) {
    if (stored.state != "verified") continue;
    auto [it, inserted] = newest.try_emplace(stored.release.period(), stored.release);
    if (!inserted && stored.release.release_number() > it->second.release_number()) {
      it->second = std::move(stored.release);
    }
  }
  std::vector<proto::Release> result;
  result.reserve(newest.size());
  for (auto& [period, release] : newest) result.push_back(std::move(release));
  return result;
}

absl::StatusOr<std::vector<CoordinatorService::StoredRelease>> CoordinatorService::Releases() {
  absl::StatusOr<std::map<uint32_t, CatalogEntry>> catalogs = CatalogVersions();
  if (!catalogs.ok()) return catalogs.status();

  std::vector<sync::CoordinationRef> refs;
  absl::Status scanned =
      sync::ScanCoordination(*store_, proto::ENTRY_KIND_RELEASE, [&](const auto& ref) {
        refs.push_back(ref);
        return true;
      });
  if (!scanned.ok()) return scanned;

  std::vector<StoredRelease> releases;
  for (const sync::CoordinationRef& ref : refs) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = final_.find({ref.origin, ref.sequence}); it != final_.end()) {
        releases.push_back(it->second);
        continue;
      }
    }
    StoredRelease stored{ref.origin, ref.sequence, {}, "", {}};
    absl::StatusOr<std::optional<std::string>> encoded = store_->GetEntry(ref.origin, ref.sequence);
    if (!encoded.ok()) return encoded.status();
    if (!encoded->has_value()) continue;
    absl::StatusOr<entry::EntryView> view = entry::Decode(**encoded);
    if (!view.ok() ||
        !stored.release.ParseFromArray(view->body.data(), static_cast<int>(view->body.size()))) {
      stored.state = "void";
      stored.details.push_back(Tr("the release entry's body is damaged"));
    } else {
      std::string reason;
      lead::Verdict verdict =
          gate_->Judge(ref.origin, ref.sequence, stored.release.epoch(), &reason);
      if (verdict == lead::Verdict::kVoid) {
        stored.state = "void";
        stored.details.push_back(reason);
      } else if (verdict == lead::Verdict::kPending) {
        stored.state = "pending";
        stored.details.push_back(reason);
      } else if (absl::Status checked = Check(&stored, *catalogs); !checked.ok()) {
        return checked;
      }
    }

    if (stored.state != "pending") {
      std::string details;
      for (const std::string& detail : stored.details) {
        details += (details.empty() ? "" : "; ") + detail;
      }
      if (stored.state == "mismatch") {
        spdlog::error("release mismatch: origin={} sequence={} period={} number={} cells=\"{}\"",
                      ref.origin, ref.sequence, stored.release.period(),
                      stored.release.release_number(), details);
      } else {
        spdlog::info("release checked: origin={} sequence={} period={} number={} state={}",
                     ref.origin, ref.sequence, stored.release.period(),
                     stored.release.release_number(), stored.state);
      }
      std::lock_guard<std::mutex> lock(mu_);
      final_[{ref.origin, ref.sequence}] = stored;
    }
    releases.push_back(std::move(stored));
  }
  std::stable_sort(releases.begin(), releases.end(),
                   [](const StoredRelease& a, const StoredRelease& b) {
                     if (a.release.period() != b.release.period()) {
                       return a.release.period() < b.release.period();
                     }
                     return a.release.release_number() < b.release.release_number();
                   });
  return releases;
}

absl::Status CoordinatorService::FillStatus(proto::StatusReply* reply) {
  absl::StatusOr<std::vector<StoredRelease>> releases = Releases();
  if (!releases.ok()) return releases.status();
  for (const StoredRelease& stored : *releases) {
    (*reply->mutable_releases_by_state())[stored.state] += 1;
    if (stored.state != "mismatch") continue;
    std::string details;
    for (const std::string& detail : stored.details) {
      details += (details.empty() ? "" : "; ") + detail;
    }
    proto::Alarm* alarm = reply->add_alarms();
    alarm->set_kind("release-mismatch");
    alarm->set_origin(stored.origin);
    alarm->set_sequence(stored.sequence);
    alarm->set_detail(
        Tr("release {} of {} (entry {}/{}) does not match this node's computation: "
           "{}",
           stored.release.release_number(), stored.release.period(), stored.origin, stored.sequence,
           details));
  }
  return absl::OkStatus();
}

grpc::Status CoordinatorService::PublishCatalog(grpc::ServerContext* context,
                                                const proto::PublishCatalogRequest* request,
                                                proto::PublishCatalogReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  absl::StatusOr<uint64_t> epoch = gate_->CoordinatorEpoch();
  if (!epoch.ok()) return ToGrpc(epoch.status());

  std::string file = request->file_name().empty() ? "(stdin)" : request->file_name();
  absl::StatusOr<catalog::Catalog> catalog = catalog::Catalog::Parse(request->document());
  if (!catalog.ok()) {
    return ToGrpc(absl::InvalidArgumentError(
        Tr("{}: {}; nothing was published", file, catalog.status().message())));
  }

  if (members_) {
    std::vector<std::string> manifest = members_();
    std::vector<std::string> listed = catalog->member_provinces();
    std::sort(manifest.begin(), manifest.end());
    std::sort(listed.begin(), listed.end());
    if (!manifest.empty() && listed != manifest) {
      std::vector<std::string> missing, extra;
      std::set_difference(manifest.begin(), manifest.end(), listed.begin(), listed.end(),
                          std::back_inserter(missing));
      std::set_difference(listed.begin(), listed.end(), manifest.begin(), manifest.end(),
                          std::back_inserter(extra));
      return ToGrpc(absl::InvalidArgumentError(
          Tr("{}: the catalog's member provinces differ from the manifest's members (missing: "
             "{}; not members: {}); list exactly the manifest's members. Nothing was published",
             file, missing.empty() ? "-" : absl::StrJoin(missing, ","),
             extra.empty() ? "-" : absl::StrJoin(extra, ","))));
    }
  }

  std::lock_guard<std::mutex> append(append_mu_);
  absl::StatusOr<std::map<uint32_t, CatalogEntry>> versions = CatalogVersions();
  if (!versions.ok()) return ToGrpc(versions.status());
  uint32_t newest = versions->rbegin()->first;
  if (static_cast<uint32_t>(catalog->version()) != newest + 1) {
    return ToGrpc(absl::InvalidArgumentError(
        Tr("{}: catalog field \"version\" is {}, but the next version is {} (the newest is {}); "
           "set \"version\": {}",
           file, catalog->version(), newest + 1, newest, newest + 1)));
  }

  proto::CatalogVersion body;
  body.set_epoch(*epoch);
  body.set_version(static_cast<uint32_t>(catalog->version()));
  body.set_document(request->document());
  body.set_sha256(catalog->Sha256Hex());
  uint64_t sequence = 0;
  absl::Status status = log_->Run([&](sync::AppendContext& context) {
    sequence = context.Append(proto::ENTRY_KIND_CATALOG, body.SerializeAsString());
    return absl::OkStatus();
  });
  if (!status.ok()) return ToGrpc(status);
  spdlog::info("catalog published: version={} sha256={} sequence={} epoch={}", body.version(),
               body.sha256(), sequence, *epoch);
  {
    std::lock_guard<std::mutex> lock(mu_);
    newest_first_.clear();
  }
  reply->set_version(body.version());
  reply->set_sha256(body.sha256());
  reply->set_sequence(sequence);
  reply->set_epoch(*epoch);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::GetCatalogVersion(grpc::ServerContext* context,
                                                   const proto::CatalogVersionRequest* request,
                                                   proto::CatalogVersionReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  // Refreshes the versions new records follow, too.
  std::vector<std::shared_ptr<const catalog::Catalog>> newest_first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    newest_first_.clear();
  }
  newest_first = CatalogsNewestFirst();
  absl::StatusOr<std::map<uint32_t, CatalogEntry>> versions = CatalogVersions();
  if (!versions.ok()) return ToGrpc(versions.status());
  uint32_t wanted = request->version() == 0 ? versions->rbegin()->first : request->version();
  auto it = versions->find(wanted);
  if (it == versions->end()) {
    return ToGrpc(absl::NotFoundError(Tr("catalog version {} is not held; versions held: 1 to {}",
                                         wanted, versions->rbegin()->first)));
  }
  reply->set_version(wanted);
  reply->set_sha256(it->second.catalog->Sha256Hex());
  reply->set_document(it->second.catalog->bytes());
  reply->set_origin(it->second.origin);
  reply->set_sequence(it->second.sequence);
  for (const auto& [version, entry] : *versions) reply->add_versions(version);
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::SharedStatus(grpc::ServerContext* context,
                                              const proto::SharedRequest* request,
                                              proto::SharedReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  absl::StatusOr<period::Period> period = SetPeriod(request->period());
  if (!period.ok()) return ToGrpc(period.status());
  absl::StatusOr<std::map<uint32_t, CatalogEntry>> catalogs = CatalogVersions();
  if (!catalogs.ok()) return ToGrpc(catalogs.status());
  const catalog::Catalog& catalog = *catalogs->rbegin()->second.catalog;
  absl::StatusOr<coordinator::Cut> cut = coordinator::CurrentCut(*store_);
  if (!cut.ok()) return ToGrpc(cut.status());
  absl::StatusOr<coordinator::SharedSet> set = Compute(catalog, *period, *cut);
  if (!set.ok()) return ToGrpc(set.status());
  absl::StatusOr<json> out = SharedSetJson(catalog, *set, *period);
  if (!out.ok()) return ToGrpc(out.status());

  absl::StatusOr<std::vector<StoredRelease>> releases = Releases();
  if (!releases.ok()) return ToGrpc(releases.status());
  json listed = json::array();
  for (const StoredRelease& stored : *releases) {
    if (stored.release.period() == set->period) listed.push_back(ReleaseJson(catalog, stored));
  }
  (*out)["releases"] = listed;
  reply->set_json(out->dump());
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::Seal(grpc::ServerContext* context,
                                      const proto::SharedRequest* request,
                                      proto::SharedReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  absl::StatusOr<uint64_t> epoch = gate_->CoordinatorEpoch();
  if (!epoch.ok()) return ToGrpc(epoch.status());
  absl::StatusOr<period::Period> period = SetPeriod(request->period());
  if (!period.ok()) return ToGrpc(period.status());
  if (std::chrono::system_clock::time_point end = PeriodEnd(*period);
      std::chrono::system_clock::now() < end) {
    return ToGrpc(absl::FailedPreconditionError(
        Tr("{} has not ended yet (it ends at {}); seal it after it ends. Nothing was sealed",
           period->ToSdmx(), coordinator::ChinaTime(end))));
  }

  std::lock_guard<std::mutex> append(append_mu_);
  absl::StatusOr<std::map<uint32_t, CatalogEntry>> catalogs = CatalogVersions();
  if (!catalogs.ok()) return ToGrpc(catalogs.status());
  const catalog::Catalog& catalog = *catalogs->rbegin()->second.catalog;
  absl::StatusOr<std::vector<StoredRelease>> releases = Releases();
  if (!releases.ok()) return ToGrpc(releases.status());
  uint32_t number = 1;
  std::map<std::string, uint32_t> numbers_by_root;  // Merkle root -> newest release number
  for (const StoredRelease& stored : *releases) {
    if (stored.release.period() == period->ToSdmx() && stored.state != "void") {
      number = std::max(number, stored.release.release_number() + 1);
      uint32_t& same = numbers_by_root[stored.release.merkle_root()];
      same = std::max(same, stored.release.release_number());
    }
  }

  absl::StatusOr<coordinator::Cut> cut = coordinator::CurrentCut(*store_);
  if (!cut.ok()) return ToGrpc(cut.status());
  absl::StatusOr<coordinator::SharedSet> set = Compute(catalog, *period, *cut);
  if (!set.ok()) return ToGrpc(set.status());
  if (set->cells.empty()) {
    return ToGrpc(absl::FailedPreconditionError(
        Tr("this node holds no values of {} for any member; import the data (or wait for it "
           "to replicate) before sealing. Nothing was sealed",
           period->ToSdmx())));
  }
  proto::Release release = coordinator::MakeRelease(*set, *epoch, number);
  std::string body = release.SerializeAsString();
  if (body.size() > entry::kMaxBodySize) {
    return ToGrpc(absl::ResourceExhaustedError(
        Tr("the release of {} is {} bytes, more than an entry may carry ({})", set->period,
           body.size(), entry::kMaxBodySize)));
  }
  uint64_t sequence = 0;
  absl::Status status = log_->Run([&](sync::AppendContext& context) {
    sequence = context.Append(proto::ENTRY_KIND_RELEASE, body);
    return absl::OkStatus();
  });
  if (!status.ok()) return ToGrpc(status);
  spdlog::info("release sealed: period={} number={} sequence={} cells={} missing={} merkle_root={}",
               set->period, number, sequence, set->cells.size(), set->missing.size(),
               crypto::ToHex(set->merkle_root));

  absl::StatusOr<json> out = SharedSetJson(catalog, *set, *period);
  if (!out.ok()) return ToGrpc(out.status());
  (*out)["release_number"] = number;
  (*out)["sequence"] = sequence;
  (*out)["epoch"] = *epoch;
  // An earlier release over the same records, so the operator knows that
  // nothing changed since.
  if (auto same = numbers_by_root.find(release.merkle_root()); same != numbers_by_root.end()) {
    (*out)["same_values_as_release"] = same->second;
  }
  reply->set_json(out->dump());
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::ListReleases(grpc::ServerContext* context,
                                              const proto::SharedRequest* request,
                                              proto::SharedReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  std::string wanted;
  if (!request->period().empty()) {
    absl::StatusOr<period::Period> period = SetPeriod(request->period());
    if (!period.ok()) return ToGrpc(period.status());
    wanted = period->ToSdmx();
  }
  absl::StatusOr<std::map<uint32_t, CatalogEntry>> catalogs = CatalogVersions();
  if (!catalogs.ok()) return ToGrpc(catalogs.status());
  absl::StatusOr<std::vector<StoredRelease>> releases = Releases();
  if (!releases.ok()) return ToGrpc(releases.status());
  json out = json::array();
  for (const StoredRelease& stored : *releases) {
    if (!wanted.empty() && stored.release.period() != wanted) continue;
    auto catalog = catalogs->find(stored.release.catalog_version());
    const catalog::Catalog& names =
        catalog != catalogs->end() ? *catalog->second.catalog : catalog::Catalog::Default();
    out.push_back(ReleaseJson(names, stored));
  }
  reply->set_json(out.dump());
  return grpc::Status::OK;
}

grpc::Status CoordinatorService::Export(grpc::ServerContext* context,
                                        const proto::SharedExportRequest* request,
                                        proto::SharedExportReply* reply) {
  i18n::ScopedLang lang(CallerLang(context));
  absl::StatusOr<period::Period> period = SetPeriod(request->period());
  if (!period.ok()) return ToGrpc(period.status());
  absl::StatusOr<std::map<uint32_t, CatalogEntry>> catalogs = CatalogVersions();
  if (!catalogs.ok()) return ToGrpc(catalogs.status());
  absl::StatusOr<std::vector<StoredRelease>> releases = Releases();
  if (!releases.ok()) return ToGrpc(releases.status());

  const StoredRelease* chosen = nullptr;
  for (const StoredRelease& stored : *releases) {
    if (stored.release.period() != period->ToSdmx() || stored.state == "void") continue;
    if (request->release_number() == 0 ||
        stored.release.release_number() == request->release_number()) {
      chosen = &stored;  // releases are ordered by number, so the last match is the newest
    }
  }
  if (chosen == nullptr) {
    return ToGrpc(absl::NotFoundError(
        request->release_number() == 0
            ? Tr("{} has no release yet; the lead seals one with yrebctl shared seal {}",
                 period->ToSdmx(), period->ToSdmx())
            : Tr("{} has no release number {}; yrebctl shared releases {} lists them",
                 period->ToSdmx(), request->release_number(), period->ToSdmx())));
  }
  auto catalog_entry = catalogs->find(chosen->release.catalog_version());
  if (catalog_entry == catalogs->end()) {
    return ToGrpc(absl::FailedPreconditionError(
        Tr("catalog version {} is not held yet", chosen->release.catalog_version())));
  }
  const catalog::Catalog& catalog = *catalog_entry->second.catalog;

  // The release carries values only; the rest of each row comes from the
  // record entry it names.
  std::vector<importers::ExportRow> rows;
  for (const proto::ReleaseCell& cell : chosen->release.cells()) {
    absl::StatusOr<std::optional<std::string>> encoded =
        store_->GetEntry(cell.origin(), cell.sequence());
    if (!encoded.ok()) return ToGrpc(encoded.status());
    proto::Record record;
    if (encoded->has_value()) {
      absl::StatusOr<entry::EntryView> view = entry::Decode(**encoded);
      if (view.ok()) record.ParseFromArray(view->body.data(), static_cast<int>(view->body.size()));
    }
    importers::ExportRow row;
    row.indicator = cell.indicator();
    row.region = cell.region();
    const catalog::Region* region = catalog.FindRegion(cell.region());
    row.region_name = region != nullptr ? region->name_zh : "";
    row.period = cell.period();
    row.value = cell.value();
    const catalog::Indicator* indicator = catalog.FindIndicator(cell.indicator());
    row.unit = indicator != nullptr ? indicator->unit : record.unit();
    row.measure = record.measure();
    row.value_kind = record.value_kind();
    row.status = record.status();
    row.revision = cell.revision();
    row.note = record.note();
    rows.push_back(std::move(row));
  }

  absl::StatusOr<std::string> content;
  if (request->format() == "csv" || request->format().empty()) {
    content = importers::WriteLongCsv(rows, importers::Encoding::kUtf8Bom);
  } else if (request->format() == "sdmx-csv" || request->format() == "sdmx-csv-1") {
    importers::SdmxOptions options;
    options.version = request->format() == "sdmx-csv" ? 2 : 1;
    content = importers::WriteSdmxCsv(rows, catalog, options);
  } else {
    return ToGrpc(absl::InvalidArgumentError(
        Tr("unknown export format {}; use csv, sdmx-csv or sdmx-csv-1", request->format())));
  }
  if (!content.ok()) return ToGrpc(content.status());
  reply->set_content(std::move(*content));
  reply->set_rows(rows.size());
  reply->set_release_number(chosen->release.release_number());
  return grpc::Status::OK;
}

}  // namespace yreb::node
