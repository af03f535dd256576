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

// {"runs", "median_ms", "p10_ms", "p90_ms", "min_ms", "max_ms", "mean_ms", "stddev_ms"} and, for
// timed stats, "conditions" (conditions_json).
nlohmann::json latency_json(const LatencyStats& s);
// What the machine did during a measurement: {"disturbed", "reasons", "cpu_ms_per_run",
// "wall_ms_per_run", "others_cores", "steal_pct", "cores", "load_avg_1m"}; the machine's figures
// are null where /proc/stat or /proc/loadavg could not be read.
nlohmann::json conditions_json(const RunConditions& c);
// "50 runs after 10 warm-up", or with --duration "runs for 2 s after 10 warm-up".
std::string runs_text(const MachineInfo& m);

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
