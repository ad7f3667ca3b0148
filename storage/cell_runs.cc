#include "storage/cell_runs.h"

#include <cstring>

#include "common/big_endian.h"

namespace yreb::storage::internal {
namespace {

// Reads a varint at `*at`. Returns false when it runs past the end or over
// 64 bits.
bool GetVarint64(std::string_view data, size_t* at, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    if (*at >= data.size()) return false;
    auto byte = static_cast<unsigned char>(data[(*at)++]);
    *value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if (byte < 0x80) return true;
  }
  return false;
}

}  // namespace

void PutVarint64(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

namespace {

// Appends CellPrefix(indicator, region, period) to `*out`.
void AppendCellPrefix(std::string_view indicator, std::string_view region, std::string_view period,
                      std::string* out) {
  out->append(indicator);
  out->push_back('\0');
  if (region.empty()) return;
  out->append(region);
  out->push_back('\0');
  if (period.empty()) return;
  out->append(period);
  out->push_back('\0');
}

}  // namespace

std::string SeriesPrefix(std::string_view indicator, std::string_view region) {
  std::string key;
  AppendCellPrefix(indicator, region, "", &key);
  return key;
}

std::string CellPrefix(std::string_view indicator, std::string_view region,
                       std::string_view period) {
  std::string key;
  AppendCellPrefix(indicator, region, period, &key);
  return key;
}

std::string RunPrefix(std::string_view indicator, std::string_view region) {
  std::string key = SeriesPrefix(indicator, region);
  key.push_back('\0');
  return key;
}

std::string RunKey(std::string_view series_prefix, uint32_t origin, uint64_t first_sequence) {
  std::string key;
  key.reserve(series_prefix.size() + 13);
  key.append(series_prefix);
  key.push_back('\0');
  PutBigEndian(&key, origin, 4);
  PutBigEndian(&key, first_sequence, 8);
  return key;
}

std::string RevisionKey(const CellRevision& cell) {
  std::string key;
  AppendRevisionKey(cell.indicator, cell.region, cell.period, cell.revision, cell.origin,
                    cell.sequence, &key);
  return key;
}

void AppendRevisionKey(std::string_view indicator, std::string_view region, std::string_view period,
                       uint32_t revision, uint32_t origin, uint64_t sequence, std::string* out) {
  AppendCellPrefix(indicator, region, period, out);
  PutBigEndian(out, revision, 4);
  PutBigEndian(out, origin, 4);
  PutBigEndian(out, sequence, 8);
}

std::optional<ParsedCellKey> ParseCellKey(std::string_view key) {
  const char* begin = key.data();
  const char* end = begin + key.size();
  const auto* first = static_cast<const char*>(std::memchr(begin, '\0', key.size()));
  if (first == nullptr) return std::nullopt;
  const auto* second = static_cast<const char*>(std::memchr(first + 1, '\0', end - first - 1));
  if (second == nullptr || second + 1 >= end) return std::nullopt;
  ParsedCellKey parsed;
  parsed.series = key.substr(0, second + 1 - begin);
  parsed.indicator = key.substr(0, first - begin);
  parsed.region = key.substr(first + 1 - begin, second - first - 1);
  if (second[1] == '\0') {
    // A run: 0x00, origin, first sequence.
    const char* tail = second + 2;
    if (end - tail != 12) return std::nullopt;
    parsed.is_run = true;
    parsed.origin = static_cast<uint32_t>(GetBigEndian(tail, 4));
    parsed.sequence = GetBigEndian(tail + 4, 8);
    return parsed;
  }
  const auto* third = static_cast<const char*>(std::memchr(second + 1, '\0', end - second - 1));
  if (third == nullptr || end - (third + 1) != 16) return std::nullopt;
  parsed.period = key.substr(second + 1 - begin, third - second - 1);
  const char* tail = third + 1;
  parsed.revision = static_cast<uint32_t>(GetBigEndian(tail, 4));
  parsed.origin = static_cast<uint32_t>(GetBigEndian(tail + 4, 4));
  parsed.sequence = GetBigEndian(tail + 8, 8);
  return parsed;
}

bool DecodeRun(uint64_t first_sequence, std::string_view value, std::vector<RunItem>* items) {
  if (value.empty()) return false;
  size_t at = 0;
  bool any = false;
  uint64_t last_sequence = 0;
  while (at < value.size()) {
    uint64_t size = 0;
    if (!GetVarint64(value, &at, &size) || size == 0 || size > value.size() - at) return false;
    RunItem item;
    item.period = value.substr(at, size);
    at += size;
    uint64_t revision = 0;
    uint64_t offset = 0;
    if (!GetVarint64(value, &at, &revision) || revision > UINT32_MAX ||
        !GetVarint64(value, &at, &offset) || !GetVarint64(value, &at, &item.import_id)) {
      return false;
    }
    item.revision = static_cast<uint32_t>(revision);
    item.sequence = first_sequence + offset;
    // Sequences rise within a run, so anything else is damage.
    if (item.sequence < first_sequence || (any && item.sequence <= last_sequence)) return false;
    any = true;
    last_sequence = item.sequence;
    items->push_back(item);
  }
  return true;
}

void AppendRunItem(uint64_t first_sequence, const RunItem& item, std::string* value) {
  PutVarint64(value, item.period.size());
  value->append(item.period);
  PutVarint64(value, item.revision);
  PutVarint64(value, item.sequence - first_sequence);
  PutVarint64(value, item.import_id);
}

}  // namespace yreb::storage::internal
