// The cell index's two layouts (storage/cell_runs.h): runs for long groups
// of one series, a key per revision otherwise, and reads that merge them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/cell_runs.h"
#include "storage/store.h"
#include "tests/support/process.h"

namespace yreb {
namespace {

using storage::CellRevision;
namespace internal = storage::internal;

constexpr uint32_t kOrigin = 320000;

TEST(CellRunFormatTest, RunKeyParses) {
  std::string key = internal::RunKey(internal::SeriesPrefix("gdp", "320000"), kOrigin, 77);
  std::optional<internal::ParsedCellKey> parsed = internal::ParseCellKey(key);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->is_run);
  EXPECT_EQ(parsed->indicator, "gdp");
  EXPECT_EQ(parsed->region, "320000");
  EXPECT_EQ(parsed->series, std::string("gdp\0"
                                        "320000\0",
                                        11));
  EXPECT_EQ(parsed->origin, kOrigin);
  EXPECT_EQ(parsed->sequence, 77u);
}

TEST(CellRunFormatTest, RevisionKeyParses) {
  std::string key = internal::RevisionKey({"gdp", "320000", "2024-Q3", 4, kOrigin, 90});
  std::optional<internal::ParsedCellKey> parsed = internal::ParseCellKey(key);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->is_run);
  EXPECT_EQ(parsed->period, "2024-Q3");
  EXPECT_EQ(parsed->revision, 4u);
  EXPECT_EQ(parsed->origin, kOrigin);
  EXPECT_EQ(parsed->sequence, 90u);
}

TEST(CellRunFormatTest, RevisionKeyBytes) {
  // docs/FORMATS.md: the cell's names each ended by 0x00, then revision
  // and origin (u32 BE) and sequence (u64 BE).
  std::string key =
      internal::RevisionKey({"gdp", "320000", "2024", 0x01020304, 420000, 0x0A0B0C0D0E0F1011});
  EXPECT_EQ(key, std::string("gdp\0"
                             "320000\0"
                             "2024\0"
                             "\x01\x02\x03\x04"
                             "\x00\x06\x68\xA0"
                             "\x0A\x0B\x0C\x0D\x0E\x0F\x10\x11",
                             32));
}

TEST(CellRunFormatTest, MalformedKeysRejected) {
  EXPECT_FALSE(internal::ParseCellKey("gdp").has_value());
  EXPECT_FALSE(internal::ParseCellKey(std::string("gdp\0"
                                                  "320000\0",
                                                  11))
                   .has_value());
  // A run key one byte short.
  std::string run = internal::RunKey(internal::SeriesPrefix("gdp", "320000"), kOrigin, 77);
  EXPECT_FALSE(internal::ParseCellKey(run.substr(0, run.size() - 1)).has_value());
}

TEST(CellRunFormatTest, ItemsRoundTrip) {
  std::string value;
  internal::AppendRunItem(100, {"2023", 1, 100, 0}, &value);
  internal::AppendRunItem(100, {"2024-M12", 300, 1000, 99}, &value);
  std::vector<internal::RunItem> items;
  ASSERT_TRUE(internal::DecodeRun(100, value, &items));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].period, "2023");
  EXPECT_EQ(items[0].sequence, 100u);
  EXPECT_EQ(items[1].period, "2024-M12");
  EXPECT_EQ(items[1].revision, 300u);
  EXPECT_EQ(items[1].sequence, 1000u);
  EXPECT_EQ(items[1].import_id, 99u);
}

TEST(CellRunFormatTest, DamagedRunsRejected) {
  std::string value;
  internal::AppendRunItem(100, {"2023", 1, 105, 0}, &value);
  std::vector<internal::RunItem> items;
  EXPECT_FALSE(internal::DecodeRun(100, value.substr(0, value.size() - 1), &items));
  EXPECT_FALSE(internal::DecodeRun(100, "", &items));
  // Sequences must rise.
  std::string falling = value;
  internal::AppendRunItem(100, {"2024", 1, 104, 0}, &falling);
  items.clear();
  EXPECT_FALSE(internal::DecodeRun(100, falling, &items));
}

class CellIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::Store::Open(testing::MakeTempDir("cells"), {.create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Puts revision `revision` of `count` annual periods from 2000 of gdp in
  // 320000 by `origin`, at sequences from `first_sequence`, in one batch.
  void PutSeries(int count, uint64_t first_sequence, uint64_t import_id = 0, uint32_t revision = 1,
                 uint32_t origin = kOrigin) {
    storage::Batch batch;
    for (int i = 0; i < count; ++i) {
      batch.PutCell({"gdp", "320000", std::to_string(2000 + i), revision, origin,
                     first_sequence + i, import_id});
    }
    ASSERT_TRUE(store_->Write(batch, false).ok());
  }

  // Removes, in one batch, the revisions PutSeries(20, 100) put at
  // periods 2000 + `first` to 2000 + `last`, as a dropped chain does.
  void RemoveFromSeries(int first, int last) {
    storage::Batch batch;
    for (int i = first; i <= last; ++i) {
      batch.DeleteCell({"gdp", "320000", std::to_string(2000 + i), 1, kOrigin, 100u + i});
    }
    ASSERT_TRUE(store_->Write(batch, false).ok());
  }

  std::vector<std::string> ScannedPeriods() {
    std::vector<std::string> periods;
    EXPECT_TRUE(store_
                    ->ScanCells("gdp", "320000",
                                [&](const CellRevision& cell) {
                                  periods.push_back(cell.period + "/" +
                                                    std::to_string(cell.revision));
                                  return true;
                                })
                    .ok());
    return periods;
  }

  std::unique_ptr<storage::Store> store_;
};

TEST_F(CellIndexTest, LongGroupStoredAsOneKey) {
  PutSeries(20, 100);
  EXPECT_EQ(store_->CellKeyCountForTest(), 1u);
}

TEST_F(CellIndexTest, ShortGroupKeepsKeyPerRevision) {
  PutSeries(15, 100);
  EXPECT_EQ(store_->CellKeyCountForTest(), 15u);
}

TEST_F(CellIndexTest, GroupBrokenByOtherSeries) {
  storage::Batch batch;
  for (int i = 0; i < 20; ++i) {
    batch.PutCell(
        {"gdp", i % 2 == 0 ? "320000" : "320100", std::to_string(2000 + i), 1, kOrigin, 100u + i});
  }
  ASSERT_TRUE(store_->Write(batch, false).ok());
  EXPECT_EQ(store_->CellKeyCountForTest(), 20u);
}

TEST_F(CellIndexTest, GroupSplitAtMaxItems) {
  PutSeries(internal::kCellRunMaxItems + internal::kCellRunMinItems, 100);
  EXPECT_EQ(store_->CellKeyCountForTest(), 2u);
  EXPECT_EQ(ScannedPeriods().size(), internal::kCellRunMaxItems + internal::kCellRunMinItems);
}

TEST_F(CellIndexTest, RevisionFoundInRun) {
  PutSeries(20, 100);
  std::vector<CellRevision> revisions = *store_->GetCellRevisions("gdp", "320000", "2005");
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].indicator, "gdp");
  EXPECT_EQ(revisions[0].region, "320000");
  EXPECT_EQ(revisions[0].period, "2005");
  EXPECT_EQ(revisions[0].origin, kOrigin);
  EXPECT_EQ(revisions[0].sequence, 105u);
  EXPECT_TRUE(store_->GetCellRevisions("gdp", "320000", "2020")->empty());
  EXPECT_TRUE(store_->GetCellRevisions("gdp", "320100", "2005")->empty());
}

TEST_F(CellIndexTest, RunAndKeyRevisionsMerge) {
  PutSeries(20, 100);
  storage::Batch batch;
  batch.PutCell({"gdp", "320000", "2005", 2, kOrigin, 200});
  ASSERT_TRUE(store_->Write(batch, false).ok());

  std::vector<CellRevision> revisions = *store_->GetCellRevisions("gdp", "320000", "2005");
  ASSERT_EQ(revisions.size(), 2u);
  EXPECT_EQ(revisions[0].sequence, 105u);
  EXPECT_EQ(revisions[1].sequence, 200u);

  std::unique_ptr<storage::CellReader> reader = store_->NewCellReader();
  std::vector<CellRevision> read = *reader->Revisions("gdp", "320000", "2005");
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].revision, 1u);
  EXPECT_EQ(read[1].revision, 2u);
  EXPECT_EQ(reader->Revisions("gdp", "320000", "2019")->size(), 1u);

  std::vector<std::string> periods = ScannedPeriods();
  ASSERT_EQ(periods.size(), 21u);
  EXPECT_EQ(periods[0], "2000/1");
  EXPECT_EQ(periods[5], "2005/1");
  EXPECT_EQ(periods[6], "2005/2");
  EXPECT_EQ(periods[20], "2019/1");
}

TEST_F(CellIndexTest, ReaderSeesRunsAfterRefresh) {
  std::unique_ptr<storage::CellReader> reader = store_->NewCellReader();
  EXPECT_TRUE(reader->Revisions("gdp", "320000", "2003")->empty());
  PutSeries(20, 100);
  EXPECT_TRUE(reader->Revisions("gdp", "320000", "2003")->empty());
  ASSERT_TRUE(reader->Refresh().ok());
  EXPECT_EQ(reader->Revisions("gdp", "320000", "2003")->size(), 1u);
}

TEST_F(CellIndexTest, ReaderTellsSeriesApart) {
  // The reader skips the lookups of a series with no key; a region whose
  // code begins another's is a different series.
  storage::Batch batch;
  batch.PutCell({"gdp", "320100", "2019", 1, kOrigin, 10});
  ASSERT_TRUE(store_->Write(batch, false).ok());
  std::unique_ptr<storage::CellReader> reader = store_->NewCellReader();
  EXPECT_TRUE(reader->Revisions("gdp", "32010", "2019")->empty());
  EXPECT_EQ(reader->Revisions("gdp", "320100", "2019")->size(), 1u);
  EXPECT_TRUE(reader->Revisions("gdp", "3201000", "2019")->empty());
  EXPECT_TRUE(reader->Revisions("gd", "320100", "2019")->empty());
  EXPECT_EQ(reader->Revisions("gdp", "320100", "2019")->size(), 1u);
}

TEST_F(CellIndexTest, RunOfImportHiddenUntilCommit) {
  PutSeries(20, 100, /*import_id=*/99);
  EXPECT_TRUE(store_->GetCellRevisions("gdp", "320000", "2001")->empty());
  EXPECT_TRUE(ScannedPeriods().empty());

  storage::Batch batch;
  batch.PutImportCommitted(kOrigin, 99, 120);
  ASSERT_TRUE(store_->Write(batch, false).ok());
  std::vector<CellRevision> revisions = *store_->GetCellRevisions("gdp", "320000", "2001");
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].import_id, 99u);
  EXPECT_EQ(ScannedPeriods().size(), 20u);
}

TEST_F(CellIndexTest, RemovalCutsRun) {
  PutSeries(20, 100);
  RemoveFromSeries(10, 19);
  EXPECT_EQ(store_->CellKeyCountForTest(), 1u);
  EXPECT_EQ(store_->GetCellRevisions("gdp", "320000", "2009")->size(), 1u);
  EXPECT_TRUE(store_->GetCellRevisions("gdp", "320000", "2010")->empty());
  EXPECT_EQ(ScannedPeriods().size(), 10u);
}

TEST_F(CellIndexTest, RemovalOfEveryItemDropsRun) {
  PutSeries(20, 100);
  RemoveFromSeries(0, 19);
  EXPECT_EQ(store_->CellKeyCountForTest(), 0u);
}

TEST_F(CellIndexTest, RemovalLeavesOtherOriginsRun) {
  PutSeries(20, 100);
  PutSeries(20, 100, /*import_id=*/0, /*revision=*/2, /*origin=*/kOrigin + 1);
  storage::Batch batch;
  batch.DeleteCell({"gdp", "320000", "2004", 2, kOrigin + 1, 104});
  ASSERT_TRUE(store_->Write(batch, false).ok());

  std::vector<CellRevision> revisions = *store_->GetCellRevisions("gdp", "320000", "2004");
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].origin, kOrigin);
  EXPECT_EQ(store_->GetCellRevisions("gdp", "320000", "2005")->size(), 2u);
}

TEST_F(CellIndexTest, PutAndRemovalInOneBatchRefused) {
  storage::Batch batch;
  batch.PutCell({"gdp", "320000", "2000", 1, kOrigin, 100});
  batch.DeleteCell({"gdp", "320000", "2001", 1, kOrigin, 101});
  absl::Status status = store_->Write(batch, false);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(store_->CellKeyCountForTest(), 0u);
}

}  // namespace
}  // namespace yreb
