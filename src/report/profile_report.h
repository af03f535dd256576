#pragma once
#include <string>
#include <vector>

#include "cost/cost.h"
#include "report/table.h"

namespace mnet {

// Latency statistics in milliseconds over the timed runs (warm-up excluded).
struct LatencyStats {
  int runs = 0;
  double median = 0, p10 = 0, p90 = 0, min = 0, max = 0;
};
LatencyStats latency_stats(std::vector<double> samples_ms);

// What a reader needs to trust measured figures.
struct MachineInfo {
  std::string cpu;
  std::string blas;       // OpenBLAS configuration string
  std::string blas_core;  // core type OpenBLAS chose
  int threads = 1;
  int runs = 0;
  int warmup = 0;
  double gemm_ceiling_gflops = 0;  // 0 when not calibrated
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
};

// The per-layer table followed by the by-type breakdown (the V1 paper's Table 2). With timings,
// latency, share of time and GFLOP/s (FLOPs = 2 × multiply-adds) are added.
std::string format_profile(const CostReport& cost, const ProfileTimings* timings, Format format);

}  // namespace mnet
