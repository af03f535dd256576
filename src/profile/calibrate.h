// The machine's GEMM ceiling (the engine's best 1x1 convolution rate), measured by `mnet calibrate`
// and cached (profile/calibration_cache.h) so that `mnet profile` can show each layer's share of it
// without measuring anything.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "profile/timings.h"

namespace mnet {

// What a ceiling depends on: a cached one counts only where all of these are the same.
struct CalibrationKey {
  std::string cpu;        // "model name" of /proc/cpuinfo
  int threads = 1;
  std::string blas;       // OpenBLAS configuration string
  std::string blas_core;  // core type OpenBLAS chose
  std::string mnet_version;
  bool operator==(const CalibrationKey& o) const {
    return cpu == o.cpu && threads == o.threads && blas == o.blas && blas_core == o.blas_core &&
           mnet_version == o.mnet_version;
  }
};
// The key of this machine, OpenBLAS and mnet build at `threads` threads.
CalibrationKey current_calibration_key(int threads);

// One timed shape: a 1x1 convolution through the Executor, or the raw sgemm.
struct ShapeRate {
  std::string shape;  // "conv1x1 512->512 at 28x28", "sgemm 1024x1024x1024"
  int64_t madds = 0;
  double median_ms = 0;
  int runs = 0;
  double gflops = 0;  // 2 · madds / median seconds
};

struct Calibration {
  CalibrationKey key;
  double ceiling_gflops = 0;       // the best of `shapes`
  std::string ceiling_shape;       // the shape that reached it
  std::vector<ShapeRate> shapes;   // the engine's 1x1 convolutions
  ShapeRate sgemm;                 // raw cblas_sgemm on a large square, for context only
  double bandwidth_gbs = 0;        // streaming memory bandwidth (triad), GB/s; 0: not measured (older cache)
  std::string measured_at;         // UTC, "2025-06-01 10:20 UTC"
  RunConditions conditions;        // the machine over all the timed runs; never cached
};

// Times the engine's 1x1 convolution on a few compute-bound shapes (a one-layer graph run by the
// Executor, so whatever kernel the engine uses is what gets measured) and cblas_sgemm on a
// 1024³ square: the median of several runs after a warm-up, about 2 s per thread count. With
// `idle` (--wait-idle), each shape waits for a quiet machine first.
Calibration measure_calibration(int threads, IdleGate* idle = nullptr);

// The streaming memory bandwidth at `threads` threads, GB/s: the best of several triads
// a[i] = b[i] + s·c[i] over three buffers of kBandwidthBufferBytes, far past what the caches hold,
// counting 12 bytes per element as STREAM does (two reads, one write). The roofline's memory line.
constexpr size_t kBandwidthBufferBytes = size_t(128) << 20;
// Under an address-space limit (ulimit -v) the buffers shrink to an eighth of what is left, so that
// OpenMP's and OpenBLAS's threads still fit; below this size they would sit in a large last-level
// cache and measure it instead, so the bandwidth is then not measured (0).
constexpr size_t kMinBandwidthBufferBytes = size_t(32) << 20;
// `conditions`, when given, gains the machine's load over the timed runs.
double measure_bandwidth(int threads, IdleGate* idle = nullptr, RunConditions* conditions = nullptr);

// Whether a measured calibration may be cached: not when the machine was busy while it ran (a
// ceiling taken under load would understate every later profile's "% ceil").
bool may_cache(const Calibration& c);

// The ceiling as reports show it.
GemmCeiling gemm_ceiling(const Calibration& c, const std::string& cache_file);

}  // namespace mnet
