// Import and export of whole files on a node.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <array>
#include <future>
#include <map>
#include <set>

#include "common/bounded_queue.h"
#include "common/decimal.h"
#include "i18n/i18n.h"
#include "importers/importers.h"
#include "node/records.h"
#include "proto/entry.h"

namespace yreb::node {
namespace {

using i18n::Tr;

std::string FormatRowError(const importers::RowError& error) {
  std::string where = error.file;
  if (error.line > 0) where += ":" + std::to_string(error.line);
  std::string message = where + ": ";
  if (!error.column.empty()) message += Tr("column \"{}\": ", error.column);
  if (!error.value.empty()) message += Tr("value \"{}\": ", error.value);
  return message + error.reason;
}

// Observations on their way from the thread that reads the file to the
// writer thread, already serialized there. Each record is serialized
// without the revision (field 9) and the import id (field 13), which only
// the writer assigns, in two parts cut where the revision goes. Both parts
// are in field order, so head + revision + tail + import id is what
// SerializeAsString gives for the whole record.
class PreparedBlock {
 public:
  struct Item {
    uint32_t at = 0;  // offset of the head in `bytes_`, with the tail right after it
    uint32_t head_size = 0;
    uint32_t tail_size = 0;
    // Fields 1 to 4 (indicator, region, period, value) in the head, as
    // offsets from `at` and sizes.
    std::array<uint32_t, 4> field_at{};
    std::array<uint32_t, 4> field_size{};
    proto::DataStatus status = proto::DATA_STATUS_UNSPECIFIED;
  };

  // Appends the parts of `head` (fields 1 to 8 set) and `tail` (fields 10
  // to 12 set).
  void Add(const proto::Record& head, const proto::Record& tail) {
    Item item;
    item.at = static_cast<uint32_t>(bytes_.size());
    head.AppendToString(&bytes_);
    item.head_size = static_cast<uint32_t>(bytes_.size() - item.at);
    tail.AppendToString(&bytes_);
    item.tail_size = static_cast<uint32_t>(bytes_.size() - item.at - item.head_size);
    item.status = head.status();
    // The string fields lead the head, each as tag, length and bytes, and
    // proto3 leaves out an empty one.
    std::string_view wire(bytes_.data() + item.at, item.head_size);
    size_t pos = 0;
    for (int field = 1; field <= 4 && pos < wire.size(); ++field) {
      if (static_cast<uint8_t>(wire[pos]) != ((field << 3) | 2)) continue;
      ++pos;
      uint64_t size = 0;
      for (int shift = 0; pos < wire.size(); shift += 7) {
        auto byte = static_cast<uint8_t>(wire[pos++]);
        size |= static_cast<uint64_t>(byte & 0x7F) << shift;
        if ((byte & 0x80) == 0) break;
      }
      item.field_at[field - 1] = static_cast<uint32_t>(pos);
      item.field_size[field - 1] = static_cast<uint32_t>(size);
      pos += size;
    }
    items_.push_back(item);
  }

  const std::vector<Item>& items() const { return items_; }
  size_t size() const { return items_.size(); }

  std::string_view Head(const Item& item) const {
    return std::string_view(bytes_).substr(item.at, item.head_size);
  }
  std::string_view Tail(const Item& item) const {
    return std::string_view(bytes_).substr(item.at + item.head_size, item.tail_size);
  }
  // Returns field 1, 2, 3 or 4 of the record: indicator, region, period or value.
  std::string_view Field(const Item& item, int field) const {
    return std::string_view(bytes_).substr(item.at + item.field_at[field - 1],
                                           item.field_size[field - 1]);
  }

 private:
  std::string bytes_;
  std::vector<Item> items_;
};

// Appends field `field` as a varint, the way protobuf writes a uint32 or
// uint64 field that is not zero.
void AppendVarintField(int field, uint64_t value, std::string* out) {
  out->push_back(static_cast<char>(field << 3));
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

}  // namespace

absl::StatusOr<proto::ImportReply> Records::Import(const proto::ImportRequest& request) {
  // New records follow the newest catalog version and name it.
  std::shared_ptr<const catalog::Catalog> catalog = Catalogs().front();
  importers::ImportOptions options;
  options.file_name = request.file_name().empty() ? "(stdin)" : request.file_name();
  options.mapping = request.mapping();
  // The file's hash goes into the import's commit entry. Another thread
  // computes it while this one checks the file, as the check leaves the
  // second core idle for part of its time.
  std::future<std::string> file_hash;
  if (!request.dry_run()) {
    file_hash = std::async(std::launch::async, [&content = request.content()] {
      return crypto::ToHex(crypto::Sha256(content));
    });
  }
  // Two passes over the file: the first checks every row and keeps a few
  // bytes per cell. The second reads the file again on this thread while the
  // job below appends the observations one at a time. A large file then costs little
  // memory beyond its own bytes.
  absl::StatusOr<importers::ParseResult> parsed =
      importers::CheckFile(request.content(), options, *catalog, province_);
  if (!parsed.ok()) return absl::InvalidArgumentError(parsed.status().message());

  proto::ImportReply reply;
  reply.set_format(parsed->format);
  reply.set_encoding(parsed->encoding);
  reply.set_skipped_rows(parsed->skipped_rows_other_regions);
  for (const auto& [region, count] : parsed->skipped_by_region) {
    (*reply.mutable_skipped_by_region())[region] = count;
  }
  for (const importers::RowError& error : parsed->errors) {
    reply.add_errors(FormatRowError(error));
  }

  // Portal files carry no status; the operator names it for the whole file.
  if (parsed->status_missing && request.status() == proto::DATA_STATUS_UNSPECIFIED) {
    reply.add_errors(Tr("{}: the file does not say whether its values are preliminary or "
                        "final; give the data status with --status (preliminary, "
                        "preliminary-verification, final or revised)",
                        options.file_name));
  }
  if (reply.errors().empty() && parsed->observation_count == 0) {
    const catalog::Region* province = catalog->FindRegion(province_);
    std::string name = province != nullptr ? province->name_zh : province_;
    if (parsed->skipped_rows_other_regions > 0) {
      reply.add_errors(Tr("{}: the file holds no rows of {} ({}); its {} rows belong to other "
                          "regions. Import it on the node of their province",
                          options.file_name, name, province_,
                          parsed->skipped_rows_other_regions));
    } else {
      reply.add_errors(Tr("{}: the file holds no values to import", options.file_name));
    }
  }
  if (!reply.errors().empty()) return reply;

  size_t chunk = options_.import_chunk_records;
  bool dry_run = request.dry_run();
  // This thread reads the file the second time and passes the observations
  // to the writer thread in blocks, serialized as far as it can. The queue
  // keeps at most eight blocks.
  constexpr size_t kBlockSize = 1024;
  BoundedQueue<PreparedBlock> queue(8);
  absl::Status read;       // set before queue.Finish()
  std::string file_sha256;  // likewise

  // The whole import runs as one job on the writer thread, so the revisions
  // it computes cannot race with other writes. This thread reads the file
  // the second time meanwhile and feeds the job through the queue.
  // Large imports are flushed in chunks, and their records count only with
  // the commit entry at the end.
  auto job = [&](sync::AppendContext& context) -> absl::Status {
    struct CloseQueue {
      BoundedQueue<PreparedBlock>& queue;
      ~CloseQueue() { queue.Close(); }
    } close_queue{queue};
    uint64_t import_id = context.next_sequence();
    // Only this job writes cells of this node's province while it runs (a
    // receiver indexes no record of another origin for them), so one reader
    // serves all its lookups. It is refreshed at each flush, which also
    // lets go of the memtables it pins.
    std::unique_ptr<storage::CellReader> cells = store_->NewCellReader();
    size_t stored = 0;
    uint64_t first_sequence = 0;
    size_t in_chunk = 0;
    std::string serialized;
    auto append = [&](const PreparedBlock& block, const PreparedBlock::Item& item) -> absl::Status {
      std::string_view indicator = block.Field(item, 1);
      std::string_view region = block.Field(item, 2);
      std::string_view period = block.Field(item, 3);
      std::string_view value = block.Field(item, 4);
      absl::StatusOr<std::optional<Latest>> latest =
          LatestInGroup(context, indicator, region, period, cells.get());
      if (!latest.ok()) return latest.status();
      if (latest->has_value() && (*latest)->Unchanged(value, item.status)) {
        reply.set_unchanged_records(reply.unchanged_records() + 1);
        return absl::OkStatus();
      }
      uint32_t revision = latest->has_value() ? (*latest)->revision + 1 : 1;
      if (revision == 1) {
        reply.set_new_records(reply.new_records() + 1);
      } else {
        reply.set_revised_records(reply.revised_records() + 1);
      }
      if (dry_run) return absl::OkStatus();

      serialized.assign(block.Head(item));
      AppendVarintField(9, revision, &serialized);
      serialized.append(block.Tail(item));
      AppendVarintField(13, import_id, &serialized);
      uint64_t sequence = context.Append(proto::ENTRY_KIND_RECORD, serialized);
      if (first_sequence == 0) first_sequence = sequence;
      ++stored;
      // Indexed now, shown once the commit below is stored.
      context.batch().PutCell(indicator, region, period, revision, log_->origin(), sequence,
                              import_id);
      // A job earlier in this group may have written the same cell; later
      // jobs must see this revision instead. Other cells of the import reach
      // later jobs through the store (see the flush below).
      auto written = context.scratch().empty()
                         ? context.scratch().end()
                         : context.scratch().find(CellKey(indicator, region, period));
      if (written != context.scratch().end()) {
        written->second = EncodeLatest(revision, false, item.status, value);
      }
      if (++in_chunk >= chunk) {
        // The import's cells are distinct, so the next chunk's lookups need
        // not see this one: it is written while the next is built.
        if (absl::Status status = context.StartFlush(); !status.ok()) return status;
        if (absl::Status status = cells->Refresh(); !status.ok()) return status;
        in_chunk = 0;
      }
      return absl::OkStatus();
    };
    while (std::optional<PreparedBlock> block = queue.Pop()) {
      for (const PreparedBlock::Item& item : block->items()) {
        if (absl::Status status = append(*block, item); !status.ok()) return status;
      }
    }
    if (!read.ok()) return read;
    if (dry_run || stored == 0) return absl::OkStatus();

    proto::ImportCommit commit;
    commit.set_import_id(import_id);
    commit.set_file_name(options.file_name);
    commit.set_file_sha256(file_sha256);
    commit.set_record_count(stored);
    commit.set_first_sequence(first_sequence);
    uint64_t commit_sequence =
        context.Append(proto::ENTRY_KIND_IMPORT_COMMIT, commit.SerializeAsString());
    context.batch().PutImportCommitted(log_->origin(), import_id, commit_sequence);
    reply.set_import_id(import_id);
    reply.set_first_sequence(first_sequence);
    reply.set_last_sequence(commit_sequence);
    // Writes the commit and its marker now, so that later jobs of this group
    // find the import's revisions in the store.
    return context.Flush();
  };

  std::promise<absl::Status> done;
  std::future<absl::Status> result = done.get_future();
  log_->Submit(job, [&](absl::Status status) {
    // Also when the job never ran (appends blocked): the reader must not
    // wait for room.
    queue.Close();
    done.set_value(std::move(status));
  });
  // The two parts of each record, reused: assigning to their fields keeps
  // the fields' buffers.
  proto::Record head;
  proto::Record tail;
  tail.set_catalog_version(catalog->version());
  PreparedBlock block;
  absl::Status visited =
      importers::VisitObservations(*parsed, [&](importers::Observation&& observation) {
        head.set_indicator(observation.indicator);
        head.set_region(observation.region);
        head.set_period(observation.period);
        head.set_value(observation.value);
        head.set_unit(observation.unit);
        head.set_measure(observation.measure);
        head.set_value_kind(observation.value_kind);
        head.set_status(observation.status != proto::DATA_STATUS_UNSPECIFIED ? observation.status
                                                                             : request.status());
        tail.set_note(observation.note);
        block.Add(head, tail);
        if (block.size() < kBlockSize) return absl::OkStatus();
        bool accepted = queue.Push(std::move(block));
        block = PreparedBlock();
        return accepted ? absl::OkStatus() : absl::CancelledError("the import job stopped");
      });
  if (visited.ok() && block.size() > 0) queue.Push(std::move(block));
  if (visited.ok() && file_hash.valid()) file_sha256 = file_hash.get();
  read = visited;
  queue.Finish();
  absl::Status status = result.get();
  // The first pass's hashes and the observations were allocated and freed
  // on several threads; glibc keeps such memory for reuse unless asked to
  // return it.
  parsed = absl::StatusOr<importers::ParseResult>();
  malloc_trim(0);
  if (!status.ok()) return status;
  if (!dry_run) {
    spdlog::info("import stored: file=\"{}\" new={} revised={} unchanged={} skipped={} "
                 "first_sequence={} last_sequence={}",
                 options.file_name, reply.new_records(), reply.revised_records(),
                 reply.unchanged_records(), reply.skipped_rows(), reply.first_sequence(),
                 reply.last_sequence());
  }
  return reply;
}

absl::StatusOr<proto::ExportReply> Records::Export(const proto::ExportRequest& request) const {
  // Indicators of every catalog version, newest first, so that values of an
  // indicator a later version removed are still exported.
  std::vector<std::shared_ptr<const catalog::Catalog>> catalogs = Catalogs();
  const catalog::Catalog& newest = *catalogs.front();
  std::vector<const catalog::Indicator*> indicators;
  if (!request.indicator().empty()) {
    const catalog::Indicator* indicator = nullptr;
    for (const auto& version : catalogs) {
      indicator = version->FindIndicator(request.indicator());
      if (indicator != nullptr) break;
    }
    if (indicator == nullptr) {
      return absl::InvalidArgumentError(
          Tr("indicator {} is not in catalog version {}; see yrebctl catalog show for the codes",
             request.indicator(), newest.version()));
    }
    indicators.push_back(indicator);
  } else {
    std::set<std::string> codes;
    for (const auto& version : catalogs) {
      for (const catalog::Indicator& indicator : version->indicators()) {
        if (codes.insert(indicator.code).second) indicators.push_back(&indicator);
      }
    }
  }

  std::vector<importers::ExportRow> rows;
  for (const catalog::Indicator* indicator : indicators) {
    proto::QueryRequest query;
    query.set_indicator(indicator->code);
    query.set_region(request.region());
    absl::StatusOr<proto::QueryReply> latest = Query(query);
    if (!latest.ok()) return latest.status();
    for (const proto::QueriedRevision& revision : latest->revisions()) {
      const proto::Record& record = revision.record();
      if (record.withdrawn()) continue;
      importers::ExportRow row;
      row.indicator = record.indicator();
      row.region = record.region();
      const catalog::Region* region = newest.FindRegion(record.region());
      row.region_name = region != nullptr ? region->name_zh : "";
      row.period = record.period();
      row.value = record.value();
      row.unit = record.unit();
      row.measure = record.measure();
      row.value_kind = record.value_kind();
      row.status = record.status();
      row.revision = record.revision();
      row.note = record.note();
      rows.push_back(std::move(row));
    }
  }
  absl::StatusOr<std::string> content = importers::WriteLongCsv(
      rows, request.gb18030() ? importers::Encoding::kGb18030 : importers::Encoding::kUtf8Bom);
  if (!content.ok()) return content.status();
  proto::ExportReply reply;
  reply.set_content(std::move(*content));
  reply.set_rows(rows.size());
  return reply;
}

}  // namespace yreb::node
