// A node's RocksDB database: origin-log entries, signed heads, the version
// vector and the cell index, in separate column families.
//
// Every change goes through Store::Write with a Batch, so entries, the heads
// that cover them, the version vector and the index move together: a crash at
// any instant leaves them consistent.
#ifndef YREB_STORAGE_STORE_H_
#define YREB_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "crypto/crypto.h"
#include "proto/entry.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Iterator;
class WriteBatch;
}  // namespace rocksdb

namespace yreb::storage::internal {
struct ParsedCellKey;
struct RunItem;
}  // namespace yreb::storage::internal

namespace yreb::storage {

// The newest entry of one origin held by this store.
struct Tip {
  uint32_t origin = 0;
  uint64_t sequence = 0;
  crypto::Hash hash{};
};

// One revision of a cell (indicator, region, period) in the index.
struct CellRevision {
  std::string indicator;
  std::string region;
  std::string period;
  uint32_t revision = 0;
  uint32_t origin = 0;
  uint64_t sequence = 0;
  // The import the record belongs to, 0 for a single put. A revision of an
  // import is indexed as its record is stored, and reads skip it until the
  // import's commit is stored (PutImportCommitted).
  uint64_t import_id = 0;
};

// A group of changes applied atomically by Store::Write.
class Batch {
 public:
  Batch();
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Entries of an origin are put in sequence order past those stored (or
  // past a DeleteEntriesFrom). Consecutive entries of one batch are stored
  // together in runs, see store.cc.
  void PutEntry(uint32_t origin, uint64_t sequence, std::string_view encoded);
  void PutHead(const entry::Head& head);
  void PutTip(const Tip& tip);
  void PutCell(const CellRevision& cell);
  // Indexes a cell revision as PutCell(const CellRevision&) does, from
  // names a writer has as views, without copying them into a CellRevision.
  void PutCell(std::string_view indicator, std::string_view region, std::string_view period,
               uint32_t revision, uint32_t origin, uint64_t sequence, uint64_t import_id);
  void PutMeta(std::string_view key, std::string_view value);
  void DeleteMeta(std::string_view key);
  // Marks import `import_id` of `origin` as committed by the entry at
  // `commit_sequence`, which makes the index show its revisions.
  void PutImportCommitted(uint32_t origin, uint64_t import_id, uint64_t commit_sequence);
  // Removals, for a fork resolution that drops the entries of a losing
  // chain. Removing a key that is not stored changes nothing.
  //
  // Removes entry `first_sequence` of `origin` and every later entry of it.
  // Store::Write reads the stored log to do this, so no other write of the
  // origin's entries may run at the same time, and the batch should put no
  // entries of the origin.
  void DeleteEntriesFrom(uint32_t origin, uint64_t first_sequence);
  void DeleteHead(uint32_t origin, uint64_t sequence);
  void DeleteTip(uint32_t origin);
  void DeleteCell(const CellRevision& cell);
  void DeleteImportCommitted(uint32_t origin, uint64_t import_id);

  // Returns a mark for RollbackTo: the changes added so far.
  size_t Mark() const { return data_.size(); }
  // Drops every change added after `mark` was taken.
  void RollbackTo(size_t mark);

  size_t entry_count() const { return entry_count_; }
  bool empty() const { return data_.empty(); }
  void Clear();
  // Returns the bytes of the keys and values added.
  size_t byte_size() const { return byte_size_; }

 private:
  friend class Store;
  struct Op {
    int family = 0;
    bool is_delete = false;
    std::string_view key;
    std::string_view value;
  };
  void Add(int family, bool is_delete, std::string_view key, std::string_view value);
  // Decodes the change at `*offset` and moves the offset past it.
  Op Next(size_t* offset) const;

  // The changes in order, each as: family | 0x80 when a removal (1 byte),
  // key length (varint), key, value length (varint), value. One buffer keeps
  // a range of a million changes to tens of bytes each.
  std::string data_;
  std::string cell_key_;  // PutCell's key, kept for its buffer
  size_t entry_count_ = 0;
  size_t byte_size_ = 0;
};

class Store;

// Looks up the revisions of many cells in a row through RocksDB iterators
// made once, which saves making them per lookup. It reads the index as it
// was when made or last refreshed. Refresh also releases the memtables it
// pins.
class CellReader {
 public:
  ~CellReader();
  // As Store::GetCellRevisions.
  absl::StatusOr<std::vector<CellRevision>> Revisions(std::string_view indicator,
                                                      std::string_view region,
                                                      std::string_view period);
  absl::Status Refresh();

 private:
  friend class Store;
  CellReader(const Store* store, std::unique_ptr<rocksdb::Iterator> it,
             std::unique_ptr<rocksdb::Iterator> series_it);
  // A revision the cell index keeps in a run.
  struct RunRevision {
    std::string period;
    uint32_t revision = 0;
    uint32_t origin = 0;
    uint64_t sequence = 0;
    uint64_t import_id = 0;
  };
  const Store* store_;
  // Reads one cell's keys through the prefix filters.
  std::unique_ptr<rocksdb::Iterator> it_;
  // Reads in whole key order, to find whether a series has any key.
  std::unique_ptr<rocksdb::Iterator> series_it_;
  // The series last looked up ("indicator\0region\0"), whether the index
  // contains any key of it, and the revisions its runs contain, ordered by
  // period.
  std::string series_;
  bool series_present_ = false;
  std::vector<RunRevision> runs_;
};

class Store {
 public:
  struct Options {
    bool create_if_missing = false;
  };

  // Opens the database at `path`. Fails with NotFound when it does not exist
  // and create_if_missing is false, and with FailedPrecondition when another
  // process holds it.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const Options& options);
  // Opens the database at `path` for reading only: nothing in the directory
  // changes and no lock is taken, so it suits a checkpoint or a backup copy.
  // Fails with NotFound when no database is there.
  static absl::StatusOr<std::unique_ptr<Store>> OpenReadOnly(const std::string& path);
  ~Store();

  // Applies `batch` atomically; with `sync` the write-ahead log is on disk
  // before this returns.
  absl::Status Write(const Batch& batch, bool sync);

  absl::StatusOr<std::optional<std::string>> GetEntry(uint32_t origin, uint64_t sequence) const;
  absl::StatusOr<std::optional<entry::Head>> GetHead(uint32_t origin, uint64_t sequence) const;
  absl::StatusOr<std::optional<Tip>> GetTip(uint32_t origin) const;
  // Returns the version vector: one tip per origin, ordered by origin.
  absl::StatusOr<std::vector<Tip>> GetTips() const;
  absl::StatusOr<std::optional<std::string>> GetMeta(std::string_view key) const;
  // Meta key prefix of the import commit markers, followed by origin (u32
  // BE) and import id (u64 BE). The value is the commit's sequence (u64 BE).
  static constexpr std::string_view kImportCommittedPrefix = "import-committed/";
  // Returns whether the commit of import `import_id` of `origin` is stored.
  bool IsImportCommitted(uint32_t origin, uint64_t import_id) const;

  // Calls `visit` for each entry of `origin` from `first_sequence` on, in
  // order, until it returns false.
  absl::Status ScanEntries(
      uint32_t origin, uint64_t first_sequence,
      const std::function<bool(uint64_t sequence, std::string_view encoded)>& visit) const;
  // Calls `visit` for each stored head of `origin` from `first_sequence` on,
  // in order, until it returns false.
  absl::Status ScanHeads(uint32_t origin,
                         const std::function<bool(const entry::Head& head)>& visit,
                         uint64_t first_sequence = 1) const;
  // Calls `visit` for each meta key starting with `prefix`, in key order.
  absl::Status ScanMeta(std::string_view prefix,
                        const std::function<bool(std::string_view key, std::string_view value)>&
                            visit) const;

  // Returns every revision of the cell, lowest revision first. Revisions of
  // imports whose commit is not stored are left out, here and in ScanCells.
  absl::StatusOr<std::vector<CellRevision>> GetCellRevisions(std::string_view indicator,
                                                             std::string_view region,
                                                             std::string_view period) const;
  std::unique_ptr<CellReader> NewCellReader() const;
  // Calls `visit` for every cell revision of `indicator` (and `region` when not
  // empty), ordered by region, period and revision.
  absl::Status ScanCells(std::string_view indicator, std::string_view region,
                         const std::function<bool(const CellRevision& cell)>& visit) const;

  // Writes raw bytes under an entry key, bypassing every check. For tests
  // that simulate disk corruption only.
  absl::Status CorruptEntryForTest(uint32_t origin, uint64_t sequence, std::string_view bytes);
  // Makes every later Write fail with `status` and store nothing, as a full
  // disk would; OkStatus ends it. For tests only.
  void FailWritesForTest(absl::Status status);

  // Returns the number of keys in the cell index (runs and revision keys).
  // For tests only.
  size_t CellKeyCountForTest() const;

  // Returns the approximate size of the live data files in bytes.
  uint64_t ApproximateSize() const;

  // Writes a consistent copy of the database to `dir` (a RocksDB checkpoint)
  // while writes go on: immutable files are hard-linked when `dir` is on the
  // same file system, and copied otherwise. REQUIRES: `dir` does not exist
  // and its parent does.
  absl::Status CreateCheckpoint(const std::string& dir);

 private:
  friend class CellReader;
  Store() = default;
  rocksdb::ColumnFamilyHandle* Family(int id) const;
  // Collects the visible revisions of one cell through `it`, which must
  // read the cells family with prefix_same_as_start.
  absl::StatusOr<std::vector<CellRevision>> RevisionsAt(rocksdb::Iterator* it,
                                                        std::string_view indicator,
                                                        std::string_view region,
                                                        std::string_view period) const;
  // Calls `visit` for each revision in the runs of a series, visible or not.
  absl::Status ReadRuns(rocksdb::Iterator* it, std::string_view indicator, std::string_view region,
                        const std::function<void(const internal::ParsedCellKey& run,
                                                 const internal::RunItem& item)>& visit) const;
  // Appends the visible revisions of one cell that have keys of their own.
  absl::Status ReadRevisionKeys(rocksdb::Iterator* it, std::string_view indicator,
                                std::string_view region, std::string_view period,
                                std::vector<CellRevision>* out) const;
  // Takes `revision` out of the run of the cell index that contains it, if
  // any, recording the run's new value in `cut_runs`.
  absl::Status CutCellRun(const internal::ParsedCellKey& revision, rocksdb::Iterator* it,
                          std::map<std::string, std::string>* cut_runs);
  absl::Status LoadImportMarks();
  // Adds to `write_batch` the removal of entry `first` of `origin` and of
  // every later entry, rewriting the run that contains `first`.
  absl::Status CutLog(uint32_t origin, uint64_t first, rocksdb::WriteBatch* write_batch);
  // Returns false for a revision of an import whose commit is not stored.
  bool Visible(const CellRevision& cell) const;

  std::unique_ptr<rocksdb::DB> db_;
  bool read_only_ = false;
  mutable std::mutex write_failure_mu_;
  absl::Status write_failure_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;
  // (origin, import id) of every stored import commit. A few per import, so
  // it stays small; kept in memory so that index reads need no extra lookup.
  mutable std::mutex marks_mu_;
  std::set<std::pair<uint32_t, uint64_t>> committed_imports_;  // guarded by marks_mu_
};

}  // namespace yreb::storage

#endif  // YREB_STORAGE_STORE_H_
