// What `mnet bench` and `mnet compare` print, and latency statistics as every JSON report writes them.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/shape.h"
#include "cost/cost.h"
#include "profile/timings.h"
#include "report/table.h"

namespace mnet {

// {"runs", "median_ms", "p10_ms", "p90_ms", "min_ms", "max_ms"}
nlohmann::json latency_json(const LatencyStats& s);

// One model at one thread count.
struct BenchRow {
  std::string model;   // the graph's name
  std::string source;  // the path as given
  Shape input;
  int threads = 1;
  LatencyStats latency;
};
// A header naming the CPU, OpenBLAS's core and the warm-up, then one row per model × threads.
std::string format_bench(const MachineInfo& machine, const std::vector<BenchRow>& rows, Format format);

// One model's cost and, unless --cost-only, its latency.
struct CompareRow {
  CostReport cost;
  std::string source;
  std::optional<LatencyStats> latency;
};
// One row per model: multiply-adds, params, the shares of 1×1 and depthwise convolutions, and
// latency with GFLOP/s. `machine` (for the header) is needed only when the rows have latency.
// With `baseline` (an index into rows), each row also gets its ratios to that row (multiply-adds,
// params, median latency), and the table a sentence per other model with the differences.
std::string format_compare(const std::vector<CompareRow>& rows, const MachineInfo* machine, Format format,
                           std::optional<size_t> baseline = std::nullopt);

}  // namespace mnet
