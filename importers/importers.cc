#include "importers/importers.h"

#include <algorithm>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "absl/hash/hash.h"
#include "common/decimal.h"
#include "i18n/i18n.h"
#include "importers/collector.h"
#include "importers/layouts.h"
#include "importers/text.h"

namespace yreb::importers {
namespace internal {

enum class Layout { kMapping, kSdmxCsv, kPortal, kLongCsv };

// State that CheckFile keeps for the passes after it.
struct CheckedFile {
  std::string file;
  const catalog::Catalog* catalog = nullptr;
  std::string node_province;
  std::string mapping;
  DecodedText decoded;
  Layout layout = Layout::kLongCsv;
  // Every record, for the layouts other than long CSV, which are small.
  std::vector<CsvRecord> records;
  // Per candidate, in file order: whether it is the first of its cell.
  std::vector<bool> first;
  // The hash of every cell of the file, sorted, without repeats.
  std::vector<uint64_t> cells;
  // The observations themselves, kept only after two cells of the file
  // shared a hash (see CheckFile).
  std::optional<std::vector<Observation>> exact;
};

}  // namespace internal

namespace {

using internal::Candidate;
using internal::CheckedFile;
using internal::Layout;

// Records read to recognize a layout: a portal export's title and header
// lines, or a CSV header, come first.
constexpr size_t kLayoutRecords = 256;

// SDMX-CSV 1.0 starts with a DATAFLOW column, 2.0 with STRUCTURE.
bool LooksLikeSdmxCsv(const std::vector<internal::CsvRecord>& records) {
  if (records.empty() || records[0].fields.empty()) return false;
  std::string_view first = internal::Trim(records[0].fields[0]);
  return first == "STRUCTURE" || first == "DATAFLOW";
}

internal::CellHashFunction cell_hash_for_test = nullptr;

// From this size on, CheckFile reads a long CSV in two halves on two
// threads. Below it, starting a thread costs more than it saves.
constexpr size_t kParallelCheckBytes = 4 << 20;
size_t parallel_check_bytes = kParallelCheckBytes;

uint64_t CellHash(std::string_view indicator, std::string_view region,
                  const period::Period& period) {
  if (cell_hash_for_test != nullptr) return cell_hash_for_test(indicator, region, period);
  return absl::HashOf(indicator, region, period.year, static_cast<int>(period.frequency),
                      period.index);
}

// Cumulative February values whose January is absent from the file carry
// the January-February note. `has_cell` returns whether the file contains a
// cell.
template <typename HasCell>
void AddJanuaryFebruaryNote(Observation* observation, const period::Period& period,
                            const HasCell& has_cell) {
  if (observation->measure != proto::MEASURE_KIND_CUMULATIVE || !observation->note.empty() ||
      period.frequency != period::Period::kMonthly || period.index != 2) {
    return;
  }
  period::Period january = period;
  january.index = 1;
  if (!has_cell(january)) observation->note = std::string(kJanuaryFebruaryNote);
}

Observation MakeObservation(const Candidate& candidate) {
  Observation observation;
  observation.indicator = candidate.indicator.code;
  observation.region = candidate.region.code;
  observation.period = candidate.period.ToSdmx();
  observation.value = std::string(candidate.value);
  observation.unit = candidate.indicator.unit;
  observation.note = std::string(candidate.note);
  observation.measure = candidate.indicator.measure;
  observation.value_kind = candidate.indicator.value_kind;
  observation.status = candidate.status;
  observation.line = candidate.place.line;
  observation.column = std::string(candidate.place.column);
  return observation;
}

std::string DuplicateReason(const Observation& first, const Observation& again) {
  return i18n::Tr("duplicate of line {}: {} {} {} is {} there and {} here", first.line,
                  first.indicator, first.region, first.period, first.value, again.value);
}

// Keeps every observation and merges duplicates exactly, by their cell's
// names: the whole file in memory, for the rare file two of whose cells
// share a hash.
class KeepSink : public internal::Sink {
 public:
  explicit KeepSink(std::vector<Observation>* observations) : observations_(observations) {}
  void set_collector(internal::Collector* collector) { collector_ = collector; }

  void Take(const Candidate& candidate) override {
    auto key = std::make_tuple(candidate.indicator.code, candidate.region.code,
                               candidate.period.ToSdmx());
    if (auto it = seen_.find(key); it != seen_.end()) {
      const Observation& first = (*observations_)[it->second];
      if (!decimal::Equal(first.value, candidate.value)) {
        collector_->AddError(candidate.place, candidate.value,
                             DuplicateReason(first, MakeObservation(candidate)));
      }
      return;
    }
    seen_.emplace(std::move(key), observations_->size());
    observations_->push_back(MakeObservation(candidate));
  }

  // Adds the January-February notes once the whole file is read.
  void Finish() {
    for (Observation& observation : *observations_) {
      absl::StatusOr<period::Period> period = period::ParseSdmx(observation.period);
      if (!period.ok()) continue;
      AddJanuaryFebruaryNote(&observation, *period, [&](const period::Period& january) {
        return seen_.contains(
            std::make_tuple(observation.indicator, observation.region, january.ToSdmx()));
      });
    }
  }

 private:
  internal::Collector* collector_ = nullptr;
  std::vector<Observation>* observations_;
  std::map<std::tuple<std::string, std::string, std::string>, size_t> seen_;
};

// The check pass: one cell hash per candidate, and whether it lacks a status.
class HashSink : public internal::Sink {
 public:
  void Take(const Candidate& candidate) override {
    hashes.push_back(CellHash(candidate.indicator.code, candidate.region.code, candidate.period));
    without_status.push_back(candidate.status == proto::DATA_STATUS_UNSPECIFIED);
  }

  std::vector<uint64_t> hashes;
  std::vector<bool> without_status;
};

// Hands the first candidate of each cell on, or, when `selected` is given,
// the candidates of those numbers.
class VisitSink : public internal::Sink {
 public:
  VisitSink(const CheckedFile& checked, const std::function<absl::Status(Observation&&)>& visit,
            const std::set<size_t>* selected)
      : checked_(checked), visit_(visit), selected_(selected) {}

  void Take(const Candidate& candidate) override {
    size_t number = next_++;
    if (!status_.ok()) return;
    if (selected_ != nullptr ? !selected_->contains(number) : !checked_.first[number]) return;
    Observation observation = MakeObservation(candidate);
    AddJanuaryFebruaryNote(&observation, candidate.period, [&](const period::Period& january) {
      return std::binary_search(
          checked_.cells.begin(), checked_.cells.end(),
          CellHash(candidate.indicator.code, candidate.region.code, january));
    });
    status_ = visit_(std::move(observation));
  }

  const absl::Status& status() const { return status_; }

 private:
  const CheckedFile& checked_;
  const std::function<absl::Status(Observation&&)>& visit_;
  const std::set<size_t>* selected_;
  size_t next_ = 0;
  absl::Status status_;
};

// Reads the file once through `collector`. Returns only whole-file problems.
absl::Status ReadLayout(const CheckedFile& checked, internal::Collector& collector,
                        ParseResult* result) {
  switch (checked.layout) {
    case Layout::kMapping:
      return internal::ReadWithMapping(checked.records, checked.mapping, collector);
    case Layout::kSdmxCsv:
      return internal::ReadSdmxCsv(checked.records, collector);
    case Layout::kPortal:
      return internal::ReadPortal(checked.records, collector, result);
    case Layout::kLongCsv:
      return internal::ReadLongCsv(checked.decoded.text(), collector);
  }
  return absl::InternalError("unknown layout");
}

// Runs the check pass of ReadLayout. A large long CSV is read in two halves
// at once, cut at a record boundary. The second half's findings are appended
// to the first's, so the result equals that of one read of the whole file.
// Sets `*split` to the number of candidates of the first half, or to 0 when
// the file was read whole.
absl::Status CheckLayout(const CheckedFile& checked, internal::Collector& collector,
                         HashSink& hashes, ParseResult* result, size_t* split) {
  *split = 0;
  std::string_view text = checked.decoded.text();
  std::optional<internal::CsvCut> cut;
  if (checked.layout == Layout::kLongCsv && text.size() >= parallel_check_bytes) {
    cut = internal::CsvCutAfter(text, text.size() / 2);
  }
  if (!cut.has_value() || cut->offset >= text.size()) {
    return ReadLayout(checked, collector, result);
  }

  ParseResult later_result;
  HashSink later_hashes;
  internal::Collector later(*checked.catalog, checked.node_province, checked.file, &later_result,
                            &later_hashes);
  // Messages of the second half are in the caller's language too.
  std::future<absl::Status> second =
      std::async(std::launch::async, [&, lang = i18n::CurrentLang()] {
        i18n::ScopedLang scoped(lang);
        return internal::ReadLongCsvRows(text, text.substr(cut->offset), cut->line, later);
      });
  absl::Status first = internal::ReadLongCsv(text.substr(0, cut->offset), collector);
  absl::Status rest = second.get();
  if (!first.ok()) return first;
  if (!rest.ok()) return rest;
  collector.Append(later);
  *split = hashes.hashes.size();
  hashes.hashes.insert(hashes.hashes.end(), later_hashes.hashes.begin(), later_hashes.hashes.end());
  hashes.without_status.insert(hashes.without_status.end(), later_hashes.without_status.begin(),
                               later_hashes.without_status.end());
  return absl::OkStatus();
}

// Sorts `hashes`. A file read in two halves is sorted in two halves too,
// the second on another thread, and the halves are then merged.
void SortHashes(std::vector<uint64_t>& hashes, size_t split) {
  if (split == 0 || split >= hashes.size()) {
    std::sort(hashes.begin(), hashes.end());
    return;
  }
  auto middle = hashes.begin() + static_cast<std::ptrdiff_t>(split);
  std::future<void> later =
      std::async(std::launch::async, [&] { std::sort(middle, hashes.end()); });
  std::sort(hashes.begin(), middle);
  later.get();
  std::inplace_merge(hashes.begin(), middle, hashes.end());
}

// Reads the file again, visiting the candidates `sink` selects; row errors
// and counts of this pass are dropped, as the check pass has them.
absl::Status Reread(const CheckedFile& checked, internal::Sink* sink) {
  ParseResult scratch;
  internal::Collector collector(*checked.catalog, checked.node_province, checked.file, &scratch,
                                sink);
  return ReadLayout(checked, collector, &scratch);
}

// Returns the file's decoded text and layout, with every record when the
// layout is not long CSV.
absl::Status Prepare(std::string_view bytes, const ImportOptions& options,
                     CheckedFile* checked) {
  absl::StatusOr<internal::DecodedText> decoded = internal::Decode(bytes, checked->file);
  if (!decoded.ok()) return decoded.status();
  checked->decoded = *std::move(decoded);
  std::string_view text = checked->decoded.text();
  // The layout shows in the first records. Only a long CSV, the layout of
  // large files, is read without holding every record's fields at once.
  absl::StatusOr<std::vector<internal::CsvRecord>> records =
      internal::SplitCsv(text, checked->file, kLayoutRecords);
  if (!records.ok()) return records.status();
  if (!options.mapping.empty()) {
    checked->layout = Layout::kMapping;
  } else if (LooksLikeSdmxCsv(*records)) {
    checked->layout = Layout::kSdmxCsv;
  } else if (internal::LooksLikePortal(*records)) {
    checked->layout = Layout::kPortal;
  } else if (internal::LooksLikeLongCsv(*records)) {
    checked->layout = Layout::kLongCsv;
    return absl::OkStatus();
  } else {
    return absl::InvalidArgumentError(i18n::Tr(
        "{}: the layout is not recognized: expected a data portal export (title lines such as "
        "指标：), a long CSV with the header {}, or a table with a mapping file",
        checked->file, kLongCsvHeader));
  }
  records = internal::SplitCsv(text, checked->file);
  if (!records.ok()) return records.status();
  checked->records = *std::move(records);
  return absl::OkStatus();
}

const char* FormatName(Layout layout) {
  switch (layout) {
    case Layout::kMapping:
      return "mapping";
    case Layout::kSdmxCsv:
      return "sdmx-csv";
    case Layout::kPortal:
      return "portal";
    case Layout::kLongCsv:
      return "long-csv";
  }
  return "";
}

// The slow path: reads the file holding its observations.
absl::Status CheckExactly(CheckedFile* checked, ParseResult* result) {
  ParseResult exact;
  exact.format = result->format;
  exact.encoding = result->encoding;
  std::vector<Observation> observations;
  KeepSink sink(&observations);
  internal::Collector collector(*checked->catalog, checked->node_province, checked->file, &exact,
                                &sink);
  sink.set_collector(&collector);
  if (absl::Status status = ReadLayout(*checked, collector, &exact); !status.ok()) return status;
  sink.Finish();
  exact.observation_count = observations.size();
  exact.status_missing =
      std::any_of(observations.begin(), observations.end(), [](const Observation& observation) {
        return observation.status == proto::DATA_STATUS_UNSPECIFIED;
      });
  checked->exact = std::move(observations);
  *result = std::move(exact);
  return absl::OkStatus();
}

}  // namespace

void internal::SetCellHashForTest(CellHashFunction hash) { cell_hash_for_test = hash; }

void internal::SetParallelCheckBytesForTest(size_t bytes) {
  parallel_check_bytes = bytes == 0 ? kParallelCheckBytes : bytes;
}

absl::StatusOr<ParseResult> CheckFile(std::string_view bytes, const ImportOptions& options,
                                      const catalog::Catalog& catalog,
                                      std::string_view node_province) {
  auto checked = std::make_shared<CheckedFile>();
  checked->file = options.file_name.empty() ? "-" : options.file_name;
  checked->catalog = &catalog;
  checked->node_province = std::string(node_province);
  checked->mapping = options.mapping;
  const catalog::Region* province = catalog.FindRegion(node_province);
  if (province == nullptr || province->level != catalog::RegionLevel::kProvince) {
    return absl::InvalidArgumentError(i18n::Tr(
        "node province \"{}\" is not a province in the catalog", std::string(node_province)));
  }
  if (absl::Status status = Prepare(bytes, options, checked.get()); !status.ok()) return status;

  ParseResult result;
  result.format = FormatName(checked->layout);
  result.encoding = checked->decoded.encoding;
  HashSink hashes;
  internal::Collector collector(catalog, node_province, checked->file, &result, &hashes);
  size_t split = 0;
  if (absl::Status status = CheckLayout(*checked, collector, hashes, &result, &split);
      !status.ok()) {
    return status;
  }

  // The cell hashes sorted: a value that occurs more than once is a cell
  // and its repeats. Repeats are rare, so only their values are kept, and a
  // pass in file order then finds which candidate each repeat repeats.
  const size_t count = hashes.hashes.size();
  std::vector<uint64_t> sorted = hashes.hashes;
  SortHashes(sorted, split);
  std::vector<uint64_t> repeated;  // sorted, each value once
  for (size_t i = 1; i < count; ++i) {
    if (sorted[i] == sorted[i - 1] && (repeated.empty() || repeated.back() != sorted[i])) {
      repeated.push_back(sorted[i]);
    }
  }
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  sorted.shrink_to_fit();
  checked->cells = std::move(sorted);
  result.observation_count = checked->cells.size();

  checked->first.assign(count, true);
  std::vector<std::pair<size_t, size_t>> duplicates;  // (first, again) by number
  if (!repeated.empty()) {
    std::unordered_map<uint64_t, size_t> first_of;
    for (size_t i = 0; i < count; ++i) {
      uint64_t hash = hashes.hashes[i];
      if (!std::binary_search(repeated.begin(), repeated.end(), hash)) continue;
      auto [it, inserted] = first_of.emplace(hash, i);
      if (inserted) continue;
      checked->first[i] = false;
      duplicates.emplace_back(it->second, i);
    }
  }
  for (size_t i = 0; i < count && !result.status_missing; ++i) {
    if (checked->first[i] && hashes.without_status[i]) result.status_missing = true;
  }
  hashes.hashes = std::vector<uint64_t>();

  if (!duplicates.empty()) {
    // Reads the duplicates and the candidates they repeat, to compare their
    // values and their names, because so far cells are compared by hash only.
    std::set<size_t> selected;
    for (const auto& [first, again] : duplicates) {
      selected.insert(first);
      selected.insert(again);
    }
    std::map<size_t, Observation> found;
    auto it = selected.begin();
    std::function<absl::Status(Observation&&)> keep = [&](Observation&& observation) {
      found.emplace(*it++, std::move(observation));
      return absl::OkStatus();
    };
    VisitSink visit(*checked, keep, &selected);
    if (absl::Status status = Reread(*checked, &visit); !status.ok()) return status;

    // Each conflict is an error at the place of the repeat, among the row
    // errors in file order. Positions: 2n for errors found after n
    // candidates, 2n + 1 for a conflict at candidate n.
    std::vector<std::pair<size_t, RowError>> placed;
    const std::vector<size_t>& positions = collector.error_positions();
    for (size_t i = 0; i < result.errors.size(); ++i) {
      placed.emplace_back(2 * positions[i], std::move(result.errors[i]));
    }
    for (const auto& [first, again] : duplicates) {
      const Observation& a = found.at(first);
      const Observation& b = found.at(again);
      if (a.indicator != b.indicator || a.region != b.region || a.period != b.period) {
        // Two cells share a hash: merge duplicates by their names instead.
        if (absl::Status status = CheckExactly(checked.get(), &result); !status.ok()) {
          return status;
        }
        result.checked = std::move(checked);
        return result;
      }
      if (!decimal::Equal(a.value, b.value)) {
        placed.emplace_back(2 * again + 1, RowError{checked->file, b.line, b.column, b.value,
                                                    DuplicateReason(a, b)});
      }
    }
    std::stable_sort(placed.begin(), placed.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    result.errors.clear();
    for (auto& [position, error] : placed) result.errors.push_back(std::move(error));
  }
  result.checked = std::move(checked);
  return result;
}

absl::Status VisitObservations(const ParseResult& checked,
                               const std::function<absl::Status(Observation&&)>& visit) {
  if (checked.checked == nullptr) {
    return absl::FailedPreconditionError("VisitObservations needs the result of CheckFile");
  }
  if (checked.checked->exact.has_value()) {
    for (const Observation& observation : *checked.checked->exact) {
      Observation copy = observation;
      if (absl::Status status = visit(std::move(copy)); !status.ok()) return status;
    }
    return absl::OkStatus();
  }
  VisitSink sink(*checked.checked, visit, nullptr);
  if (absl::Status status = Reread(*checked.checked, &sink); !status.ok()) return status;
  return sink.status();
}

absl::StatusOr<ParseResult> ParseFile(std::string_view bytes, const ImportOptions& options,
                                      const catalog::Catalog& catalog,
                                      std::string_view node_province) {
  absl::StatusOr<ParseResult> result = CheckFile(bytes, options, catalog, node_province);
  if (!result.ok()) return result;
  result->observations.reserve(result->observation_count);
  absl::Status status = VisitObservations(*result, [&](Observation&& observation) {
    result->observations.push_back(std::move(observation));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

}  // namespace yreb::importers
