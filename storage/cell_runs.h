// Internal to storage: the key and value layouts of the cell index.
//
// The index stores each revision of a cell either under a key of its own or
// inside a run. A revision key is:
//   indicator 0x00 region 0x00 period 0x00 revision origin sequence,
// with revision, origin and sequence as u32, u32 and u64, big-endian. Its
// value is the import id (u64 BE), or empty for a revision outside any
// import.
//
// A run contains consecutive revisions of one series (an indicator of a
// region) that one write stored for one origin. Its key is:
//   indicator 0x00 region 0x00 0x00 origin first-sequence.
// A period is never empty, so a run key sorts before the revision keys of
// its series, and the prefix up to the third 0x00 names the series' runs
// the way it names a cell for revision keys. The value lists the revisions
// in sequence order, each as: period length (varint), period, revision
// (varint), sequence minus the key's first sequence (varint), import id
// (varint).
//
// Why runs: storing a received range wrote one index key per record, and
// each key cost a memtable insert and its share of flushes and compactions.
// In the two-node benchmark, leaving those keys out made initial sync about
// 40% faster (BENCHMARKS.md). A run costs one key for up to
// kCellRunMaxItems records. Short groups keep a key per revision, so a
// lookup of one cell in a series written only by single puts still needs
// no scan of the series.
#ifndef YREB_STORAGE_CELL_RUNS_H_
#define YREB_STORAGE_CELL_RUNS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"

namespace yreb::storage::internal {

// A group of consecutive revisions of one series is stored as a run only
// when it contains at least kCellRunMinItems of them.
inline constexpr size_t kCellRunMinItems = 16;
inline constexpr size_t kCellRunMaxItems = 64;
inline constexpr size_t kCellRunMaxBytes = 4096;

// "indicator\0region\0", and "indicator\0" when `region` is empty.
std::string SeriesPrefix(std::string_view indicator, std::string_view region);
// The series prefix followed by the period and its 0x00 (the bare series
// prefix when `period` is empty).
std::string CellPrefix(std::string_view indicator, std::string_view region,
                       std::string_view period);
// The prefix of every run key of the series: the series prefix and 0x00.
std::string RunPrefix(std::string_view indicator, std::string_view region);
std::string RunKey(std::string_view series_prefix, uint32_t origin, uint64_t first_sequence);
std::string RevisionKey(const CellRevision& cell);
// Appends the revision key of these fields to `*out`, as RevisionKey().
void AppendRevisionKey(std::string_view indicator, std::string_view region, std::string_view period,
                       uint32_t revision, uint32_t origin, uint64_t sequence, std::string* out);

// A cell index key split into its parts, as views into the key.
struct ParsedCellKey {
  std::string_view series;  // "indicator\0region\0"
  std::string_view indicator;
  std::string_view region;
  bool is_run = false;
  // For a revision key: its period, revision, origin and sequence. For a
  // run key: origin and first sequence, with period and revision empty.
  std::string_view period;
  uint32_t revision = 0;
  uint32_t origin = 0;
  uint64_t sequence = 0;
};

// Returns nullopt when `key` has neither layout.
std::optional<ParsedCellKey> ParseCellKey(std::string_view key);

// One revision of a run, the parts the run key does not give.
struct RunItem {
  std::string_view period;  // into the run value
  uint32_t revision = 0;
  uint64_t sequence = 0;
  uint64_t import_id = 0;
};

// Appends `value` as a little-endian base-128 varint.
void PutVarint64(std::string* out, uint64_t value);

// Appends the items of the run value to `items`. Returns false when the
// value is damaged, and then `items` contains what came before the damage.
bool DecodeRun(uint64_t first_sequence, std::string_view value, std::vector<RunItem>* items);
// Appends one item to a run value. REQUIRES: item.sequence >= first_sequence.
void AppendRunItem(uint64_t first_sequence, const RunItem& item, std::string* value);

}  // namespace yreb::storage::internal

#endif  // YREB_STORAGE_CELL_RUNS_H_
