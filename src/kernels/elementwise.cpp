// Element-wise kernels, vectorised by the compiler.
#include "kernels/elementwise.h"

#include <algorithm>
#include <cmath>

namespace mnet {

void activation_forward(const float* in, float* out, int64_t n, Act act) {
  with_act(act, [&](auto a) {
    for (int64_t i = 0; i < n; ++i) out[i] = apply_act(a, in[i]);
  });
}

namespace {

// Below this many elements one thread finishes before a second wakes up.
constexpr int64_t kParallelElements = int64_t(1) << 15;

bool split(int64_t elements, int threads) { return threads > 1 && elements >= kParallelElements; }

}  // namespace

void add_forward(const float* a, const float* b, float* out, int64_t n, Act act, int threads) {
  // Chunks of whole cache lines, so no two threads write one line.
  constexpr int64_t kChunk = 4096;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  with_act(act, [&](auto act_const) {
#pragma omp parallel for num_threads(threads) schedule(static) if (split(n, threads))
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      const int64_t end = std::min(n, (chunk + 1) * kChunk);
      for (int64_t i = chunk * kChunk; i < end; ++i) out[i] = apply_act(act_const, a[i] + b[i]);
    }
  });
}

void channel_scale_forward(const float* in, const float* scale, int channels, int64_t spatial, float* out,
                           int threads) {
#pragma omp parallel for num_threads(threads) schedule(static) if (split(channels * spatial, threads))
  for (int c = 0; c < channels; ++c) {
    const float* src = in + c * spatial;
    float* dst = out + c * spatial;
    for (int64_t i = 0; i < spatial; ++i) dst[i] = src[i] * scale[c];
  }
}

void global_avgpool_forward(const float* in, int channels, int64_t spatial, float* out, int threads) {
  // Float partial sums over short runs (vectorised), added up in double: a serial double sum
  // waited on the adder's latency for every element.
  constexpr int64_t kRun = 256;
#pragma omp parallel for num_threads(threads) schedule(static) if (split(channels * spatial, threads))
  for (int c = 0; c < channels; ++c) {
    const float* p = in + c * spatial;
    double sum = 0;
    for (int64_t start = 0; start < spatial; start += kRun) {
      const int64_t end = std::min(spatial, start + kRun);
      float run = 0;
#pragma omp simd reduction(+ : run)
      for (int64_t i = start; i < end; ++i) run += p[i];
      sum += run;
    }
    out[c] = float(sum / double(spatial));
  }
}

void channel_affine_forward(const float* in, const float* scale, const float* shift, int channels,
                            int64_t spatial, float* out) {
  for (int c = 0; c < channels; ++c)
    for (int64_t i = 0; i < spatial; ++i)
      out[c * spatial + i] = in[c * spatial + i] * scale[c] + shift[c];
}

void round_to_grid(const float* in, float* out, int64_t n, const QuantGrid& g) {
  const float inv = 1.0f / g.scale;
  const float lo = g.qmin - g.zero_point, hi = g.qmax - g.zero_point;
  // Adding and subtracting 1.5 · 2^23 rounds to the nearest integer, ties to even, in the default
  // rounding mode for |v| < 2^22, and unlike a call to nearbyint it vectorises. The zero point is
  // added after rounding, as the runtime requantizes (it decides ties); clamping before rounding
  // is the same as after because the bounds are integers.
  constexpr float kRound = 12582912.0f;
  for (int64_t i = 0; i < n; ++i) {
    float v = std::min(std::max(in[i] * inv, lo), hi);
    out[i] = ((v + kRound) - kRound) * g.scale;
  }
}

void softmax_forward(const float* in, float* out, int64_t n) {
  if (n <= 0) return;
  float top = *std::max_element(in, in + n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = std::exp(in[i] - top);
    sum += out[i];
  }
  for (int64_t i = 0; i < n; ++i) out[i] = float(out[i] / sum);
}

}  // namespace mnet
