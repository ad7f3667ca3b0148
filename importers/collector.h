// Internal to importers: the checks every layout shares. A layout reader
// finds cells; the Collector resolves regions and indicators, filters by the
// node's province, validates values and periods, and merges duplicates.
#ifndef YREB_IMPORTERS_COLLECTOR_H_
#define YREB_IMPORTERS_COLLECTOR_H_

#include <map>
#include <string>
#include <string_view>
#include <tuple>

#include "catalog/catalog.h"
#include "common/period.h"
#include "importers/importers.h"

namespace yreb::importers::internal {

// Position of a cell in the file, for messages.
struct CellPlace {
  int line = 0;
  std::string_view column;
};

class Collector {
 public:
  Collector(const catalog::Catalog& catalog, std::string_view node_province, std::string file_name,
            ParseResult* result);

  // Finds a region by its code or any of its names. Records an error and
  // returns nullptr when nothing matches.
  const catalog::Region* ResolveRegion(std::string_view text, CellPlace place);

  // Finds an indicator by its name, an alias or its code. Records an error
  // and returns nullptr when nothing matches.
  const catalog::Indicator* ResolveIndicator(std::string_view text, CellPlace place);

  // Returns true when `region` is the node's province or one of its
  // prefectures.
  bool IsOwn(const catalog::Region& region) const;

  // Counts one skipped row of another region.
  void CountSkipped(const catalog::Region& region);

  // Adds one observation of an own region after checking it. An empty value
  // is absent and skipped silently.
  void Add(const catalog::Indicator& indicator, const catalog::Region& region,
           const period::Period& period, std::string_view value, CellPlace place,
           std::string note = "", proto::DataStatus status = proto::DATA_STATUS_UNSPECIFIED);

  void AddError(CellPlace place, std::string_view value, std::string reason);

  // Adds the January-February note to cumulative February values whose
  // January is absent. Call once, after the last Add().
  void Finish();

  const std::string& file_name() const { return file_name_; }
  const catalog::Catalog& catalog() const { return catalog_; }

 private:
  const catalog::Catalog& catalog_;
  std::string node_province_;
  std::string file_name_;
  ParseResult* result_;
  // (indicator, region, period) -> index into result_->observations.
  std::map<std::tuple<std::string, std::string, std::string>, size_t> seen_;
};

}  // namespace yreb::importers::internal

#endif  // YREB_IMPORTERS_COLLECTOR_H_
