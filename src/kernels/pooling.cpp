// Max and average pooling and local response normalisation: plain loops over each window, split
// between threads by channel.
#include "kernels/pooling.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mnet {

namespace {

// Below this many output values one thread finishes before a second wakes up (as elementwise.cpp).
constexpr int64_t kParallelElements = int64_t(1) << 15;

bool split(int64_t elements, int threads) { return threads > 1 && elements >= kParallelElements; }

}  // namespace

int pool_output_size(int in, int kernel, int stride, int pad, bool ceil_mode) {
  const int span = in + 2 * pad - kernel;  // ≥ 0: the caller checked that the window fits
  int out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  // PyTorch: with ceil_mode the last window must start inside the input or the left padding.
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

void maxpool_forward(const float* in, const PoolGeometry& g, float* out, int threads) {
  const int64_t in_plane = int64_t(g.in_h) * g.in_w, out_plane = int64_t(g.out_h) * g.out_w;
#pragma omp parallel for num_threads(threads) schedule(static) if (split(g.channels * out_plane, threads))
  for (int c = 0; c < g.channels; ++c) {
    const float* src = in + c * in_plane;
    float* dst = out + c * out_plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int y0 = std::max(oy * g.stride - g.pad, 0), y1 = std::min(oy * g.stride - g.pad + g.kernel, g.in_h);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int x0 = std::max(ox * g.stride - g.pad, 0), x1 = std::min(ox * g.stride - g.pad + g.kernel, g.in_w);
        float m = -std::numeric_limits<float>::infinity();
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) {
            const float v = src[int64_t(y) * g.in_w + x];
            if (v > m || std::isnan(v)) m = v;
          }
        dst[int64_t(oy) * g.out_w + ox] = m;
      }
    }
  }
}

void avgpool_forward(const float* in, const PoolGeometry& g, bool count_include_pad, float* out, int threads) {
  const int64_t in_plane = int64_t(g.in_h) * g.in_w, out_plane = int64_t(g.out_h) * g.out_w;
#pragma omp parallel for num_threads(threads) schedule(static) if (split(g.channels * out_plane, threads))
  for (int c = 0; c < g.channels; ++c) {
    const float* src = in + c * in_plane;
    float* dst = out + c * out_plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      // The window clipped to the padded map (a ceil-mode window may run past the right padding)…
      const int py0 = oy * g.stride - g.pad, py1 = std::min(py0 + g.kernel, g.in_h + g.pad);
      // …and to the input.
      const int y0 = std::max(py0, 0), y1 = std::min(py1, g.in_h);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int px0 = ox * g.stride - g.pad, px1 = std::min(px0 + g.kernel, g.in_w + g.pad);
        const int x0 = std::max(px0, 0), x1 = std::min(px1, g.in_w);
        float sum = 0;
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) sum += src[int64_t(y) * g.in_w + x];
        const int count = count_include_pad ? (py1 - py0) * (px1 - px0) : (y1 - y0) * (x1 - x0);
        dst[int64_t(oy) * g.out_w + ox] = sum / float(count);
      }
    }
  }
}

void lrn_forward(const float* in, int channels, int64_t spatial, const LrnParams& p, float* out, int threads) {
  const int before = p.size / 2, after = (p.size - 1) / 2;
#pragma omp parallel for num_threads(threads) schedule(static) if (split(channels * spatial, threads))
  for (int c = 0; c < channels; ++c) {
    float* dst = out + c * spatial;
    // The output channel holds the sum of squares first, then the result: no scratch needed.
    std::fill(dst, dst + spatial, 0.0f);
    for (int n = std::max(c - before, 0); n <= std::min(c + after, channels - 1); ++n) {
      const float* src = in + n * spatial;
      for (int64_t i = 0; i < spatial; ++i) dst[i] += src[i] * src[i];
    }
    // In PyTorch's order: the mean over `size` channels, times alpha, plus k, to the beta.
    const float* x = in + c * spatial;
    for (int64_t i = 0; i < spatial; ++i)
      dst[i] = x[i] / std::pow(dst[i] / float(p.size) * p.alpha + p.k, p.beta);
  }
}

}  // namespace mnet
