#include "storage/store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

#include "common/big_endian.h"
#include "i18n/i18n.h"
#include "storage/cell_runs.h"

namespace yreb::storage {
namespace {

using i18n::Tr;

// Column family ids, in the order of kFamilyNames.
enum Family : int { kMeta = 0, kEntries, kHeads, kTips, kCells, kFamilyCount };
const char* const kFamilyNames[kFamilyCount] = {"default", "entries", "heads", "tips", "cells"};

// Entry and head keys: origin (u32 BE) || sequence (u64 BE), so a prefix scan
// over one origin walks its log in order.
std::string LogKey(uint32_t origin, uint64_t sequence) {
  std::string key;
  PutBigEndian(&key, origin, 4);
  PutBigEndian(&key, sequence, 8);
  return key;
}

std::string OriginKey(uint32_t origin) {
  std::string key;
  PutBigEndian(&key, origin, 4);
  return key;
}

// Decodes a revision key and its value (see cell_runs.h).
std::optional<CellRevision> DecodeCell(std::string_view key, std::string_view value) {
  std::optional<internal::ParsedCellKey> parsed = internal::ParseCellKey(key);
  if (!parsed.has_value() || parsed->is_run) return std::nullopt;
  CellRevision cell;
  cell.indicator = std::string(parsed->indicator);
  cell.region = std::string(parsed->region);
  cell.period = std::string(parsed->period);
  cell.revision = parsed->revision;
  cell.origin = parsed->origin;
  cell.sequence = parsed->sequence;
  if (value.size() == 8) {
    cell.import_id = GetBigEndian(value.data(), 8);
  } else if (!value.empty()) {
    return std::nullopt;
  }
  return cell;
}

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  std::string message = Tr("RocksDB {} failed: {}", what, status.ToString());
  if (status.IsNoSpace()) return absl::ResourceExhaustedError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  if (status.IsIOError() &&
      status.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(message);
  }
  return absl::InternalError(message);
}

}  // namespace

Batch::Batch() = default;
Batch::~Batch() = default;

namespace {

size_t GetVarint(std::string_view data, size_t* offset) {
  size_t value = 0;
  for (int shift = 0;; shift += 7) {
    auto byte = static_cast<unsigned char>(data[(*offset)++]);
    value |= static_cast<size_t>(byte & 0x7F) << shift;
    if (byte < 0x80) return value;
  }
}

// The entries family stores each origin's log in runs of consecutive
// entries, keyed by the LogKey of a run's first entry. A run of one entry is
// stored as the entry itself. A longer run is stored as kRunMark followed by,
// for each entry in sequence order, its length (varint) and its bytes. An
// entry encoding begins with its format version, which is never kRunMark.
//
// One key per run instead of per entry: the memtable insert and the table
// file bookkeeping of a key cost more than copying an entry's bytes, and
// storing a received range was bound by them.
constexpr char kRunMark = '\xB5';
static_assert(entry::kFormatVersion != static_cast<uint8_t>(kRunMark));
constexpr size_t kRunMaxEntries = 64;
constexpr size_t kRunMaxBytes = 16 * 1024;

enum class RunWalk { kDone, kStopped, kDamaged };

// Calls visit(sequence, encoded) for each entry of the run stored under the
// sequence `first`, until visit returns false.
template <typename Visit>
RunWalk ForEachInRun(uint64_t first, std::string_view value, Visit&& visit) {
  if (value.empty() || value[0] != kRunMark) {
    return visit(first, value) ? RunWalk::kDone : RunWalk::kStopped;
  }
  if (value.size() == 1) return RunWalk::kDamaged;
  size_t at = 1;
  for (uint64_t sequence = first; at < value.size(); ++sequence) {
    uint64_t size = 0;
    int shift = 0;
    for (;; shift += 7) {
      if (at >= value.size() || shift > 28) return RunWalk::kDamaged;
      auto byte = static_cast<unsigned char>(value[at++]);
      size |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (byte < 0x80) break;
    }
    if (size > value.size() - at) return RunWalk::kDamaged;
    if (!visit(sequence, value.substr(at, size))) return RunWalk::kStopped;
    at += size;
  }
  return RunWalk::kDone;
}

// Collects the entries one Store::Write puts for one origin into runs.
class RunBuilder {
 public:
  bool empty() const { return count_ == 0; }
  // Returns whether `sequence` can extend the run.
  bool Extends(uint64_t sequence) const {
    return count_ > 0 && sequence == first_ + count_ && count_ < kRunMaxEntries &&
           bytes_ < kRunMaxBytes;
  }
  // Starts a new run at `sequence`. The run refers to `encoded` until a
  // second entry is added, so the bytes must outlive the run.
  void Start(uint64_t sequence, std::string_view encoded) {
    first_ = sequence;
    count_ = 1;
    bytes_ = encoded.size();
    single_ = encoded;
    value_.clear();
  }
  // Adds the entry after the run's last one. REQUIRES: !empty().
  void Add(std::string_view encoded) {
    if (count_ == 1) {
      value_.push_back(kRunMark);
      AddBytes(single_);
    }
    AddBytes(encoded);
    ++count_;
  }
  // Starts the run with the entry when it is empty, or adds it.
  void Append(uint64_t sequence, std::string_view encoded) {
    if (empty()) {
      Start(sequence, encoded);
    } else {
      Add(encoded);
    }
  }
  uint64_t first() const { return first_; }
  // Returns the value to store, valid until the next Start.
  std::string_view value() const { return count_ == 1 ? single_ : std::string_view(value_); }
  void Clear() { count_ = 0; }

 private:
  void AddBytes(std::string_view encoded) {
    internal::PutVarint64(&value_, encoded.size());
    value_.append(encoded);
    bytes_ += encoded.size();
  }
  uint64_t first_ = 0;
  size_t count_ = 0;
  size_t bytes_ = 0;
  std::string_view single_;
  std::string value_;
};

// Collects consecutive revisions of one series and origin that one
// Store::Write puts, and stores them as a run when there are enough of
// them (see cell_runs.h).
class CellGroup {
 public:
  // Returns whether the revision under `key` can join the group.
  bool Extends(const internal::ParsedCellKey& key) const {
    return !items_.empty() && key.origin == origin_ && key.series == series_ &&
           key.sequence > items_.back().item.sequence &&
           items_.size() < internal::kCellRunMaxItems && bytes_ < internal::kCellRunMaxBytes;
  }
  // Adds a revision. The views must stay valid until Flush.
  void Add(const internal::ParsedCellKey& key, std::string_view raw_key,
           std::string_view raw_value) {
    if (items_.empty()) {
      series_ = key.series;
      origin_ = key.origin;
      bytes_ = 0;
    }
    Item item;
    item.item.period = key.period;
    item.item.revision = key.revision;
    item.item.sequence = key.sequence;
    item.item.import_id = raw_value.size() == 8 ? GetBigEndian(raw_value.data(), 8) : 0;
    item.key = raw_key;
    item.value = raw_value;
    items_.push_back(item);
    bytes_ += key.period.size() + 8;
  }
  // Puts the group into `write_batch` and empties it.
  void Flush(rocksdb::WriteBatch* write_batch, rocksdb::ColumnFamilyHandle* family) {
    if (items_.size() >= internal::kCellRunMinItems) {
      uint64_t first = items_.front().item.sequence;
      value_.clear();
      for (const Item& item : items_) internal::AppendRunItem(first, item.item, &value_);
      write_batch->Put(family, internal::RunKey(series_, origin_, first), value_);
    } else {
      for (const Item& item : items_) {
        write_batch->Put(family, rocksdb::Slice(item.key.data(), item.key.size()),
                         rocksdb::Slice(item.value.data(), item.value.size()));
      }
    }
    items_.clear();
  }

 private:
  struct Item {
    internal::RunItem item;
    std::string_view key;
    std::string_view value;
  };
  std::string_view series_;
  uint32_t origin_ = 0;
  size_t bytes_ = 0;
  std::vector<Item> items_;
  std::string value_;
};

absl::Status DamagedRun(uint32_t origin, uint64_t first) {
  return absl::DataLossError(
      Tr("stored entries of origin {} from sequence {} are damaged", origin, first));
}

}  // namespace

void Batch::Add(int family, bool is_delete, std::string_view key, std::string_view value) {
  data_.push_back(static_cast<char>(family | (is_delete ? 0x80 : 0)));
  internal::PutVarint64(&data_, key.size());
  data_.append(key);
  internal::PutVarint64(&data_, value.size());
  data_.append(value);
  byte_size_ += key.size() + value.size();
  if (family == kEntries && !is_delete) ++entry_count_;
}

Batch::Op Batch::Next(size_t* offset) const {
  Op op;
  auto head = static_cast<unsigned char>(data_[(*offset)++]);
  op.family = head & 0x7F;
  op.is_delete = (head & 0x80) != 0;
  size_t key_size = GetVarint(data_, offset);
  op.key = std::string_view(data_).substr(*offset, key_size);
  *offset += key_size;
  size_t value_size = GetVarint(data_, offset);
  op.value = std::string_view(data_).substr(*offset, value_size);
  *offset += value_size;
  return op;
}

void Batch::PutEntry(uint32_t origin, uint64_t sequence, std::string_view encoded) {
  Add(kEntries, false, LogKey(origin, sequence), encoded);
}

void Batch::PutHead(const entry::Head& head) {
  Add(kHeads, false, LogKey(head.origin, head.sequence), entry::EncodeHeadValue(head));
}

void Batch::PutTip(const Tip& tip) {
  std::string value;
  PutBigEndian(&value, tip.sequence, 8);
  value.append(crypto::AsBytes(tip.hash));
  Add(kTips, false, OriginKey(tip.origin), value);
}

void Batch::PutCell(const CellRevision& cell) {
  PutCell(cell.indicator, cell.region, cell.period, cell.revision, cell.origin, cell.sequence,
          cell.import_id);
}

void Batch::PutCell(std::string_view indicator, std::string_view region, std::string_view period,
                    uint32_t revision, uint32_t origin, uint64_t sequence, uint64_t import_id) {
  cell_key_.clear();
  internal::AppendRevisionKey(indicator, region, period, revision, origin, sequence, &cell_key_);
  // A single put has no import: an empty value.
  if (import_id == 0) {
    Add(kCells, false, cell_key_, "");
    return;
  }
  char value[8];
  for (int i = 7; i >= 0; --i) {
    value[i] = static_cast<char>(import_id & 0xff);
    import_id >>= 8;
  }
  Add(kCells, false, cell_key_, std::string_view(value, 8));
}

namespace {

std::string ImportMarkKey(uint32_t origin, uint64_t import_id) {
  std::string key(Store::kImportCommittedPrefix);
  PutBigEndian(&key, origin, 4);
  PutBigEndian(&key, import_id, 8);
  return key;
}

// Returns the (origin, import id) a marker key names, or nullopt for
// another meta key.
std::optional<std::pair<uint32_t, uint64_t>> ParseImportMarkKey(std::string_view key) {
  std::string_view prefix = Store::kImportCommittedPrefix;
  if (key.size() != prefix.size() + 12 || !key.starts_with(prefix)) return std::nullopt;
  return std::make_pair(static_cast<uint32_t>(GetBigEndian(key.data() + prefix.size(), 4)),
                        GetBigEndian(key.data() + prefix.size() + 4, 8));
}

}  // namespace

void Batch::PutImportCommitted(uint32_t origin, uint64_t import_id, uint64_t commit_sequence) {
  std::string value;
  PutBigEndian(&value, commit_sequence, 8);
  Add(kMeta, false, ImportMarkKey(origin, import_id), value);
}

void Batch::DeleteImportCommitted(uint32_t origin, uint64_t import_id) {
  Add(kMeta, true, ImportMarkKey(origin, import_id), "");
}

void Batch::PutMeta(std::string_view key, std::string_view value) {
  Add(kMeta, false, key, value);
}

void Batch::DeleteMeta(std::string_view key) { Add(kMeta, true, key, ""); }

void Batch::DeleteEntriesFrom(uint32_t origin, uint64_t first_sequence) {
  Add(kEntries, true, LogKey(origin, first_sequence), "");
}

void Batch::DeleteHead(uint32_t origin, uint64_t sequence) {
  Add(kHeads, true, LogKey(origin, sequence), "");
}

void Batch::DeleteTip(uint32_t origin) { Add(kTips, true, OriginKey(origin), ""); }

void Batch::DeleteCell(const CellRevision& cell) {
  Add(kCells, true, internal::RevisionKey(cell), "");
}

void Batch::RollbackTo(size_t mark) {
  for (size_t offset = mark; offset < data_.size();) {
    Op op = Next(&offset);
    byte_size_ -= op.key.size() + op.value.size();
    if (op.family == kEntries && !op.is_delete) --entry_count_;
  }
  data_.resize(mark);
}

void Batch::Clear() {
  data_.clear();
  entry_count_ = 0;
  byte_size_ = 0;
}

namespace {

rocksdb::Options MakeDbOptions(bool create_if_missing) {
  rocksdb::Options db_options;
  db_options.create_if_missing = create_if_missing;
  db_options.create_missing_column_families = true;
  // Entries are written once and read by key or in log order; large blocks
  // with compression keep the disk cost near the raw entry bytes.
  db_options.compression = rocksdb::kZSTD;
  db_options.max_open_files = 256;
  db_options.keep_log_file_num = 4;
  db_options.IncreaseParallelism(2);
  // A write-ahead log file is kept until every family has flushed what it
  // contains. The tips and heads families take a few bytes per range and
  // rarely fill a memtable, so without a bound a receiver kept gigabytes of
  // logs, all replayed on the next start. Past this size RocksDB flushes
  // the families whose data is in the oldest log.
  db_options.max_total_wal_size = 128 << 20;
  return db_options;
}

// The prefix of a cell index key up to its third 0x00: the cell for a
// revision key, the series for a run key (see cell_runs.h). A lookup of one
// cell's revisions (the import does one per record, nearly all for cells not
// stored yet) is then resolved by the prefix Bloom filters of the memtable
// and of each table file without reading their keys.
class CellNameTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "yreb.CellPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), PrefixLength(key));
  }
  bool InDomain(const rocksdb::Slice& key) const override { return PrefixLength(key) > 0; }

 private:
  // Returns the length up to the third 0x00, or 0 when it has fewer.
  static size_t PrefixLength(const rocksdb::Slice& key) {
    const char* begin = key.data();
    const char* end = begin + key.size();
    const char* at = begin;
    for (int zeros = 0; zeros < 3; ++zeros) {
      at = static_cast<const char*>(std::memchr(at, '\0', end - at));
      if (at == nullptr) return 0;
      ++at;
    }
    return at - begin;
  }
};

std::vector<rocksdb::ColumnFamilyDescriptor> MakeDescriptors(const rocksdb::Options& db_options) {
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_size = 16 * 1024;
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions family_options(db_options);
  family_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  family_options.write_buffer_size = 16 << 20;

  // Cells are only ever read by prefix, never by whole key.
  rocksdb::BlockBasedTableOptions cell_table_options = table_options;
  cell_table_options.whole_key_filtering = false;
  rocksdb::ColumnFamilyOptions cell_options = family_options;
  cell_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(cell_table_options));
  cell_options.prefix_extractor = std::make_shared<CellNameTransform>();
  cell_options.memtable_prefix_bloom_size_ratio = 0.05;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int family = 0; family < kFamilyCount; ++family) {
    descriptors.emplace_back(kFamilyNames[family],
                             family == kCells ? cell_options : family_options);
  }
  return descriptors;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                   const Options& options) {
  rocksdb::Options db_options = MakeDbOptions(options.create_if_missing);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = MakeDescriptors(db_options);

  auto store = std::unique_ptr<Store>(new Store());
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, path, descriptors, &store->families_, &db);
  if (!status.ok()) {
    if (status.IsInvalidArgument() && status.ToString().find("does not exist") != std::string::npos) {
      return absl::NotFoundError(Tr("no node database at {}", path));
    }
    return FromRocks(status, Tr("open of {}", path));
  }
  store->db_.reset(db);
  if (absl::Status marks = store->LoadImportMarks(); !marks.ok()) return marks;
  return store;
}

absl::StatusOr<std::unique_ptr<Store>> Store::OpenReadOnly(const std::string& path) {
  rocksdb::Options db_options = MakeDbOptions(false);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = MakeDescriptors(db_options);

  auto store = std::unique_ptr<Store>(new Store());
  rocksdb::DB* db = nullptr;
  rocksdb::Status status =
      rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &store->families_, &db);
  if (!status.ok()) {
    if (status.IsInvalidArgument() || status.IsPathNotFound() ||
        (status.IsIOError() && status.ToString().find("No such file") != std::string::npos)) {
      return absl::NotFoundError(Tr("no node database at {}", path));
    }
    return FromRocks(status, Tr("open of {}", path));
  }
  store->db_.reset(db);
  store->read_only_ = true;
  if (absl::Status marks = store->LoadImportMarks(); !marks.ok()) return marks;
  return store;
}

Store::~Store() {
  if (db_ == nullptr) return;
  if (!read_only_) {
    // Writes the memtables out, so the next open finds no write-ahead log
    // to replay: a restarted node serves and receives sooner. On failure
    // the log stays and is replayed as after a crash.
    rocksdb::FlushOptions flush_options;
    flush_options.allow_write_stall = true;
    db_->Flush(flush_options, families_).PermitUncheckedError();
  }
  for (rocksdb::ColumnFamilyHandle* family : families_) db_->DestroyColumnFamilyHandle(family);
  db_->Close();
}

rocksdb::ColumnFamilyHandle* Store::Family(int id) const { return families_[id]; }

void Store::FailWritesForTest(absl::Status status) {
  std::lock_guard<std::mutex> lock(write_failure_mu_);
  write_failure_ = std::move(status);
}

absl::Status Store::Write(const Batch& batch, bool sync) {
  {
    std::lock_guard<std::mutex> lock(write_failure_mu_);
    if (!write_failure_.ok()) return write_failure_;
  }
  // Runs and RocksDB's per-key overhead add little to the batch's own
  // bytes. Reserving that much up front spares growing a buffer of megabytes.
  rocksdb::WriteBatch write_batch(batch.data_.size() + batch.data_.size() / 8 + 64);
  // Import commit markers the batch adds (true) or removes (false).
  std::vector<std::pair<std::pair<uint32_t, uint64_t>, bool>> marks;
  // The run being built for each origin whose entries the batch puts.
  std::map<uint32_t, RunBuilder> runs;
  auto put_run = [&](uint32_t origin, RunBuilder& run) {
    std::string key = LogKey(origin, run.first());
    std::string_view value = run.value();
    write_batch.Put(Family(kEntries), key, rocksdb::Slice(value.data(), value.size()));
    run.Clear();
  };
  // The lowest sequence each origin's log is cut at by this batch.
  std::map<uint32_t, uint64_t> cuts;

  CellGroup cells;
  bool cells_put = false;
  // The runs of the cell index this write takes revisions out of, with
  // what remains of each ("" once nothing does).
  std::map<std::string, std::string> cut_runs;
  std::unique_ptr<rocksdb::Iterator> runs_it;

  for (size_t offset = 0; offset < batch.data_.size();) {
    Batch::Op op = batch.Next(&offset);
    rocksdb::Slice key(op.key.data(), op.key.size());
    if (op.family == kCells) {
      std::optional<internal::ParsedCellKey> parsed = internal::ParseCellKey(op.key);
      if (!parsed.has_value() || parsed->is_run) {
        return absl::InternalError("invalid cell key in a write batch");
      }
      if (!op.is_delete) {
        cells_put = true;
        if (!cells.Extends(*parsed)) cells.Flush(&write_batch, Family(kCells));
        cells.Add(*parsed, op.key, op.value);
        continue;
      }
      // Removal reads the stored runs, which a put of the same batch would
      // not be among yet.
      if (cells_put) {
        return absl::InternalError("a write batch both removes and puts cell revisions");
      }
      write_batch.Delete(Family(kCells), key);
      if (runs_it == nullptr) {
        rocksdb::ReadOptions read_options;
        read_options.total_order_seek = true;
        runs_it.reset(db_->NewIterator(read_options, Family(kCells)));
      }
      if (absl::Status status = CutCellRun(*parsed, runs_it.get(), &cut_runs); !status.ok()) {
        return status;
      }
      continue;
    }
    if (op.family == kEntries) {
      uint32_t origin = static_cast<uint32_t>(GetBigEndian(op.key.data(), 4));
      uint64_t sequence = GetBigEndian(op.key.data() + 4, 8);
      RunBuilder& run = runs[origin];
      if (op.is_delete) {
        if (!run.empty()) put_run(origin, run);
        auto cut = cuts.find(origin);
        if (cut != cuts.end() && cut->second <= sequence) continue;
        cuts[origin] = sequence;
        if (absl::Status status = CutLog(origin, sequence, &write_batch); !status.ok()) {
          return status;
        }
      } else if (run.Extends(sequence)) {
        run.Add(op.value);
      } else {
        if (!run.empty()) put_run(origin, run);
        run.Start(sequence, op.value);
      }
      continue;
    }
    if (op.family == kMeta) {
      if (auto mark = ParseImportMarkKey(op.key); mark.has_value()) {
        marks.emplace_back(*mark, !op.is_delete);
      }
    }
    if (op.is_delete) {
      write_batch.Delete(Family(op.family), key);
    } else {
      write_batch.Put(Family(op.family), key, rocksdb::Slice(op.value.data(), op.value.size()));
    }
  }
  for (auto& [origin, run] : runs) {
    if (!run.empty()) put_run(origin, run);
  }
  cells.Flush(&write_batch, Family(kCells));
  for (const auto& [run_key, rest] : cut_runs) {
    if (rest.empty()) {
      write_batch.Delete(Family(kCells), run_key);
    } else {
      write_batch.Put(Family(kCells), run_key, rest);
    }
  }

  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  absl::Status status = FromRocks(db_->Write(write_options, &write_batch), Tr("write"));
  if (status.ok() && !marks.empty()) {
    std::lock_guard<std::mutex> lock(marks_mu_);
    for (const auto& [mark, committed] : marks) {
      if (committed) {
        committed_imports_.insert(mark);
      } else {
        committed_imports_.erase(mark);
      }
    }
  }
  return status;
}

absl::Status Store::CutLog(uint32_t origin, uint64_t first, rocksdb::WriteBatch* write_batch) {
  std::string prefix = OriginKey(origin);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Family(kEntries)));
  // The run that contains `first` keeps the entries before it.
  it->SeekForPrev(LogKey(origin, first));
  if (it->Valid() && it->key().starts_with(prefix)) {
    uint64_t run_first = GetBigEndian(it->key().data() + 4, 8);
    if (run_first < first) {
      RunBuilder before_cut;
      bool cut = false;
      RunWalk walk =
          ForEachInRun(run_first, std::string_view(it->value().data(), it->value().size()),
                       [&](uint64_t sequence, std::string_view encoded) {
                         if (sequence >= first) {
                           cut = true;
                           return false;
                         }
                         before_cut.Append(sequence, encoded);
                         return true;
                       });
      if (walk == RunWalk::kDamaged) return DamagedRun(origin, run_first);
      if (cut) {
        std::string_view value = before_cut.value();
        write_batch->Put(Family(kEntries), it->key(), rocksdb::Slice(value.data(), value.size()));
      }
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), Tr("read"));
  // Deletes every run that starts at `first` or later.
  for (it->Seek(LogKey(origin, first)); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    write_batch->Delete(Family(kEntries), it->key());
  }
  return FromRocks(it->status(), Tr("read"));
}

absl::Status Store::CutCellRun(const internal::ParsedCellKey& revision, rocksdb::Iterator* it,
                               std::map<std::string, std::string>* cut_runs) {
  // Runs of one series and origin contain disjoint rising sequences, so the
  // revision can only be in the last run that starts at or before it.
  std::string seek = internal::RunKey(revision.series, revision.origin, revision.sequence);
  it->SeekForPrev(seek);
  if (!it->Valid()) return FromRocks(it->status(), Tr("read"));
  std::string_view found(it->key().data(), it->key().size());
  if (found.size() != seek.size() || !found.starts_with(seek.substr(0, seek.size() - 8))) {
    return absl::OkStatus();
  }
  std::string run_key(found);
  auto cut = cut_runs->find(run_key);
  std::string value = cut != cut_runs->end() ? cut->second : it->value().ToString();
  if (value.empty()) return absl::OkStatus();
  uint64_t first = GetBigEndian(run_key.data() + run_key.size() - 8, 8);
  std::vector<internal::RunItem> items;
  if (!internal::DecodeRun(first, value, &items)) {
    return absl::DataLossError(Tr("stored cell index is damaged"));
  }
  std::string rest;
  bool removed = false;
  for (const internal::RunItem& item : items) {
    if (item.sequence == revision.sequence) {
      removed = true;
    } else {
      internal::AppendRunItem(first, item, &rest);
    }
  }
  if (removed) (*cut_runs)[run_key] = std::move(rest);
  return absl::OkStatus();
}

absl::Status Store::LoadImportMarks() {
  std::set<std::pair<uint32_t, uint64_t>> marks;
  absl::Status status =
      ScanMeta(kImportCommittedPrefix, [&](std::string_view key, std::string_view) {
        if (auto mark = ParseImportMarkKey(key); mark.has_value()) marks.insert(*mark);
        return true;
      });
  if (!status.ok()) return status;
  std::lock_guard<std::mutex> lock(marks_mu_);
  committed_imports_ = std::move(marks);
  return absl::OkStatus();
}

bool Store::IsImportCommitted(uint32_t origin, uint64_t import_id) const {
  std::lock_guard<std::mutex> lock(marks_mu_);
  return committed_imports_.contains({origin, import_id});
}

bool Store::Visible(const CellRevision& cell) const {
  return cell.import_id == 0 || IsImportCommitted(cell.origin, cell.import_id);
}

absl::StatusOr<std::optional<std::string>> Store::GetEntry(uint32_t origin,
                                                           uint64_t sequence) const {
  std::optional<std::string> found;
  absl::Status status = ScanEntries(origin, sequence, [&](uint64_t at, std::string_view encoded) {
    if (at == sequence) found = std::string(encoded);
    return false;
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<std::optional<entry::Head>> Store::GetHead(uint32_t origin,
                                                          uint64_t sequence) const {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), Family(kHeads), LogKey(origin, sequence), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, Tr("read"));
  absl::StatusOr<entry::Head> head = entry::DecodeHeadValue(origin, sequence, value);
  if (!head.ok()) return head.status();
  return *head;
}

absl::StatusOr<std::optional<Tip>> Store::GetTip(uint32_t origin) const {
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), Family(kTips), OriginKey(origin), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, Tr("read"));
  if (value.size() != 8 + crypto::kHashSize) {
    return absl::DataLossError(Tr("stored version vector entry of origin {} is damaged", origin));
  }
  Tip tip{origin, GetBigEndian(value.data(), 8), {}};
  std::memcpy(tip.hash.data(), value.data() + 8, crypto::kHashSize);
  return tip;
}

absl::StatusOr<std::vector<Tip>> Store::GetTips() const {
  std::vector<Tip> tips;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Family(kTips)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    rocksdb::Slice key = it->key();
    rocksdb::Slice value = it->value();
    if (key.size() != 4 || value.size() != 8 + crypto::kHashSize) {
      return absl::DataLossError(Tr("stored version vector is damaged"));
    }
    Tip tip{static_cast<uint32_t>(GetBigEndian(key.data(), 4)), GetBigEndian(value.data(), 8), {}};
    std::memcpy(tip.hash.data(), value.data() + 8, crypto::kHashSize);
    tips.push_back(tip);
  }
  if (!it->status().ok()) return FromRocks(it->status(), Tr("read"));
  return tips;
}

absl::StatusOr<std::optional<std::string>> Store::GetMeta(std::string_view key) const {
  std::string value;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), Family(kMeta),
                                    rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocks(status, Tr("read"));
  return value;
}

absl::Status Store::ScanEntries(
    uint32_t origin, uint64_t first_sequence,
    const std::function<bool(uint64_t sequence, std::string_view encoded)>& visit) const {
  std::string prefix = OriginKey(origin);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), Family(kEntries)));
  // Starts at the run that contains `first_sequence`, or at the first run
  // after it.
  std::string start = LogKey(origin, first_sequence);
  it->SeekForPrev(start);
  if (!it->Valid() || !it->key().starts_with(prefix)) it->Seek(start);
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    uint64_t run_first = GetBigEndian(it->key().data() + 4, 8);
    bool stopped = false;
    RunWalk walk = ForEachInRun(run_first, std::string_view(it->value().data(), it->value().size()),
                                [&](uint64_t sequence, std::string_view encoded) {
                                  if (sequence < first_sequence) return true;
                                  stopped = !visit(sequence, encoded);
                                  return !stopped;
                                });
    if (walk == RunWalk::kDamaged) return DamagedRun(origin, run_first);
    if (stopped) break;
  }
  return FromRocks(it->status(), Tr("read"));
}

absl::Status Store::ScanHeads(uint32_t origin,
                              const std::function<bool(const entry::Head& head)>& visit,
                              uint64_t first_sequence) const {
  std::string prefix = OriginKey(origin);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Family(kHeads)));
  for (it->Seek(LogKey(origin, first_sequence)); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    uint64_t sequence = GetBigEndian(it->key().data() + 4, 8);
    absl::StatusOr<entry::Head> head = entry::DecodeHeadValue(
        origin, sequence, std::string_view(it->value().data(), it->value().size()));
    if (!head.ok()) return head.status();
    if (!visit(*head)) break;
  }
  return FromRocks(it->status(), Tr("read"));
}

absl::Status Store::ScanMeta(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Family(kMeta)));
  rocksdb::Slice start(prefix.data(), prefix.size());
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    if (!visit(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), Tr("read"));
}

namespace {

// Orders revisions as the keys of a single series would: by period,
// revision, origin and sequence. Serves CellRevision and the revisions a
// CellReader keeps of a series' runs.
template <typename Revision>
bool CellOrder(const Revision& a, const Revision& b) {
  return std::tie(a.period, a.revision, a.origin, a.sequence) <
         std::tie(b.period, b.revision, b.origin, b.sequence);
}

}  // namespace

absl::Status Store::ReadRuns(
    rocksdb::Iterator* it, std::string_view indicator, std::string_view region,
    const std::function<void(const internal::ParsedCellKey& run, const internal::RunItem& item)>&
        visit) const {
  std::string prefix = internal::RunPrefix(indicator, region);
  std::vector<internal::RunItem> items;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::optional<internal::ParsedCellKey> run =
        internal::ParseCellKey(std::string_view(it->key().data(), it->key().size()));
    items.clear();
    if (!run.has_value() || !run->is_run ||
        !internal::DecodeRun(run->sequence,
                             std::string_view(it->value().data(), it->value().size()), &items)) {
      return absl::DataLossError(Tr("stored cell index is damaged"));
    }
    for (const internal::RunItem& item : items) visit(*run, item);
  }
  return FromRocks(it->status(), Tr("read"));
}

absl::Status Store::ReadRevisionKeys(rocksdb::Iterator* it, std::string_view indicator,
                                     std::string_view region, std::string_view period,
                                     std::vector<CellRevision>* out) const {
  // Seeks straight to the cell: scanning from the region's first period made
  // each lookup cost as many keys as the periods before it.
  std::string prefix = internal::CellPrefix(indicator, region, period);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::optional<CellRevision> cell =
        DecodeCell(std::string_view(it->key().data(), it->key().size()),
                   std::string_view(it->value().data(), it->value().size()));
    if (!cell.has_value()) return absl::DataLossError(Tr("stored cell index is damaged"));
    if (Visible(*cell)) out->push_back(*std::move(cell));
  }
  return FromRocks(it->status(), Tr("read"));
}

absl::StatusOr<std::vector<CellRevision>> Store::RevisionsAt(rocksdb::Iterator* it,
                                                             std::string_view indicator,
                                                             std::string_view region,
                                                             std::string_view period) const {
  std::vector<CellRevision> revisions;
  if (indicator.empty() || region.empty() || period.empty()) return revisions;
  absl::Status runs =
      ReadRuns(it, indicator, region,
               [&](const internal::ParsedCellKey& run, const internal::RunItem& item) {
                 if (item.period != period) return;
                 CellRevision cell{std::string(indicator), std::string(region), std::string(period),
                                   item.revision,          run.origin,          item.sequence,
                                   item.import_id};
                 if (Visible(cell)) revisions.push_back(std::move(cell));
               });
  if (!runs.ok()) return runs;
  if (absl::Status keys = ReadRevisionKeys(it, indicator, region, period, &revisions); !keys.ok()) {
    return keys;
  }
  std::sort(revisions.begin(), revisions.end(), CellOrder<CellRevision>);
  return revisions;
}

namespace {

rocksdb::ReadOptions CellLookupOptions() {
  rocksdb::ReadOptions read_options;
  read_options.prefix_same_as_start = true;
  return read_options;
}

}  // namespace

absl::StatusOr<std::vector<CellRevision>> Store::GetCellRevisions(std::string_view indicator,
                                                                  std::string_view region,
                                                                  std::string_view period) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(CellLookupOptions(), Family(kCells)));
  return RevisionsAt(it.get(), indicator, region, period);
}

std::unique_ptr<CellReader> Store::NewCellReader() const {
  rocksdb::ReadOptions whole_order;
  whole_order.total_order_seek = true;
  return std::unique_ptr<CellReader>(new CellReader(
      this,
      std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(CellLookupOptions(), Family(kCells))),
      std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(whole_order, Family(kCells)))));
}

CellReader::CellReader(const Store* store, std::unique_ptr<rocksdb::Iterator> it,
                       std::unique_ptr<rocksdb::Iterator> series_it)
    : store_(store), it_(std::move(it)), series_it_(std::move(series_it)) {}

CellReader::~CellReader() = default;

absl::StatusOr<std::vector<CellRevision>> CellReader::Revisions(std::string_view indicator,
                                                                std::string_view region,
                                                                std::string_view period) {
  std::vector<CellRevision> revisions;
  if (indicator.empty() || region.empty() || period.empty()) return revisions;
  // A series' runs are read once and kept while its cells are looked up,
  // which is how an import goes through a file. The series is compared in
  // place, because building its prefix for each lookup cost more than the
  // lookup of a new cell.
  bool same_series = series_.size() == indicator.size() + region.size() + 2 &&
                     series_.compare(0, indicator.size(), indicator) == 0 &&
                     series_[indicator.size()] == '\0' &&
                     series_.compare(indicator.size() + 1, region.size(), region) == 0;
  if (!same_series) {
    std::string series = internal::SeriesPrefix(indicator, region);
    series_.clear();
    runs_.clear();
    // A series with no key at all needs no lookup of its cells, one seek
    // per series instead of one per cell. An import of new series, where
    // nearly every lookup finds nothing, spent a tenth of its writer's
    // time in those lookups.
    series_it_->Seek(series);
    series_present_ = series_it_->Valid() && series_it_->key().starts_with(series);
    if (!series_it_->status().ok()) return FromRocks(series_it_->status(), Tr("read"));
    if (series_present_) {
      absl::Status read = store_->ReadRuns(
          it_.get(), indicator, region,
          [&](const internal::ParsedCellKey& run, const internal::RunItem& item) {
            runs_.push_back(RunRevision{std::string(item.period), item.revision, run.origin,
                                        item.sequence, item.import_id});
          });
      if (!read.ok()) {
        runs_.clear();
        return read;
      }
    }
    std::sort(runs_.begin(), runs_.end(), CellOrder<RunRevision>);
    series_ = std::move(series);
  }
  auto first = std::lower_bound(
      runs_.begin(), runs_.end(), period,
      [](const RunRevision& run, std::string_view wanted) { return run.period < wanted; });
  for (auto at = first; at != runs_.end() && at->period == period; ++at) {
    CellRevision cell{std::string(indicator), std::string(region), at->period,
                      at->revision,           at->origin,          at->sequence,
                      at->import_id};
    if (store_->Visible(cell)) revisions.push_back(std::move(cell));
  }
  if (!series_present_) return revisions;
  if (absl::Status keys =
          store_->ReadRevisionKeys(it_.get(), indicator, region, period, &revisions);
      !keys.ok()) {
    return keys;
  }
  std::sort(revisions.begin(), revisions.end(), CellOrder<CellRevision>);
  return revisions;
}

absl::Status CellReader::Refresh() {
  series_.clear();
  runs_.clear();
  if (absl::Status status = FromRocks(series_it_->Refresh(), Tr("read")); !status.ok()) {
    return status;
  }
  return FromRocks(it_->Refresh(), Tr("read"));
}

absl::Status Store::ScanCells(std::string_view indicator, std::string_view region,
                              const std::function<bool(const CellRevision& cell)>& visit) const {
  std::string prefix = internal::SeriesPrefix(indicator, region);
  // A scan spans many cells, so the per-cell prefix filters do not apply.
  rocksdb::ReadOptions read_options;
  read_options.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, Family(kCells)));
  // The revisions of one series are gathered from its runs and its
  // revision keys, then visited in order.
  std::string series;
  std::vector<CellRevision> gathered;
  std::vector<internal::RunItem> items;
  bool stopped = false;
  auto visit_series = [&] {
    std::sort(gathered.begin(), gathered.end(), CellOrder<CellRevision>);
    for (const CellRevision& cell : gathered) {
      if (!Visible(cell)) continue;
      if (!visit(cell)) {
        stopped = true;
        break;
      }
    }
    gathered.clear();
  };
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    std::string_view value(it->value().data(), it->value().size());
    std::optional<internal::ParsedCellKey> parsed = internal::ParseCellKey(key);
    if (!parsed.has_value()) return absl::DataLossError(Tr("stored cell index is damaged"));
    if (parsed->series != series) {
      visit_series();
      if (stopped) return absl::OkStatus();
      series = std::string(parsed->series);
    }
    if (parsed->is_run) {
      items.clear();
      if (!internal::DecodeRun(parsed->sequence, value, &items)) {
        return absl::DataLossError(Tr("stored cell index is damaged"));
      }
      for (const internal::RunItem& item : items) {
        gathered.push_back(CellRevision{std::string(parsed->indicator), std::string(parsed->region),
                                        std::string(item.period), item.revision, parsed->origin,
                                        item.sequence, item.import_id});
      }
      continue;
    }
    std::optional<CellRevision> cell = DecodeCell(key, value);
    if (!cell.has_value()) return absl::DataLossError(Tr("stored cell index is damaged"));
    gathered.push_back(*std::move(cell));
  }
  if (!it->status().ok()) return FromRocks(it->status(), Tr("read"));
  visit_series();
  return absl::OkStatus();
}

absl::Status Store::CorruptEntryForTest(uint32_t origin, uint64_t sequence,
                                        std::string_view bytes) {
  // Rewrites the run that contains the entry, with `bytes` in its place.
  std::string prefix = OriginKey(origin);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Family(kEntries)));
  it->SeekForPrev(LogKey(origin, sequence));
  std::string key = LogKey(origin, sequence);
  RunBuilder run;
  bool contained = false;
  if (it->Valid() && it->key().starts_with(prefix)) {
    uint64_t run_first = GetBigEndian(it->key().data() + 4, 8);
    ForEachInRun(run_first, std::string_view(it->value().data(), it->value().size()),
                 [&](uint64_t at, std::string_view encoded) {
                   contained = contained || at == sequence;
                   run.Append(at, at == sequence ? bytes : encoded);
                   return true;
                 });
    if (contained) key = LogKey(origin, run_first);
  }
  if (!contained) run.Start(sequence, bytes);
  std::string_view value = run.value();
  return FromRocks(db_->Put(rocksdb::WriteOptions(), Family(kEntries), key,
                            rocksdb::Slice(value.data(), value.size())),
                   "write");
}

size_t Store::CellKeyCountForTest() const {
  rocksdb::ReadOptions read_options;
  read_options.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, Family(kCells)));
  size_t count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
  return count;
}

uint64_t Store::ApproximateSize() const {
  uint64_t total = 0;
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    uint64_t size = 0;
    db_->GetIntProperty(family, rocksdb::DB::Properties::kTotalSstFilesSize, &size);
    total += size;
    db_->GetIntProperty(family, rocksdb::DB::Properties::kCurSizeAllMemTables, &size);
    total += size;
  }
  return total;
}

absl::Status Store::CreateCheckpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw_checkpoint = nullptr;
  rocksdb::Status status = rocksdb::Checkpoint::Create(db_.get(), &raw_checkpoint);
  if (!status.ok()) return FromRocks(status, Tr("checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw_checkpoint);
  // log_size_for_flush 0: flush the memtables first, so the copy holds its
  // data in table files and replays at most a short write-ahead log tail.
  return FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                   Tr("checkpoint into {}", dir));
}

}  // namespace yreb::storage
