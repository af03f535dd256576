// What `mnet bench` and `mnet compare` print, and latency statistics as every JSON report writes them.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/shape.h"
#include "cost/cost.h"
#include "profile/timings.h"
#include "report/envelope.h"
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

// One model at one setting of a sweep (threads, width, resolution).
struct BenchRow {
  std::string model;   // the graph's name
  std::string source;  // the path as given
  Shape input;
  int threads = 1;
  double width = 0;    // --width given for this row; 0: the config's own
  LatencyStats latency;  // of one run of `batch` images
  StartupCost startup = {};
  int batch = 1;
};
// A head line (report_context's line, OpenBLAS's core, the runs), then one row per model ×
// setting; JSON in the report envelope (kind "bench"). CSV rows carry the commit, CPU and SIMD
// target so that files from several machines can be concatenated.
std::string format_bench(const MachineInfo& machine, const std::vector<BenchRow>& rows, Format format,
                         const ReportContext& context);

// A model's accuracy over a labelled set (compare --eval), fractions of the images evaluated.
struct Accuracy {
  double top1 = 0, top5 = 0;
  int64_t images = 0, failed = 0;
  std::string data;
};

// One model's cost and, unless --cost-only, its latency at one thread count.
struct CompareRow {
  CostReport cost;
  std::string source;
  std::optional<LatencyStats> latency;
  int threads = 1;
  StartupCost startup = {};
  std::optional<Accuracy> accuracy = std::nullopt;  // with --eval
};
// One row per model (× thread count): multiply-adds, params, the shares of 1×1 and depthwise
// convolutions, and latency with GFLOP/s, load and first-run time and peak memory. `machine` is
// needed only when the rows have latency. With `baseline` (a model's source among the rows), each
// row also gets its ratios to that model's row at the same thread count (multiply-adds, params,
// median latency), and the table a sentence per other model with the differences.
std::string format_compare(const std::vector<CompareRow>& rows, const MachineInfo* machine, Format format,
                           const ReportContext& context, std::optional<std::string> baseline = std::nullopt);

// The startup figures as JSON: {"load_ms", "init_ms", "first_run_ms", "peak_rss_bytes", "planned_bytes"}.
nlohmann::json startup_json(const StartupCost& s);
// The cost by part (backbone, head): [{"part", "layers", "madds", "madds_pct", "params", "params_pct"}].
nlohmann::json parts_json(const CostReport& cost);

}  // namespace mnet
