// The machine's own ceilings for the end-to-end figures, measured with the
// same entry sizes: raw RocksDB WriteBatch ingest, Ed25519 verifications on
// every core through crypto::PublicKey::Verify, and raw gRPC streaming over
// loopback. Prints one "name value unit" line per figure.
//
//   yreb-bench-ceilings rocksdb DIR ENTRIES SYNC_ENTRIES
//   yreb-bench-ceilings verify SECONDS
//   yreb-bench-ceilings grpc ENTRIES [CERT_PEM KEY_PEM]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "loopback_stream.grpc.pb.h"
#include "bench/workload.h"
#include "crypto/crypto.h"
#include "proto/entry.h"

namespace yreb::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kProvince[] = "320000";
// Distinct sample entries cycled through; enough to vary sizes like the import.
constexpr size_t kSamples = 4096;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<std::string> Samples() {
  std::vector<std::string> samples;
  for (size_t i = 0; i < kSamples; ++i) samples.push_back(SampleEntry(kProvince, i * 211));
  return samples;
}

// Big-endian origin and sequence, the key layout of the store's entries.
std::string LogKey(uint32_t origin, uint64_t sequence) {
  std::string key(12, '\0');
  for (int i = 0; i < 4; ++i) key[i] = static_cast<char>(origin >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) key[4 + i] = static_cast<char>(sequence >> (56 - 8 * i));
  return key;
}

// Writes `entries` sample entries in WriteBatches of 1,000 to a fresh
// database with the table and compression settings of storage/store.cc, and
// returns entries per second.
double RocksDbIngest(const std::string& dir, uint64_t entries, bool sync) {
  std::filesystem::remove_all(dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kZSTD;
  options.max_open_files = 256;
  options.IncreaseParallelism(2);
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 16 * 1024;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.write_buffer_size = 16 << 20;

  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(options, dir, &raw);
  if (!status.ok()) {
    std::fprintf(stderr, "rocksdb open %s failed: %s\n", dir.c_str(), status.ToString().c_str());
    return 0;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  std::vector<std::string> samples = Samples();
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;

  Clock::time_point start = Clock::now();
  rocksdb::WriteBatch batch;
  for (uint64_t sequence = 1; sequence <= entries; ++sequence) {
    batch.Put(LogKey(320000, sequence), samples[sequence % kSamples]);
    if (sequence % 1000 == 0 || sequence == entries) {
      status = db->Write(write_options, &batch);
      if (!status.ok()) {
        std::fprintf(stderr, "rocksdb write failed: %s\n", status.ToString().c_str());
        return 0;
      }
      batch.Clear();
    }
  }
  double seconds = SecondsSince(start);
  db.reset();
  std::filesystem::remove_all(dir);
  return entries / seconds;
}

int RunRocksDb(const std::string& dir, uint64_t entries, uint64_t sync_entries) {
  std::vector<std::string> samples = Samples();
  uint64_t bytes = 0;
  for (const std::string& sample : samples) bytes += sample.size();
  std::printf("entry_bytes_mean %.1f bytes\n", static_cast<double>(bytes) / samples.size());
  std::printf("rocksdb_ingest_nosync %.0f entries/s\n", RocksDbIngest(dir, entries, false));
  std::printf("rocksdb_ingest_sync %.0f entries/s\n", RocksDbIngest(dir, sync_entries, true));
  return 0;
}

// Verifies head signatures on one thread per core for `seconds`, each thread
// with its own key, and returns verifications per second over all threads.
int RunVerify(double seconds) {
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<uint64_t> total{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> workers;
  Clock::time_point start = Clock::now();
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      crypto::PrivateKey key = crypto::PrivateKey::Generate();
      std::string message = entry::HeadMessage(320000, 1024 * (t + 1), crypto::Sha256("head"));
      crypto::Signature signature = key.Sign(message);
      uint64_t count = 0;
      while (SecondsSince(start) < seconds) {
        for (int i = 0; i < 64; ++i) {
          if (!key.public_key().Verify(message, crypto::AsBytes(signature))) failed = true;
        }
        count += 64;
      }
      total += count;
    });
  }
  for (std::thread& worker : workers) worker.join();
  if (failed) {
    std::fprintf(stderr, "a valid signature failed to verify\n");
    return 1;
  }
  std::printf("verify_threads %u threads\n", threads);
  std::printf("ed25519_verify_all_cores %.0f verifications/s\n", total / SecondsSince(start));
  return 0;
}

class LoopbackStreamService final : public LoopbackStream::Service {
 public:
  grpc::Status Stream(grpc::ServerContext* context, const StreamRequest* request,
                      grpc::ServerWriter<EntryBatch>* writer) override {
    std::vector<std::string> samples = Samples();
    uint64_t sent = 0;
    size_t next = 0;
    while (sent < request->entries() && !context->IsCancelled()) {
      EntryBatch batch;
      for (uint32_t i = 0; i < request->entries_per_batch() && sent < request->entries(); ++i) {
        batch.add_entries(samples[next++ % kSamples]);
        ++sent;
      }
      if (!writer->Write(batch)) break;
    }
    return grpc::Status::OK;
  }
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Streams `entries` sample entries from a server to a client in this process
// over 127.0.0.1 and returns entries per second and bytes per second.
std::pair<double, double> StreamOnce(uint64_t entries, uint32_t per_batch,
                                     const std::string& cert, const std::string& key) {
  LoopbackStreamService service;
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> server_credentials =
      grpc::InsecureServerCredentials();
  if (!cert.empty()) {
    grpc::SslServerCredentialsOptions options;
    options.pem_key_cert_pairs.push_back({key, cert});
    server_credentials = grpc::SslServerCredentials(options);
  }
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", server_credentials, &port);
  builder.RegisterService(&service);
  builder.SetMaxSendMessageSize(64 << 20);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "cannot start the loopback gRPC server\n");
    return {0, 0};
  }

  std::shared_ptr<grpc::ChannelCredentials> channel_credentials =
      grpc::InsecureChannelCredentials();
  if (!cert.empty()) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = cert;
    channel_credentials = grpc::SslCredentials(options);
  }
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                           channel_credentials, arguments);
  auto stub = LoopbackStream::NewStub(channel);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  StreamRequest request;
  request.set_entries(entries);
  request.set_entries_per_batch(per_batch);
  Clock::time_point start = Clock::now();
  auto reader = stub->Stream(&context, request);
  EntryBatch batch;
  uint64_t received = 0, bytes = 0;
  while (reader->Read(&batch)) {
    received += batch.entries_size();
    for (const std::string& entry : batch.entries()) bytes += entry.size();
  }
  grpc::Status status = reader->Finish();
  double seconds = SecondsSince(start);
  server->Shutdown();
  if (!status.ok() || received != entries) {
    std::fprintf(stderr, "loopback stream failed: %s (%lu of %lu entries)\n",
                 status.error_message().c_str(), received, entries);
    return {0, 0};
  }
  return {received / seconds, bytes / seconds};
}

int RunGrpc(uint64_t entries, const std::string& cert_path, const std::string& key_path) {
  // 1,024 entries per message is the largest range the sync service sends.
  auto [rate, bytes] = StreamOnce(entries, 1024, "", "");
  std::printf("grpc_stream_plain %.0f entries/s\n", rate);
  std::printf("grpc_stream_plain_bytes %.0f bytes/s\n", bytes);
  if (!cert_path.empty()) {
    auto [tls_rate, tls_bytes] =
        StreamOnce(entries, 1024, ReadFile(cert_path), ReadFile(key_path));
    std::printf("grpc_stream_tls %.0f entries/s\n", tls_rate);
    std::printf("grpc_stream_tls_bytes %.0f bytes/s\n", tls_bytes);
  }
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: yreb-bench-ceilings rocksdb DIR ENTRIES SYNC_ENTRIES\n"
               "       yreb-bench-ceilings verify SECONDS\n"
               "       yreb-bench-ceilings grpc ENTRIES [CERT_PEM KEY_PEM]\n");
  return 2;
}

}  // namespace
}  // namespace yreb::bench

int main(int argc, char** argv) {
  using namespace yreb::bench;
  if (argc < 2) return Usage();
  std::string command = argv[1];
  if (command == "rocksdb" && argc == 5) {
    return RunRocksDb(argv[2], std::stoull(argv[3]), std::stoull(argv[4]));
  }
  if (command == "verify" && argc == 3) return RunVerify(std::stod(argv[2]));
  if (command == "grpc" && (argc == 3 || argc == 5)) {
    return RunGrpc(std::stoull(argv[2]), argc == 5 ? argv[3] : "", argc == 5 ? argv[4] : "");
  }
  return Usage();
}
