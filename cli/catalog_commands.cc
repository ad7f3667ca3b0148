#include "cli/catalog_commands.h"

#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "cli/admin_client.h"
#include "cli/exit.h"
#include "cli/files.h"
#include "i18n/i18n.h"
#include "proto/coordinator_admin.grpc.pb.h"

namespace yreb::cli {
namespace {

using i18n::Tr;
using nlohmann::json;





std::string_view FrequencyName(period::Period::Frequency frequency) {
  switch (frequency) {
    case period::Period::kAnnual:
      return "annual";
    case period::Period::kQuarterly:
      return "quarterly";
    case period::Period::kMonthly:
      return "monthly";
  }
  return "";
}

std::string_view AggregationName(catalog::Aggregation aggregation) {
  switch (aggregation) {
    case catalog::Aggregation::kSum:
      return "sum";
    case catalog::Aggregation::kWeightedMean:
      return "weighted_mean";
    case catalog::Aggregation::kNotAggregable:
      return "not_aggregable";
  }
  return "";
}

// The fields of an indicator that a diff compares, by name.
std::map<std::string, std::string> Fields(const catalog::Indicator& indicator) {
  std::string aliases;
  for (const std::string& alias : indicator.aliases)
    aliases += (aliases.empty() ? "" : "|") + alias;
  return {
      {"name_zh", indicator.name_zh},
      {"name_en", indicator.name_en},
      {"unit", indicator.unit},
      {"unit_multiplier", std::to_string(indicator.unit_multiplier)},
      {"frequency", std::string(FrequencyName(indicator.frequency))},
      {"scope", std::to_string(static_cast<int>(indicator.scope))},
      {"measure", proto::MeasureKind_Name(indicator.measure)},
      {"value_kind", proto::ValueKind_Name(indicator.value_kind)},
      {"domain", indicator.domain},
      {"decimals", std::to_string(indicator.decimals)},
      {"aggregation", std::string(AggregationName(indicator.aggregation))},
      {"weight_indicator", indicator.weight_indicator},
      {"bounds.min", indicator.bounds.min},
      {"bounds.max", indicator.bounds.max},
      {"bounds.max_change_percent", indicator.bounds.max_change_percent},
      {"aliases", aliases},
      {"collected.first_year",
       indicator.collected_every_years == 0 ? "" : std::to_string(indicator.collected_first_year)},
      {"collected.every_years",
       indicator.collected_every_years == 0 ? ""
                                            : std::to_string(indicator.collected_every_years)},
  };
}

// Fetches catalog `version` (0: the newest that counts) from the node.
absl::StatusOr<proto::CatalogVersionReply> FetchVersion(const std::string& config_path,
                                                        uint32_t version) {
  absl::StatusOr<AdminClient> client = AdminClient::Connect(config_path);
  if (!client.ok()) return client.status();
  auto stub = proto::Coordinator::NewStub(client->channel());
  proto::CatalogVersionRequest request;
  request.set_version(version);
  proto::CatalogVersionReply reply;
  auto context = client->NewContext(std::chrono::seconds(30));
  grpc::Status status = stub->GetCatalogVersion(context.get(), request, &reply);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        client->Describe(status));
  }
  return reply;
}

int RunHash(bool as_json) {
  const catalog::Catalog& catalog = catalog::Catalog::Default();
  if (as_json) {
    std::cout << json{{"version", catalog.version()}, {"sha256", catalog.Sha256Hex()}}.dump()
              << "\n";
  } else {
    std::cout << catalog.Sha256Hex() << "\n";
  }
  return 0;
}

void PrintIndicators(const catalog::Catalog& catalog) {
  bool chinese = i18n::CurrentLang() == i18n::Lang::kChinese;
  std::cout << Tr("catalog version {}, SHA-256 {}", catalog.version(), catalog.Sha256Hex()) << "\n";
  for (const catalog::Indicator& indicator : catalog.indicators()) {
    std::cout << fmt::format("  {:<28} {} ({})\n", indicator.code,
                             chinese ? indicator.name_zh : indicator.name_en, indicator.unit);
  }
}

int RunShow(const std::string& config_path, uint32_t version, bool as_json) {
  absl::StatusOr<proto::CatalogVersionReply> reply = FetchVersion(config_path, version);
  std::string document;
  if (reply.ok()) {
    document = reply->document();
  } else if (version <= 1 && (reply.status().code() == absl::StatusCode::kUnavailable ||
                              reply.status().code() == absl::StatusCode::kNotFound)) {
    // Without a node (or its config), version 1 is still known: it is
    // compiled in.
    std::cerr << Tr("note: no node answered ({}); showing the compiled-in catalog version 1",
                    reply.status().message())
              << "\n";
    document = catalog::Catalog::Default().bytes();
  } else {
    return Fail(reply.status().message());
  }
  if (as_json) {
    std::cout << document;
    return 0;
  }
  absl::StatusOr<catalog::Catalog> catalog = catalog::Catalog::Parse(document);
  if (!catalog.ok()) return Fail(catalog.status().message());
  if (reply.ok() && reply->versions_size() > 1) {
    std::string versions;
    for (uint32_t held : reply->versions()) {
      versions += (versions.empty() ? "" : ", ") + std::to_string(held);
    }
    std::cout << Tr("versions held: {}", versions) << "\n";
  }
  PrintIndicators(*catalog);
  return 0;
}

int RunPublish(const std::string& config_path, const std::string& file, bool as_json) {
  absl::StatusOr<std::string> document = ReadWholeFile(file);
  if (!document.ok()) return Fail(document.status().message(), kExitBadInput);
  // Check locally first, so a bad file is reported without a node.
  absl::StatusOr<catalog::Catalog> catalog = catalog::Catalog::Parse(*document);
  if (!catalog.ok()) {
    return Fail(Tr("{}: {}; nothing was published", file, catalog.status().message()),
                kExitBadInput);
  }

  absl::StatusOr<AdminClient> client = AdminClient::Connect(config_path);
  if (!client.ok()) return Fail(client.status().message(), kExitBadInput);
  auto stub = proto::Coordinator::NewStub(client->channel());
  proto::PublishCatalogRequest request;
  request.set_file_name(file);
  request.set_document(*document);
  proto::PublishCatalogReply reply;
  auto context = client->NewContext(std::chrono::seconds(60));
  grpc::Status status = stub->PublishCatalog(context.get(), request, &reply);
  if (!status.ok()) {
    return Fail(client->Describe(status), status.error_code() == grpc::StatusCode::INVALID_ARGUMENT
                                              ? kExitBadInput
                                              : kExitFailed);
  }

  if (as_json) {
    std::cout << json{{"version", reply.version()},
                      {"sha256", reply.sha256()},
                      {"sequence", reply.sequence()},
                      {"epoch", reply.epoch()}}
                     .dump()
              << "\n";
  } else {
    std::cout << Tr("published catalog version {} (SHA-256 {}) as entry {} of epoch {}",
                    reply.version(), reply.sha256(), reply.sequence(), reply.epoch())
              << "\n";
  }
  return 0;
}

int RunDiff(const std::string& config_path, uint32_t from, uint32_t to, bool as_json) {
  // Version 0 would ask the node for its newest version.
  if (from == 0 || to == 0) {
    return Fail(Tr("catalog versions are numbered from 1; give two versions such as: catalog "
                   "diff 1 2"),
                kExitBadInput);
  }
  std::map<uint32_t, catalog::Catalog> catalogs;
  for (uint32_t version : {from, to}) {
    absl::StatusOr<proto::CatalogVersionReply> reply = FetchVersion(config_path, version);
    if (!reply.ok()) return Fail(reply.status().message());
    absl::StatusOr<catalog::Catalog> catalog = catalog::Catalog::Parse(reply->document());
    if (!catalog.ok()) return Fail(catalog.status().message());
    catalogs.emplace(version, *std::move(catalog));
  }
  const catalog::Catalog& a = catalogs.at(from);
  const catalog::Catalog& b = catalogs.at(to);

  json added = json::array(), removed = json::array(), changed = json::array();
  for (const catalog::Indicator& indicator : b.indicators()) {
    if (a.FindIndicator(indicator.code) == nullptr) added.push_back(indicator.code);
  }
  for (const catalog::Indicator& indicator : a.indicators()) {
    const catalog::Indicator* after = b.FindIndicator(indicator.code);
    if (after == nullptr) {
      removed.push_back(indicator.code);
      continue;
    }
    std::map<std::string, std::string> old_fields = Fields(indicator);
    std::map<std::string, std::string> new_fields = Fields(*after);
    for (const auto& [field, value] : old_fields) {
      if (new_fields[field] == value) continue;
      changed.push_back({{"indicator", indicator.code},
                         {"field", field},
                         {"from", value},
                         {"to", new_fields[field]}});
    }
  }
  json settings = json::array();
  auto setting = [&](const char* name, const std::string& old_value, const std::string& value) {
    if (old_value != value)
      settings.push_back({{"field", name}, {"from", old_value}, {"to", value}});
  };
  setting("annual_deadline", a.annual_deadline(), b.annual_deadline());
  setting("quarterly_deadline_days", std::to_string(a.quarterly_deadline_days()),
          std::to_string(b.quarterly_deadline_days()));
  setting("regions", std::to_string(a.regions().size()), std::to_string(b.regions().size()));

  if (as_json) {
    std::cout << json{{"from", from},       {"to", to},           {"added", added},
                      {"removed", removed}, {"changed", changed}, {"settings", settings}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << Tr("catalog version {} to {}", from, to) << "\n";
  for (const json& code : added) std::cout << "  + " << code.get<std::string>() << "\n";
  for (const json& code : removed) {
    std::cout << "  - " << code.get<std::string>() << "  "
              << Tr("(removed: its values in earlier periods stay readable)") << "\n";
  }
  for (const json& change : changed) {
    std::cout << fmt::format("  ~ {} {}: \"{}\" -> \"{}\"\n",
                             change["indicator"].get<std::string>(),
                             change["field"].get<std::string>(), change["from"].get<std::string>(),
                             change["to"].get<std::string>());
  }
  for (const json& change : settings) {
    std::cout << fmt::format("  ~ {}: \"{}\" -> \"{}\"\n", change["field"].get<std::string>(),
                             change["from"].get<std::string>(), change["to"].get<std::string>());
  }
  if (added.empty() && removed.empty() && changed.empty() && settings.empty()) {
    std::cout << "  " << Tr("no differences") << "\n";
  }
  return 0;
}

}  // namespace

std::function<std::optional<int>()> RegisterCatalogCommands(CLI::App& app,
                                                            const std::string& config_path,
                                                            const bool& as_json) {
  auto* catalog = app.add_subcommand("catalog", Tr("the indicator catalog"));
  catalog->require_subcommand(1);
  auto* hash = catalog->add_subcommand("hash", Tr("print the SHA-256 of catalog version 1"));
  auto* show = catalog->add_subcommand(
      "show", Tr("list the indicators of the newest catalog version, or of --version N"));
  auto version = std::make_shared<uint32_t>(0);
  show->add_option("--version", *version, Tr("catalog version to show; default the newest"));
  auto* publish = catalog->add_subcommand(
      "publish", Tr("publish a new catalog version (JSON) as the lead's entry"));
  auto file = std::make_shared<std::string>();
  publish->add_option("file", *file, Tr("catalog document, JSON"))->required();
  auto* diff = catalog->add_subcommand("diff", Tr("show what changed between two versions"));
  auto from = std::make_shared<uint32_t>(0);
  auto to = std::make_shared<uint32_t>(0);
  diff->add_option("a", *from, Tr("older version"))->required();
  diff->add_option("b", *to, Tr("newer version"))->required();

  return [=, &config_path, &as_json]() -> std::optional<int> {
    if (hash->parsed()) return RunHash(as_json);
    if (show->parsed()) return RunShow(config_path, *version, as_json);
    if (publish->parsed()) return RunPublish(config_path, *file, as_json);
    if (diff->parsed()) return RunDiff(config_path, *from, *to, as_json);
    return std::nullopt;
  };
}

}  // namespace yreb::cli
