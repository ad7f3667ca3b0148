// yrebctl: the command-line tool of yreb-sync. Node commands talk to a running
// yreb-node over its admin socket; keygen, init and catalog hash work offline.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "cli/admin_client.h"
#include "cli/exit.h"
#include "cli/files.h"
#include "cli/backup_commands.h"
#include "cli/catalog_commands.h"
#include "cli/shared_commands.h"
#include "cli/federation_commands.h"
#include "cli/lead_commands.h"
#include "crypto/crypto.h"
#include "i18n/cli_help.h"
#include "i18n/i18n.h"
#include "node/config.h"
#include "node/node.h"

namespace yreb::cli {
namespace {

using i18n::Tr;
using nlohmann::json;



// Accepts the English keyword, the code exports and --json write, or the
// Chinese term of a data status.
absl::StatusOr<proto::DataStatus> ParseStatus(const std::string& text) {
  if (text == "preliminary" || text == "初步核算") return proto::DATA_STATUS_PRELIMINARY;
  if (text == "preliminary-verification" || text == "preliminary_verification" ||
      text == "初步核实") {
    return proto::DATA_STATUS_PRELIMINARY_VERIFICATION;
  }
  if (text == "final" || text == "final_verification" || text == "最终核实") {
    return proto::DATA_STATUS_FINAL_VERIFICATION;
  }
  if (text == "revised" || text == "修订") return proto::DATA_STATUS_REVISED;
  return absl::InvalidArgumentError(
      Tr("invalid status {}; use preliminary (初步核算), preliminary-verification (初步核实), "
         "final (最终核实) or revised (修订)",
         text));
}

std::string StatusName(proto::DataStatus status) {
  switch (status) {
    case proto::DATA_STATUS_PRELIMINARY: return Tr("preliminary");
    case proto::DATA_STATUS_PRELIMINARY_VERIFICATION: return Tr("preliminary verification");
    case proto::DATA_STATUS_FINAL_VERIFICATION: return Tr("final verification");
    case proto::DATA_STATUS_REVISED: return Tr("revised");
    default: return "-";
  }
}

// Stable status codes for --json output, the same words the long CSV uses.
std::string StatusCode(proto::DataStatus status) {
  switch (status) {
    case proto::DATA_STATUS_PRELIMINARY: return "preliminary";
    case proto::DATA_STATUS_PRELIMINARY_VERIFICATION: return "preliminary_verification";
    case proto::DATA_STATUS_FINAL_VERIFICATION: return "final_verification";
    case proto::DATA_STATUS_REVISED: return "revised";
    default: return "";
  }
}

std::string OutcomeName(proto::PutReply::Outcome outcome) {
  switch (outcome) {
    case proto::PutReply::OUTCOME_NEW: return "new";
    case proto::PutReply::OUTCOME_REVISED: return "revised";
    case proto::PutReply::OUTCOME_UNCHANGED: return "unchanged";
    default: return "unknown";
  }
}

std::string DefaultConfigPath() {
  const char* from_env = std::getenv("YREB_CONFIG");
  return from_env != nullptr ? from_env : "/etc/yreb-sync/node.toml";
}

// --- offline commands -------------------------------------------------------

int RunKeygen(const std::string& prefix) {
  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  absl::Status status = crypto::WriteKeyPair(key, prefix + ".key", prefix + ".pub");
  if (!status.ok()) return Fail(std::string(status.message()));
  std::cout << Tr("wrote private key {} (mode 0600) and public key {}", prefix + ".key",
                  prefix + ".pub")
            << "\n"
            << Tr("fingerprint: {}", key.public_key().Fingerprint()) << "\n";
  return 0;
}

int RunInit(uint32_t node_id, const std::string& dir) {
  if (!node::IsMemberProvince(node_id)) {
    return Fail(Tr("--node-id {} is not a member province code; use one of 310000, 320000, "
                   "330000, 340000, 360000, 420000, 430000, 500000, 510000, 520000, 530000",
                   node_id),
                kExitBadInput);
  }
  std::error_code error;
  std::filesystem::path root(dir);
  if (std::filesystem::exists(root / "node.toml", error) ||
      std::filesystem::exists(root / "node.key", error)) {
    return Fail(Tr("{} already holds a node (node.toml or node.key); choose another directory",
                   dir),
                kExitBadInput);
  }
  std::filesystem::create_directories(root, error);
  if (error) return Fail(Tr("cannot create {}: {}", dir, i18n::ErrnoMessage(error)));
  ::chmod(root.c_str(), 0750);

  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  absl::Status status = crypto::WriteKeyPair(key, (root / "node.key").string(),
                                             (root / "node.pub").string());
  if (!status.ok()) return Fail(std::string(status.message()));

  std::ofstream config(root / "node.toml");
  config << node::DefaultConfigText(node_id);
  config.close();
  if (!config) return Fail(Tr("cannot write {}", (root / "node.toml").string()));

  status = node::CreateStore((root / "data").string(), key.public_key().Fingerprint());
  if (!status.ok()) return Fail(std::string(status.message()));
  std::filesystem::create_directories(root / "run", error);
  ::chmod((root / "run").c_str(), 0750);

  std::cout << Tr("initialized node {} ({}) in {}", node_id, node::MemberProvinceName(node_id),
                  dir)
            << "\n"
            << Tr("key fingerprint: {}", key.public_key().Fingerprint()) << "\n"
            << Tr("start it with: yreb-node --config {}", (root / "node.toml").string()) << "\n";
  return 0;
}

// --- node commands ------------------------------------------------------------

json AlarmJson(const proto::Alarm& alarm) {
  json chains = json::array();
  for (const proto::ChainHead& head : alarm.chains()) {
    chains.push_back({{"sequence", head.sequence()}, {"hash", head.hash()}});
  }
  return json{{"kind", alarm.kind()},
              {"origin", alarm.origin()},
              {"sequence", alarm.sequence()},
              {"detail", alarm.detail()},
              {"chains", chains}};
}

// Prints the stored fork evidence: for each forked origin, the head of both
// chains, which the root holder names in a fork resolution.
int RunForks(AdminClient& client, bool as_json) {
  proto::StatusReply reply;
  auto context = client.NewContext(std::chrono::seconds(10));
  grpc::Status status = client.stub().GetStatus(context.get(), proto::StatusRequest(), &reply);
  if (!status.ok()) return Fail(client.Describe(status));
  json forks = json::array();
  int held = 0;
  for (const proto::Alarm& alarm : reply.alarms()) {
    if (alarm.kind() != "fork") continue;
    ++held;
    if (as_json) {
      forks.push_back(AlarmJson(alarm));
      continue;
    }
    std::cout << Tr("origin {} forks at sequence {}", alarm.origin(), alarm.sequence()) << "\n";
    for (const proto::ChainHead& head : alarm.chains()) {
      std::cout << "  " << Tr("chain head: sequence {} hash {}", head.sequence(), head.hash())
                << "\n";
    }
  }
  if (as_json) {
    std::cout << forks.dump(2) << "\n";
  } else if (held == 0) {
    std::cout << Tr("no fork is held on this node") << "\n";
  }
  return 0;
}

int RunStatus(AdminClient& client, bool as_json) {
  proto::StatusReply reply;
  auto context = client.NewContext(std::chrono::seconds(10));
  grpc::Status status = client.stub().GetStatus(context.get(), proto::StatusRequest(), &reply);
  if (!status.ok()) return Fail(client.Describe(status));
  if (as_json) {
    json vector = json::array();
    for (const auto& tip : reply.version_vector()) {
      vector.push_back({{"origin", tip.origin()}, {"sequence", tip.sequence()},
                        {"hash", tip.hash()}});
    }
    json peers = json::array();
    for (const proto::PeerState& peer : reply.peers()) {
      json lag = json::array();
      for (const proto::OriginLag& origin : peer.lag()) {
        lag.push_back({{"origin", origin.origin()}, {"ours", origin.ours()},
                       {"theirs", origin.theirs()}});
      }
      json rejects = json::object();
      for (const auto& [reason, count] : peer.rejects()) rejects[reason] = count;
      peers.push_back({{"node_id", peer.node_id()},
                       {"address", peer.address()},
                       {"linked", peer.linked()},
                       {"connected", peer.connected()},
                       {"last_contact_ms", peer.last_contact_ms()},
                       {"entries_received", peer.entries_received()},
                       {"bytes_received", peer.bytes_received()},
                       {"rejects", rejects},
                       {"lag", lag},
                       {"in_sync", peer.in_sync()},
                       {"last_error", peer.last_error()}});
    }
    json sent = json::object();
    for (const auto& [subscriber, count] : reply.sent_entries()) {
      sent[std::to_string(subscriber)] = count;
    }
    json alarms = json::array();
    for (const proto::Alarm& alarm : reply.alarms()) alarms.push_back(AlarmJson(alarm));
    json releases = json::object();
    for (const auto& [state, count] : reply.releases_by_state()) releases[state] = count;
    std::cout << json{{"node_id", reply.node_id()},
                      {"province", reply.province_name()},
                      {"key_fingerprint", reply.key_fingerprint()},
                      {"append_allowed", reply.append_allowed()},
                      {"append_blocked_reason", reply.append_blocked_reason()},
                      {"version_vector", vector},
                      {"database_bytes", reply.database_bytes()},
                      {"version", reply.version()},
                      {"members", reply.members()},
                      {"peers", peers},
                      {"alarms", alarms},
                      {"recovery", reply.recovery()},
                      {"void_entries", reply.void_entries()},
                      {"future_entries", reply.future_entries()},
                      {"sent_entries", sent},
                      {"lead_epoch", reply.lead_epoch()},
                      {"lead", reply.lead()},
                      {"lead_dispute", reply.lead_dispute()},
                      {"may_coordinate", reply.may_coordinate()},
                      {"void_coordinator_entries", reply.void_coordinator_entries()},
                      {"releases", releases}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << Tr("node {} ({}), yreb-sync {}", reply.node_id(), reply.province_name(),
                  reply.version())
            << "\n"
            << Tr("key fingerprint: {}", reply.key_fingerprint()) << "\n";
  if (reply.append_allowed()) {
    std::cout << Tr("appends: allowed") << "\n";
  } else {
    std::cout << Tr("appends: BLOCKED: {}", reply.append_blocked_reason()) << "\n";
  }
  std::cout << Tr("version vector:") << "\n";
  if (reply.version_vector().empty()) std::cout << "  " << Tr("(empty)") << "\n";
  for (const auto& tip : reply.version_vector()) {
    std::cout << fmt::format("  {}  {:>10}  {}\n", tip.origin(), tip.sequence(),
                             tip.hash().substr(0, 16));
  }
  std::cout << Tr("database size: {} bytes", reply.database_bytes()) << "\n";
  if (reply.lead_epoch() != 0) {
    std::cout << Tr("lead: epoch {}, {} ({}){}", reply.lead_epoch(), reply.lead(),
                    node::MemberProvinceName(reply.lead()),
                    reply.may_coordinate() ? Tr("; this node is the coordinator") : "")
              << "\n";
  }
  if (!reply.lead_dispute().empty()) {
    std::cout << Tr("lead: DISPUTED: {}", reply.lead_dispute()) << "\n";
  }
  if (reply.void_coordinator_entries() != 0) {
    std::cout << Tr("void coordinator entries: {} (yrebctl lead status lists them)",
                    reply.void_coordinator_entries())
              << "\n";
  }
  if (!reply.releases_by_state().empty()) {
    std::string counts;
    for (const auto& [state, count] : reply.releases_by_state()) {
      counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, state);
    }
    std::cout << Tr("shared-set releases: {}", counts) << "\n";
  }

  if (!reply.peers().empty()) {
    std::cout << Tr("peers:") << "\n";
    int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    for (const proto::PeerState& peer : reply.peers()) {
      std::string state = !peer.linked()      ? Tr("not linked (skip_peers)")
                          : peer.connected()  ? Tr("connected")
                                              : Tr("disconnected");
      std::string contact = peer.last_contact_ms() == 0
                                ? Tr("never")
                                : Tr("{} s ago", (now_ms - peer.last_contact_ms()) / 1000);
      std::cout << fmt::format("  {} {:<22} {}", peer.node_id(), peer.address(), state) << "  "
                << Tr("last contact {}", contact) << "  "
                << Tr("received {} entries, {} bytes", peer.entries_received(),
                      peer.bytes_received());
      if (peer.in_sync()) std::cout << "  " << Tr("in sync");
      std::cout << "\n";
      for (const proto::OriginLag& lag : peer.lag()) {
        std::cout << "      "
                  << Tr("origin {}: this node {}, peer {}", lag.origin(), lag.ours(), lag.theirs())
                  << "\n";
      }
      for (const auto& [reason, count] : peer.rejects()) {
        std::cout << "      " << Tr("rejected ranges ({}): {}", reason, count) << "\n";
      }
      if (!peer.connected() && !peer.last_error().empty()) {
        std::cout << "      " << Tr("last error: {}", peer.last_error()) << "\n";
      }
    }
  }
  if (!reply.alarms().empty()) {
    std::cout << Tr("alarms:") << "\n";
    for (const proto::Alarm& alarm : reply.alarms()) {
      std::cout << "  [" << alarm.kind() << "] " << alarm.detail() << "\n";
    }
  }
  return 0;
}

void PrintPut(const proto::PutReply& reply, bool as_json) {
  if (as_json) {
    std::cout << json{{"outcome", OutcomeName(reply.outcome())},
                      {"sequence", reply.sequence()},
                      {"revision", reply.revision()}}
                     .dump()
              << "\n";
    return;
  }
  switch (reply.outcome()) {
    case proto::PutReply::OUTCOME_UNCHANGED:
      std::cout << Tr("unchanged: equal to revision {}; nothing written", reply.revision())
                << "\n";
      break;
    case proto::PutReply::OUTCOME_REVISED:
      std::cout << Tr("stored revision {} as entry {}", reply.revision(), reply.sequence())
                << "\n";
      break;
    default:
      std::cout << Tr("stored as entry {}", reply.sequence()) << "\n";
      break;
  }
}

int RunPut(AdminClient& client, const proto::PutRequest& request, bool as_json) {
  proto::PutReply reply;
  auto context = client.NewContext(std::chrono::seconds(60));
  grpc::Status status = client.stub().Put(context.get(), request, &reply);
  if (!status.ok()) {
    return Fail(client.Describe(status), status.error_code() == grpc::StatusCode::INVALID_ARGUMENT
                                             ? kExitBadInput
                                             : kExitFailed);
  }
  PrintPut(reply, as_json);
  return 0;
}

// Streams observations from standard input, one per line:
// indicator,region,period,value. Prints "ack LINE SEQUENCE OUTCOME" for each
// line once it is durable, or "error LINE MESSAGE".
int RunPutStdin(AdminClient& client, proto::DataStatus data_status) {
  auto context = client.NewContext(std::chrono::seconds(24 * 3600));
  auto stream = client.stub().PutStream(context.get());
  std::atomic<int> failures = 0;
  std::mutex output_mu;  // the reader thread and this one both print

  std::thread reader([&] {
    proto::PutReply reply;
    while (stream->Read(&reply)) {
      // Rejected lines are answered before earlier lines are durable, so
      // the tag, not the arrival order, names the line.
      int line = static_cast<int>(reply.tag());
      std::lock_guard<std::mutex> lock(output_mu);
      if (!reply.error().empty()) {
        std::cout << "error " << line << " " << reply.error() << "\n";
        ++failures;
      } else {
        std::cout << "ack " << line << " " << reply.sequence() << " "
                  << OutcomeName(reply.outcome()) << "\n";
      }
      std::cout.flush();
    }
  });

  std::string text;
  int line = 0;
  bool sent_all = true;
  while (std::getline(std::cin, text)) {
    ++line;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty() || text[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream split(text);
    for (std::string field; std::getline(split, field, ',');) fields.push_back(field);
    if (fields.size() != 4) {
      std::lock_guard<std::mutex> lock(output_mu);
      std::cout << "error " << line << " "
                << Tr("expected 4 fields indicator,region,period,value, got {}", fields.size())
                << "\n";
      ++failures;
      continue;
    }
    proto::PutRequest request;
    request.set_indicator(fields[0]);
    request.set_region(fields[1]);
    request.set_period(fields[2]);
    request.set_value(fields[3]);
    request.set_status(data_status);
    request.set_tag(line);
    if (!stream->Write(request)) {
      sent_all = false;
      break;
    }
  }
  stream->WritesDone();
  reader.join();
  grpc::Status status = stream->Finish();
  if (!status.ok() || !sent_all) {
    return Fail(client.Describe(status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                           "stream closed")
                                            : status));
  }
  return failures == 0 ? 0 : kExitFailed;
}

int RunQuery(AdminClient& client, const proto::QueryRequest& request, bool as_json) {
  proto::QueryReply reply;
  auto context = client.NewContext(std::chrono::seconds(120));
  grpc::Status status = client.stub().Query(context.get(), request, &reply);
  if (!status.ok()) {
    return Fail(client.Describe(status), status.error_code() == grpc::StatusCode::INVALID_ARGUMENT
                                             ? kExitBadInput
                                             : kExitFailed);
  }
  if (as_json) {
    json rows = json::array();
    for (const proto::QueriedRevision& revision : reply.revisions()) {
      const proto::Record& record = revision.record();
      rows.push_back({{"indicator", record.indicator()},
                      {"region", record.region()},
                      {"period", record.period()},
                      {"value", record.value()},
                      {"unit", record.unit()},
                      {"revision", record.revision()},
                      {"status", StatusCode(record.status())},
                      {"withdrawn", record.withdrawn()},
                      {"note", record.note()},
                      {"catalog_version", record.catalog_version()},
                      {"origin", revision.origin()},
                      {"sequence", revision.sequence()},
                      {"created_ms", revision.created_ms()}});
    }
    std::cout << rows.dump(2) << "\n";
    return 0;
  }
  if (reply.revisions().empty()) {
    std::cout << Tr("no values found") << "\n";
    return 0;
  }
  for (const proto::QueriedRevision& revision : reply.revisions()) {
    const proto::Record& record = revision.record();
    std::string value = record.withdrawn() ? Tr("(withdrawn)") : record.value();
    std::cout << fmt::format("{}  {}  {:<9} {:>16} {}  r{}  {}  #{}", record.indicator(),
                             record.region(), record.period(), value, record.unit(),
                             record.revision(), StatusName(record.status()), revision.sequence());
    if (!record.note().empty()) std::cout << "  " << Tr("note: {}", record.note());
    std::cout << "\n";
  }
  return 0;
}

int RunVerify(AdminClient& client, bool as_json) {
  auto context = client.NewContext(std::chrono::seconds(6 * 3600));
  auto reader = client.stub().Verify(context.get(), proto::VerifyRequest());
  proto::VerifyProgress progress, last;
  bool interactive = ::isatty(STDERR_FILENO) && !as_json;
  while (reader->Read(&progress)) {
    last = progress;
    if (!progress.done() && interactive) {
      std::cerr << "\r" << Tr("checked {} of {} entries", progress.entries_checked(),
                              progress.entries_total())
                << std::flush;
    }
  }
  if (interactive) std::cerr << "\r";
  grpc::Status status = reader->Finish();
  if (!status.ok()) return Fail(client.Describe(status));
  if (as_json) {
    std::cout << json{{"ok", last.ok()},
                      {"entries_checked", last.entries_checked()},
                      {"heads_checked", last.heads_checked()},
                      {"failed_origin", last.failed_origin()},
                      {"failed_sequence", last.failed_sequence()},
                      {"problem", last.problem()}}
                     .dump()
              << "\n";
  } else if (last.ok()) {
    std::cout << Tr("verified: chain intact; entries checked: {}, signed heads checked: {}",
                    last.entries_checked(), last.heads_checked())
              << "\n";
  } else {
    std::cout << Tr("VERIFY FAILED at origin {} sequence {}: {}", last.failed_origin(),
                    last.failed_sequence(), last.problem())
              << "\n";
  }
  return last.ok() ? 0 : kExitFailed;
}

int RunImport(AdminClient& client, const std::string& path, const std::string& status_text,
              const std::string& mapping_path, bool dry_run, bool as_json) {
  proto::ImportRequest request;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return Fail(Tr("{} is a directory, not a file", path), kExitBadInput);
  }
  std::ifstream file(path, std::ios::binary);
  uintmax_t size = std::filesystem::file_size(path, error);
  if (!file || error) {
    return Fail(Tr("cannot read {}: {}", path, i18n::ErrnoMessage(errno)), kExitBadInput);
  }
  const std::string file_name = std::filesystem::path(path).filename().string();
  request.set_file_name(file_name);
  request.set_content_size(size);
  if (!mapping_path.empty()) {
    absl::StatusOr<std::string> mapping = ReadWholeFile(mapping_path);
    if (!mapping.ok()) return Fail(std::string(mapping.status().message()), kExitBadInput);
    request.set_mapping(std::move(*mapping));
  }
  if (!status_text.empty()) {
    absl::StatusOr<proto::DataStatus> data_status = ParseStatus(status_text);
    if (!data_status.ok()) return Fail(std::string(data_status.status().message()), kExitBadInput);
    request.set_status(*data_status);
  }
  request.set_dry_run(dry_run);

  // The file is sent in pieces of 1 MiB, so neither side keeps two copies of it.
  proto::ImportReply reply;
  auto context = client.NewContext(std::chrono::seconds(3600));
  std::unique_ptr<grpc::ClientWriter<proto::ImportRequest>> writer =
      client.stub().ImportUpload(context.get(), &reply);
  std::string piece(1 << 20, '\0');
  uintmax_t sent = 0;
  bool first = true;
  while (first || sent < size) {
    file.read(piece.data(), static_cast<std::streamsize>(
                                std::min<uintmax_t>(piece.size(), size - sent)));
    if (file.gcount() == 0 && sent < size) break;  // the file shrank; the node reports the mismatch
    request.set_content(piece.data(), static_cast<size_t>(file.gcount()));
    sent += static_cast<uintmax_t>(file.gcount());
    if (!writer->Write(request)) break;  // the node ended the call, and Finish returns why
    if (first) request.Clear();
    first = false;
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) {
    return Fail(client.Describe(status), status.error_code() == grpc::StatusCode::INVALID_ARGUMENT
                                             ? kExitBadInput
                                             : kExitFailed);
  }
  if (as_json) {
    json skipped = json::object();
    for (const auto& [region, count] : reply.skipped_by_region()) skipped[region] = count;
    std::cout << json{{"file", file_name},
                      {"format", reply.format()},
                      {"encoding", reply.encoding()},
                      {"new", reply.new_records()},
                      {"revised", reply.revised_records()},
                      {"unchanged", reply.unchanged_records()},
                      {"skipped", reply.skipped_rows()},
                      {"skipped_by_region", skipped},
                      {"import_id", reply.import_id()},
                      {"first_sequence", reply.first_sequence()},
                      {"last_sequence", reply.last_sequence()},
                      {"errors", reply.errors()},
                      {"dry_run", dry_run}}
                     .dump(2)
              << "\n";
  }
  if (!reply.errors().empty()) {
    if (!as_json) {
      std::cerr << Tr("{}: rejected, nothing was stored. Problems found: {}", file_name,
                      reply.errors_size())
                << "\n";
      for (const std::string& error : reply.errors()) std::cerr << "  " << error << "\n";
    }
    return kExitBadInput;
  }
  if (!as_json) {
    std::cout << Tr("{} ({}, {}): {} new, {} revised, {} unchanged, {} rows of other regions "
                    "skipped",
                    file_name, reply.format(), reply.encoding(), reply.new_records(),
                    reply.revised_records(), reply.unchanged_records(), reply.skipped_rows())
              << "\n";
    if (dry_run) {
      std::cout << Tr("dry run: nothing was stored") << "\n";
    } else if (reply.last_sequence() != 0) {
      std::cout << Tr("stored as entries {} to {}", reply.first_sequence(), reply.last_sequence())
                << "\n";
    }
  }
  return 0;
}

int RunExport(AdminClient& client, const proto::ExportRequest& request, const std::string& out) {
  proto::ExportReply reply;
  auto context = client.NewContext(std::chrono::seconds(600));
  grpc::Status status = client.stub().Export(context.get(), request, &reply);
  if (!status.ok()) return Fail(client.Describe(status));
  if (out.empty() || out == "-") {
    std::cout << reply.content();
  } else {
    std::ofstream file(out, std::ios::binary);
    file << reply.content();
    file.close();
    if (!file) return Fail(Tr("cannot write {}: {}", out, i18n::ErrnoMessage(errno)));
    std::cerr << Tr("wrote {} rows to {}", reply.rows(), out) << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace yreb::cli

int main(int argc, char** argv) {
  using namespace yreb::cli;
  using yreb::i18n::Tr;

  CLI::App app(Tr("yrebctl: manage a yreb-sync node of the Yangtze River Economic Belt "
                  "statistics federation"),
               "yrebctl");
  app.require_subcommand(1);
  // Global options such as --json and --config may also follow the command.
  app.fallthrough();
  app.set_version_flag("--version", YREB_VERSION);
  yreb::i18n::LocalizeHelp(&app);
  std::string config_path = DefaultConfigPath();
  app.add_option("--config", config_path,
                 Tr("node configuration file; default $YREB_CONFIG or /etc/yreb-sync/node.toml"));
  bool as_json = false;
  app.add_flag("--json", as_json, Tr("print JSON for scripts"));

  auto* keygen = app.add_subcommand("keygen", Tr("write a new Ed25519 key pair"));
  std::string key_prefix = "node";
  keygen->add_option("--out", key_prefix,
                     Tr("path prefix: writes PREFIX.key (mode 0600) and PREFIX.pub"));

  auto* init = app.add_subcommand("init", Tr("create a ready node directory"));
  uint32_t node_id = 0;
  std::string init_dir;
  init->add_option("--node-id", node_id, Tr("province code of this bureau, e.g. 320000"))
      ->required();
  init->add_option("--dir", init_dir, Tr("directory to create"))->required();

  auto* status = app.add_subcommand("status", Tr("show the node's state and version vector"));
  auto* forks = app.add_subcommand(
      "forks", Tr("show the held forks: both chains' head sequence and hash per origin"));

  auto* put = app.add_subcommand("put", Tr("write one observation, or a stream from stdin"));
  yreb::proto::PutRequest put_request;
  std::string put_status;
  bool put_stdin = false;
  bool put_withdraw = false;
  put->add_option("--indicator", *put_request.mutable_indicator(), Tr("indicator code"));
  put->add_option("--region", *put_request.mutable_region(), Tr("region code (GB/T 2260)"));
  put->add_option("--period", *put_request.mutable_period(),
                  Tr("period: 2024, 2024-Q3 or 2024-M09"));
  put->add_option("--value", *put_request.mutable_value(), Tr("exact decimal value"));
  put->add_option("--status", put_status,
                  Tr("preliminary, preliminary-verification, final or revised"));
  put->add_option("--note", *put_request.mutable_note(), Tr("note (注)"));
  put->add_flag("--withdraw", put_withdraw, Tr("withdraw the cell's value (a new revision)"));
  put->add_flag("--stdin", put_stdin,
                Tr("read lines indicator,region,period,value from stdin; print one ack per line"));

  auto* query = app.add_subcommand("query", Tr("show the latest values, or every revision"));
  yreb::proto::QueryRequest query_request;
  query->add_option("--indicator", *query_request.mutable_indicator(), Tr("indicator code"))
      ->required();
  query->add_option("--region", *query_request.mutable_region(), Tr("region code"));
  query->add_option("--from", *query_request.mutable_period_from(), Tr("first period"));
  query->add_option("--to", *query_request.mutable_period_to(), Tr("last period"));
  bool history = false;
  query->add_flag("--history", history, Tr("every revision, not only the latest"));

  auto* verify = app.add_subcommand("verify", Tr("re-check the whole chain and every head"));

  auto* import = app.add_subcommand("import", Tr("import a data file (portal export, long CSV)"));
  std::string import_file, import_status, import_mapping;
  bool dry_run = false;
  import->add_option("file", import_file, Tr("file to import"))->required();
  import->add_option("--status", import_status,
                     Tr("data status of the file's values: preliminary, "
                        "preliminary-verification, final or revised"));
  import->add_option("--mapping", import_mapping, Tr("mapping file for other tables (TOML)"));
  import->add_flag("--dry-run", dry_run, Tr("check and report, store nothing"));

  auto* export_command = app.add_subcommand("export", Tr("export values as long CSV"));
  yreb::proto::ExportRequest export_request;
  std::string export_out, export_encoding = "utf8";
  export_command->add_option("--indicator", *export_request.mutable_indicator(),
                             Tr("indicator code; default all"));
  export_command->add_option("--region", *export_request.mutable_region(), Tr("region code"));
  export_command->add_option("--encoding", export_encoding,
                             Tr("utf8 (with BOM, default) or gb18030"))
      ->check(CLI::IsMember({"utf8", "gb18030"}));
  export_command->add_option("--out", export_out, Tr("output file; default stdout"));


  auto run_federation_command = RegisterFederationCommands(app, config_path, as_json);
  auto run_backup_command = RegisterBackupCommands(app, config_path, as_json);
  auto run_lead_command = RegisterLeadCommands(app, config_path, as_json);
  auto run_catalog_command = RegisterCatalogCommands(app, config_path, as_json);
  auto run_shared_command = RegisterSharedCommands(app, config_path, as_json);

  if (std::optional<int> code = yreb::i18n::ParseCommandLine(app, argc, argv, kExitBadInput)) {
    return *code;
  }

  if (std::optional<int> code = run_federation_command()) return *code;
  if (std::optional<int> code = run_backup_command()) return *code;
  if (std::optional<int> code = run_lead_command()) return *code;
  if (std::optional<int> code = run_catalog_command()) return *code;
  if (std::optional<int> code = run_shared_command()) return *code;

  if (keygen->parsed()) return RunKeygen(key_prefix);
  if (init->parsed()) return RunInit(node_id, init_dir);

  absl::StatusOr<AdminClient> client = AdminClient::Connect(config_path);
  if (!client.ok()) return Fail(std::string(client.status().message()), kExitBadInput);

  if (status->parsed()) return RunStatus(*client, as_json);
  if (forks->parsed()) return RunForks(*client, as_json);
  if (put->parsed()) {
    yreb::proto::DataStatus data_status = yreb::proto::DATA_STATUS_UNSPECIFIED;
    if (!put_status.empty()) {
      absl::StatusOr<yreb::proto::DataStatus> parsed = ParseStatus(put_status);
      if (!parsed.ok()) return Fail(std::string(parsed.status().message()), kExitBadInput);
      data_status = *parsed;
    }
    if (put_stdin) return RunPutStdin(*client, data_status);
    put_request.set_status(data_status);
    put_request.set_withdraw(put_withdraw);
    for (auto [name, value] : {std::pair{"--indicator", &put_request.indicator()},
                               std::pair{"--region", &put_request.region()},
                               std::pair{"--period", &put_request.period()}}) {
      if (value->empty()) return Fail(Tr("put needs {}", name), kExitBadInput);
    }
    if (!put_withdraw && put_request.value().empty()) {
      return Fail(Tr("put needs {}", "--value"), kExitBadInput);
    }
    return RunPut(*client, put_request, as_json);
  }
  if (query->parsed()) {
    query_request.set_history(history);
    return RunQuery(*client, query_request, as_json);
  }
  if (verify->parsed()) return RunVerify(*client, as_json);
  if (import->parsed()) {
    return RunImport(*client, import_file, import_status, import_mapping, dry_run, as_json);
  }
  if (export_command->parsed()) {
    export_request.set_gb18030(export_encoding == "gb18030");
    return RunExport(*client, export_request, export_out);
  }
  return 0;
}
