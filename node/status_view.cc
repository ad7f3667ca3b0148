#include "node/status_view.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/decimal.h"
#include "coordinator/shared_set.h"
#include "i18n/i18n.h"
#include "node/config.h"

namespace yreb::node {
namespace {

using i18n::Tr;
using nlohmann::json;
using coordinator::ChinaTime;
using std::chrono::system_clock;

bool Chinese() { return i18n::CurrentLang() == i18n::Lang::kChinese; }

std::string RegionName(const catalog::Catalog& catalog, const std::string& code) {
  const catalog::Region* region = catalog.FindRegion(code);
  if (region == nullptr) return code;
  if (!Chinese() && !region->name_en.empty()) return region->name_en;
  return region->name_zh;
}

std::string IndicatorName(const catalog::Indicator& indicator) {
  return Chinese() || indicator.name_en.empty() ? indicator.name_zh : indicator.name_en;
}

// The UI text of the page, in the thread's language. The page itself holds
// no words, so every label goes through the message catalog.
json Labels() {
  return {
      {"title", Tr("yreb-sync node status")},
      // A language's name is written in that language, so this is not
      // translated: the link switches to the other language.
      {"switch_language", Chinese() ? "English" : "中文"},
      {"node", Tr("Node")},
      {"version", Tr("Version")},
      {"key", Tr("Signing key")},
      {"appends", Tr("Appends")},
      {"appends_allowed", Tr("allowed")},
      {"appends_blocked", Tr("blocked")},
      {"database", Tr("Database size")},
      {"lead", Tr("Lead")},
      {"epoch", Tr("Epoch")},
      {"members", Tr("Members and links")},
      {"member", Tr("Member")},
      {"link", Tr("Link")},
      {"self", Tr("this node")},
      {"connected", Tr("connected")},
      {"disconnected", Tr("not connected")},
      {"not_linked", Tr("not dialed (skip_peers)")},
      {"in_sync", Tr("in sync")},
      {"lag", Tr("Entries behind")},
      {"ahead", Tr("Entries the peer lacks")},
      {"received", Tr("Received")},
      {"last_contact", Tr("Last contact")},
      {"never", Tr("never")},
      {"error", Tr("Last error")},
      {"quarter", Tr("Quarter")},
      {"deadline", Tr("Deadline")},
      {"indicator", Tr("Indicator")},
      {"complete", Tr("complete")},
      {"partial", Tr("partial")},
      {"missing", Tr("missing")},
      {"legend_jan_feb",
       Tr("For cumulative monthly indicators, January is normally absent: the January-February "
          "value is published once, as February (1-2月).")},
      {"alarms", Tr("Alarms")},
      {"no_alarms", Tr("No alarms.")},
      {"charts", Tr("Charts")},
      {"gdp_chart", Tr("GDP by province and year, sealed annual sets")},
      {"belt_chart", Tr("Belt total, sealed quarterly sets")},
      {"sealed_note",
       Tr("Only releases this node has recomputed and verified are drawn, the newest of each "
          "period. Provinces without a value are left out of a total.")},
      {"releases", Tr("Releases")},
      {"no_sealed", Tr("No verified release yet.")},
      {"provinces_counted", Tr("provinces counted")},
      {"no_data", Tr("No data stored yet.")},
      {"updated", Tr("Updated")},
  };
}

json NodeSection(const proto::StatusReply& status) {
  return {
      {"id", status.node_id()},
      {"name", RegionName(catalog::Catalog::Default(), std::to_string(status.node_id()))},
      {"version", status.version()},
      {"key_fingerprint", status.key_fingerprint()},
      {"append_allowed", status.append_allowed()},
      {"append_blocked_reason", status.append_blocked_reason()},
      {"recovery", status.recovery()},
      {"database_bytes", status.database_bytes()},
  };
}

json LeadSection(const StatusViewInput& input) {
  json lead = {{"epoch", 1}, {"lead", nullptr}, {"manifest_version", 0}};
  if (input.manifest == nullptr) {
    lead["note"] = Tr("No manifest is stored, so no lead is known.");
    return lead;
  }
  // The status reply carries the evaluated lead chain; epoch 0 means it
  // could not be evaluated, and the manifest's genesis lead is shown.
  const proto::StatusReply& status = *input.status;
  uint32_t current = status.lead_epoch() != 0 ? status.lead()
                                              : input.manifest->manifest.genesis_lead();
  lead["epoch"] = status.lead_epoch() != 0 ? status.lead_epoch() : 1;
  lead["lead"] = current;
  lead["lead_name"] = RegionName(*input.catalog, std::to_string(current));
  lead["manifest_version"] = input.manifest->version;
  lead["disputed"] = !status.lead_dispute().empty();
  if (!status.lead_dispute().empty()) {
    lead["note"] = Tr("disputed: {}", status.lead_dispute());
  } else if (status.may_coordinate()) {
    lead["note"] = Tr("this node is the coordinator");
  } else {
    lead["note"] = Tr("yrebctl lead status shows the chain of epochs");
  }
  return lead;
}

std::vector<std::string> Provinces(const StatusViewInput& input) {
  std::vector<std::string> provinces;
  if (input.manifest != nullptr) {
    for (const proto::Member& member : input.manifest->manifest.members()) {
      provinces.push_back(std::to_string(member.node_id()));
    }
  }
  if (provinces.empty()) provinces = input.catalog->member_provinces();
  return provinces;
}

json MembersSection(const StatusViewInput& input, const std::vector<std::string>& provinces) {
  const proto::StatusReply& status = *input.status;
  std::map<uint32_t, const proto::PeerState*> peers;
  for (const proto::PeerState& peer : status.peers()) peers[peer.node_id()] = &peer;

  json members = json::array();
  for (const std::string& code : provinces) {
    uint32_t id = static_cast<uint32_t>(std::stoul(code));
    json member = {{"id", id}, {"name", RegionName(*input.catalog, code)},
                   {"self", id == status.node_id()}};
    auto it = peers.find(id);
    if (it != peers.end()) {
      const proto::PeerState& peer = *it->second;
      uint64_t lag = 0, ahead = 0, rejects = 0;
      for (const proto::OriginLag& origin : peer.lag()) {
        if (origin.theirs() > origin.ours()) lag += origin.theirs() - origin.ours();
        if (origin.ours() > origin.theirs()) ahead += origin.ours() - origin.theirs();
      }
      for (const auto& [reason, count] : peer.rejects()) rejects += count;
      member.update({{"linked", peer.linked()},
                     {"connected", peer.connected()},
                     {"in_sync", peer.in_sync()},
                     {"address", peer.address()},
                     {"last_contact_ms", peer.last_contact_ms()},
                     {"lag_entries", lag},
                     {"ahead_entries", ahead},
                     {"entries_received", peer.entries_received()},
                     {"bytes_received", peer.bytes_received()},
                     {"rejected_ranges", rejects},
                     {"last_error", peer.last_error()}});
    }
    members.push_back(std::move(member));
  }
  return members;
}

json DeadlineSection(const period::Period& quarter, int deadline_days,
                     system_clock::time_point now) {
  system_clock::time_point deadline = QuarterDeadline(quarter, deadline_days);
  int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(deadline - now).count();
  json out = {{"period", quarter.ToSdmx()},
              {"deadline", ChinaTime(deadline)},
              {"seconds_left", seconds}};
  if (seconds >= 0) {
    int64_t days = seconds / 86400;
    out["days_left"] = days;
    out["deadline_text"] = Tr("{} days {} hours left", days, seconds % 86400 / 3600);
  } else {
    int64_t days = (-seconds + 86399) / 86400;
    out["days_left"] = -days;
    out["deadline_text"] = Tr("overdue by {} days", days);
  }
  return out;
}

// The completeness of `quarter` per indicator and province, taken from the
// quarter's shared set over this node's current version vector.
absl::StatusOr<json> MatrixSection(const StatusViewInput& input, const period::Period& quarter,
                                   const std::vector<std::string>& provinces) {
  json matrix = {{"provinces", json::array()}, {"indicators", json::array()}};
  for (const std::string& code : provinces) {
    matrix["provinces"].push_back({{"id", code}, {"name", RegionName(*input.catalog, code)}});
  }
  json totals = {{"complete", 0}, {"partial", 0}, {"missing", 0}};

  absl::StatusOr<coordinator::Cut> cut = coordinator::CurrentCut(*input.store);
  if (!cut.ok()) return cut.status();
  coordinator::SharedSetInput set_input;
  set_input.store = input.store;
  set_input.catalog = input.catalog;
  set_input.period = quarter;
  set_input.cut = *cut;
  set_input.provinces = provinces;
  absl::StatusOr<coordinator::SharedSet> set = coordinator::ComputeSharedSet(set_input);
  if (!set.ok()) return set.status();
  std::map<std::pair<std::string, std::string>, int> missing;  // (indicator, province)
  for (const coordinator::MissingCell& cell : set->missing) {
    ++missing[{cell.indicator, cell.province}];
  }

  for (const catalog::Indicator& indicator : input.catalog->indicators()) {
    if (indicator.frequency == period::Period::kAnnual ||
        indicator.scope == catalog::Scope::kPrefecture) {
      continue;
    }
    int wanted = 0;
    for (const period::Period& period : coordinator::PeriodsOf(indicator, quarter)) {
      wanted += coordinator::IsRequiredPeriod(indicator, period);
    }

    json cells = json::array();
    for (const std::string& code : provinces) {
      int have = wanted - missing[{indicator.code, code}];
      std::string state = "partial";
      if (have == wanted) {
        state = "complete";
      } else if (have == 0) {
        state = "missing";
      }
      totals[state] = totals[state].get<int>() + 1;
      cells.push_back({{"province", code}, {"state", state}, {"have", have}, {"expected", wanted}});
    }
    matrix["indicators"].push_back(
        {{"code", indicator.code},
         {"name", IndicatorName(indicator)},
         {"unit", indicator.unit},
         {"frequency", indicator.frequency == period::Period::kMonthly ? "monthly" : "quarterly"},
         {"cumulative", indicator.measure == proto::MEASURE_KIND_CUMULATIVE},
         {"cells", std::move(cells)}});
  }
  matrix["totals"] = totals;
  return matrix;
}

json AlarmsSection(const proto::StatusReply& status) {
  json alarms = json::array();
  for (const proto::Alarm& alarm : status.alarms()) {
    alarms.push_back({{"kind", alarm.kind()},
                      {"origin", alarm.origin()},
                      {"sequence", alarm.sequence()},
                      {"detail", alarm.detail()}});
  }
  if (!status.append_allowed()) {
    alarms.push_back({{"kind", "appends_blocked"},
                      {"origin", status.node_id()},
                      {"sequence", 0},
                      {"detail", status.append_blocked_reason()}});
  }
  return alarms;
}

// GDP of each member province by year, from the sealed annual sets: the
// values of the newest verified release of each year.
json GdpChart(const StatusViewInput& input, const std::vector<std::string>& provinces) {
  const catalog::Indicator* gdp = input.catalog->FindIndicator("gdp");
  json chart = {{"indicator", "gdp"}, {"unit", gdp != nullptr ? gdp->unit : ""},
                {"periods", json::array()}, {"series", json::array()},
                {"releases", json::array()}};
  std::set<std::string> wanted(provinces.begin(), provinces.end());
  std::map<std::string, std::map<std::string, std::string>> values;  // region -> year -> value
  std::vector<std::string> years;
  for (const proto::Release& release : input.sealed) {
    absl::StatusOr<period::Period> period = period::ParseSdmx(release.period());
    if (!period.ok() || period->frequency != period::Period::kAnnual) continue;
    bool any = false;
    for (const proto::ReleaseCell& cell : release.cells()) {
      if (cell.indicator() != "gdp" || cell.period() != release.period() ||
          !wanted.contains(cell.region())) {
        continue;
      }
      values[cell.region()][release.period()] = cell.value();
      any = true;
    }
    if (!any) continue;
    years.push_back(release.period());
    chart["releases"].push_back(
        {{"period", release.period()}, {"release", release.release_number()}});
  }
  for (const std::string& year : years) chart["periods"].push_back(year);
  for (const std::string& code : provinces) {
    if (!values.contains(code)) continue;
    json points = json::array();
    for (const std::string& year : years) {
      auto it = values[code].find(year);
      points.push_back(it == values[code].end() ? json(nullptr) : json(it->second));
    }
    chart["series"].push_back(
        {{"region", code}, {"name", RegionName(*input.catalog, code)}, {"values", points}});
  }
  return chart;
}

// The belt aggregate of one indicator across the sealed quarterly sets:
// quarterly GDP (gdp_q) when a set has it, else the first indicator with an
// aggregate, each point from the newest verified release of its quarter.
json BeltChart(const StatusViewInput& input, const std::vector<std::string>& provinces) {
  std::vector<const proto::Release*> quarters;
  std::string code;
  for (const proto::Release& release : input.sealed) {
    absl::StatusOr<period::Period> period = period::ParseSdmx(release.period());
    if (!period.ok() || period->frequency != period::Period::kQuarterly) continue;
    quarters.push_back(&release);
    for (const proto::Aggregate& aggregate : release.aggregates()) {
      if (aggregate.indicator() == "gdp_q" || code.empty()) {
        code = code == "gdp_q" ? code : aggregate.indicator();
      }
    }
  }
  const catalog::Indicator* indicator = code.empty() ? nullptr : input.catalog->FindIndicator(code);
  json chart = {{"indicator", code},
                {"name", indicator != nullptr ? IndicatorName(*indicator) : code},
                {"unit", indicator != nullptr ? indicator->unit : ""},
                {"members", provinces.size()},
                {"points", json::array()}};
  for (const proto::Release* release : quarters) {
    for (const proto::Aggregate& aggregate : release->aggregates()) {
      if (aggregate.indicator() != code) continue;
      chart["points"].push_back({{"period", aggregate.period()},
                                 {"total", aggregate.value()},
                                 {"provinces", aggregate.provinces()},
                                 {"release", release->period() + " #" +
                                                 std::to_string(release->release_number())}});
    }
  }
  return chart;
}

}  // namespace

absl::StatusOr<std::string> SumDecimals(const std::vector<std::string>& values) {
  // Each value is scaled to the largest fraction length and summed as a
  // 128-bit integer, which holds about 38 digits.
  constexpr size_t kMaxDigits = 30;
  size_t scale = 0;
  for (const std::string& value : values) {
    if (absl::Status valid = decimal::Validate(value); !valid.ok()) return valid;
    size_t dot = value.find('.');
    if (dot != std::string::npos) scale = std::max(scale, value.size() - dot - 1);
  }
  __int128 total = 0;
  for (const std::string& value : values) {
    bool negative = value.front() == '-';
    std::string digits;
    size_t fraction = 0;
    bool after_dot = false;
    for (char c : value.substr(negative ? 1 : 0)) {
      if (c == '.') {
        after_dot = true;
        continue;
      }
      digits.push_back(c);
      fraction += after_dot;
    }
    digits.append(scale - fraction, '0');
    if (digits.size() > kMaxDigits) {
      return absl::OutOfRangeError(Tr("value {} has more than {} digits to add", value,
                                      kMaxDigits));
    }
    __int128 number = 0;
    for (char c : digits) number = number * 10 + (c - '0');
    total += negative ? -number : number;
  }

  bool negative = total < 0;
  if (negative) total = -total;
  std::string text;
  while (total > 0) {
    text.insert(text.begin(), static_cast<char>('0' + static_cast<int>(total % 10)));
    total /= 10;
  }
  if (text.size() <= scale) text.insert(0, scale + 1 - text.size(), '0');
  if (scale > 0) text.insert(text.size() - scale, ".");
  if (negative) text.insert(0, "-");
  return decimal::Normalize(text);
}

absl::StatusOr<json> BuildStatusView(const StatusViewInput& input) {
  const proto::StatusReply& status = *input.status;
  std::vector<std::string> provinces = Provinces(input);
  period::Period quarter = input.quarter.value_or(
      ReportingQuarter(input.now, input.catalog->quarterly_deadline_days()));

  json view;
  view["lang"] = std::string(i18n::LangCode(i18n::CurrentLang()));
  view["labels"] = Labels();
  view["labels"]["completeness"] = Tr("Completeness of {}", quarter.ToSdmx());
  view["generated"] = ChinaTime(input.now);
  view["node"] = NodeSection(status);
  view["lead"] = LeadSection(input);
  view["members"] = MembersSection(input, provinces);
  view["quarter"] = DeadlineSection(quarter, input.catalog->quarterly_deadline_days(), input.now);
  view["alarms"] = AlarmsSection(status);

  absl::StatusOr<json> matrix = MatrixSection(input, quarter, provinces);
  if (!matrix.ok()) return matrix.status();
  view["matrix"] = std::move(*matrix);
  view["charts"] = {{"gdp", GdpChart(input, provinces)}, {"belt", BeltChart(input, provinces)}};
  return view;
}

}  // namespace yreb::node
