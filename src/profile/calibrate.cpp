// Measuring the GEMM ceiling: the engine's 1x1 convolution on compute-bound shapes, and raw sgemm.
#include "profile/calibrate.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <new>

#include "cost/cost.h"
#include "layers/registry.h"
#include "kernels/gemm.h"
#include "kernels/openblas.h"
#include "profile/profiler.h"
#include "run/executor.h"
#include "weights/weights.h"

namespace mnet {

namespace {

// A 1x1 convolution [in_c, hw, hw] -> [out_c, hw, hw]: a GEMM of M = out_c, N = hw², K = in_c.
struct ConvShape {
  int in_c, out_c, hw;
};
// Compute-bound: every GEMM dimension in the hundreds (K ≥ 256, N ≥ 196), 100-400 M multiply-adds,
// operands of 1-4 MB. V1's largest pointwise layers are 512->512 at 14x14 and 256->256 at 28x28.
constexpr ConvShape kConvShapes[] = {{512, 512, 28}, {512, 512, 14}, {256, 256, 56}, {1024, 1024, 14}};
constexpr int kSgemmSize = 1024;

// Each shape: kWarmup untimed runs, one probe, then enough timed runs to fill about kShapeBudgetMs
// (at least kMinRuns): ~1.5 s per thread count at 100 GFLOP/s, and still a few seconds at 10.
constexpr int kWarmup = 3;
constexpr double kShapeBudgetMs = 250;
constexpr int kMinRuns = 5;
constexpr int kMaxRuns = 200;

std::string conv_shape_name(const ConvShape& s) {
  return "conv1x1 " + std::to_string(s.in_c) + "->" + std::to_string(s.out_c) + " at " + std::to_string(s.hw) +
         "x" + std::to_string(s.hw);
}

// One layer as a MobileNet's pointwise layer runs once BatchNorm is folded into it and ReLU6 fused:
// a 1x1 convolution with bias and activation.
Graph conv1x1_graph(const ConvShape& s) {
  Graph g;
  g.name = "calibration";
  g.source = "mnet calibrate";
  g.resolution = s.hw;
  g.set_input(Shape{s.in_c, s.hw, s.hw});
  Attrs a;
  a.set("out", AttrValue::of_int(s.out_c));
  a.set("kernel", AttrValue::of_int(1));
  a.set("bias", AttrValue::of_bool(true));
  a.set("act", AttrValue::of_string("relu6"));
  std::unique_ptr<Layer> layer = make_layer("conv", a);
  a.check_all_read();
  g.add("pointwise", std::move(layer), {0}, "calibration");
  return g;
}

// The shape's rate; `conditions` gains the machine's load over its timed runs.
ShapeRate time_shape(std::string shape, int64_t madds, const std::function<void()>& run, IdleGate* idle,
                     RunConditions& conditions) {
  TimingOptions probe_options{1, kWarmup};
  probe_options.idle = idle;
  LatencyStats probe = time_runs(run, probe_options);
  int runs = std::clamp(int(kShapeBudgetMs / std::max(probe.median, 1e-3)), kMinRuns, kMaxRuns);
  TimingOptions options{runs, 0};
  options.idle = idle;
  LatencyStats s = time_runs(run, options);
  conditions = combine_conditions(conditions, s.conditions);
  return ShapeRate{std::move(shape), madds, s.median, s.runs, gflops(madds, s.median)};
}

ShapeRate measure_conv1x1(const ConvShape& s, int threads, IdleGate* idle, RunConditions& conditions) {
  Graph g = conv1x1_graph(s);
  WeightMap weights = random_weights(g, 1);
  Executor exec(g, weights, ExecOptions{threads});
  std::vector<float> input(size_t(g.input().out.elements()), 0.5f);  // [in_c, hw, hw]
  return time_shape(conv_shape_name(s), analyze_cost(g).madds, [&] { exec.run(input.data()); }, idle, conditions);
}

ShapeRate measure_sgemm(int threads, IdleGate* idle, RunConditions& conditions) {
  const int n = kSgemmSize;
  std::vector<float> a(size_t(n) * n, 0.5f), b(size_t(n) * n, 0.25f), c(size_t(n) * n);  // [n, n] each
  set_blas_threads(threads);
  std::string shape = "sgemm " + std::to_string(n) + "x" + std::to_string(n) + "x" + std::to_string(n);
  return time_shape(shape, int64_t(n) * n * n, [&] {
    // OpenBLAS itself, whatever kernel the engine uses for its GEMMs.
    openblas::sgemm(n, n, n, a.data(), b.data(), c.data());
  }, idle, conditions);
}

// Best of kBandwidthRuns triads after one untimed pass (which also maps the pages).
constexpr int kBandwidthRuns = 10;

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

}  // namespace

CalibrationKey current_calibration_key(int threads) {
  MachineInfo m = machine_info(threads, TimingOptions{});
  return CalibrationKey{m.cpu, threads, m.blas, m.blas_core, MNET_VERSION};
}

Calibration measure_calibration(int threads, IdleGate* idle) {
  Calibration c;
  c.key = current_calibration_key(threads);
  c.measured_at = utc_now();
  for (const ConvShape& s : kConvShapes) {
    c.shapes.push_back(measure_conv1x1(s, threads, idle, c.conditions));
    if (c.shapes.back().gflops > c.ceiling_gflops) {
      c.ceiling_gflops = c.shapes.back().gflops;
      c.ceiling_shape = c.shapes.back().shape;
    }
  }
  c.sgemm = measure_sgemm(threads, idle, c.conditions);
  c.bandwidth_gbs = measure_bandwidth(threads, idle, &c.conditions);
  return c;
}

double measure_bandwidth(int threads, IdleGate* idle, RunConditions* conditions) {
  size_t buffer_bytes = kBandwidthBufferBytes;
  if (const long long left = openblas::address_space_left(); left >= 0)
    buffer_bytes = std::min(buffer_bytes, size_t(left) / 8);
  if (buffer_bytes < kMinBandwidthBufferBytes) return 0;
  const int64_t n = int64_t(buffer_bytes / sizeof(float));
  std::unique_ptr<float[]> a(new (std::nothrow) float[size_t(n)]), b(new (std::nothrow) float[size_t(n)]),
      c(new (std::nothrow) float[size_t(n)]);
  if (!a || !b || !c) return 0;  // no room: not measured, as the roofline then says
  float* pa = a.get();
  const float *pb = b.get(), *pc = c.get();
  // Each thread first touches the part it later streams, so its pages sit near it.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    a[size_t(i)] = 0.0f;
    b[size_t(i)] = 1.0f;
    c[size_t(i)] = 2.0f;
  }
  const auto triad = [&] {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i) pa[i] = pb[i] + 3.0f * pc[i];
  };
  TimingOptions options;
  options.runs = kBandwidthRuns;
  options.warmup = 1;
  options.idle = idle;
  const LatencyStats s = time_runs(triad, options);
  if (conditions) *conditions = combine_conditions(*conditions, s.conditions);
  // The best run: the bandwidth the memory can give, as STREAM reports it.
  return s.min > 0 ? 3.0 * double(n) * sizeof(float) / (s.min * 1e-3) / 1e9 : 0;
}

bool may_cache(const Calibration& c) { return c.conditions.measured && !c.conditions.disturbed; }

GemmCeiling gemm_ceiling(const Calibration& c, const std::string& cache_file) {
  return GemmCeiling{c.ceiling_gflops, c.ceiling_shape, c.measured_at, cache_file, c.bandwidth_gbs};
}

}  // namespace mnet
