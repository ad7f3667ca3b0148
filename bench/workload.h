// The generated data the end-to-end benchmarks import and the ceilings write:
// long-CSV rows of one province shaped like the real files (monthly real
// estate series, quarterly accounts, annual figures of the province and its
// prefecture cities), and entries of the same size.
#ifndef YREB_BENCH_WORKLOAD_H_
#define YREB_BENCH_WORKLOAD_H_

#include <cstdint>
#include <string>

namespace yreb::bench {

// One observation of the generated workload.
struct Cell {
  std::string indicator;
  std::string region;
  std::string period;  // SDMX
  std::string unit;
  std::string value;   // decimal text
};

// Returns the workload's `id`-th cell, numbered from 0. The cells of one
// province number a few million (see DistinctCells()); an id beyond them
// wraps around to the same cell with another value, which imports as a new
// revision. REQUIRES: `province` is a member province code such as "320000".
Cell CellAt(const std::string& province, uint64_t id);

// Returns how many distinct cells the workload has for `province`.
uint64_t DistinctCells(const std::string& province);

// Returns a long CSV (header and LF line ends) of cells first..first+count-1.
std::string LongCsv(const std::string& province, uint64_t first, uint64_t count);

// Returns an encoded record entry of the workload's `id`-th cell, as an import
// writes it.
std::string SampleEntry(const std::string& province, uint64_t id);

}  // namespace yreb::bench

#endif  // YREB_BENCH_WORKLOAD_H_
