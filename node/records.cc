#include "node/records.h"

#include <algorithm>
#include <future>
#include <map>

#include <spdlog/spdlog.h>

#include "common/decimal.h"
#include "common/period.h"
#include "i18n/i18n.h"
#include "proto/entry.h"

namespace yreb::node {
namespace {

using i18n::Tr;

bool HasControlBytes(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

std::string Records::EncodeLatest(uint32_t revision, bool withdrawn, proto::DataStatus status,
                                  std::string_view value) {
  return fmt::format("{}|{}|{}|{}", revision, withdrawn ? 1 : 0, static_cast<int>(status), value);
}

std::string Records::CellKey(std::string_view indicator, std::string_view region,
                             std::string_view period) {
  std::string key(indicator);
  key.push_back('\0');
  key.append(region);
  key.push_back('\0');
  key.append(period);
  return key;
}

Records::Records(storage::Store* store, sync::OriginLog* log, const catalog::Catalog* catalog,
                 uint32_t node_id, const Options& options)
    : store_(store),
      log_(log),
      catalog_(catalog),
      node_id_(node_id),
      province_(std::to_string(node_id)),
      options_(options) {}

std::vector<std::shared_ptr<const catalog::Catalog>> Records::Catalogs() const {
  if (catalog_source_) {
    std::vector<std::shared_ptr<const catalog::Catalog>> catalogs = catalog_source_();
    if (!catalogs.empty()) return catalogs;
  }
  // The constructor's catalog outlives this object, so it is not owned here.
  return {std::shared_ptr<const catalog::Catalog>(catalog_, [](const catalog::Catalog*) {})};
}

absl::Status Records::ValidatePut(const proto::PutRequest& request) const {
  std::shared_ptr<const catalog::Catalog> catalog = Catalogs().front();
  for (const std::string* text : {&request.indicator(), &request.region(), &request.period(),
                                  &request.value(), &request.unit(), &request.note()}) {
    if (HasControlBytes(*text)) {
      return absl::InvalidArgumentError(
          Tr("a field contains control characters: \"{}\"; remove them", *text));
    }
  }

  const catalog::Indicator* indicator = catalog->FindIndicator(request.indicator());
  if (indicator == nullptr) {
    return absl::InvalidArgumentError(
        Tr("indicator {} is not in catalog version {}; see yrebctl catalog show for the codes",
           request.indicator(), catalog->version()));
  }

  const catalog::Region* region = catalog->FindRegion(request.region());
  if (region == nullptr) {
    return absl::InvalidArgumentError(
        Tr("region {} is not a known GB/T 2260 code", request.region()));
  }
  if (catalog::Catalog::ProvinceOf(region->code) != province_) {
    return absl::InvalidArgumentError(
        Tr("region {} ({}) is not in this node's province {}; a node writes only its own "
           "province and its prefecture cities",
           region->code, region->name_zh, province_));
  }
  bool is_province = region->level == catalog::RegionLevel::kProvince;
  if (is_province && indicator->scope == catalog::Scope::kPrefecture) {
    return absl::InvalidArgumentError(
        Tr("indicator {} is collected for prefecture cities only, not for province {}",
           indicator->code, region->code));
  }
  if (!is_province && indicator->scope == catalog::Scope::kProvince) {
    return absl::InvalidArgumentError(
        Tr("indicator {} is collected for provinces only, not for prefecture city {}",
           indicator->code, region->code));
  }

  absl::StatusOr<period::Period> period = period::ParseSdmx(request.period());
  if (!period.ok()) {
    return absl::InvalidArgumentError(std::string(period.status().message()));
  }
  if (period->frequency != indicator->frequency) {
    return absl::InvalidArgumentError(
        Tr("indicator {} is {}, but period {} is not; write the period as {}", indicator->code,
           indicator->frequency == period::Period::kAnnual      ? Tr("annual")
           : indicator->frequency == period::Period::kQuarterly ? Tr("quarterly")
                                                                : Tr("monthly"),
           request.period(),
           indicator->frequency == period::Period::kAnnual      ? "2024"
           : indicator->frequency == period::Period::kQuarterly ? "2024-Q3"
                                                                : "2024-M09"));
  }

  if (request.withdraw()) {
    if (!request.value().empty()) {
      return absl::InvalidArgumentError(Tr("a withdrawal carries no value; drop the value"));
    }
  } else if (absl::Status valid = decimal::Validate(request.value()); !valid.ok()) {
    return absl::InvalidArgumentError(std::string(valid.message()));
  }
  if (!request.unit().empty() && request.unit() != indicator->unit) {
    return absl::InvalidArgumentError(
        Tr("unit {} does not match indicator {}, whose unit is {}; convert the value or leave "
           "the unit out",
           request.unit(), indicator->code, indicator->unit));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Records::Latest>> Records::LatestInGroup(
    sync::AppendContext& context, std::string_view indicator, std::string_view region,
    std::string_view period, storage::CellReader* reader) const {
  // An import's lookups nearly always come with nothing in the scratch
  // space, and then need no key.
  auto it = context.scratch().empty() ? context.scratch().end()
                                      : context.scratch().find(CellKey(indicator, region, period));
  if (it != context.scratch().end()) {
    const std::string& text = it->second;
    size_t first = text.find('|');
    size_t second = text.find('|', first + 1);
    size_t third = text.find('|', second + 1);
    return Latest{static_cast<uint32_t>(std::stoul(text.substr(0, first))),
                  text.substr(third + 1), text[first + 1] == '1',
                  static_cast<proto::DataStatus>(
                      std::stoi(text.substr(second + 1, third - second - 1)))};
  }

  absl::StatusOr<std::vector<storage::CellRevision>> revisions =
      reader != nullptr ? reader->Revisions(indicator, region, period)
                        : store_->GetCellRevisions(indicator, region, period);
  if (!revisions.ok()) return revisions.status();
  if (revisions->empty()) return std::nullopt;
  absl::StatusOr<std::optional<proto::QueriedRevision>> latest = LoadRevision(revisions->back());
  if (!latest.ok()) return latest.status();
  if (!latest->has_value()) {
    return absl::DataLossError(Tr("the index names entry {}/{}, which is not stored",
                                  revisions->back().origin, revisions->back().sequence));
  }
  const proto::Record& record = (*latest)->record();
  return Latest{record.revision(), record.value(), record.withdrawn(), record.status()};
}

bool Records::Latest::Unchanged(std::string_view new_value, proto::DataStatus new_status) const {
  if (withdrawn || !decimal::Equal(value, new_value)) return false;
  return new_status == proto::DATA_STATUS_UNSPECIFIED || new_status == status;
}

void Records::PutAsync(const proto::PutRequest& request,
                       std::function<void(absl::StatusOr<proto::PutReply>)> done) {
  if (absl::Status valid = ValidatePut(request); !valid.ok()) {
    done(valid);
    return;
  }
  std::shared_ptr<const catalog::Catalog> catalog = Catalogs().front();
  const catalog::Indicator* indicator = catalog->FindIndicator(request.indicator());

  auto reply = std::make_shared<proto::PutReply>();
  proto::Record record;
  record.set_indicator(request.indicator());
  record.set_region(request.region());
  record.set_period(period::ParseSdmx(request.period())->ToSdmx());
  record.set_value(request.value());
  record.set_unit(indicator->unit);
  record.set_measure(indicator->measure);
  record.set_value_kind(indicator->value_kind);
  record.set_status(request.status());
  record.set_catalog_version(catalog->version());
  record.set_note(request.note());
  record.set_withdrawn(request.withdraw());

  auto job = [this, record, reply](sync::AppendContext& context) mutable -> absl::Status {
    absl::StatusOr<std::optional<Latest>> latest =
        LatestInGroup(context, record.indicator(), record.region(), record.period());
    if (!latest.ok()) return latest.status();

    if (record.withdrawn()) {
      if (!latest->has_value() || (*latest)->withdrawn) {
        return absl::FailedPreconditionError(
            Tr("{} {} {} has no value to withdraw", record.indicator(), record.region(),
               record.period()));
      }
    } else if (latest->has_value() && (*latest)->Unchanged(record.value(), record.status())) {
      reply->set_outcome(proto::PutReply::OUTCOME_UNCHANGED);
      reply->set_revision((*latest)->revision);
      return absl::OkStatus();
    }

    uint32_t revision = latest->has_value() ? (*latest)->revision + 1 : 1;
    record.set_revision(revision);
    uint64_t sequence = context.Append(proto::ENTRY_KIND_RECORD, record.SerializeAsString());
    context.batch().PutCell(storage::CellRevision{record.indicator(), record.region(),
                                                  record.period(), revision, log_->origin(),
                                                  sequence});
    context.scratch()[CellKey(record.indicator(), record.region(), record.period())] =
        EncodeLatest(revision, record.withdrawn(), record.status(), record.value());
    reply->set_outcome(revision == 1 ? proto::PutReply::OUTCOME_NEW
                                     : proto::PutReply::OUTCOME_REVISED);
    reply->set_sequence(sequence);
    reply->set_revision(revision);
    return absl::OkStatus();
  };

  log_->Submit(std::move(job), [reply, done = std::move(done)](absl::Status status) {
    if (!status.ok()) {
      done(status);
    } else {
      done(*reply);
    }
  });
}

absl::StatusOr<proto::PutReply> Records::Put(const proto::PutRequest& request) {
  std::promise<absl::StatusOr<proto::PutReply>> promise;
  auto result = promise.get_future();
  PutAsync(request, [&promise](absl::StatusOr<proto::PutReply> reply) {
    promise.set_value(std::move(reply));
  });
  return result.get();
}

absl::StatusOr<std::optional<proto::QueriedRevision>> Records::LoadRevision(
    const storage::CellRevision& cell) const {
  absl::StatusOr<std::optional<std::string>> encoded = store_->GetEntry(cell.origin, cell.sequence);
  if (!encoded.ok()) return encoded.status();
  if (!encoded->has_value()) return std::nullopt;
  absl::StatusOr<entry::EntryView> view = entry::Decode(**encoded);
  if (!view.ok()) return view.status();
  proto::QueriedRevision revision;
  if (!revision.mutable_record()->ParseFromArray(view->body.data(),
                                                 static_cast<int>(view->body.size()))) {
    return absl::DataLossError(
        Tr("entry {}/{} holds a damaged record", cell.origin, cell.sequence));
  }
  revision.set_origin(cell.origin);
  revision.set_sequence(cell.sequence);
  revision.set_created_ms(view->created_ms);
  return revision;
}

absl::StatusOr<proto::QueryReply> Records::Query(const proto::QueryRequest& original) const {
  proto::QueryRequest request = original;
  // Operators may name an indicator by its NBS name, as portal files do. An
  // indicator that a later catalog version removed stays readable.
  std::vector<std::shared_ptr<const catalog::Catalog>> catalogs = Catalogs();
  const catalog::Catalog* newest = catalogs.front().get();
  const catalog::Indicator* indicator = nullptr;
  for (const auto& version : catalogs) {
    indicator = version->FindIndicator(request.indicator());
    if (indicator == nullptr) indicator = version->FindIndicatorByName(request.indicator());
    if (indicator != nullptr) break;
  }
  if (indicator == nullptr) {
    return absl::InvalidArgumentError(
        Tr("indicator {} is not in catalog version {}; see yrebctl catalog show for the codes",
           request.indicator(), newest->version()));
  }
  request.set_indicator(indicator->code);
  if (!request.region().empty()) {
    const catalog::Region* region = newest->FindRegion(request.region());
    if (region == nullptr) region = newest->FindRegionByName(request.region());
    if (region == nullptr) {
      return absl::InvalidArgumentError(
          Tr("region {} is not a known GB/T 2260 code", request.region()));
    }
    request.set_region(region->code);
  }
  std::optional<period::Period> from, to;
  for (auto [text, bound] : {std::pair{&request.period_from(), &from},
                             std::pair{&request.period_to(), &to}}) {
    if (text->empty()) continue;
    absl::StatusOr<period::Period> parsed = period::ParseSdmx(*text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(std::string(parsed.status().message()));
    }
    *bound = *parsed;
  }
  if (from.has_value() && to.has_value() && *to < *from) {
    return absl::InvalidArgumentError(
        Tr("--from {} is later than --to {}; swap them", request.period_from(),
           request.period_to()));
  }

  // Collect the revisions of each matching cell; the index lists them lowest
  // revision first within a cell.
  std::map<std::pair<std::string, std::string>, std::vector<storage::CellRevision>> cells;
  absl::Status status =
      store_->ScanCells(request.indicator(), request.region(), [&](const storage::CellRevision& c) {
        absl::StatusOr<period::Period> period = period::ParseSdmx(c.period);
        if (!period.ok()) return true;
        if (from.has_value() && *period < *from) return true;
        if (to.has_value() && *period > *to) return true;
        cells[{c.region, c.period}].push_back(c);
        return true;
      });
  if (!status.ok()) return status;

  proto::QueryReply reply;
  for (auto& [key, revisions] : cells) {
    std::vector<storage::CellRevision> chosen =
        request.history() ? revisions : std::vector<storage::CellRevision>{revisions.back()};
    for (const storage::CellRevision& cell : chosen) {
      absl::StatusOr<std::optional<proto::QueriedRevision>> loaded = LoadRevision(cell);
      if (!loaded.ok()) return loaded.status();
      if (loaded->has_value()) *reply.add_revisions() = **loaded;
    }
  }
  // Order by region, then period in time order, then revision.
  std::stable_sort(reply.mutable_revisions()->begin(), reply.mutable_revisions()->end(),
                   [](const proto::QueriedRevision& a, const proto::QueriedRevision& b) {
                     if (a.record().region() != b.record().region()) {
                       return a.record().region() < b.record().region();
                     }
                     auto pa = period::ParseSdmx(a.record().period());
                     auto pb = period::ParseSdmx(b.record().period());
                     if (*pa != *pb) return *pa < *pb;
                     return a.record().revision() < b.record().revision();
                   });
  return reply;
}

}  // namespace yreb::node
