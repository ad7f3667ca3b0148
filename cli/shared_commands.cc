#include "cli/shared_commands.h"

#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli/admin_client.h"
#include "cli/exit.h"
#include "i18n/i18n.h"
#include "proto/coordinator_admin.grpc.pb.h"

namespace yreb::cli {
namespace {

using i18n::Tr;
using nlohmann::json;

// Sealing computes the set and writes one entry; status and releases
// recompute pending releases.
constexpr std::chrono::seconds kCallTimeout{120};




int FailCall(const AdminClient& client, const grpc::Status& status) {
  return Fail(client.Describe(status), status.error_code() == grpc::StatusCode::INVALID_ARGUMENT
                                           ? kExitBadInput
                                           : kExitFailed);
}

std::string StateText(const std::string& state) {
  if (state == "verified") return Tr("verified");
  if (state == "mismatch") return Tr("MISMATCH");
  if (state == "pending") return Tr("pending");
  if (state == "unverifiable") return Tr("unverifiable");
  return Tr("void");
}

void PrintAggregates(const json& aggregates) {
  if (aggregates.empty()) return;
  std::cout << Tr("Belt aggregates:") << "\n";
  for (const json& aggregate : aggregates) {
    std::string rule = aggregate["rule"] == "sum" ? Tr("sum") : Tr("weighted mean");
    std::cout << fmt::format(
        "  {} {} {}: {} {} ({}, {}/{})\n", aggregate["indicator"].get<std::string>(),
        aggregate["name"].get<std::string>(), aggregate["period"].get<std::string>(),
        aggregate["value"].get<std::string>(), aggregate["unit"].get<std::string>(), rule,
        aggregate["provinces"].get<int>(), aggregate["expected"].get<int>());
  }
}

void PrintRelease(const json& release) {
  std::cout << Tr("release {} of {}: entry {}/{}, catalog version {}, {} cells, Merkle root {}: {}",
                  release["release_number"].get<int>(), release["period"].get<std::string>(),
                  release["origin"].get<uint32_t>(), release["sequence"].get<uint64_t>(),
                  release["catalog_version"].get<int>(), release["cells"].get<int>(),
                  release["merkle_root"].get<std::string>(),
                  StateText(release["state"].get<std::string>()))
            << "\n";
  for (const json& detail : release["details"]) {
    std::cout << "    " << detail.get<std::string>() << "\n";
  }
}

void PrintSet(const json& set) {
  std::cout << Tr("Shared set {} (catalog version {}, rules version {})",
                  set["period"].get<std::string>(), set["catalog_version"].get<int>(),
                  set["rules_version"].get<int>())
            << "\n";
  std::cout << Tr("Deadline: {} ({})", set["deadline"]["deadline"].get<std::string>(),
                  set["deadline"]["text"].get<std::string>())
            << "\n";
  size_t expected = set["expected_cells"].get<size_t>();
  size_t missing = set["missing_cells"].get<size_t>();
  std::cout << Tr("Province cells present: {} of {}; values in the set: {}", expected - missing,
                  expected, set["cells"].get<size_t>())
            << "\n";

  for (const json& province : set["provinces"]) {
    if (province["missing"].empty()) continue;
    // One line per indicator with its missing periods.
    std::map<std::string, std::string> by_indicator;
    for (const json& cell : province["missing"]) {
      std::string& periods = by_indicator[cell["indicator"].get<std::string>()];
      periods += (periods.empty() ? "" : " ") + cell["period"].get<std::string>();
    }
    std::cout << Tr("{} ({}) is missing {} cells:", province["name"].get<std::string>(),
                    province["id"].get<std::string>(), province["missing"].size())
              << "\n";
    for (const auto& [indicator, periods] : by_indicator) {
      std::cout << "    " << indicator << ": " << periods << "\n";
    }
  }

  // Prefecture coverage, where any prefecture city has reported; --json
  // lists every indicator.
  for (const json& province : set["provinces"]) {
    std::string coverage;
    for (const json& item : province["prefecture_coverage"]) {
      if (item["have"].get<int>() == 0) continue;
      coverage += fmt::format("{}{} {}/{}", coverage.empty() ? "" : ", ",
                              item["indicator"].get<std::string>(), item["have"].get<int>(),
                              item["total"].get<int>());
    }
    if (coverage.empty()) continue;
    std::cout << Tr("{} ({}) prefecture cities reporting: {}", province["name"].get<std::string>(),
                    province["id"].get<std::string>(), coverage)
              << "\n";
  }

  std::cout << Tr("Findings: {}", set["findings"].size()) << "\n";
  for (const json& finding : set["findings"]) {
    std::cout << "  " << finding["text"].get<std::string>() << "\n";
  }
  PrintAggregates(set["aggregates"]);
}

// The unary calls that take a period and return the shared-set JSON.
using SharedCall = grpc::Status (proto::Coordinator::Stub::*)(grpc::ClientContext*,
                                                              const proto::SharedRequest&,
                                                              proto::SharedReply*);

// Runs `call` for `period`. Returns the reply's JSON text, or nullopt after
// printing the error, with the exit code in `exit_code`.
std::optional<std::string> CallShared(AdminClient& client, SharedCall call,
                                      const std::string& period, int* exit_code) {
  auto stub = proto::Coordinator::NewStub(client.channel());
  proto::SharedRequest request;
  request.set_period(period);
  proto::SharedReply reply;
  auto context = client.NewContext(kCallTimeout);
  grpc::Status status = ((*stub).*call)(context.get(), request, &reply);
  if (!status.ok()) {
    *exit_code = FailCall(client, status);
    return std::nullopt;
  }
  return reply.json();
}

int RunStatus(AdminClient& client, const std::string& period, bool as_json) {
  int exit_code = 0;
  std::optional<std::string> reply =
      CallShared(client, &proto::Coordinator::Stub::SharedStatus, period, &exit_code);
  if (!reply.has_value()) return exit_code;
  if (as_json) {
    std::cout << *reply << "\n";
    return 0;
  }
  json set = json::parse(*reply);
  PrintSet(set);
  if (set["releases"].empty()) {
    std::cout << Tr("No release of {} yet.", period) << "\n";
  }
  for (const json& release : set["releases"]) PrintRelease(release);
  return 0;
}

int RunSeal(AdminClient& client, const std::string& period, bool as_json) {
  int exit_code = 0;
  std::optional<std::string> reply =
      CallShared(client, &proto::Coordinator::Stub::Seal, period, &exit_code);
  if (!reply.has_value()) return exit_code;
  if (as_json) {
    std::cout << *reply << "\n";
    return 0;
  }
  json set = json::parse(*reply);
  std::cout << Tr("sealed release {} of {} as entry {} (epoch {}); Merkle root {}",
                  set["release_number"].get<int>(), set["period"].get<std::string>(),
                  set["sequence"].get<uint64_t>(), set["epoch"].get<uint64_t>(),
                  set["merkle_root"].get<std::string>())
            << "\n";
  size_t expected = set["expected_cells"].get<size_t>();
  size_t missing = set["missing_cells"].get<size_t>();
  std::cout << Tr("Province cells present: {} of {}; values in the set: {}", expected - missing,
                  expected, set["cells"].get<size_t>())
            << "\n";
  std::cout << Tr("Findings: {}", set["findings"].size()) << "\n";
  if (set.contains("same_values_as_release")) {
    std::cout << Tr("The values are those of release {}: no record of the set changed since.",
                    set["same_values_as_release"].get<int>())
              << "\n";
  }
  PrintAggregates(set["aggregates"]);
  return 0;
}

// Lists the releases of `period` (every period when empty): all of them when
// `number` is 0, the newest when it is negative, else release `number`.
int RunReleases(AdminClient& client, const std::string& period, int number, bool as_json) {
  int exit_code = 0;
  std::optional<std::string> reply =
      CallShared(client, &proto::Coordinator::Stub::ListReleases, period, &exit_code);
  if (!reply.has_value()) return exit_code;

  json releases = json::parse(*reply);
  if (number < 0) {
    if (releases.empty()) {
      return Fail(Tr("{} has no release yet; the lead seals one with yrebctl shared seal {}",
                     period, period));
    }
    releases = json::array({releases.back()});
  } else if (number > 0) {
    json chosen = json::array();
    for (const json& release : releases) {
      if (release["release_number"] == number) chosen.push_back(release);
    }
    if (chosen.empty()) {
      return Fail(Tr("{} has no release number {}; yrebctl shared releases {} lists them", period,
                     number, period));
    }
    releases = chosen;
  }

  if (as_json) {
    std::cout << releases.dump() << "\n";
    return 0;
  }
  if (releases.empty()) std::cout << Tr("No releases stored.") << "\n";
  for (const json& release : releases) {
    PrintRelease(release);
    if (number != 0) PrintAggregates(release["aggregates"]);
  }
  return 0;
}

int RunExport(AdminClient& client, const std::string& period, const std::string& format,
              uint32_t number, const std::string& out) {
  auto stub = proto::Coordinator::NewStub(client.channel());
  proto::SharedExportRequest request;
  request.set_period(period);
  request.set_format(format);
  request.set_release_number(number);
  proto::SharedExportReply reply;
  auto context = client.NewContext(kCallTimeout);
  grpc::Status status = stub->Export(context.get(), request, &reply);
  if (!status.ok()) return FailCall(client, status);
  if (out.empty() || out == "-") {
    std::cout << reply.content();
    return 0;
  }
  std::ofstream file(out, std::ios::binary);
  file << reply.content();
  file.close();
  if (!file) return Fail(Tr("cannot write {}: {}", out, i18n::ErrnoMessage(errno)));
  std::cerr << Tr("wrote {} rows of release {} of {} to {}", reply.rows(), reply.release_number(),
                  period, out)
            << "\n";
  return 0;
}

// Rejects release number 0: releases are numbered from 1, and leaving the
// option out selects the newest.
CLI::Validator PositiveRelease() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return text.find_first_not_of('0') == std::string::npos
                   ? Tr("releases are numbered from 1; leave out --release for the newest")
                   : std::string();
      },
      "");
}

}  // namespace

std::function<std::optional<int>()> RegisterSharedCommands(CLI::App& app,
                                                           const std::string& config_path,
                                                           const bool& as_json) {
  auto* shared = app.add_subcommand("shared", Tr("the shared quarterly and annual sets"));
  shared->require_subcommand(1);
  auto period = std::make_shared<std::string>();
  auto number = std::make_shared<uint32_t>(0);
  auto format = std::make_shared<std::string>("csv");
  auto out = std::make_shared<std::string>();

  auto* status = shared->add_subcommand(
      "status", Tr("show who is missing what, the findings, the deadline and the releases"));
  status->add_option("period", *period, Tr("period: 2019-Q4 or 2022"))->required();
  auto* seal = shared->add_subcommand(
      "seal", Tr("seal the period's shared set as a signed release (lead only)"));
  seal->add_option("period", *period, Tr("period: 2019-Q4 or 2022"))->required();
  auto* releases = shared->add_subcommand(
      "releases", Tr("list the stored releases and this node's verdict on each"));
  releases->add_option("period", *period, Tr("period; default every period"));
  auto* show = shared->add_subcommand("show", Tr("show one release with its belt aggregates"));
  show->add_option("period", *period, Tr("period: 2019-Q4 or 2022"))->required();
  show->add_option("--release", *number, Tr("release number; default the newest"))
      ->check(PositiveRelease());
  auto* export_command =
      shared->add_subcommand("export", Tr("export a release's values as CSV or SDMX-CSV"));
  export_command->add_option("period", *period, Tr("period: 2019-Q4 or 2022"))->required();
  export_command
      ->add_option("--format", *format,
                   Tr("csv (long CSV), sdmx-csv (SDMX-CSV 2.0) or sdmx-csv-1 (SDMX-CSV 1.0)"))
      ->check(CLI::IsMember({"csv", "sdmx-csv", "sdmx-csv-1"}));
  export_command->add_option("--release", *number, Tr("release number; default the newest"))
      ->check(PositiveRelease());
  export_command->add_option("--out", *out, Tr("output file; default stdout"));

  return [=, &config_path, &as_json]() -> std::optional<int> {
    if (!shared->parsed()) return std::nullopt;
    absl::StatusOr<AdminClient> client = AdminClient::Connect(config_path);
    if (!client.ok()) return Fail(client.status().message(), kExitBadInput);
    if (status->parsed()) return RunStatus(*client, *period, as_json);
    if (seal->parsed()) return RunSeal(*client, *period, as_json);
    if (releases->parsed()) return RunReleases(*client, *period, 0, as_json);
    if (show->parsed()) {
      if (*number == 0) {
        // The newest release: list them and take the last.
        return RunReleases(*client, *period, -1, as_json);
      }
      return RunReleases(*client, *period, static_cast<int>(*number), as_json);
    }
    if (export_command->parsed()) {
      return RunExport(*client, *period, *format, *number, *out);
    }
    return std::nullopt;
  };
}

}  // namespace yreb::cli
