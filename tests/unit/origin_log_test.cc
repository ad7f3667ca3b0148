#include "sync/origin_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <vector>

#include "proto/entry.h"
#include "storage/store.h"
#include "sync/verify.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

constexpr uint32_t kOrigin = 320000;

class OriginLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("log");
    auto store = storage::Store::Open(dir_, {.create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  std::unique_ptr<sync::OriginLog> OpenLog(uint64_t head_interval = 1024) {
    sync::OriginLog::Options options;
    options.head_interval = head_interval;
    options.sync = false;
    auto log = sync::OriginLog::Open(store_.get(), &key_, kOrigin, options);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? std::move(*log) : nullptr;
  }

  std::vector<uint64_t> HeadSequences() {
    std::vector<uint64_t> sequences;
    EXPECT_TRUE(store_->ScanHeads(kOrigin, [&](const entry::Head& head) {
                  sequences.push_back(head.sequence);
                  return true;
                }).ok());
    return sequences;
  }

  std::string dir_;
  crypto::PrivateKey key_ = crypto::PrivateKey::Generate();
  std::unique_ptr<storage::Store> store_;
};

TEST_F(OriginLogTest, SequencesStartAtOneAndChain) {
  auto log = OpenLog();
  std::vector<uint64_t> sequences;
  ASSERT_TRUE(log->Run([&](sync::AppendContext& context) {
                   for (int i = 0; i < 3; ++i) {
                     sequences.push_back(context.Append(proto::ENTRY_KIND_RECORD, "body"));
                   }
                   return absl::OkStatus();
                 }).ok());
  EXPECT_EQ(sequences, (std::vector<uint64_t>{1, 2, 3}));

  crypto::Hash previous{};
  for (uint64_t sequence = 1; sequence <= 3; ++sequence) {
    auto encoded = store_->GetEntry(kOrigin, sequence);
    ASSERT_TRUE(encoded.ok());
    ASSERT_TRUE(encoded->has_value());
    auto view = entry::Decode(**encoded);
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->previous_hash, previous) << "sequence " << sequence;
    previous = entry::HashEntry(**encoded);
  }
  auto tip = store_->GetTip(kOrigin);
  ASSERT_TRUE(tip.ok());
  ASSERT_TRUE(tip->has_value());
  EXPECT_EQ((*tip)->sequence, 3u);
  EXPECT_EQ((*tip)->hash, previous);
  EXPECT_EQ(HeadSequences(), (std::vector<uint64_t>{3}));
}

TEST_F(OriginLogTest, HeadAtIntervalAndGroupEnd) {
  auto log = OpenLog(/*head_interval=*/4);
  ASSERT_TRUE(log->Run([](sync::AppendContext& context) {
                   for (int i = 0; i < 10; ++i) context.Append(proto::ENTRY_KIND_RECORD, "b");
                   return absl::OkStatus();
                 }).ok());
  EXPECT_EQ(HeadSequences(), (std::vector<uint64_t>{4, 8, 10}));

  auto verified = sync::VerifyOriginLog(*store_, kOrigin, key_.public_key(), nullptr);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_EQ(verified->entries_checked, 10u);
  EXPECT_EQ(verified->heads_checked, 3u);
}

TEST_F(OriginLogTest, FailedJobLeavesNoTrace) {
  auto log = OpenLog();
  ASSERT_TRUE(log->Run([](sync::AppendContext& context) {
                   context.Append(proto::ENTRY_KIND_RECORD, "kept");
                   return absl::OkStatus();
                 }).ok());

  // Two jobs in one group: the first fails after appending, the second
  // succeeds and must get the sequence the failed job gave back.
  std::promise<absl::Status> first, second;
  uint64_t second_sequence = 0;
  log->Submit(
      [](sync::AppendContext& context) {
        context.Append(proto::ENTRY_KIND_RECORD, "dropped");
        return absl::InvalidArgumentError("bad input");
      },
      [&](absl::Status status) { first.set_value(status); });
  log->Submit(
      [&](sync::AppendContext& context) {
        second_sequence = context.Append(proto::ENTRY_KIND_RECORD, "second");
        return absl::OkStatus();
      },
      [&](absl::Status status) { second.set_value(status); });
  EXPECT_EQ(first.get_future().get().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(second.get_future().get().ok());
  EXPECT_EQ(second_sequence, 2u);

  auto entry = store_->GetEntry(kOrigin, 2);
  ASSERT_TRUE(entry.ok());
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ(entry::Decode(**entry)->body, "second");
  EXPECT_FALSE(store_->GetEntry(kOrigin, 3)->has_value());
  auto verified = sync::VerifyOriginLog(*store_, kOrigin, key_.public_key(), nullptr);
  EXPECT_TRUE(verified->ok) << verified->problem;
}

TEST_F(OriginLogTest, StartedFlushesStoreEveryChunk) {
  auto log = OpenLog(/*head_interval=*/1024);
  ASSERT_TRUE(log->Run([](sync::AppendContext& context) {
                   for (int i = 1; i <= 10; ++i) {
                     context.Append(proto::ENTRY_KIND_RECORD, "staged");
                     if (i % 3 == 0) {
                       if (absl::Status status = context.StartFlush(); !status.ok()) {
                         return status;
                       }
                     }
                   }
                   return context.Flush();
                 })
                  .ok());
  EXPECT_EQ(HeadSequences(), (std::vector<uint64_t>{3, 6, 9, 10}));
  EXPECT_EQ((*store_->GetTip(kOrigin))->sequence, 10u);
  EXPECT_EQ(log->durable_tip().sequence, 10u);
  auto verified = sync::VerifyOriginLog(*store_, kOrigin, key_.public_key(), nullptr);
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_EQ(verified->entries_checked, 10u);
}

TEST_F(OriginLogTest, FailedStartedFlushDropsLaterAppends) {
  auto log = OpenLog();
  absl::Status job_status;
  absl::Status status = log->Run([&](sync::AppendContext& context) {
    context.Append(proto::ENTRY_KIND_RECORD, "first chunk");
    store_->FailWritesForTest(absl::ResourceExhaustedError("disk full"));
    job_status = context.StartFlush();
    if (!job_status.ok()) return job_status;
    context.Append(proto::ENTRY_KIND_RECORD, "second chunk");
    job_status = context.StartFlush();
    return job_status;
  });
  store_->FailWritesForTest(absl::OkStatus());
  // The write's error reaches the job at its next flush, and the group.
  EXPECT_EQ(job_status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("disk full"), std::string::npos) << status.message();
  EXPECT_FALSE(store_->GetTip(kOrigin)->has_value());
  EXPECT_FALSE(store_->GetEntry(kOrigin, 1)->has_value());
  EXPECT_EQ(log->durable_tip().sequence, 0u);
  EXPECT_TRUE(log->blocked_reason().has_value());
}

TEST_F(OriginLogTest, LostWriteFailsEarlierJobs) {
  auto log = OpenLog();
  // Holds the writer so that the next two jobs form one group.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<absl::Status> holder, put, import;

  log->Submit(
      [&](sync::AppendContext&) {
        released.wait();
        return absl::OkStatus();
      },
      [&](absl::Status status) { holder.set_value(status); });

  log->Submit(
      [](sync::AppendContext& context) {
        context.Append(proto::ENTRY_KIND_RECORD, "a single put");
        return absl::OkStatus();
      },
      [&](absl::Status status) { put.set_value(status); });
  log->Submit(
      [&](sync::AppendContext& context) {
        context.Append(proto::ENTRY_KIND_RECORD, "an import's chunk");
        store_->FailWritesForTest(absl::ResourceExhaustedError("disk full"));
        return context.Flush();
      },
      [&](absl::Status status) { import.set_value(status); });

  release.set_value();
  EXPECT_TRUE(holder.get_future().get().ok());
  // The put's entry was in the batch whose write failed, so it must not be
  // acknowledged as stored.
  EXPECT_EQ(put.get_future().get().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(import.get_future().get().code(), absl::StatusCode::kUnavailable);

  store_->FailWritesForTest(absl::OkStatus());
  EXPECT_FALSE(store_->GetEntry(kOrigin, 1)->has_value());
  EXPECT_FALSE(store_->GetTip(kOrigin)->has_value());
}

TEST_F(OriginLogTest, ReopenContinuesFromTip) {
  {
    auto log = OpenLog();
    ASSERT_TRUE(log->Run([](sync::AppendContext& context) {
                     context.Append(proto::ENTRY_KIND_RECORD, "a");
                     context.Append(proto::ENTRY_KIND_RECORD, "b");
                     return absl::OkStatus();
                   }).ok());
  }
  auto log = OpenLog();
  EXPECT_EQ(log->durable_tip().sequence, 2u);
  uint64_t sequence = 0;
  ASSERT_TRUE(log->Run([&](sync::AppendContext& context) {
                   sequence = context.Append(proto::ENTRY_KIND_RECORD, "c");
                   return absl::OkStatus();
                 }).ok());
  EXPECT_EQ(sequence, 3u);
  EXPECT_TRUE(sync::VerifyOriginLog(*store_, kOrigin, key_.public_key(), nullptr)->ok);
}

TEST_F(OriginLogTest, BlockedLogRejectsAppends) {
  auto log = OpenLog();
  log->BlockAppends("store empty while key exists");
  absl::Status status = log->Run([](sync::AppendContext& context) {
    context.Append(proto::ENTRY_KIND_RECORD, "x");
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "store empty while key exists");
  EXPECT_FALSE(store_->GetTip(kOrigin)->has_value());
}

TEST_F(OriginLogTest, ConcurrentWritersGetDistinctSequences) {
  auto log = OpenLog(/*head_interval=*/64);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  std::atomic<int> failures = 0;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::Status status = log->Run([](sync::AppendContext& context) {
          context.Append(proto::ENTRY_KIND_RECORD, "concurrent");
          return absl::OkStatus();
        });
        if (!status.ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(log->durable_tip().sequence, static_cast<uint64_t>(kThreads * kPerThread));
  auto verified = sync::VerifyOriginLog(*store_, kOrigin, key_.public_key(), nullptr);
  EXPECT_TRUE(verified->ok) << verified->problem;
  EXPECT_EQ(verified->entries_checked, static_cast<uint64_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace yreb

namespace yreb {
namespace {

TEST(StoreBatchTest, RollbackDropsLaterChangesOnly) {
  std::unique_ptr<storage::Store> store =
      *storage::Store::Open(testing::MakeTempDir("batch"), {.create_if_missing = true});
  storage::Batch batch;
  EXPECT_TRUE(batch.empty());
  batch.PutEntry(320000, 1, "first");
  batch.PutMeta("kept", "yes");
  const size_t mark = batch.Mark();
  EXPECT_EQ(batch.entry_count(), 1u);
  EXPECT_EQ(batch.byte_size(), 12u + 5u + 4u + 3u);

  // A value longer than one varint byte can count, and a removal.
  const std::string large(70000, 'x');
  batch.PutEntry(320000, 2, large);
  batch.DeleteMeta("kept");
  EXPECT_EQ(batch.entry_count(), 2u);
  batch.RollbackTo(mark);
  EXPECT_EQ(batch.entry_count(), 1u);
  EXPECT_EQ(batch.byte_size(), 12u + 5u + 4u + 3u);

  batch.PutEntry(320000, 2, large);
  ASSERT_TRUE(store->Write(batch, false).ok());
  EXPECT_EQ(**store->GetEntry(320000, 1), "first");
  EXPECT_EQ(**store->GetEntry(320000, 2), large);
  EXPECT_EQ(**store->GetMeta("kept"), "yes");

  batch.Clear();
  EXPECT_TRUE(batch.empty());
  batch.DeleteMeta("kept");
  batch.DeleteEntriesFrom(320000, 2);
  EXPECT_EQ(batch.entry_count(), 0u);
  ASSERT_TRUE(store->Write(batch, false).ok());
  EXPECT_FALSE(store->GetMeta("kept")->has_value());
  EXPECT_EQ(**store->GetEntry(320000, 1), "first");
  EXPECT_FALSE(store->GetEntry(320000, 2)->has_value());
}

// An entry's stand-in bytes: distinct per origin and sequence, and of varied
// length, so runs close on the byte limit as well as the count.
std::string FakeEntry(uint32_t origin, uint64_t sequence) {
  return std::to_string(origin) + "/" + std::to_string(sequence) +
         std::string(sequence % 7 == 0 ? 3000 : 40, 'e');
}

std::vector<uint64_t> Scanned(const storage::Store& store, uint32_t origin, uint64_t first,
                              size_t limit = 1000) {
  std::vector<uint64_t> sequences;
  absl::Status status =
      store.ScanEntries(origin, first, [&](uint64_t sequence, std::string_view e) {
        EXPECT_EQ(e, FakeEntry(origin, sequence));
        sequences.push_back(sequence);
        return sequences.size() < limit;
      });
  EXPECT_TRUE(status.ok()) << status;
  return sequences;
}

std::vector<uint64_t> Iota(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

class StoreRunsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *storage::Store::Open(testing::MakeTempDir("runs"), {.create_if_missing = true});
    // Origin 320000 gets 200 entries in one batch, its neighbours one each
    // around it, so scans must stop at the origin's edges.
    storage::Batch batch;
    batch.PutEntry(kOrigin - 1, 1, FakeEntry(kOrigin - 1, 1));
    for (uint64_t sequence = 1; sequence <= 200; ++sequence) {
      batch.PutEntry(kOrigin, sequence, FakeEntry(kOrigin, sequence));
      if (sequence % 50 == 0) batch.PutMeta("between/" + std::to_string(sequence), "x");
    }
    batch.PutEntry(kOrigin + 1, 1, FakeEntry(kOrigin + 1, 1));
    ASSERT_TRUE(store_->Write(batch, false).ok());
  }

  void Put(uint64_t first, uint64_t last) {
    storage::Batch batch;
    for (uint64_t sequence = first; sequence <= last; ++sequence) {
      batch.PutEntry(kOrigin, sequence, FakeEntry(kOrigin, sequence));
    }
    ASSERT_TRUE(store_->Write(batch, false).ok());
  }

  void Cut(std::vector<uint64_t> firsts) {
    storage::Batch batch;
    for (uint64_t first : firsts) batch.DeleteEntriesFrom(kOrigin, first);
    ASSERT_TRUE(store_->Write(batch, false).ok());
  }

  std::unique_ptr<storage::Store> store_;
};

TEST_F(StoreRunsTest, EntriesReadByKeyAndScan) {
  for (uint64_t sequence = 1; sequence <= 200; ++sequence) {
    absl::StatusOr<std::optional<std::string>> entry = store_->GetEntry(kOrigin, sequence);
    ASSERT_TRUE(entry.ok()) << sequence;
    ASSERT_TRUE(entry->has_value()) << sequence;
    EXPECT_EQ(**entry, FakeEntry(kOrigin, sequence));
  }
  EXPECT_FALSE(store_->GetEntry(kOrigin, 201)->has_value());
  EXPECT_FALSE(store_->GetEntry(kOrigin, 0)->has_value());
  EXPECT_EQ(**store_->GetEntry(kOrigin + 1, 1), FakeEntry(kOrigin + 1, 1));
  EXPECT_FALSE(store_->GetEntry(kOrigin + 1, 2)->has_value());

  EXPECT_EQ(Scanned(*store_, kOrigin, 1), Iota(1, 200));
  for (uint64_t first : {2, 63, 64, 65, 66, 128, 199, 200}) {
    EXPECT_EQ(Scanned(*store_, kOrigin, first), Iota(first, 200)) << first;
  }
  EXPECT_TRUE(Scanned(*store_, kOrigin, 201).empty());
  EXPECT_EQ(Scanned(*store_, kOrigin, 60, 10), Iota(60, 69));
  EXPECT_EQ(Scanned(*store_, kOrigin - 1, 1), Iota(1, 1));
  EXPECT_EQ(Scanned(*store_, kOrigin + 1, 1), Iota(1, 1));
}

TEST_F(StoreRunsTest, CutKeepsWhatLiesBeforeIt) {
  for (uint64_t cut : {150, 129, 65, 64, 2}) {
    Cut({cut});
    EXPECT_EQ(Scanned(*store_, kOrigin, 1), Iota(1, cut - 1)) << cut;
    EXPECT_FALSE(store_->GetEntry(kOrigin, cut)->has_value()) << cut;
    EXPECT_EQ(**store_->GetEntry(kOrigin, cut - 1), FakeEntry(kOrigin, cut - 1)) << cut;
  }
  // The log grows again from the cut, and other origins never moved.
  Put(2, 90);
  EXPECT_EQ(Scanned(*store_, kOrigin, 1), Iota(1, 90));
  EXPECT_EQ(Scanned(*store_, kOrigin, 45), Iota(45, 90));
  EXPECT_EQ(Scanned(*store_, kOrigin - 1, 1), Iota(1, 1));
  EXPECT_EQ(Scanned(*store_, kOrigin + 1, 1), Iota(1, 1));
  Cut({1});
  EXPECT_TRUE(Scanned(*store_, kOrigin, 1).empty());
  EXPECT_EQ(Scanned(*store_, kOrigin + 1, 1), Iota(1, 1));
}

TEST_F(StoreRunsTest, LowestCutOfABatchWins) {
  Cut({150, 120, 170});
  EXPECT_EQ(Scanned(*store_, kOrigin, 1), Iota(1, 119));
}

TEST_F(StoreRunsTest, EntriesOfSeparateWritesJoin) {
  Cut({101});
  Put(101, 101);
  Put(102, 103);
  Put(104, 104);
  EXPECT_EQ(Scanned(*store_, kOrigin, 99), Iota(99, 104));
  EXPECT_EQ(**store_->GetEntry(kOrigin, 103), FakeEntry(kOrigin, 103));
}

TEST_F(StoreRunsTest, DamageIsReportedNotSkipped) {
  // One entry inside a run changes and its neighbours stay.
  ASSERT_TRUE(store_->CorruptEntryForTest(kOrigin, 70, "altered").ok());
  EXPECT_EQ(**store_->GetEntry(kOrigin, 70), "altered");
  EXPECT_EQ(**store_->GetEntry(kOrigin, 69), FakeEntry(kOrigin, 69));
  EXPECT_EQ(**store_->GetEntry(kOrigin, 71), FakeEntry(kOrigin, 71));

  // A stored value that claims to be a run but is cut short.
  ASSERT_TRUE(store_
                  ->CorruptEntryForTest(kOrigin + 1, 1,
                                        std::string("\xB5\x05"
                                                    "ab"))
                  .ok());
  absl::StatusOr<std::optional<std::string>> damaged = store_->GetEntry(kOrigin + 1, 1);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(damaged.status().message(),
            "stored entries of origin 320001 from sequence 1 are damaged");

  // A run mark with no entry after it.
  ASSERT_TRUE(store_->CorruptEntryForTest(kOrigin - 1, 1, std::string("\xB5")).ok());
  damaged = store_->GetEntry(kOrigin - 1, 1);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss);
}

// Sums the sizes of the write-ahead log files in a database directory.
uint64_t WalBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    if (file.path().extension() == ".log") total += file.file_size();
  }
  return total;
}

TEST(StoreWalTest, LogsBoundedWhenTipsRarelyFlush) {
  // A receiver writes megabytes of entries per tip. Here the tips family
  // never fills a memtable, and without the bound its data pinned every log.
  std::string dir = testing::MakeTempDir("wal");
  std::unique_ptr<storage::Store> store = *storage::Store::Open(dir, {.create_if_missing = true});
  std::string entry(1024, 'e');
  uint64_t sequence = 0;
  for (int batch_index = 0; batch_index < 200; ++batch_index) {
    storage::Batch batch;
    for (int i = 0; i < 1000; ++i) batch.PutEntry(kOrigin, ++sequence, entry);
    batch.PutTip({kOrigin, sequence, {}});
    ASSERT_TRUE(store->Write(batch, false).ok());
  }
  // 200 MiB were written. The bound is 128 MiB plus the log being written.
  EXPECT_LT(WalBytes(dir), uint64_t{160} << 20);
}

TEST(StoreWalTest, CleanCloseLeavesNoLogToReplay) {
  std::string dir = testing::MakeTempDir("close");
  {
    std::unique_ptr<storage::Store> store = *storage::Store::Open(dir, {.create_if_missing = true});
    storage::Batch batch;
    for (uint64_t sequence = 1; sequence <= 1000; ++sequence) {
      batch.PutEntry(kOrigin, sequence, std::string(1024, 'e'));
    }
    batch.PutTip({kOrigin, 1000, {}});
    ASSERT_TRUE(store->Write(batch, false).ok());
    ASSERT_GT(WalBytes(dir), 1000u * 1024);
  }
  EXPECT_EQ(WalBytes(dir), 0u);
  std::unique_ptr<storage::Store> store = *storage::Store::Open(dir, {});
  EXPECT_EQ((*store->GetTip(kOrigin))->sequence, 1000u);
}

TEST(StoreCellsTest, RevisionsOfOnePeriodOnly) {
  std::unique_ptr<storage::Store> store =
      *storage::Store::Open(testing::MakeTempDir("cells"), {.create_if_missing = true});
  storage::Batch batch;
  // Neighbours on both sides, and a period that starts with the wanted one.
  for (const char* period : {"2018", "2019", "2019-M01", "2020"}) {
    batch.PutCell({"gdp", "320000", period, 1, 320000, 10});
  }
  batch.PutCell({"gdp", "320000", "2019", 2, 320000, 20});
  batch.PutCell({"gdp", "320100", "2019", 1, 320000, 30});
  ASSERT_TRUE(store->Write(batch, false).ok());

  std::vector<storage::CellRevision> revisions = *store->GetCellRevisions("gdp", "320000", "2019");
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(revisions[0].revision, 1u);
  EXPECT_EQ(revisions[0].sequence, 10u);
  EXPECT_EQ(revisions[1].revision, 2u);
  EXPECT_EQ(revisions[1].sequence, 20u);
  EXPECT_EQ(store->GetCellRevisions("gdp", "320000", "2019-M01")->size(), 1u);
  EXPECT_TRUE(store->GetCellRevisions("gdp", "320000", "2021")->empty());
  EXPECT_TRUE(store->GetCellRevisions("gdp", "320000", "")->empty());
}

TEST(StoreCellsTest, ImportRevisionsNeedTheirCommit) {
  std::string dir = testing::MakeTempDir("marks");
  {
    std::unique_ptr<storage::Store> store = *storage::Store::Open(dir, {.create_if_missing = true});
    storage::Batch batch;
    batch.PutCell({"gdp", "320000", "2019", 1, 320000, 10});
    batch.PutCell({"gdp", "320000", "2019", 2, 320000, 21, /*import_id=*/20});
    batch.PutCell({"gdp", "320000", "2020", 1, 320000, 22, /*import_id=*/20});
    ASSERT_TRUE(store->Write(batch, false).ok());
    EXPECT_EQ(store->GetCellRevisions("gdp", "320000", "2019")->size(), 1u);
    int scanned = 0;
    ASSERT_TRUE(store->ScanCells("gdp", "320000", [&](const storage::CellRevision&) {
                       ++scanned;
                       return true;
                     }).ok());
    EXPECT_EQ(scanned, 1);
    EXPECT_FALSE(store->IsImportCommitted(320000, 20));

    batch.Clear();
    batch.PutImportCommitted(320000, 20, 23);
    ASSERT_TRUE(store->Write(batch, false).ok());
    std::vector<storage::CellRevision> revisions =
        *store->GetCellRevisions("gdp", "320000", "2019");
    ASSERT_EQ(revisions.size(), 2u);
    EXPECT_EQ(revisions[1].sequence, 21u);
    EXPECT_EQ(revisions[1].import_id, 20u);
    EXPECT_EQ(revisions[0].import_id, 0u);
    // Another origin's import of the same id stays hidden.
    EXPECT_FALSE(store->IsImportCommitted(420000, 20));
  }
  {
    // The markers are read back on open.
    std::unique_ptr<storage::Store> store = *storage::Store::Open(dir, {});
    EXPECT_EQ(store->GetCellRevisions("gdp", "320000", "2020")->size(), 1u);
    storage::Batch batch;
    batch.DeleteImportCommitted(320000, 20);
    ASSERT_TRUE(store->Write(batch, false).ok());
    EXPECT_TRUE(store->GetCellRevisions("gdp", "320000", "2020")->empty());
  }
  std::unique_ptr<storage::Store> store = *storage::Store::OpenReadOnly(dir);
  EXPECT_TRUE(store->GetCellRevisions("gdp", "320000", "2020")->empty());
  EXPECT_EQ(store->GetCellRevisions("gdp", "320000", "2019")->size(), 1u);
}

TEST(StoreCellsTest, ReaderUpdatesOnRefresh) {
  std::unique_ptr<storage::Store> store =
      *storage::Store::Open(testing::MakeTempDir("reader"), {.create_if_missing = true});
  storage::Batch batch;
  batch.PutCell({"gdp", "320000", "2019", 1, 320000, 10});
  ASSERT_TRUE(store->Write(batch, false).ok());
  std::unique_ptr<storage::CellReader> reader = store->NewCellReader();
  EXPECT_EQ(reader->Revisions("gdp", "320000", "2019")->size(), 1u);

  batch.Clear();
  batch.PutCell({"gdp", "320000", "2019", 2, 320000, 11});
  batch.PutCell({"gdp", "320000", "2020", 1, 320000, 12});
  ASSERT_TRUE(store->Write(batch, false).ok());
  EXPECT_EQ(reader->Revisions("gdp", "320000", "2019")->size(), 1u);
  EXPECT_TRUE(reader->Revisions("gdp", "320000", "2020")->empty());
  EXPECT_EQ(store->GetCellRevisions("gdp", "320000", "2019")->size(), 2u);

  ASSERT_TRUE(reader->Refresh().ok());
  std::vector<storage::CellRevision> revisions = *reader->Revisions("gdp", "320000", "2019");
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(revisions[1].sequence, 11u);
  EXPECT_EQ(reader->Revisions("gdp", "320000", "2020")->size(), 1u);
  // Lookups in any order through the one iterator.
  EXPECT_EQ(reader->Revisions("gdp", "320000", "2019")->size(), 2u);
  EXPECT_TRUE(reader->Revisions("gdp", "320000", "2018")->empty());
}

}  // namespace
}  // namespace yreb
