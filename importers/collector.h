// Internal to importers: the checks every layout shares. A layout reader
// finds cells; the Collector resolves regions and indicators, filters by the
// node's province, validates values and periods, and hands each valid
// observation to a Sink, which merges duplicates (see importers.cc).
#ifndef YREB_IMPORTERS_COLLECTOR_H_
#define YREB_IMPORTERS_COLLECTOR_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/period.h"
#include "importers/importers.h"

namespace yreb::importers::internal {

// Position of a cell in the file, for messages.
struct CellPlace {
  int line = 0;
  std::string_view column;
};

// A valid observation of an own region, before duplicates are merged.
struct Candidate {
  const catalog::Indicator& indicator;
  const catalog::Region& region;
  const period::Period& period;
  std::string_view value;  // trimmed, not empty
  CellPlace place;
  std::string_view note;
  proto::DataStatus status;
};

// Receives the candidates of one pass over a file, in file order.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void Take(const Candidate& candidate) = 0;
};

class Collector {
 public:
  // Row errors and skipped rows go to `result`, candidates to `sink`.
  Collector(const catalog::Catalog& catalog, std::string_view node_province, std::string file_name,
            ParseResult* result, Sink* sink);

  // Finds a region by its code or any of its names. Records an error and
  // returns nullptr when nothing matches.
  const catalog::Region* ResolveRegion(std::string_view text, CellPlace place);

  // Finds an indicator by its name, an alias or its code. Records an error
  // and returns nullptr when nothing matches.
  const catalog::Indicator* ResolveIndicator(std::string_view text, CellPlace place);

  // Returns true when `region` is the node's province or one of its
  // prefectures.
  bool IsOwn(const catalog::Region& region);

  // Counts one skipped row of another region.
  void CountSkipped(const catalog::Region& region);

  // Checks one observation of an own region and hands it to the sink. An
  // empty value is absent and skipped silently.
  void Add(const catalog::Indicator& indicator, const catalog::Region& region,
           const period::Period& period, std::string_view value, CellPlace place,
           std::string_view note = "", proto::DataStatus status = proto::DATA_STATUS_UNSPECIFIED);

  void AddError(CellPlace place, std::string_view value, std::string reason);

  // Takes over, after its own, what `later` found in the rest of the file:
  // its row errors, skipped rows and candidates. Candidates themselves
  // went to `later`'s sink.
  void Append(Collector& later);

  const std::string& file_name() const { return file_name_; }
  const catalog::Catalog& catalog() const { return catalog_; }
  // Candidates handed to the sink so far.
  size_t candidates() const { return candidates_; }
  // For each row error, the number of candidates before it.
  const std::vector<size_t>& error_positions() const { return error_positions_; }

 private:
  const catalog::Catalog& catalog_;
  std::string node_province_;
  std::string file_name_;
  ParseResult* result_;
  Sink* sink_;
  size_t candidates_ = 0;
  std::vector<size_t> error_positions_;
  // The last name resolved of each kind. Rows of a file come in runs of the
  // same indicator and region, and a name lookup normalizes the name first.
  std::string last_region_text_;
  const catalog::Region* last_region_ = nullptr;
  std::string last_indicator_text_;
  const catalog::Indicator* last_indicator_ = nullptr;
  // The last region IsOwn checked, and the result.
  const catalog::Region* last_owned_region_ = nullptr;
  bool last_owned_ = false;
};

}  // namespace yreb::importers::internal

#endif  // YREB_IMPORTERS_COLLECTOR_H_
