// End-to-end figures of real yreb-node processes on 127.0.0.1: import,
// initial sync, propagation latency under load, catch-up of a backlog, and
// peak memory and disk use at a large log. Prints one "name value unit" line
// per figure; bench/run.sh sets the sizes and relates them to the ceilings.
//
// Nodes are plain processes started through tests/support, each in its own
// directory under $TMPDIR. Every wait has a time limit; a step that runs out
// of time prints "<name> failed" on stderr and the program exits non-zero.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/workload.h"
#include "cli/admin_client.h"
#include "storage/store.h"
#include "tests/support/federation.h"

namespace yreb::bench {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using testing::CommandResult;
using testing::Federation;

const std::vector<uint32_t> kMembers = {310000, 320000, 330000, 340000, 360000, 420000,
                                        430000, 500000, 510000, 520000, 530000};
constexpr uint32_t kOrigin = 320000;
constexpr uint32_t kReceiver = 420000;

struct Sizes {
  uint64_t import_rows = 1000000;
  uint64_t backlog_rows = 3600000;
  uint64_t total_entries = 10000000;
  uint64_t file_rows = 1000000;  // rows per import file
  int probes = 200;
  int load_rate = 1000;  // background entries per second
  int poll_interval_ms = 2;
};

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void Print(const std::string& name, double value, const std::string& unit) {
  // Counts print whole; "%g" would round 1,000,001 to 1e+06.
  if (value == std::floor(value) && value < 1e15) {
    std::printf("%s %.0f %s\n", name.c_str(), value, unit.c_str());
  } else {
    std::printf("%s %.6g %s\n", name.c_str(), value, unit.c_str());
  }
  std::fflush(stdout);
}

// Thrown by Fail and caught in main, so that the stack unwinds and each
// Federation stops the nodes it started.
struct Failed {};

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "%s failed\n", what.c_str());
  throw Failed{};
}

// Returns the pid of the yreb-node process started with `config`, or -1.
pid_t FindNodePid(const std::string& config) {
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return -1;
  pid_t found = -1;
  while (dirent* item = readdir(proc)) {
    pid_t pid = std::atoi(item->d_name);
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(item->d_name) + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find("yreb-node") != std::string::npos &&
        cmdline.find(config + '\0') != std::string::npos) {
      found = pid;
      break;
    }
  }
  closedir(proc);
  return found;
}

// Returns a field of /proc/PID/status in KiB, e.g. "VmHWM"; 0 when missing.
uint64_t ProcStatusKib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

// Returns the CPU time (user and system) `pid` has used, in clock ticks, or
// -1 when it cannot be read.
long long CpuTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t end_of_name = stat.rfind(')');
  if (end_of_name == std::string::npos) return -1;
  std::istringstream fields(stat.substr(end_of_name + 2));
  std::string field;
  long long ticks = 0;
  // Fields 3 to 15 of proc(5); utime and stime are the last two.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stoll(field);
  }
  return ticks;
}

// Waits until the node `pid` uses less than a tenth of a core over half a
// second, for at most `limit`, and returns the seconds waited. The flushes
// and compactions a step leaves behind would otherwise run inside the next
// step's measurement, on the same two cores.
double WaitQuiet(pid_t pid, std::chrono::seconds limit) {
  Clock::time_point start = Clock::now();
  const long long per_second = sysconf(_SC_CLK_TCK);
  long long before = CpuTicks(pid);
  for (int round = 0; round < limit.count() * 2 && before >= 0; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    long long now = CpuTicks(pid);
    if (now < 0 || (now - before) * 20 < per_second) break;
    before = now;
  }
  return SecondsSince(start);
}

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& item : std::filesystem::recursive_directory_iterator(dir)) {
    if (item.is_regular_file()) bytes += item.file_size();
  }
  return bytes;
}

// A direct admin-API connection to one node, for calls too frequent to spawn
// yrebctl for.
class Admin {
 public:
  explicit Admin(const std::string& config) {
    absl::StatusOr<cli::AdminClient> client = cli::AdminClient::Connect(config);
    if (!client.ok()) Fail("admin connect " + config);
    client_.emplace(std::move(*client));
  }

  std::optional<proto::StatusReply> Status() {
    auto context = client_->NewContext(std::chrono::seconds(10));
    proto::StatusReply reply;
    if (!client_->stub().GetStatus(context.get(), proto::StatusRequest(), &reply).ok()) {
      return std::nullopt;
    }
    return reply;
  }

  // Returns the sequence of `origin` in the node's version vector; 0 when
  // absent or the node cannot be reached.
  uint64_t Sequence(uint32_t origin) {
    std::optional<proto::StatusReply> status = Status();
    if (!status) return 0;
    for (const proto::VersionVectorEntry& entry : status->version_vector()) {
      if (entry.origin() == origin) return entry.sequence();
    }
    return 0;
  }

  cli::AdminClient& client() { return *client_; }

 private:
  std::optional<cli::AdminClient> client_;
};

// Waits until `node` contains `origin` up to `sequence`; returns the seconds
// waited, or nullopt after `timeout`.
std::optional<double> WaitSequence(Admin& node, uint32_t origin, uint64_t sequence,
                                   std::chrono::seconds timeout,
                                   std::chrono::milliseconds interval) {
  Clock::time_point start = Clock::now();
  while (Clock::now() - start < timeout) {
    if (node.Sequence(origin) >= sequence) return SecondsSince(start);
    std::this_thread::sleep_for(interval);
  }
  return std::nullopt;
}

bool WaitAppendAllowed(Admin& node, std::chrono::seconds timeout) {
  Clock::time_point start = Clock::now();
  while (Clock::now() - start < timeout) {
    std::optional<proto::StatusReply> status = node.Status();
    if (status && status->append_allowed()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Imports cells first..first+rows-1 in files of `sizes.file_rows` rows and
// returns the entries the imports wrote (records and commit markers).
uint64_t ImportCells(Federation& federation, const Sizes& sizes, uint64_t first, uint64_t rows,
                     double* seconds) {
  const std::string province = std::to_string(kOrigin);
  const std::string file = federation.Dir(kOrigin) + "/generated.csv";
  uint64_t written = 0;
  *seconds = 0;
  for (uint64_t done = 0; done < rows;) {
    uint64_t count = std::min(sizes.file_rows, rows - done);
    std::ofstream(file, std::ios::binary) << LongCsv(province, first + done, count);
    Clock::time_point start = Clock::now();
    CommandResult result = federation.Ctl(
        kOrigin, {"--json", "import", file, "--status", "preliminary"}, std::chrono::minutes(30));
    *seconds += SecondsSince(start);
    if (result.exit_code != 0) {
      std::fprintf(stderr, "import: %s %s\n", result.out.substr(0, 2000).c_str(),
                   result.err.c_str());
      Fail("import");
    }
    json reply = json::parse(result.out);
    uint64_t records = reply.value("new", 0) + reply.value("revised", 0);
    if (records != count) {
      std::fprintf(stderr, "import stored %lu of %lu rows: %s\n", records, count,
                   result.out.substr(0, 2000).c_str());
      Fail("import");
    }
    written += records + 1;  // and the commit marker
    done += count;
  }
  std::filesystem::remove(file);
  return written;
}

// Returns the entry count and the sum of encoded entry sizes in a stopped
// node's store.
std::pair<uint64_t, uint64_t> RawEntryBytes(const std::string& data_dir) {
  auto store = storage::Store::OpenReadOnly(data_dir);
  if (!store.ok()) Fail("open " + data_dir);
  auto tips = (*store)->GetTips();
  if (!tips.ok()) Fail("read tips of " + data_dir);
  uint64_t count = 0, bytes = 0;
  for (const storage::Tip& tip : *tips) {
    absl::Status status = (*store)->ScanEntries(tip.origin, 1, [&](uint64_t, std::string_view e) {
      ++count;
      bytes += e.size();
      return true;
    });
    if (!status.ok()) Fail("scan " + data_dir);
  }
  return {count, bytes};
}

// Import, initial sync, catch-up, and memory and disk at the large log, on
// one origin and one receiver.
void RunTwoNodes(const Sizes& sizes) {
  Federation federation({kOrigin, kReceiver}, kOrigin, {}, "max_reconnect_delay = 1");
  if (!federation.Start(kOrigin, {"--skip-majority-check"})) Fail("start origin");
  Admin origin(federation.Config(kOrigin));
  if (!WaitAppendAllowed(origin, std::chrono::seconds(60))) Fail("origin append");
  uint64_t base = origin.Sequence(kOrigin);

  // 1. Import of one generated long CSV.
  double seconds = 0;
  uint64_t imported = ImportCells(federation, Sizes{.file_rows = sizes.import_rows}, 0,
                                  sizes.import_rows, &seconds);
  Print("import_rows", sizes.import_rows, "rows");
  Print("import_rate", sizes.import_rows / seconds, "entries/s");
  uint64_t tip = origin.Sequence(kOrigin);
  if (tip != base + imported) Fail("import tip check");

  // 2. Initial sync of the whole log to an empty receiver.
  pid_t origin_pid = FindNodePid(federation.Config(kOrigin));
  Print("origin_settle_before_sync", WaitQuiet(origin_pid, std::chrono::seconds(120)), "s");
  Clock::time_point start = Clock::now();
  if (!federation.Start(kReceiver, {"--skip-majority-check"})) Fail("start receiver");
  Admin receiver(federation.Config(kReceiver));
  // The first entry's arrival splits the node's start (process, database,
  // TLS connection) from the transfer; the rate counts both.
  std::optional<double> waited =
      WaitSequence(receiver, kOrigin, 1, std::chrono::minutes(5), std::chrono::milliseconds(5));
  if (!waited) Fail("initial sync start");
  double first_entry_seconds = SecondsSince(start);
  waited =
      WaitSequence(receiver, kOrigin, tip, std::chrono::minutes(30), std::chrono::milliseconds(20));
  if (!waited) Fail("initial sync");
  double sync_seconds = SecondsSince(start);
  Print("initial_sync_entries", tip, "entries");
  Print("initial_sync_rate", tip / sync_seconds, "entries/s");
  Print("initial_sync_first_entry_after", first_entry_seconds, "s");
  std::optional<proto::StatusReply> sender_status = origin.Status();
  std::optional<proto::StatusReply> receiver_status = receiver.Status();
  if (!sender_status || !receiver_status) Fail("status after sync");
  for (const proto::PeerState& peer : receiver_status->peers()) {
    if (peer.node_id() == kOrigin) {
      Print("initial_sync_bytes_received", peer.bytes_received(), "bytes");
      Print("initial_sync_bytes_per_entry", static_cast<double>(peer.bytes_received()) / tip,
            "bytes/entry");
    }
  }
  auto sent = sender_status->sent_entries().find(kReceiver);
  Print("initial_sync_sent_entries",
        sent == sender_status->sent_entries().end() ? 0 : sent->second, "entries");

  // 3. Catch-up: the receiver misses a backlog written while it is stopped.
  federation.Stop(kReceiver);
  uint64_t receiver_sequence = tip;
  uint64_t next_cell = sizes.import_rows;
  imported = ImportCells(federation, sizes, next_cell, sizes.backlog_rows, &seconds);
  next_cell += sizes.backlog_rows;
  tip = origin.Sequence(kOrigin);
  Print("backlog_import_rate", sizes.backlog_rows / seconds, "entries/s");
  Print("origin_settle_before_catch_up", WaitQuiet(origin_pid, std::chrono::seconds(120)), "s");
  start = Clock::now();
  if (!federation.Start(kReceiver, {"--skip-majority-check"})) Fail("restart receiver");
  Admin receiver_again(federation.Config(kReceiver));
  waited = WaitSequence(receiver_again, kOrigin, tip, std::chrono::minutes(30),
                        std::chrono::milliseconds(20));
  if (!waited) Fail("catch-up");
  double catch_up_seconds = SecondsSince(start);
  Print("catch_up_entries", tip - receiver_sequence, "entries");
  Print("catch_up_rate", (tip - receiver_sequence) / catch_up_seconds, "entries/s");

  // 4. Grow the log to the large size with the receiver following live.
  if (tip < sizes.total_entries) {
    uint64_t rows = sizes.total_entries - tip;
    // Each file adds a commit marker; leave room for them.
    rows -= std::min(rows, (rows + sizes.file_rows - 1) / sizes.file_rows);
    ImportCells(federation, sizes, next_cell, rows, &seconds);
    tip = origin.Sequence(kOrigin);
  }
  waited = WaitSequence(receiver_again, kOrigin, tip, std::chrono::minutes(30),
                        std::chrono::milliseconds(100));
  if (!waited) Fail("sync of the large log");
  Print("large_log_entries", tip, "entries");
  pid_t receiver_pid = FindNodePid(federation.Config(kReceiver));
  Print("peak_rss_origin", ProcStatusKib(origin_pid, "VmHWM") / 1024.0, "MiB");
  Print("peak_rss_receiver", ProcStatusKib(receiver_pid, "VmHWM") / 1024.0, "MiB");

  federation.Stop(kReceiver);
  federation.Stop(kOrigin);
  for (auto [id, name] : {std::pair{kOrigin, "origin"}, std::pair{kReceiver, "receiver"}}) {
    std::string data = federation.Dir(id) + "/data";
    auto [count, raw] = RawEntryBytes(data);
    uint64_t disk = DirectoryBytes(data);
    Print(std::string("disk_entries_") + name, count, "entries");
    Print(std::string("raw_entry_bytes_") + name, static_cast<double>(raw) / count,
          "bytes/entry");
    Print(std::string("disk_bytes_per_entry_") + name, static_cast<double>(disk) / count,
          "bytes/entry");
  }
}

// Writes `rate` entries per second to a node through the admin PutStream,
// each a new cell, until stopped.
class BackgroundLoad {
 public:
  BackgroundLoad(const std::string& config, int rate) : admin_(config), rate_(rate) {}

  void Start() {
    context_ = admin_.client().NewContext(std::chrono::seconds(3600));
    stream_ = admin_.client().stub().PutStream(context_.get());
    start_ = Clock::now();
    reader_ = std::thread([this] {
      proto::PutReply reply;
      while (stream_->Read(&reply)) {
        if (reply.error().empty()) ++acknowledged_;
      }
    });
    writer_ = std::thread([this] {
      const std::string province = std::to_string(kOrigin);
      // Cells far from the imported ones: the load is new data, not revisions.
      uint64_t id = DistinctCells(province) - 1;
      const auto tick = std::chrono::milliseconds(10);
      Clock::time_point next = Clock::now();
      while (!stopping_) {
        for (int i = 0; i < rate_ / 100; ++i) {
          Cell cell = CellAt(province, id--);
          proto::PutRequest request;
          request.set_indicator(cell.indicator);
          request.set_region(cell.region);
          request.set_period(cell.period);
          request.set_value(cell.value);
          request.set_status(proto::DATA_STATUS_PRELIMINARY);
          if (!stream_->Write(request)) return;
          ++sent_;
        }
        next += tick;
        std::this_thread::sleep_until(next);
      }
      stream_->WritesDone();
    });
  }

  // Stops writing and returns the acknowledged entries per second.
  double Stop() {
    stopping_ = true;
    writer_.join();
    reader_.join();
    stream_->Finish();
    return acknowledged_ / SecondsSince(start_);
  }

 private:
  Admin admin_;
  const int rate_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<proto::PutRequest, proto::PutReply>> stream_;
  std::thread reader_, writer_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> sent_{0}, acknowledged_{0};
  Clock::time_point start_;
};

double Percentile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(fraction * (values.size() - 1))];
}

// Latency from the return of a put on one node until every other node of
// eleven holds it, under background load on the same node.
void RunPropagation(const Sizes& sizes) {
  Federation federation(kMembers, 310000);
  if (!federation.StartAll()) Fail("start eleven nodes");
  std::map<uint32_t, std::unique_ptr<Admin>> nodes;
  for (uint32_t id : kMembers) {
    nodes[id] = std::make_unique<Admin>(federation.Config(id));
    if (!WaitAppendAllowed(*nodes[id], std::chrono::seconds(120))) Fail("append allowed");
  }

  BackgroundLoad load(federation.Config(kOrigin), sizes.load_rate);
  load.Start();
  std::this_thread::sleep_for(std::chrono::seconds(3));

  Admin writer(federation.Config(kOrigin));
  std::vector<double> latencies_ms;
  int missed = 0;
  const std::string province = std::to_string(kOrigin);
  for (int probe = 0; probe < sizes.probes; ++probe) {
    Cell cell = CellAt(province, 5000000 + probe);  // far from the load's cells
    proto::PutRequest request;
    request.set_indicator(cell.indicator);
    request.set_region(cell.region);
    request.set_period(cell.period);
    request.set_value(cell.value);
    request.set_status(proto::DATA_STATUS_PRELIMINARY);
    proto::PutReply reply;
    auto context = writer.client().NewContext(std::chrono::seconds(10));
    if (!writer.client().stub().Put(context.get(), request, &reply).ok() || reply.sequence() == 0) {
      Fail("probe put");
    }
    Clock::time_point returned = Clock::now();

    // One poller per other node, each stopping once its node holds the probe.
    std::mutex mu;
    std::vector<std::thread> pollers;
    for (uint32_t id : kMembers) {
      if (id == kOrigin) continue;
      pollers.emplace_back([&, id] {
        while (Clock::now() - returned < std::chrono::seconds(10)) {
          if (nodes[id]->Sequence(kOrigin) >= reply.sequence()) {
            double ms = std::chrono::duration<double, std::milli>(Clock::now() - returned).count();
            std::lock_guard<std::mutex> lock(mu);
            latencies_ms.push_back(ms);
            return;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(sizes.poll_interval_ms));
        }
        std::lock_guard<std::mutex> lock(mu);
        ++missed;
      });
    }
    for (std::thread& poller : pollers) poller.join();
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + probe % 7 * 20));
  }
  double achieved = load.Stop();

  Print("propagation_probes", sizes.probes, "puts");
  Print("propagation_samples", latencies_ms.size(), "node-arrivals");
  Print("propagation_missed", missed, "node-arrivals");
  Print("background_load", achieved, "entries/s");
  if (latencies_ms.empty()) Fail("propagation");
  Print("propagation_p50", Percentile(latencies_ms, 0.50), "ms");
  Print("propagation_p99", Percentile(latencies_ms, 0.99), "ms");
  Print("propagation_max", Percentile(latencies_ms, 1.0), "ms");
}

// Returns the value of --name, or `fallback` when it is not given. Exits
// with a message naming the flag when its value is missing or not a whole
// number (from 0 up), as a size a benchmark cannot use would only fail later.
uint64_t Flag(int argc, char** argv, const std::string& name, uint64_t fallback) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] != "--" + name) continue;
    std::string_view text = i + 1 < argc ? argv[i + 1] : "";
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
      std::cerr << "yreb-bench-e2e: --" << name << " needs a whole number, not \"" << text
                << "\"\n";
      std::exit(2);
    }
    return value;
  }
  return fallback;
}

}  // namespace
}  // namespace yreb::bench

int main(int argc, char** argv) {
  using namespace yreb::bench;
  Sizes sizes;
  sizes.import_rows = Flag(argc, argv, "import-rows", sizes.import_rows);
  sizes.backlog_rows = Flag(argc, argv, "backlog-rows", sizes.backlog_rows);
  sizes.total_entries = Flag(argc, argv, "total-entries", sizes.total_entries);
  sizes.file_rows = Flag(argc, argv, "file-rows", sizes.file_rows);
  sizes.probes = static_cast<int>(Flag(argc, argv, "probes", sizes.probes));
  sizes.load_rate = static_cast<int>(Flag(argc, argv, "load-rate", sizes.load_rate));
  sizes.poll_interval_ms = static_cast<int>(Flag(argc, argv, "poll-ms", sizes.poll_interval_ms));
  std::string steps = argc > 1 && std::string(argv[1]).rfind("--", 0) != 0 ? argv[1] : "all";

  // Writes the import file alone, e.g. to profile an import by hand:
  // yreb-bench-e2e csv --import-rows N [--first-cell K] > file.csv
  if (steps == "csv") {
    std::cout << LongCsv("320000", Flag(argc, argv, "first-cell", 0), sizes.import_rows);
    return 0;
  }
  try {
    if (steps == "all" || steps == "two-nodes") RunTwoNodes(sizes);
    if (steps == "all" || steps == "propagation") RunPropagation(sizes);
  } catch (const Failed&) {
    return 1;
  }
  return 0;
}
