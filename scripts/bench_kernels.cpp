// Depthwise kernel timing on MobileNet shapes. Built with cmake -DMNET_BENCH=ON; then
//   build/bench_kernels [threads]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "bench_timing.h"
#include "kernels/depthwise.h"
#include "kernels/depthwise_blocked.h"

using namespace mnet;

namespace {

struct BenchShape {
  int channels, in_hw, kernel, stride;
};

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const bool cpu_clock = threads == 1;
  const BenchShape shapes[] = {{32, 112, 3, 1}, {64, 112, 3, 2}, {128, 56, 3, 1}, {128, 56, 3, 2},
                               {256, 28, 3, 1}, {512, 14, 3, 1}, {1024, 7, 3, 1}, {72, 56, 5, 2},
                               {120, 28, 5, 1}, {576, 14, 5, 2}, {960, 7, 5, 1}};
  std::printf(
      "threads %d (%s clock), cpu path %s; GFLOP/s, FLOPs = 2 x multiply-adds (k^2 per output)\n",
      threads, cpu_clock ? "thread CPU" : "wall", simd_level_name(cpu_simd_level()));
  std::printf("%-26s %9s %9s %9s %9s %9s %9s %8s\n", "shape", "reference", "scalar", "avx2", "avx512",
              "16-ch", "chosen", "chosen/ref");
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const auto& s : shapes) {
    DepthwiseParams p;
    p.channels = s.channels;
    p.in_h = p.in_w = s.in_hw;
    p.kernel = s.kernel;
    p.stride = s.stride;
    p.out_h = p.out_w = (s.in_hw + s.stride - 1) / s.stride;  // TF SAME
    p.pad_top = p.pad_left = std::max((p.out_h - 1) * s.stride + s.kernel - s.in_hw, 0) / 2;
    p.act = Act::relu6;
    std::vector<float> in(size_t(p.channels) * p.in_h * p.in_w),
        weight(size_t(p.channels) * p.kernel * p.kernel), bias(p.channels),
        out(size_t(p.channels) * p.out_h * p.out_w);
    for (auto* v : {&in, &weight, &bias})
      for (auto& x : *v) x = dist(rng);
    const double flops = 2.0 * p.channels * p.out_h * p.out_w * p.kernel * p.kernel;
    const double reference =
        flops /
        best_seconds(
            [&] { depthwise_conv_reference(p, in.data(), weight.data(), bias.data(), out.data()); },
            cpu_clock) *
        1e-9;
    double by_level[3] = {0, 0, 0};
    for (SimdLevel level : {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512}) {
      if (level > cpu_simd_level()) continue;
      by_level[int(level)] = flops /
                             best_seconds(
                                 [&] {
                                   depthwise_conv_with(level, p, in.data(), weight.data(),
                                                       bias.data(), out.data(), threads);
                                 },
                                 cpu_clock) *
                             1e-9;
    }
    // The 16-channel kernel where depthwise_conv would consider it ("-" elsewhere).
    const double blocked =
        depthwise_blocked_suits(p)
            ? flops /
                  best_seconds(
                      [&] {
                        depthwise_conv_blocked(p, in.data(), weight.data(), bias.data(), out.data(), threads, true);
                      },
                      cpu_clock) *
                  1e-9
            : 0.0;
    const double chosen =
        flops /
        best_seconds(
            [&] { depthwise_conv(p, in.data(), weight.data(), bias.data(), out.data(), threads); },
            cpu_clock) *
        1e-9;
    char name[64];
    std::snprintf(name, sizeof name, "%dch %d->%d k%d s%d", p.channels, p.in_h, p.out_h, p.kernel,
                  p.stride);
    char blocked_text[16] = "-";
    if (blocked > 0) std::snprintf(blocked_text, sizeof blocked_text, "%.2f", blocked);
    std::printf("%-26s %9.2f %9.2f %9.2f %9.2f %9s %9.2f %7.1fx\n", name, reference, by_level[0], by_level[1],
                by_level[2], blocked_text, chosen, chosen / reference);
  }
  return 0;
}
