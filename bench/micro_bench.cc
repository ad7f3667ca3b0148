// Micro costs of the formats and checks every entry passes through: entry
// encoding, the hash chain, head signatures, catalog lookups, period
// parsing and the text checks of an import file. bench/run.sh runs them,
// and BENCHMARKS.md has the recorded figures.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/workload.h"
#include "catalog/catalog.h"
#include "common/period.h"
#include "crypto/crypto.h"
#include "importers/importers.h"
#include "importers/text.h"
#include "proto/entry.h"
#include "proto/record.pb.h"

namespace yreb {
namespace {

// A record body shaped like one row of a monthly long-CSV import.
std::string SampleBody(int i) {
  proto::Record record;
  record.set_indicator("realestate_invest_cum");
  record.set_region("320100");
  record.set_period("2019-M" + std::string(i % 12 < 9 ? "0" : "") + std::to_string(i % 12 + 1));
  record.set_value(std::to_string(1000 + i) + ".37");
  record.set_unit("亿元");
  record.set_measure(proto::MEASURE_KIND_CUMULATIVE);
  record.set_value_kind(proto::VALUE_KIND_LEVEL);
  record.set_status(proto::DATA_STATUS_PRELIMINARY);
  record.set_revision(1);
  record.set_catalog_version(1);
  record.set_import_id(7);
  return record.SerializeAsString();
}

void BM_EntryEncode(benchmark::State& state) {
  std::string body = SampleBody(3);
  crypto::Hash previous{};
  uint64_t sequence = 1;
  for (auto _ : state) {
    std::string encoded = entry::Encode(320000, sequence++, previous, proto::ENTRY_KIND_RECORD,
                                        1700000000000, body);
    benchmark::DoNotOptimize(encoded);
  }
  state.SetBytesProcessed(state.iterations() * (entry::kHeaderSize + body.size()));
}
BENCHMARK(BM_EntryEncode);

void BM_EntryDecode(benchmark::State& state) {
  std::string encoded = entry::Encode(320000, 42, crypto::Hash{}, proto::ENTRY_KIND_RECORD,
                                      1700000000000, SampleBody(3));
  for (auto _ : state) {
    auto view = entry::Decode(encoded);
    benchmark::DoNotOptimize(view);
  }
  state.SetBytesProcessed(state.iterations() * encoded.size());
}
BENCHMARK(BM_EntryDecode);

// Decoding the body as well, which the receiver does to index records.
void BM_EntryDecodeWithRecord(benchmark::State& state) {
  std::string encoded = entry::Encode(320000, 42, crypto::Hash{}, proto::ENTRY_KIND_RECORD,
                                      1700000000000, SampleBody(3));
  for (auto _ : state) {
    auto view = entry::Decode(encoded);
    proto::Record record;
    benchmark::DoNotOptimize(record.ParseFromArray(view->body.data(), view->body.size()));
  }
}
BENCHMARK(BM_EntryDecodeWithRecord);

// One link of the chain: encode the next entry over the previous hash, then
// hash the encoding. Items are entries.
void BM_HashChainLink(benchmark::State& state) {
  std::string body = SampleBody(5);
  crypto::Hash previous{};
  uint64_t sequence = 1;
  for (auto _ : state) {
    std::string encoded = entry::Encode(320000, sequence++, previous, proto::ENTRY_KIND_RECORD,
                                        1700000000000, body);
    previous = entry::HashEntry(encoded);
  }
  benchmark::DoNotOptimize(previous);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HashChainLink);

// Hashing a received range of 1,024 encoded entries, as the receiver does
// before it checks the one head signature.
void BM_HashRange1024(benchmark::State& state) {
  std::vector<std::string> range;
  crypto::Hash previous{};
  for (int i = 0; i < 1024; ++i) {
    range.push_back(entry::Encode(320000, i + 1, previous, proto::ENTRY_KIND_RECORD,
                                  1700000000000, SampleBody(i)));
    previous = entry::HashEntry(range.back());
  }
  for (auto _ : state) {
    crypto::Hash last{};
    for (const std::string& encoded : range) last = entry::HashEntry(encoded);
    benchmark::DoNotOptimize(last);
  }
  state.SetItemsProcessed(state.iterations() * range.size());
}
BENCHMARK(BM_HashRange1024);

void BM_HeadSign(benchmark::State& state) {
  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  crypto::Hash hash = crypto::Sha256("entry");
  uint64_t sequence = 1;
  for (auto _ : state) {
    entry::Head head = entry::SignHead(key, 320000, sequence++, hash);
    benchmark::DoNotOptimize(head);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HeadSign);

void BM_HeadVerify(benchmark::State& state) {
  crypto::PrivateKey key = crypto::PrivateKey::Generate();
  entry::Head head = entry::SignHead(key, 320000, 1024, crypto::Sha256("entry"));
  for (auto _ : state) {
    benchmark::DoNotOptimize(entry::VerifyHead(key.public_key(), head));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HeadVerify);

void BM_CatalogFindIndicator(benchmark::State& state) {
  const catalog::Catalog& catalog = catalog::Catalog::Default();
  std::vector<std::string> codes;
  for (const catalog::Indicator& indicator : catalog.indicators()) codes.push_back(indicator.code);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(catalog.FindIndicator(codes[i++ % codes.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CatalogFindIndicator);

// Lookup by a file's column header, which needs name normalization first.
void BM_CatalogFindIndicatorByName(benchmark::State& state) {
  const catalog::Catalog& catalog = catalog::Catalog::Default();
  for (auto _ : state) {
    benchmark::DoNotOptimize(catalog.FindIndicatorByName("地区生产总值（亿元）"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CatalogFindIndicatorByName);

void BM_CatalogFindRegion(benchmark::State& state) {
  const catalog::Catalog& catalog = catalog::Catalog::Default();
  std::vector<std::string> codes;
  for (const catalog::Region& region : catalog.regions()) codes.push_back(region.code);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(catalog.FindRegion(codes[i++ % codes.size()]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CatalogFindRegion);

void BM_CatalogFindRegionByName(benchmark::State& state) {
  const catalog::Catalog& catalog = catalog::Catalog::Default();
  for (auto _ : state) {
    benchmark::DoNotOptimize(catalog.FindRegionByName("武汉市"));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CatalogFindRegionByName);

// Reading the text of an import file before its rows: encoding detection,
// UTF-8 validation and the mojibake checks, over 200,000 rows of the long
// CSV the end-to-end import uses.
void BM_DecodeLongCsv(benchmark::State& state) {
  std::string text = bench::LongCsv("320000", 0, 200000);
  for (auto _ : state) {
    auto decoded = importers::internal::Decode(text, "bench.csv");
    if (!decoded.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_DecodeLongCsv);

// The two passes of an import over the same 200,000 rows, without the
// node: CheckFile validates every row and finds duplicates, and
// VisitObservations reads the file again and hands each observation on.
// Files of 4 MiB and more are checked in two halves on two threads.
void BM_CheckLongCsv(benchmark::State& state) {
  std::string text = bench::LongCsv("320000", 0, 200000);
  importers::ImportOptions options;
  options.file_name = "bench.csv";
  for (auto _ : state) {
    auto checked = importers::CheckFile(text, options, catalog::Catalog::Default(), "320000");
    if (!checked.ok() || !checked->errors.empty()) state.SkipWithError("check failed");
    benchmark::DoNotOptimize(checked);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 200000));
}
BENCHMARK(BM_CheckLongCsv)->UseRealTime();

void BM_VisitLongCsv(benchmark::State& state) {
  std::string text = bench::LongCsv("320000", 0, 200000);
  importers::ImportOptions options;
  options.file_name = "bench.csv";
  auto checked = importers::CheckFile(text, options, catalog::Catalog::Default(), "320000");
  if (!checked.ok()) {
    state.SkipWithError("check failed");
    return;
  }
  for (auto _ : state) {
    size_t seen = 0;
    absl::Status status =
        importers::VisitObservations(*checked, [&](importers::Observation&& observation) {
          seen += observation.value.size();
          return absl::OkStatus();
        });
    if (!status.ok()) state.SkipWithError("visit failed");
    benchmark::DoNotOptimize(seen);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 200000));
}
BENCHMARK(BM_VisitLongCsv);

void BM_PeriodParseSdmx(benchmark::State& state) {
  const char* texts[] = {"2024", "2024-Q3", "2024-M09", "2024-09"};
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(period::ParseSdmx(texts[i++ % 4]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PeriodParseSdmx);

void BM_PeriodParseChinese(benchmark::State& state) {
  const char* labels[] = {"2023年", "2023年第三季度", "2023年9月", "2023年1-2月"};
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(period::ParseChinesePeriod(labels[i++ % 4]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PeriodParseChinese);

}  // namespace
}  // namespace yreb

BENCHMARK_MAIN();
