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
  RunConditions conditions;
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

struct ProfileTimings {
  MachineInfo machine;
  std::vector<LayerTiming> by_node;  // indexed by node
  double layer_sum_ms = 0;           // sum of the per-layer medians (instrumented pass)
  LatencyStats model;                // whole model without per-layer timers
  int band_chains = 0;               // convolution chains the whole-model plan runs in bands
  RunConditions layer_conditions;    // the machine during the instrumented pass
};

}  // namespace mnet
