// The rotating lead between real yreb-node processes on 127.0.0.1. The tests
// cover a planned handover, a lead stopped across its handover, emergency
// assignment by the root and by a majority of members, and a second
// proposal. They also cover a planned handover that loses to an assignment
// and an acceptance that waits for the data.
//
// A fenced lead refuses to publish or seal, so a test that needs a
// coordinator entry after a fence appends one through the test-only admin
// call of a node started with --allow-test-entries. The entry body leads with
// the epoch, as every catalog version and release body does.
#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "crypto/crypto.h"
#include "federation/manifest.h"
#include "node/config.h"
#include "proto/lead.pb.h"
#include "proto/lead_admin.grpc.pb.h"
#include "proto/record.pb.h"
#include "tests/support/federation.h"

namespace yreb {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::Federation;

const std::vector<uint32_t> kEleven = {310000, 320000, 330000, 340000, 360000, 420000,
                                       430000, 500000, 510000, 520000, 530000};
constexpr auto kWait = std::chrono::seconds(30);

json LeadStatus(Federation& federation, uint32_t id) {
  return federation.Json(id, {"lead", "status"});
}

// Waits until `predicate` is true for the lead status of node `id`. Returns
// the last status read, or null when the node never replied.
json WaitLead(Federation& federation, uint32_t id,
              const std::function<bool(const json&)>& predicate,
              std::chrono::milliseconds timeout = kWait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  json status;
  while (std::chrono::steady_clock::now() < deadline) {
    status = LeadStatus(federation, id);
    if (!status.is_null() && predicate(status)) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return status;
}

std::function<bool(const json&)> EpochIs(uint64_t epoch, uint32_t lead) {
  return [=](const json& status) {
    return status["epoch"].get<uint64_t>() == epoch && status["lead"].get<uint32_t>() == lead;
  };
}

std::function<bool(const json&)> HasVoid(uint32_t origin, uint64_t sequence) {
  return [=](const json& status) {
    for (const json& entry : status["void_entries"]) {
      if (entry["origin"] == origin && entry["sequence"] == sequence) return true;
    }
    return false;
  };
}

json FindVoid(const json& status, uint32_t origin, uint64_t sequence) {
  for (const json& entry : status["void_entries"]) {
    if (entry["origin"] == origin && entry["sequence"] == sequence) return entry;
  }
  return nullptr;
}

// Appends an entry through the test-only admin call of node `id`; returns
// its sequence, or 0 when the call failed.
uint64_t AppendTestEntry(Federation& federation, uint32_t id, proto::EntryKind kind,
                         const std::string& body) {
  absl::StatusOr<node::Config> config = node::LoadConfig(federation.Config(id));
  if (!config.ok()) {
    ADD_FAILURE() << config.status().message();
    return 0;
  }
  auto stub = proto::LeadAdmin::NewStub(
      grpc::CreateChannel("unix:" + config->admin_socket, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  proto::AppendTestEntryRequest request;
  request.set_kind(kind);
  request.set_body(body);
  proto::AppendTestEntryReply reply;
  grpc::Status status = stub->AppendTestEntry(&context, request, &reply);
  if (!status.ok()) {
    ADD_FAILURE() << id << ": " << status.error_message();
    return 0;
  }
  return reply.sequence();
}

// A catalog entry as the lead of `epoch` would issue it; only the epoch matters here.
uint64_t AppendCatalogEntry(Federation& federation, uint32_t id, uint64_t epoch) {
  proto::CoordinatorStamp stamp;
  stamp.set_epoch(epoch);
  return AppendTestEntry(federation, id, proto::ENTRY_KIND_CATALOG, stamp.SerializeAsString());
}

uint64_t OwnSequence(Federation& federation, uint32_t id) { return federation.Vector(id)[id]; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Rewrites the [peer] skip_peers line of a member's config and reloads it.
void SetSkipPeers(Federation& federation, uint32_t id, const std::string& list) {
  std::ifstream in(federation.Config(id));
  std::stringstream kept;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("skip_peers", 0) != 0) kept << line << "\n";
  }
  in.close();
  std::ofstream out(federation.Config(id), std::ios::trunc);
  out << kept.str() << "skip_peers = [" << list << "]\n";
  out.close();
  federation.Signal(id, SIGHUP);
}

TEST(LeadHandoverTest, PlannedHandoverElevenNodes) {
  Federation federation(kEleven, 310000);
  ASSERT_TRUE(federation.StartAll());
  for (uint32_t id : kEleven) {
    json status = WaitLead(federation, id, EpochIs(1, 310000));
    ASSERT_EQ(status["epoch"], 1) << id;
    EXPECT_EQ(status["chain"][0]["via"], "genesis") << id;
    EXPECT_EQ(status["may_coordinate"], id == 310000) << id;
  }

  CommandResult refused = federation.Ctl(330000, {"lead", "handover", "--to", "320000"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("the lead of epoch 1 is 310000"), std::string::npos) << refused.err;
  CommandResult chinese =
      testing::Yrebctl(federation.Config(330000), {"lead", "handover", "--to", "320000"}, "",
                       std::chrono::seconds(30), {{"LANGUAGE", "zh_CN"}, {"LC_ALL", "C.UTF-8"}});
  EXPECT_EQ(chinese.exit_code, 1);
  EXPECT_NE(chinese.err.find("第 1 届的牵头方是 310000 (上海市)"), std::string::npos)
      << chinese.err;

  CommandResult handover = federation.Ctl(
      310000, {"--json", "lead", "handover", "--to", "320000", "--reason", "rotation 2025"});
  ASSERT_EQ(handover.exit_code, 0) << handover.err;
  const uint64_t fence = json::parse(handover.out)["fence"].get<uint64_t>();
  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(60)));

  CommandResult accept = federation.Ctl(320000, {"--json", "lead", "accept"});
  ASSERT_EQ(accept.exit_code, 0) << accept.err;
  EXPECT_EQ(json::parse(accept.out)["epoch"], 2);

  for (uint32_t id : kEleven) {
    json status = WaitLead(federation, id, EpochIs(2, 320000));
    ASSERT_EQ(status["epoch"], 2) << id << ": " << status.dump();
    EXPECT_EQ(status["lead"], 320000) << id;
    ASSERT_EQ(status["chain"].size(), 2u) << id;
    EXPECT_EQ(status["chain"][0]["fence"], fence) << id;
    EXPECT_EQ(status["chain"][1]["via"], "planned") << id;
    EXPECT_EQ(status["chain"][1]["reason"], "rotation 2025") << id;
    EXPECT_TRUE(status["pending"].is_null()) << id;
    EXPECT_EQ(status["may_coordinate"], id == 320000) << id;
    EXPECT_EQ(federation.Status(id)["lead_epoch"], 2) << id;
  }
  json old_lead = LeadStatus(federation, 310000);
  EXPECT_NE(old_lead["not_coordinator_reason"].get<std::string>().find("320000"), std::string::npos)
      << old_lead.dump();
}

TEST(LeadHandoverTest, StoppedOldLeadIsFenced) {
  const std::vector<uint32_t> members = {310000, 320000, 330000, 340000, 360000};
  Federation federation(members, 310000);
  ASSERT_TRUE(federation.StartAll({"--allow-test-entries"}));

  const uint64_t before = AppendCatalogEntry(federation, 310000, 1);
  ASSERT_NE(before, 0u);
  CommandResult handover = federation.Ctl(310000, {"--json", "lead", "handover", "--to", "320000"});
  ASSERT_EQ(handover.exit_code, 0) << handover.err;
  const uint64_t fence = json::parse(handover.out)["fence"].get<uint64_t>();
  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(30)));

  federation.Signal(310000, SIGSTOP);
  CommandResult accept = federation.Ctl(320000, {"lead", "accept"});
  ASSERT_EQ(accept.exit_code, 0) << accept.err;
  for (uint32_t id : {320000, 330000, 340000, 360000}) {
    EXPECT_EQ(WaitLead(federation, id, EpochIs(2, 320000))["epoch"], 2) << id;
  }
  federation.Signal(310000, SIGCONT);

  // Resumed, the old lead issues a catalog entry for its old epoch, as a
  // lead that missed its own handover would. The new lead issues one too.
  const uint64_t stale = AppendCatalogEntry(federation, 310000, 1);
  ASSERT_GT(stale, fence);
  const uint64_t fresh = AppendCatalogEntry(federation, 320000, 2);
  ASSERT_NE(fresh, 0u);
  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(30)));

  for (uint32_t id : members) {
    json status = WaitLead(federation, id, HasVoid(310000, stale));
    json entry = FindVoid(status, 310000, stale);
    ASSERT_FALSE(entry.is_null()) << id << ": " << status.dump();
    EXPECT_EQ(entry["kind"], "catalog") << id;
    EXPECT_EQ(entry["reason"], fmt::format("entry 310000/{} comes after the fence {} that ended "
                                           "epoch 1",
                                           stale, fence))
        << id;
    EXPECT_EQ(status["coordinator_entries"]["counted"], 2) << id;  // `before` and `fresh`
    EXPECT_EQ(status["coordinator_entries"]["void"], 1) << id;
    EXPECT_EQ(status["epoch"], 2) << id;
    json node_status = federation.Status(id);
    EXPECT_EQ(node_status["void_coordinator_entries"], 1) << id;
    bool alarmed = false;
    for (const json& alarm : node_status["alarms"]) {
      alarmed |= alarm["kind"] == "void" && alarm["origin"] == 310000 && alarm["sequence"] == stale;
    }
    EXPECT_TRUE(alarmed) << id << ": " << node_status["alarms"].dump();
  }
  EXPECT_TRUE(FindVoid(LeadStatus(federation, 320000), 310000, before).is_null());
}

TEST(LeadAssignmentTest, RootAssignsWhileLeadStopped) {
  const std::vector<uint32_t> members = {310000, 320000, 330000};
  Federation federation(members, 310000);
  ASSERT_TRUE(federation.StartAll({"--allow-test-entries"}));
  const uint64_t counted = AppendCatalogEntry(federation, 310000, 1);
  ASSERT_NE(counted, 0u);
  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(30)));
  federation.Signal(310000, SIGSTOP);

  // The root holder signs with the epoch and lead read from a running node.
  std::string statement = federation.root() + "/assign-2.stmt";
  CommandResult sign = federation.Ctl(
      330000,
      {"lead", "assign", "--to", "320000", "--fence", std::to_string(counted), "--key",
       federation.root() + "/root/root.key", "--reason", "lead unreachable", "--out", statement});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  CommandResult apply = federation.Ctl(330000, {"apply", statement});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;

  for (uint32_t id : {320000, 330000}) {
    json status = WaitLead(federation, id, EpochIs(2, 320000));
    ASSERT_EQ(status["epoch"], 2) << id << ": " << status.dump();
    EXPECT_EQ(status["chain"][1]["via"], "root") << id;
    EXPECT_EQ(status["chain"][1]["reason"], "lead unreachable") << id;
    EXPECT_EQ(status["chain"][0]["fence"], counted) << id;
    EXPECT_EQ(status["may_coordinate"], id == 320000) << id;
  }

  federation.Signal(310000, SIGCONT);
  const uint64_t stale = AppendCatalogEntry(federation, 310000, 1);
  ASSERT_GT(stale, counted);
  for (uint32_t id : members) {
    json status = WaitLead(federation, id, HasVoid(310000, stale));
    ASSERT_FALSE(FindVoid(status, 310000, stale).is_null()) << id << ": " << status.dump();
    EXPECT_EQ(status["epoch"], 2) << id;
    EXPECT_EQ(status["lead"], 320000) << id;
    EXPECT_EQ(status["coordinator_entries"]["counted"], 1) << id;
    EXPECT_EQ(status["coordinator_entries"]["void"], 1) << id;
  }
}

TEST(LeadAssignmentTest, MajorityNeedsSixOfEleven) {
  // Eleven members, seven running: the lead and six voters.
  const std::vector<uint32_t> voters = {320000, 330000, 340000, 360000, 420000, 430000};
  Federation federation(kEleven, 310000);
  ASSERT_TRUE(federation.Start(310000));
  for (uint32_t id : voters) ASSERT_TRUE(federation.Start(id)) << id;
  ASSERT_TRUE(federation.WaitStatus(
      310000, [](const json& status) { return status["append_allowed"].get<bool>(); }));
  CommandResult put = federation.Ctl(310000, {"put", "--indicator", "gdp", "--region", "310000",
                                              "--period", "2024", "--value", "53926.7"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(40)));
  const uint64_t fence = OwnSequence(federation, 310000);
  federation.Signal(310000, SIGSTOP);

  for (size_t i = 0; i < 5; ++i) {
    CommandResult vote =
        federation.Ctl(voters[i], {"lead", "sign-assignment", "--to", "320000", "--fence",
                                   std::to_string(fence), "--reason", "lead lost"});
    ASSERT_EQ(vote.exit_code, 0) << voters[i] << ": " << vote.err;
  }
  CommandResult again = federation.Ctl(
      voters[0], {"lead", "sign-assignment", "--to", "330000", "--fence", std::to_string(fence)});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("votes at most once per epoch"), std::string::npos) << again.err;

  // Five of eleven: the votes are open on every voter, the epoch unchanged.
  for (uint32_t id : voters) {
    json status = WaitLead(federation, id, [](const json& status) {
      return status["open_votes"].size() == 1 && status["open_votes"][0]["voters"].size() == 5;
    });
    ASSERT_EQ(status["open_votes"].size(), 1u) << id << ": " << status.dump();
    EXPECT_EQ(status["open_votes"][0]["voters"].size(), 5u) << id;
    EXPECT_EQ(status["open_votes"][0]["needed"], 6) << id;
    EXPECT_EQ(status["epoch"], 1) << id;
  }

  CommandResult sixth =
      federation.Ctl(voters[5], {"--json", "lead", "sign-assignment", "--to", "320000", "--fence",
                                 std::to_string(fence), "--reason", "lead lost"});
  ASSERT_EQ(sixth.exit_code, 0) << sixth.err;
  EXPECT_EQ(json::parse(sixth.out)["votes"], 6);
  for (uint32_t id : voters) {
    json status = WaitLead(federation, id, EpochIs(2, 320000));
    ASSERT_EQ(status["epoch"], 2) << id << ": " << status.dump();
    EXPECT_EQ(status["chain"][1]["via"], "majority") << id;
    EXPECT_EQ(status["chain"][1]["signers"], json(voters)) << id;
    EXPECT_EQ(status["chain"][0]["fence"], fence) << id;
  }
  federation.Signal(310000, SIGCONT);
  EXPECT_EQ(WaitLead(federation, 310000, EpochIs(2, 320000))["epoch"], 2);
}

TEST(LeadHandoverTest, SecondProposalRefusedAndVoid) {
  const std::vector<uint32_t> members = {310000, 320000, 330000};
  Federation federation(members, 310000);
  ASSERT_TRUE(federation.StartAll({"--allow-test-entries"}));
  CommandResult first = federation.Ctl(310000, {"--json", "lead", "handover", "--to", "320000"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const uint64_t fence = json::parse(first.out)["fence"].get<uint64_t>();

  CommandResult second = federation.Ctl(310000, {"lead", "handover", "--to", "330000"});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find(fmt::format("a handover proposal is already pending: sequence {} "
                                        "hands epoch 1 to 320000",
                                        fence)),
            std::string::npos)
      << second.err;
  CommandResult not_member = federation.Ctl(310000, {"lead", "handover", "--to", "530000"});
  EXPECT_EQ(not_member.exit_code, 1);

  proto::HandoverProposal forged;
  forged.set_epoch(1);
  forged.set_to(330000);
  forged.set_reason("forced");
  const uint64_t forced = AppendTestEntry(federation, 310000, proto::ENTRY_KIND_HANDOVER_PROPOSAL,
                                          forged.SerializeAsString());
  ASSERT_GT(forced, fence);
  for (uint32_t id : members) {
    json status = WaitLead(federation, id, HasVoid(310000, forced));
    json entry = FindVoid(status, 310000, forced);
    ASSERT_FALSE(entry.is_null()) << id << ": " << status.dump();
    EXPECT_EQ(entry["kind"], "proposal") << id;
    EXPECT_EQ(entry["reason"], fmt::format("a second handover proposal of epoch 1 while proposal "
                                           "{} is pending",
                                           fence))
        << id;
    EXPECT_EQ(status["pending"]["to"], 320000) << id;
  }

  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(30)));
  CommandResult wrong = federation.Ctl(330000, {"lead", "accept"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("not to this node"), std::string::npos) << wrong.err;
  CommandResult accept = federation.Ctl(320000, {"lead", "accept"});
  ASSERT_EQ(accept.exit_code, 0) << accept.err;
  for (uint32_t id : members) {
    json status = WaitLead(federation, id, EpochIs(2, 320000));
    EXPECT_EQ(status["epoch"], 2) << id << ": " << status.dump();
    EXPECT_EQ(status["chain"][0]["fence"], fence) << id;
  }
}

TEST(LeadAssignmentTest, PrecedenceSameOnAllNodes) {
  const std::vector<uint32_t> members = {310000, 320000, 330000, 340000, 360000};
  Federation federation(members, 310000);
  ASSERT_TRUE(federation.StartAll());
  CommandResult handover = federation.Ctl(310000, {"--json", "lead", "handover", "--to", "320000"});
  ASSERT_EQ(handover.exit_code, 0) << handover.err;
  const uint64_t fence = json::parse(handover.out)["fence"].get<uint64_t>();
  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(30)));

  // 320000 is cut off and accepts the handover; meanwhile a majority on the
  // other side assigns epoch 2 to 330000. The two meet when the links are
  // back. A node receives only through the sessions it dials, so each side
  // stops dialing the other.
  SetSkipPeers(federation, 320000, "310000, 330000, 340000, 360000");
  for (uint32_t id : {310000, 330000, 340000, 360000}) SetSkipPeers(federation, id, "320000");
  for (uint32_t id : members) {
    // Reloaded: no session of `id` to the other side is linked or open.
    ASSERT_TRUE(federation.WaitStatus(id, [id](const json& status) {
      for (const json& peer : status["peers"]) {
        bool across = (id == 320000) != (peer["node_id"] == 320000);
        if (across && (peer["linked"].get<bool>() || peer["connected"].get<bool>())) {
          return false;
        }
      }
      return true;
    })) << id;
  }
  CommandResult accept = federation.Ctl(320000, {"lead", "accept"});
  ASSERT_EQ(accept.exit_code, 0) << accept.err;
  EXPECT_EQ(WaitLead(federation, 320000, EpochIs(2, 320000))["lead"], 320000);
  for (uint32_t id : {330000, 340000, 360000}) {
    CommandResult vote = federation.Ctl(
        id, {"lead", "sign-assignment", "--to", "330000", "--fence", std::to_string(fence)});
    ASSERT_EQ(vote.exit_code, 0) << id << ": " << vote.err;
  }
  for (uint32_t id : {330000, 340000, 360000}) {
    EXPECT_EQ(WaitLead(federation, id, EpochIs(2, 330000))["lead"], 330000) << id;
  }
  EXPECT_EQ(LeadStatus(federation, 320000)["lead"], 320000);
  for (uint32_t id : members) SetSkipPeers(federation, id, "");
  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(30)));

  json reference;
  for (uint32_t id : members) {
    json status = WaitLead(federation, id, EpochIs(2, 330000));
    ASSERT_EQ(status["lead"], 330000) << id << ": " << status.dump();
    EXPECT_EQ(status["chain"][1]["via"], "majority") << id;
    EXPECT_EQ(status["chain"][1]["signers"], json({330000, 340000, 360000})) << id;
    EXPECT_EQ(status["void_entries"].size(), 2u) << id;  // the proposal and the acceptance
    if (reference.is_null()) reference = status["chain"];
    EXPECT_EQ(status["chain"], reference) << id;
  }

  // The root outranks the majority.
  std::string statement = federation.root() + "/assign-2.stmt";
  CommandResult sign =
      federation.Ctl(340000, {"lead", "assign", "--to", "340000", "--fence", std::to_string(fence),
                              "--epoch", "2", "--fenced-lead", "310000", "--manifest-version", "1",
                              "--key", federation.root() + "/root/root.key", "--out", statement});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  ASSERT_EQ(federation.Ctl(360000, {"apply", statement}).exit_code, 0);
  reference = nullptr;
  for (uint32_t id : members) {
    json status = WaitLead(federation, id, EpochIs(2, 340000));
    ASSERT_EQ(status["lead"], 340000) << id << ": " << status.dump();
    EXPECT_EQ(status["chain"][1]["via"], "root") << id;
    EXPECT_EQ(status["may_coordinate"], id == 340000) << id;
    if (reference.is_null()) reference = status["chain"];
    EXPECT_EQ(status["chain"], reference) << id;
  }
}

// Signs manifest `version` with the members of the federation's manifest
// version 1 that `keep` lists, and returns the statement file's path.
std::string SignManifest(Federation& federation, uint64_t version,
                         const std::vector<uint32_t>& keep) {
  std::string root = federation.root() + "/root";
  absl::StatusOr<federation::ManifestVersion> manifest =
      federation::ParseManifestToml(ReadFile(root + "/manifest.toml"), "manifest.toml");
  EXPECT_TRUE(manifest.ok()) << manifest.status().message();
  proto::Manifest members = manifest->manifest;
  members.clear_members();
  for (const proto::Member& member : manifest->manifest.members()) {
    if (std::find(keep.begin(), keep.end(), member.node_id()) != keep.end()) {
      *members.add_members() = member;
    }
  }
  absl::StatusOr<crypto::PrivateKey> key = crypto::ReadPrivateKey(root + "/root.key");
  EXPECT_TRUE(key.ok()) << key.status().message();
  std::string path = fmt::format("{}/manifest-{}.stmt", federation.root(), version);
  std::ofstream(path, std::ios::binary) << federation::SignManifest(*key, version, members);
  return path;
}

TEST(LeadAssignmentTest, TwoMajoritiesDisputeUntilRoot) {
  // Manifest version 2 has three members and version 3 all five, so two
  // disjoint groups can each be a majority of the version their votes name:
  // 330000, 340000 and 360000 of version 3, and 310000 and 320000 of
  // version 2.
  const std::vector<uint32_t> members = {310000, 320000, 330000, 340000, 360000};
  Federation federation(members, 310000);
  ASSERT_TRUE(federation.StartAll({"--allow-test-entries"}));
  std::string v2 = SignManifest(federation, 2, {310000, 320000, 330000});
  std::string v3 = SignManifest(federation, 3, members);
  for (uint32_t id : members) {
    ASSERT_EQ(federation.Ctl(id, {"apply", v2}).exit_code, 0) << id;
    ASSERT_EQ(federation.Ctl(id, {"apply", v3}).exit_code, 0) << id;
  }
  const uint64_t fence = OwnSequence(federation, 310000);

  for (uint32_t id : {330000, 340000, 360000}) {
    CommandResult vote = federation.Ctl(
        id, {"lead", "sign-assignment", "--to", "330000", "--fence", std::to_string(fence)});
    ASSERT_EQ(vote.exit_code, 0) << id << ": " << vote.err;
  }
  // Votes of 310000 and 320000 for the same epoch, made while version 2 was
  // their newest manifest. The test tool appends them because the CLI fills
  // in the newest manifest version and the next epoch of this node's chain.
  for (uint32_t id : {310000, 320000}) {
    proto::LeadAssignment vote;
    vote.set_epoch(2);
    vote.set_to(320000);
    vote.set_fenced_lead(310000);
    vote.set_fence(fence);
    vote.set_manifest_version(2);
    ASSERT_NE(AppendTestEntry(federation, id, proto::ENTRY_KIND_ASSIGNMENT_VOTE,
                              vote.SerializeAsString()),
              0u);
  }

  for (uint32_t id : members) {
    json status = WaitLead(federation, id, [](const json& status) { return status["disputed"]; });
    ASSERT_TRUE(status["disputed"].get<bool>()) << id << ": " << status.dump();
    EXPECT_EQ(status["dispute"],
              "epoch 2 has 2 different assignments signed by a majority; the root must decide")
        << id;
    EXPECT_EQ(status["epoch"], 1) << id;
    EXPECT_FALSE(status["may_coordinate"].get<bool>()) << id;
    json node_status = federation.Status(id);
    EXPECT_EQ(node_status["lead_dispute"], status["dispute"]) << id;
    bool alarmed = false;
    for (const json& alarm : node_status["alarms"]) alarmed |= alarm["kind"] == "lead-dispute";
    EXPECT_TRUE(alarmed) << id << ": " << node_status["alarms"].dump();
  }
  CommandResult handover = federation.Ctl(310000, {"lead", "handover", "--to", "320000"});
  EXPECT_EQ(handover.exit_code, 1);
  EXPECT_NE(handover.err.find("epoch 1 is disputed"), std::string::npos) << handover.err;

  std::string statement = federation.root() + "/assign-2.stmt";
  CommandResult sign =
      federation.Ctl(330000, {"lead", "assign", "--to", "330000", "--fence", std::to_string(fence),
                              "--key", federation.root() + "/root/root.key", "--reason",
                              "dispute resolved", "--out", statement});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  ASSERT_EQ(federation.Ctl(320000, {"apply", statement}).exit_code, 0);
  for (uint32_t id : members) {
    json status = WaitLead(federation, id, EpochIs(2, 330000));
    ASSERT_EQ(status["epoch"], 2) << id << ": " << status.dump();
    EXPECT_FALSE(status["disputed"].get<bool>()) << id;
    EXPECT_EQ(status["chain"][1]["via"], "root") << id;
    EXPECT_EQ(status["may_coordinate"], id == 330000) << id;
  }
}

// Monthly cells of Zhejiang, one entry each.
std::string ZhejiangRows(int rows) {
  std::string text =
      "indicator,region,region_name,period,value,unit,measure,value_kind,status,revision,note\n";
  for (int i = 0; i < rows; ++i) {
    text += fmt::format("realestate_invest_cum,330000,,{}-M{:02d},{}.5,亿元,,,,,\n", 1900 + i / 12,
                        i % 12 + 1, i);
  }
  return text;
}

TEST(LeadHandoverTest, AcceptWaitsForCatchUp) {
  // 320000 and 330000 have no link, so 330000's entries reach 320000 only
  // through 310000, which sends about 20 entries per second. A range ends at
  // a signed head, and a receiver keeps the heads that end the ranges it
  // gets: 330000 signs a head per entry and sends at most 200 entries per
  // second, so 310000 receives (and relays) ranges of about 20 entries.
  const std::vector<uint32_t> members = {310000, 320000, 330000};
  Federation federation(members, 310000,
                        {{310000, "send_rate_limit = 20"},
                         {320000, "skip_peers = [330000]"},
                         {330000, "skip_peers = [320000]\nsend_rate_limit = 200"}});
  std::string config = ReadFile(federation.Config(330000));
  size_t at = config.find("head_interval = 1024");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, std::string("head_interval = 1024").size(), "head_interval = 1");
  std::ofstream(federation.Config(330000), std::ios::trunc) << config;
  ASSERT_TRUE(federation.StartAll());
  std::string file = federation.Dir(330000) + "/rows.csv";
  std::ofstream(file, std::ios::binary) << ZhejiangRows(300);
  ASSERT_EQ(federation.Ctl(330000, {"import", file, "--status", "preliminary"}).exit_code, 0);
  const uint64_t total = OwnSequence(federation, 330000);
  ASSERT_TRUE(federation.WaitStatus(310000, [&](const json& status) {
    for (const json& tip : status["version_vector"]) {
      if (tip["origin"] == 330000) return tip["sequence"].get<uint64_t>() == total;
    }
    return false;
  }));

  ASSERT_EQ(federation.Ctl(310000, {"lead", "handover", "--to", "320000"}).exit_code, 0);
  json pending =
      WaitLead(federation, 320000, [](const json& status) { return !status["pending"].is_null(); });
  ASSERT_FALSE(pending["pending"].is_null()) << pending.dump();
  CommandResult early = federation.Ctl(320000, {"lead", "accept"});
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_NE(early.err.find("holds less than 310000"), std::string::npos) << early.err;
  EXPECT_NE(early.err.find(fmt::format("origin 330000: this node holds up to sequence")),
            std::string::npos)
      << early.err;
  EXPECT_NE(early.err.find(fmt::format("the proposer held {}", total)), std::string::npos)
      << early.err;
  EXPECT_EQ(LeadStatus(federation, 320000)["epoch"], 1);

  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(60)));
  CommandResult accept = federation.Ctl(320000, {"lead", "accept"});
  ASSERT_EQ(accept.exit_code, 0) << accept.err;
  for (uint32_t id : members) {
    EXPECT_EQ(WaitLead(federation, id, EpochIs(2, 320000))["epoch"], 2) << id;
  }
}

}  // namespace
}  // namespace yreb
