// Observability of real yreb-node processes on 127.0.0.1. Prometheus metrics
// move with imports, replication and blocked appends. The standard gRPC
// health and reflection services answer behind mutual TLS on the peer port.
// SIGHUP reloads skip_peers, and headless Chromium renders the status page.
#include <signal.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "e2e/grpc_std/health.grpc.pb.h"
#include "e2e/grpc_std/reflection.grpc.pb.h"
#include "federation/tls.h"
#include "tests/support/federation.h"
#include "tests/support/http.h"

namespace yreb {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::Federation;
using testing::HttpGet;
using testing::kHttpSections;
using testing::LoggedPort;
using testing::Metric;
using testing::WaitMetric;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Testdata(const std::string& path) { return testing::TestdataDir() + "/" + path; }

// A CSV of `rows` distinct monthly cells of Jiangsu in years before 2000,
// so they touch no quarter the page tests look at.
std::string GeneratedRows(int rows) {
  std::string text =
      "indicator,region,region_name,period,value,unit,measure,value_kind,status,revision,note\n";
  for (int i = 0; i < rows; ++i) {
    text += fmt::format("realestate_invest_cum,320000,,{}-M{:02d},{}.5,亿元,,,,,\n",
                        1000 + i / 12, i % 12 + 1, i);
  }
  return text;
}

TEST(MetricsE2E, SeriesMoveWithBlockImportAndSync) {
  // 320000 sends slowly, so 420000 lags behind it for several seconds.
  Federation federation({320000, 420000}, 320000,
                        {{320000, std::string("send_rate_limit = 400\n") + kHttpSections},
                         {420000, kHttpSections}});
  ASSERT_TRUE(federation.Start(320000));
  int sender = LoggedPort(federation, 320000, "metrics server");
  ASSERT_NE(sender, 0);

  // Alone, 320000 cannot reach a majority (2 of 2), so appends are blocked.
  std::string alone = HttpGet(sender, "/metrics");
  EXPECT_EQ(Metric(alone, "yreb_appends_blocked"), 1.0) << alone;
  EXPECT_EQ(Metric(alone, "yreb_members"), 2.0);
  EXPECT_EQ(Metric(alone, "yreb_peer_connected{peer=\"420000\"}"), 0.0);
  // The manifest's genesis lead leads epoch 1 from the start.
  EXPECT_EQ(Metric(alone, "yreb_lead_epoch{lead=\"320000\"}"), 1.0);
  EXPECT_EQ(Metric(alone, "yreb_lead_may_coordinate"), 1.0);
  EXPECT_EQ(Metric(alone, "yreb_void_coordinator_entries"), 0.0);
  EXPECT_EQ(Metric(alone, "yreb_releases{state=\"verified\"}"), 0.0);
  EXPECT_EQ(Metric(alone, "yreb_forks"), 0.0);
  EXPECT_EQ(Metric(alone, "yreb_void_entries"), 0.0);
  EXPECT_EQ(Metric(alone, "yreb_future_entries"), 0.0);
  double size_before = Metric(alone, "yreb_database_bytes").value_or(-1);
  EXPECT_GE(size_before, 0);

  // An import while appends are blocked is rejected, also when the file has
  // more rows than the reader may queue for the writer.
  std::string early = federation.Dir(320000) + "/early.csv";
  std::ofstream(early, std::ios::binary) << GeneratedRows(12000);
  CommandResult rejected = federation.Ctl(320000, {"import", early, "--status", "preliminary"});
  EXPECT_EQ(rejected.exit_code, 1) << rejected.out << rejected.err;
  EXPECT_NE(rejected.err.find("waiting for a majority of members"), std::string::npos)
      << rejected.err;

  ASSERT_TRUE(federation.Start(420000));
  int receiver = LoggedPort(federation, 420000, "metrics server");
  ASSERT_NE(receiver, 0);
  EXPECT_TRUE(WaitMetric(sender, "yreb_appends_blocked", [](double v) { return v == 0; }));
  EXPECT_TRUE(WaitMetric(sender, "yreb_peer_connected{peer=\"420000\"}",
                         [](double v) { return v == 1; }));

  std::string file = federation.Dir(320000) + "/rows.csv";
  std::ofstream(file, std::ios::binary) << GeneratedRows(4000);
  CommandResult import = federation.Ctl(320000, {"import", file, "--status", "preliminary"});
  ASSERT_EQ(import.exit_code, 0) << import.out << import.err;
  const double total = static_cast<double>(federation.Vector(320000)[320000]);
  ASSERT_GE(total, 4001);

  std::string after = HttpGet(sender, "/metrics");
  EXPECT_EQ(Metric(after, "yreb_origin_entries{origin=\"320000\"}"), total);
  EXPECT_GT(Metric(after, "yreb_database_bytes").value_or(0), size_before);

  // At 400 entries per second the receiver needs about 10 s, and each batch
  // tells it the sender's vector: the lag shows, then drains to 0.
  EXPECT_TRUE(WaitMetric(receiver, "yreb_peer_lag_entries{peer=\"320000\",origin=\"320000\"}",
                         [](double v) { return v > 0; }, std::chrono::seconds(10)));
  EXPECT_TRUE(WaitMetric(receiver, "yreb_origin_entries{origin=\"320000\"}",
                         [&](double v) { return v == total; }, std::chrono::seconds(40)));
  EXPECT_TRUE(WaitMetric(receiver, "yreb_peer_lag_entries{peer=\"320000\",origin=\"320000\"}",
                         [](double v) { return v == 0; }, std::chrono::seconds(10)));
  std::string synced = HttpGet(receiver, "/metrics");
  EXPECT_GT(Metric(synced, "yreb_peer_received_bytes_total{peer=\"320000\"}").value_or(0),
            total * 100)
      << "each entry is over 100 bytes";
  EXPECT_GE(Metric(synced, "yreb_peer_received_entries_total{peer=\"320000\"}").value_or(0),
            total);
  EXPECT_TRUE(WaitMetric(sender, "yreb_sent_entries_total{subscriber=\"420000\"}",
                         [&](double v) { return v >= total; }, std::chrono::seconds(5)));
}

TEST(PeerPortE2E, HealthAndReflectionOverMutualTls) {
  Federation federation({320000, 420000}, 320000);
  ASSERT_TRUE(federation.Start(320000));

  // The client is member 420000, with its own certificate.
  std::string dir = federation.Dir(420000);
  absl::StatusOr<federation::TlsMaterial> material = federation::LoadTlsMaterial(
      {.ca_cert = dir + "/ca.crt", .cert = dir + "/tls.crt", .key = dir + "/tls.key"});
  ASSERT_TRUE(material.ok()) << material.status();
  auto admission = std::make_shared<const federation::PeerAdmission>(material->ca, nullptr);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
      fmt::format("127.0.0.1:{}", federation.PeerPort(320000)),
      federation::PeerChannelCredentials(*material, admission, 320000));

  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  // The node opens the admin socket that Start waits for before the peer
  // port listens, so the first call waits for the channel instead of failing.
  context.set_wait_for_ready(true);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health->Check(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel);
  grpc::ClientContext reflection_context;
  reflection_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = reflection->ServerReflectionInfo(&reflection_context);
  grpc::reflection::v1alpha::ServerReflectionRequest list;
  list.set_list_services("*");
  ASSERT_TRUE(stream->Write(list));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse reply;
  ASSERT_TRUE(stream->Read(&reply));
  std::set<std::string> services;
  for (const auto& service : reply.list_services_response().service()) {
    services.insert(service.name());
  }
  EXPECT_TRUE(services.contains("grpc.health.v1.Health"));
  EXPECT_TRUE(services.contains("yreb.proto.Peer"));
  EXPECT_TRUE(services.contains("yreb.proto.Sync"));
  while (stream->Read(&reply)) {
  }
  EXPECT_TRUE(stream->Finish().ok());

  // A client without a certificate is rejected in the handshake.
  grpc::SslCredentialsOptions anonymous;
  anonymous.pem_root_certs = material->ca_pem;
  auto stranger = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      fmt::format("127.0.0.1:{}", federation.PeerPort(320000)), grpc::SslCredentials(anonymous)));
  grpc::ClientContext stranger_context;
  stranger_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EXPECT_FALSE(stranger->Check(&stranger_context, request, &response).ok());
}

// Returns the status entry of peer `peer` in `status`, or null.
json PeerOf(const json& status, uint32_t peer) {
  for (const json& entry : status["peers"]) {
    if (entry["node_id"] == peer) return entry;
  }
  return nullptr;
}

void ReplaceInFile(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = ReadAll(path);
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << path;
  text.replace(at, from.size(), to);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

TEST(ReloadE2E, SighupStopsAndStartsPeerSessions) {
  Federation federation({320000, 420000}, 320000);
  ASSERT_TRUE(federation.StartAll());
  auto linked_and_connected = [](const json& s) {
    json peer = PeerOf(s, 420000);
    return !peer.is_null() && peer["linked"].get<bool>() && peer.value("connected", false);
  };
  ASSERT_TRUE(federation.WaitStatus(320000, linked_and_connected));

  ReplaceInFile(federation.Config(320000), "[peer]\n", "[peer]\nskip_peers = [420000]\n");
  federation.Signal(320000, SIGHUP);
  EXPECT_TRUE(federation.WaitStatus(320000, [](const json& s) {
    json peer = PeerOf(s, 420000);
    return !peer.is_null() && !peer["linked"].get<bool>() && !peer.value("connected", false);
  })) << federation.Status(320000).dump();
  EXPECT_NE(ReadAll(federation.Dir(320000) + "/node.log")
                .find("peer session stopped by reload: peer=420000"),
            std::string::npos);

  // An invalid file changes nothing and the node keeps running.
  ReplaceInFile(federation.Config(320000), "skip_peers = [420000]\n", "skip_peer = [420000]\n");
  federation.Signal(320000, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(federation.Running(320000));
  EXPECT_NE(ReadAll(federation.Dir(320000) + "/node.log").find("reload failed"),
            std::string::npos);

  // yrebctl reads the same file, so status is read again once it is valid.
  ReplaceInFile(federation.Config(320000), "skip_peer = [420000]\n", "skip_peers = [420000]\n");
  EXPECT_FALSE(PeerOf(federation.Status(320000), 420000)["linked"].get<bool>());

  ReplaceInFile(federation.Config(320000), "skip_peers = [420000]\n", "");
  federation.Signal(320000, SIGHUP);
  EXPECT_TRUE(federation.WaitStatus(320000, linked_and_connected))
      << federation.Status(320000).dump();
}

// Quarterly GDP of Jiangsu for the belt chart.
std::string QuarterlyGdpRows() {
  return "indicator,region,region_name,period,value,unit,measure,value_kind,status,revision,note\n"
         "gdp_q,320000,,2019-Q1,23000.1,亿元,,,,,\n"
         "gdp_q,320000,,2019-Q2,25000.2,亿元,,,,,\n"
         "gdp_q,320000,,2019-Q3,24000.3,亿元,,,,,\n"
         "gdp_q,320000,,2019-Q4,27000.45,亿元,,,,,\n";
}

// Runs headless Chromium with the flags that keep it off the network and
// returns its result; `mode` is e.g. "--dump-dom".
CommandResult Chromium(const std::string& profile, const std::vector<std::string>& mode,
                       const std::string& url) {
  std::vector<std::string> args = {"/usr/bin/chromium",
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--no-first-run",
                                   "--user-data-dir=" + profile,
                                   "--virtual-time-budget=10000"};
  args.insert(args.end(), mode.begin(), mode.end());
  args.push_back(url);
  return testing::RunCommand(args, "", std::chrono::seconds(60));
}

TEST(StatusPageE2E, ChromiumRendersMatrixAndCharts) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
      << "install chromium (scripts/install-deps.sh)";
  Federation federation({320000, 420000}, 320000, {{420000, kHttpSections}});
  ASSERT_TRUE(federation.StartAll());
  std::string quarterly = federation.Dir(320000) + "/gdp_q.csv";
  std::ofstream(quarterly, std::ios::binary) << QuarterlyGdpRows();
  for (const std::string& file :
       {Testdata("nbs-fsnd-multi-2006-2025-renjiyi/分省年度数据.csv"),
        Testdata("nbs-fsyd-realestate-yreb-2017-2019-wyq/csvFile/江苏.csv"), quarterly}) {
    CommandResult import = federation.Ctl(320000, {"import", file, "--status", "final"});
    ASSERT_EQ(import.exit_code, 0) << file << ": " << import.out << import.err;
  }
  ASSERT_TRUE(federation.WaitConverged(std::chrono::seconds(40)));

  // The page of 420000, which imported nothing, shows what it replicated.
  int port = LoggedPort(federation, 420000, "status page");
  ASSERT_NE(port, 0);
  json view = json::parse(HttpGet(port, "/api/status?quarter=2019-Q4"), nullptr, false);
  ASSERT_TRUE(view.is_object());
  EXPECT_EQ(view["lang"], "zh");
  EXPECT_EQ(view["quarter"]["period"], "2019-Q4");
  EXPECT_EQ(view["quarter"]["deadline"], "2020-01-20T23:59:59+08:00");
  EXPECT_EQ(view["lead"]["lead"], 320000);
  EXPECT_EQ(view["lead"]["epoch"], 1);
  std::map<std::string, std::map<std::string, std::string>> states;  // indicator -> province
  for (const json& indicator : view["matrix"]["indicators"]) {
    for (const json& cell : indicator["cells"]) {
      states[indicator["code"]][cell["province"]] = cell["state"];
    }
  }
  EXPECT_EQ(states["realestate_invest_cum"]["320000"], "complete");
  EXPECT_EQ(states["realestate_invest_cum"]["420000"], "missing");
  EXPECT_EQ(states["gdp_q"]["320000"], "complete");
  EXPECT_EQ(states["gdp_q_cum"]["320000"], "missing");
  // The charts draw sealed sets only: none before the lead seals.
  EXPECT_TRUE(view["charts"]["belt"]["points"].empty()) << view["charts"].dump();
  EXPECT_TRUE(view["charts"]["gdp"]["series"].empty()) << view["charts"].dump();

  for (const char* period : {"2019-Q3", "2019-Q4", "2023"}) {
    CommandResult seal = federation.Ctl(320000, {"shared", "seal", period});
    ASSERT_EQ(seal.exit_code, 0) << period << ": " << seal.out << seal.err;
  }
  ASSERT_TRUE(federation.WaitStatus(
      420000,
      [](const json& status) {
        return status["releases"].value("verified", uint64_t{0}) >= 3;
      },
      std::chrono::seconds(30)))
      << federation.Status(420000).dump();
  // The release metric of 420000 follows its verdicts.
  int metrics_port = LoggedPort(federation, 420000, "metrics server");
  ASSERT_NE(metrics_port, 0);
  std::string metrics = HttpGet(metrics_port, "/metrics");
  EXPECT_EQ(Metric(metrics, "yreb_releases{state=\"verified\"}"), 3.0) << metrics;
  EXPECT_EQ(Metric(metrics, "yreb_releases{state=\"mismatch\"}"), 0.0);
  view = json::parse(HttpGet(port, "/api/status?quarter=2019-Q4"), nullptr, false);
  ASSERT_TRUE(view.is_object());
  const json& belt = view["charts"]["belt"];
  EXPECT_EQ(belt["indicator"], "gdp_q");
  ASSERT_EQ(belt["points"].size(), 2u) << belt.dump();
  EXPECT_EQ(belt["points"][0]["period"], "2019-Q3");
  EXPECT_EQ(belt["points"][0]["total"], "24000.3");
  EXPECT_EQ(belt["points"][1]["period"], "2019-Q4");
  EXPECT_EQ(belt["points"][1]["total"], "27000.45");
  EXPECT_EQ(belt["points"][1]["provinces"], 1);
  EXPECT_EQ(belt["points"][1]["release"], "2019-Q4 #1");
  const json& gdp = view["charts"]["gdp"];
  ASSERT_EQ(gdp["periods"].size(), 1u) << gdp.dump();
  EXPECT_EQ(gdp["periods"][0], "2023");
  ASSERT_EQ(gdp["series"].size(), 1u);
  EXPECT_EQ(gdp["series"][0]["region"], "320000");
  EXPECT_EQ(gdp["series"][0]["values"][0], "130924.3");

  int code = 0;
  HttpGet(port, "/api/status?quarter=2019Q4", &code);
  EXPECT_EQ(code, 400);
  json english = json::parse(HttpGet(port, "/api/status?lang=en"), nullptr, false);
  EXPECT_EQ(english["labels"]["title"], "yreb-sync node status");

  std::string profile = testing::MakeTempDir("chromium-profile");
  std::string url = fmt::format("http://127.0.0.1:{}/?quarter=2019-Q4", port);
  CommandResult dom = Chromium(profile, {"--dump-dom"}, url);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_NE(dom.out.find("data-state=\"ready\""), std::string::npos) << dom.out;
  EXPECT_NE(dom.out.find("data-province=\"320000\" data-indicator=\"realestate_invest_cum\" "
                         "data-state=\"complete\""),
            std::string::npos);
  EXPECT_NE(dom.out.find("data-province=\"420000\" data-indicator=\"realestate_invest_cum\" "
                         "data-state=\"missing\""),
            std::string::npos);
  EXPECT_NE(dom.out.find("class=\"cell complete\""), std::string::npos);
  // Jiangsu's 2023 GDP is a point of the GDP chart, with its exact text.
  EXPECT_NE(dom.out.find("data-period=\"2023\" data-value=\"130924.3\""), std::string::npos);
  EXPECT_NE(dom.out.find("江苏省 2023: 130924.3 亿元"), std::string::npos);
  EXPECT_NE(dom.out.find("data-period=\"2019-Q4 (1/2)\" data-value=\"27000.45\""),
            std::string::npos);
  EXPECT_NE(dom.out.find("id=\"sealed-note\""), std::string::npos);
  EXPECT_EQ(dom.out.find("id=\"belt-none\""), std::string::npos);
  EXPECT_NE(dom.out.find("长江经济带"), std::string::npos) << "the page is in Chinese";

  // A handover to 420000 moves the epoch metric and the page's lead.
  EXPECT_EQ(Metric(metrics, "yreb_lead_epoch{lead=\"320000\"}"), 1.0) << metrics;
  CommandResult handover = federation.Ctl(320000, {"lead", "handover", "--to", "420000"});
  ASSERT_EQ(handover.exit_code, 0) << handover.out << handover.err;
  bool accepted = false;
  for (int attempt = 0; attempt < 100 && !accepted; ++attempt) {
    accepted = federation.Ctl(420000, {"lead", "accept"}).exit_code == 0;
    if (!accepted) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(accepted) << federation.Ctl(420000, {"lead", "accept"}).err;
  EXPECT_TRUE(WaitMetric(metrics_port, "yreb_lead_epoch{lead=\"420000\"}",
                         [](double epoch) { return epoch == 2.0; }, std::chrono::seconds(10)));
  EXPECT_EQ(Metric(HttpGet(metrics_port, "/metrics"), "yreb_lead_may_coordinate"), 1.0);
  json after = json::parse(HttpGet(port, "/api/status"), nullptr, false);
  EXPECT_EQ(after["lead"]["lead"], 420000) << after["lead"].dump();
  EXPECT_EQ(after["lead"]["epoch"], 2);

  // Screenshots for a person to look at, when asked for.
  if (const char* out = std::getenv("YREB_SCREENSHOT_DIR"); out != nullptr) {
    for (const auto& [name, page] : {std::pair{"status-zh.png", url},
                                     std::pair{"status-en.png", url + "&lang=en"}}) {
      CommandResult shot = Chromium(
          testing::MakeTempDir("chromium-profile"),
          {"--window-size=1400,2600", fmt::format("--screenshot={}/{}", out, name)}, page);
      EXPECT_EQ(shot.exit_code, 0) << shot.err;
    }
  }
}

}  // namespace
}  // namespace yreb
