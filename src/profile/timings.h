// What measuring produces: latency statistics, the machine a figure was taken on, the GEMM
// ceiling and per-layer times. The profiler and calibration fill these; report/ only prints them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "profile/machine_load.h"

namespace mnet {

// Latency statistics in milliseconds over the timed runs (warm-up excluded), and what the machine
// did meanwhile (filled by profiler.h's time_runs; `measured` false for stats of bare samples).
struct LatencyStats {
  int runs = 0;
  double median = 0, p10 = 0, p90 = 0, min = 0, max = 0;
  double mean = 0, stddev = 0;  // stddev: the sample's (n - 1), 0 for one run
  double first_run_ms = 0;      // the measurement's first run (a warm-up one if any), not in the statistics
  RunConditions conditions;
};

// What getting a model going costs, beside its steady-state latency (llama-bench's and
// benchmark_model's "init" figures).
struct StartupCost {
  double load_ms = 0;          // reading the model and its weights
  double init_ms = 0;          // building the executor: folding, packing weights, planning buffers
  double first_run_ms = 0;     // the first inference, with cold caches and untouched pages
  int64_t peak_rss_bytes = 0;  // peak resident memory while loading and running this model; 0: unknown
  int64_t planned_bytes = 0;   // mnet's estimate of its peak before running (run/executor.h)
};
LatencyStats latency_stats(std::vector<double> samples_ms);

// The rate of `madds` multiply-adds done in `ms` milliseconds, in GFLOP/s (FLOPs = 2 × multiply-adds);
// 0 when no time was measured.
double gflops(int64_t madds, double ms);

// The GEMM ceiling `mnet calibrate` measured and cached for this CPU, thread count, OpenBLAS
// and mnet version: the best rate the engine's own 1x1 convolution reached on large,
// compute-bound shapes. Reports compare achieved GFLOP/s against it; they never measure it.
struct GemmCeiling {
  double gflops = 0;        // FLOPs = 2 × multiply-adds; 0: not measured
  std::string shape;        // the convolution that reached it, e.g. "conv1x1 512->512 at 28x28"
  std::string measured_at;  // UTC, e.g. "2025-06-01 10:20 UTC"
  std::string cache_file;   // where it was read from
  double bandwidth_gbs = 0;  // streaming memory bandwidth, GB/s (roofline); 0: not measured (older cache)
};

// Achieved over ceiling (1.0 = the ceiling); 0 when the ceiling is not measured.
double ceiling_fraction(double achieved_gflops, const GemmCeiling& ceiling);

// What a reader needs to trust measured figures.
struct MachineInfo {
  std::string cpu;
  std::string blas;       // OpenBLAS configuration string
  std::string blas_core;  // core type OpenBLAS chose
  int threads = 1;
  int runs = 0;            // timed runs asked for; 0 with --duration
  int warmup = 0;
  double duration_s = 0;  // --duration: runs for this long instead of `runs` runs; 0: not given
  GemmCeiling ceiling;
};

struct LayerTiming {
  double median_ms = 0;
  std::string fused_into;  // non-empty when this node runs inside another (folded BN, fused act)
};

// The most layer events profile_model keeps for a trace: at 24 bytes each, 48 MiB; the trace
// covers the first runs that fit and says so.
constexpr size_t kMaxTraceEvents = size_t(2) << 20;

// One layer's execution in one run of the instrumented pass, for `profile --trace`.
struct LayerEvent {
  int node = 0;
  int run = 0;              // 0-based index of the timed run
  int64_t start_ns = 0;     // from the first timed run's start
  int64_t duration_ns = 0;
};

struct ProfileTimings {
  MachineInfo machine;
  StartupCost startup;
  std::vector<LayerEvent> events;     // only when asked for (TimingOptions::trace_events)
  std::vector<std::string> kernels;   // per node: the kernel its step ran ("" for nodes fused away)
  std::vector<LayerTiming> by_node;  // indexed by node
  double layer_sum_ms = 0;           // sum of the per-layer medians (instrumented pass)
  LatencyStats model;                // whole model without per-layer timers
  int band_chains = 0;               // convolution chains the whole-model plan runs in bands
  RunConditions layer_conditions;    // the machine during the instrumented pass
};

}  // namespace mnet
