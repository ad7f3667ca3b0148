#include "cli/lead_commands.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/admin_client.h"
#include "cli/exit.h"
#include "crypto/crypto.h"
#include "federation/lead_assignment.h"
#include "federation/statement.h"
#include "i18n/i18n.h"
#include "node/config.h"
#include "proto/lead_admin.grpc.pb.h"

namespace yreb::cli {
namespace {

using i18n::Tr;
using nlohmann::json;




// A member's id with its province name, e.g. "510000 (四川省)".
std::string Named(uint32_t node_id) {
  std::string_view name = node::MemberProvinceName(node_id);
  if (name.empty()) return std::to_string(node_id);
  return fmt::format("{} ({})", node_id, name);
}

std::string ViaText(const std::string& via) {
  if (via == "genesis") return Tr("genesis lead of the manifest");
  if (via == "planned") return Tr("planned handover");
  if (via == "majority") return Tr("assignment signed by a majority of members");
  if (via == "root") return Tr("root assignment statement");
  return via;
}

// The LeadAdmin stub on the node's admin socket.
struct LeadClient {
  AdminClient admin;
  std::unique_ptr<proto::LeadAdmin::Stub> stub;
};

absl::StatusOr<LeadClient> ConnectLead(const std::string& config_path) {
  absl::StatusOr<AdminClient> admin = AdminClient::Connect(config_path);
  if (!admin.ok()) return admin.status();
  LeadClient client{std::move(*admin), nullptr};
  client.stub = proto::LeadAdmin::NewStub(grpc::CreateChannel("unix:" + client.admin.socket_path(),
                                                              grpc::InsecureChannelCredentials()));
  return client;
}

// Maps a refused call to an exit code: bad input (2) for INVALID_ARGUMENT,
// failure (1) otherwise.
int FailCall(const LeadClient& client, const grpc::Status& status) {
  return Fail(
      client.admin.Describe(status),
      status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? kExitBadInput : kExitFailed);
}

json StatusJson(const proto::LeadStatusReply& reply) {
  json chain = json::array();
  for (const proto::LeadEpoch& epoch : reply.chain()) {
    json item = {{"epoch", epoch.number()},    {"lead", epoch.lead()},
                 {"via", epoch.via()},         {"reason", epoch.reason()},
                 {"signers", epoch.signers()}, {"start_after", epoch.start_after()}};
    item["fence"] = epoch.fenced() ? json(epoch.fence()) : json(nullptr);
    chain.push_back(item);
  }
  json pending = nullptr;
  if (reply.has_pending()) {
    pending = {{"proposer", reply.pending().proposer()},
               {"sequence", reply.pending().sequence()},
               {"epoch", reply.pending().epoch()},
               {"to", reply.pending().to()},
               {"reason", reply.pending().reason()}};
  }
  json voids = json::array();
  for (const proto::VoidLeadEntry& entry : reply.void_entries()) {
    voids.push_back({{"origin", entry.origin()},
                     {"sequence", entry.sequence()},
                     {"kind", entry.kind()},
                     {"epoch", entry.epoch()},
                     {"reason", entry.reason()}});
  }
  json ignored = json::array();
  for (const proto::IgnoredAssignment& entry : reply.ignored_assignments()) {
    ignored.push_back({{"statement_version", entry.statement_version()},
                       {"epoch", entry.epoch()},
                       {"reason", entry.reason()}});
  }
  json votes = json::array();
  for (const proto::AssignmentTally& tally : reply.open_votes()) {
    votes.push_back({{"epoch", tally.epoch()},
                     {"to", tally.to()},
                     {"fenced_lead", tally.fenced_lead()},
                     {"fence", tally.fence()},
                     {"manifest_version", tally.manifest_version()},
                     {"voters", tally.voters()},
                     {"needed", tally.needed()}});
  }
  return {{"node_id", reply.node_id()},
          {"epoch", reply.epoch()},
          {"lead", reply.lead()},
          {"manifest_version", reply.manifest_version()},
          {"chain", chain},
          {"pending", pending},
          {"disputed", !reply.dispute().empty()},
          {"dispute", reply.dispute()},
          {"may_coordinate", reply.may_coordinate()},
          {"not_coordinator_reason", reply.not_coordinator_reason()},
          {"void_entries", voids},
          {"coordinator_entries",
           {{"counted", reply.coordinator_entries_counted()},
            {"void", reply.coordinator_entries_void()},
            {"pending", reply.coordinator_entries_pending()}}},
          {"open_votes", votes},
          {"ignored_root_assignments", ignored}};
}

void PrintStatus(const proto::LeadStatusReply& reply) {
  const proto::LeadEpoch& current = reply.chain(reply.chain_size() - 1);
  std::cout << Tr("epoch {}: lead {}", reply.epoch(), Named(reply.lead())) << "\n";
  if (current.start_after() != 0) {
    std::cout << Tr("its coordinator entries count after its sequence {}", current.start_after())
              << "\n";
  }
  if (!reply.dispute().empty()) {
    std::cout << Tr("DISPUTED: {}", reply.dispute()) << "\n";
  }
  if (reply.may_coordinate()) {
    std::cout << Tr("this node {} may act as coordinator", Named(reply.node_id())) << "\n";
  } else {
    std::cout << Tr("this node may not act as coordinator: {}", reply.not_coordinator_reason())
              << "\n";
  }
  if (reply.has_pending()) {
    const proto::PendingProposal& pending = reply.pending();
    std::cout << Tr("pending proposal: {} hands epoch {} to {} at sequence {} (the fence); "
                    "reason: {}",
                    Named(pending.proposer()), pending.epoch(), Named(pending.to()),
                    pending.sequence(), pending.reason().empty() ? "-" : pending.reason())
              << "\n";
  }

  std::cout << Tr("chain of epochs:") << "\n";
  for (const proto::LeadEpoch& epoch : reply.chain()) {
    std::cout << "  "
              << Tr("epoch {}: {}, by {}", epoch.number(), Named(epoch.lead()),
                    ViaText(epoch.via()));
    const std::string separator = Tr("; ");
    if (!epoch.reason().empty()) std::cout << separator << Tr("reason: {}", epoch.reason());
    if (!epoch.signers().empty()) {
      std::string signers;
      for (uint32_t signer : epoch.signers()) {
        signers += (signers.empty() ? "" : ", ") + std::to_string(signer);
      }
      std::cout << separator << Tr("signed by {}", signers);
    }
    if (epoch.fenced()) std::cout << separator << Tr("fence at its sequence {}", epoch.fence());
    std::cout << "\n";
  }

  for (const proto::AssignmentTally& tally : reply.open_votes()) {
    std::string voters;
    for (uint32_t voter : tally.voters()) {
      voters += (voters.empty() ? "" : ", ") + std::to_string(voter);
    }
    std::cout << Tr("open votes: epoch {} to {} with fence {} (manifest version {}): {} of {} "
                    "needed ({})",
                    tally.epoch(), Named(tally.to()), tally.fence(), tally.manifest_version(),
                    tally.voters_size(), tally.needed(), voters)
              << "\n";
  }
  std::cout << Tr("coordinator entries: {} counted, {} void, {} pending",
                  reply.coordinator_entries_counted(), reply.coordinator_entries_void(),
                  reply.coordinator_entries_pending())
            << "\n";
  if (!reply.void_entries().empty()) {
    std::cout << Tr("void lead entries:") << "\n";
    for (const proto::VoidLeadEntry& entry : reply.void_entries()) {
      std::cout << fmt::format("  {}/{} {}: {}\n", entry.origin(), entry.sequence(), entry.kind(),
                               entry.reason());
    }
  }
  if (!reply.ignored_assignments().empty()) {
    std::cout << Tr("root assignments without effect:") << "\n";
    for (const proto::IgnoredAssignment& entry : reply.ignored_assignments()) {
      std::cout << "  "
                << Tr("statement version {}, epoch {}: {}", entry.statement_version(),
                      entry.epoch(), entry.reason())
                << "\n";
    }
  }
}

int RunStatus(const std::string& config_path, bool as_json) {
  absl::StatusOr<LeadClient> client = ConnectLead(config_path);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  proto::LeadStatusReply reply;
  auto context = client->admin.NewContext(std::chrono::seconds(30));
  grpc::Status status = client->stub->GetLeadStatus(context.get(), {}, &reply);
  if (!status.ok()) return FailCall(*client, status);
  if (as_json) {
    std::cout << StatusJson(reply).dump(2) << "\n";
  } else {
    PrintStatus(reply);
  }
  return 0;
}

int RunHandover(const std::string& config_path, uint32_t to, const std::string& reason,
                bool as_json) {
  absl::StatusOr<LeadClient> client = ConnectLead(config_path);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  proto::HandoverRequest request;
  request.set_to(to);
  request.set_reason(reason);
  proto::HandoverReply reply;
  auto context = client->admin.NewContext(std::chrono::seconds(30));
  grpc::Status status = client->stub->Handover(context.get(), request, &reply);
  if (!status.ok()) return FailCall(*client, status);
  if (as_json) {
    std::cout << json{{"epoch", reply.epoch()}, {"fence", reply.fence()}, {"to", reply.to()}}.dump()
              << "\n";
    return 0;
  }
  std::cout << Tr("proposed handing epoch {} to {}; the fence is this node's sequence {}, and "
                  "this node no longer acts as coordinator",
                  reply.epoch(), Named(reply.to()), reply.fence())
            << "\n"
            << Tr("next: run yrebctl lead accept on {} once it holds this node's data", reply.to())
            << "\n";
  return 0;
}

int RunAccept(const std::string& config_path, bool as_json) {
  absl::StatusOr<LeadClient> client = ConnectLead(config_path);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  proto::AcceptReply reply;
  auto context = client->admin.NewContext(std::chrono::seconds(30));
  grpc::Status status = client->stub->Accept(context.get(), {}, &reply);
  if (!status.ok()) return FailCall(*client, status);
  if (as_json) {
    std::cout << json{{"epoch", reply.epoch()},
                      {"proposer", reply.proposer()},
                      {"fence", reply.fence()},
                      {"sequence", reply.sequence()}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << Tr("accepted: this node leads epoch {}, and its coordinator entries count after "
                  "its sequence {}; {} is fenced at its sequence {}",
                  reply.epoch(), reply.sequence(), Named(reply.proposer()), reply.fence())
            << "\n";
  return 0;
}

int RunSignAssignment(const std::string& config_path, uint32_t to, uint64_t fence,
                      const std::string& reason, bool as_json) {
  absl::StatusOr<LeadClient> client = ConnectLead(config_path);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  proto::SignAssignmentRequest request;
  request.set_to(to);
  request.set_fence(fence);
  request.set_reason(reason);
  proto::SignAssignmentReply reply;
  auto context = client->admin.NewContext(std::chrono::seconds(30));
  grpc::Status status = client->stub->SignAssignment(context.get(), request, &reply);
  if (!status.ok()) return FailCall(*client, status);
  const proto::LeadAssignment& vote = reply.assignment();
  if (as_json) {
    std::cout << json{{"epoch", vote.epoch()},
                      {"to", vote.to()},
                      {"fenced_lead", vote.fenced_lead()},
                      {"fence", vote.fence()},
                      {"manifest_version", vote.manifest_version()},
                      {"sequence", reply.sequence()},
                      {"votes", reply.votes()},
                      {"needed", reply.needed()}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << Tr("voted at sequence {} to assign epoch {} to {}, fencing {} after its sequence "
                  "{} (manifest version {})",
                  reply.sequence(), vote.epoch(), Named(vote.to()), Named(vote.fenced_lead()),
                  vote.fence(), vote.manifest_version())
            << "\n"
            << Tr("votes this node holds for this assignment: {} of {} needed", reply.votes(),
                  reply.needed())
            << "\n";
  return 0;
}

struct AssignOptions {
  uint32_t to = 0;
  uint64_t fence = 0;
  uint64_t epoch = 0;
  uint32_t fenced_lead = 0;
  uint64_t manifest_version = 0;
  uint64_t version = 1;
  std::string reason;
  std::string key = "root.key";
  std::string out;
};

// Signs the root's emergency assignment. The epoch, the lead to fence and
// the manifest version come from the options or, where not given, from the
// node that --config names.
int RunAssign(const std::string& config_path, AssignOptions options) {
  if (options.epoch == 0 || options.fenced_lead == 0 || options.manifest_version == 0) {
    absl::StatusOr<LeadClient> client = ConnectLead(config_path);
    if (!client.ok()) return Fail(client.status(), kExitBadInput);
    proto::LeadStatusReply reply;
    auto context = client->admin.NewContext(std::chrono::seconds(30));
    grpc::Status status = client->stub->GetLeadStatus(context.get(), {}, &reply);
    if (!status.ok()) {
      return Fail(Tr("{}. Without a reachable node, give --epoch, --fenced-lead and "
                     "--manifest-version",
                     client->admin.Describe(status)),
                  kExitBadInput);
    }
    if (options.epoch == 0) options.epoch = reply.epoch() + 1;
    if (options.fenced_lead == 0) options.fenced_lead = reply.lead();
    if (options.manifest_version == 0) options.manifest_version = reply.manifest_version();
  }

  proto::LeadAssignment assignment;
  assignment.set_epoch(options.epoch);
  assignment.set_to(options.to);
  assignment.set_fenced_lead(options.fenced_lead);
  assignment.set_fence(options.fence);
  assignment.set_manifest_version(options.manifest_version);
  assignment.set_reason(options.reason);
  if (absl::Status status = federation::ValidateLeadAssignment(assignment); !status.ok()) {
    return Fail(status, kExitBadInput);
  }
  absl::StatusOr<crypto::PrivateKey> key = crypto::ReadPrivateKey(options.key);
  if (!key.ok()) return Fail(key.status(), kExitBadInput);

  std::error_code error;
  if (std::filesystem::exists(options.out, error)) {
    return Fail(Tr("{} already exists; move it away or choose another path", options.out),
                kExitBadInput);
  }
  std::string statement = federation::SignLeadAssignment(*key, options.version, assignment);
  std::ofstream out(options.out, std::ios::binary);
  out << statement;
  out.close();
  if (!out) return Fail(Tr("cannot write {}: {}", options.out, i18n::ErrnoMessage(errno)));
  ::chmod(options.out.c_str(), 0644);

  std::cout << Tr("signed lead assignment version {}: epoch {} goes to {}, and {} is fenced "
                  "after its sequence {}; written to {}",
                  options.version, options.epoch, Named(options.to), Named(options.fenced_lead),
                  options.fence, options.out)
            << "\n"
            << Tr("statement SHA-256: {}", crypto::ToHex(federation::HashStatement(statement)))
            << "\n"
            << Tr("load it on any node with: yrebctl apply {}", options.out) << "\n";
  return 0;
}

}  // namespace

std::function<std::optional<int>()> RegisterLeadCommands(CLI::App& app,
                                                         const std::string& config_path,
                                                         const bool& as_json) {
  struct Options {
    uint32_t to = 0;
    uint64_t fence = 0;
    std::string reason;
    AssignOptions assign;
  };
  auto options = std::make_shared<Options>();

  auto* lead = app.add_subcommand("lead", Tr("the rotating lead: epochs, handover, assignment"));
  lead->require_subcommand(1);
  auto* status = lead->add_subcommand(
      "status", Tr("show the epoch, the lead, the chain of epochs and any pending proposal"));
  auto* handover = lead->add_subcommand(
      "handover", Tr("on the lead: propose handing the lead role to another member"));
  handover->add_option("--to", options->to, Tr("node id of the incoming lead, e.g. 320000"))
      ->required();
  handover->add_option("--reason", options->reason, Tr("reason recorded with the proposal"));
  auto* accept = lead->add_subcommand(
      "accept", Tr("on the incoming lead: accept the pending handover proposal"));
  auto* sign = lead->add_subcommand(
      "sign-assignment",
      Tr("vote, as this member, to assign the next epoch to another member when the lead is "
         "lost"));
  sign->add_option("--to", options->to, Tr("node id of the new lead"))->required();
  sign->add_option("--fence", options->fence,
                   Tr("last sequence of the lost lead's log whose coordinator entries count"))
      ->required();
  sign->add_option("--reason", options->reason, Tr("reason recorded with the vote"));
  auto* assign = lead->add_subcommand(
      "assign", Tr("root holder: sign an emergency lead assignment as a root statement"));
  AssignOptions& assign_options = options->assign;
  assign->add_option("--to", assign_options.to, Tr("node id of the new lead"))->required();
  assign
      ->add_option("--fence", assign_options.fence,
                   Tr("last sequence of the lost lead's log whose coordinator entries count"))
      ->required();
  assign->add_option("--out", assign_options.out, Tr("statement file to write"))->required();
  assign->add_option("--version", assign_options.version,
                     Tr("statement version, unique among lead assignments; default 1"));
  assign->add_option("--key", assign_options.key, Tr("root private key; default root.key"));
  assign->add_option("--reason", assign_options.reason, Tr("reason recorded in the statement"));
  assign->add_option("--epoch", assign_options.epoch,
                     Tr("epoch to assign; default the node's current epoch + 1"));
  assign->add_option("--fenced-lead", assign_options.fenced_lead,
                     Tr("node id of the lead to fence; default the node's current lead"));
  assign->add_option("--manifest-version", assign_options.manifest_version,
                     Tr("manifest version the assignment names; default the node's newest"));

  return [=, &config_path, &as_json]() -> std::optional<int> {
    if (status->parsed()) return RunStatus(config_path, as_json);
    if (handover->parsed()) {
      return RunHandover(config_path, options->to, options->reason, as_json);
    }
    if (accept->parsed()) return RunAccept(config_path, as_json);
    if (sign->parsed()) {
      return RunSignAssignment(config_path, options->to, options->fence, options->reason, as_json);
    }
    if (assign->parsed()) return RunAssign(config_path, options->assign);
    return std::nullopt;
  };
}

}  // namespace yreb::cli
