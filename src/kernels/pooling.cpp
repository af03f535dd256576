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

namespace {

// One output's window: clipped to the padded map (a ceil-mode window may run past the right
// padding), and to the input.
struct PoolWindow {
  int py0, py1, px0, px1;  // in the padded map
  int y0, y1, x0, x1;      // in the input
};

// Calls visit(src plane, window) for every output value of every channel, in order, and stores
// what it returns; channels are split between threads.
template <typename Visit>
void for_each_window(const float* in, const PoolGeometry& g, float* out, int threads, Visit visit) {
  const int64_t in_plane = int64_t(g.in_h) * g.in_w, out_plane = int64_t(g.out_h) * g.out_w;
#pragma omp parallel for num_threads(threads) schedule(static) if (split(g.channels * out_plane, threads))
  for (int c = 0; c < g.channels; ++c) {
    const float* src = in + c * in_plane;
    float* dst = out + c * out_plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      PoolWindow w;
      w.py0 = oy * g.stride - g.pad, w.py1 = std::min(w.py0 + g.kernel, g.in_h + g.pad);
      w.y0 = std::max(w.py0, 0), w.y1 = std::min(w.py1, g.in_h);
      for (int ox = 0; ox < g.out_w; ++ox) {
        w.px0 = ox * g.stride - g.pad, w.px1 = std::min(w.px0 + g.kernel, g.in_w + g.pad);
        w.x0 = std::max(w.px0, 0), w.x1 = std::min(w.px1, g.in_w);
        dst[int64_t(oy) * g.out_w + ox] = visit(src, w);
      }
    }
  }
}

}  // namespace

void maxpool_forward(const float* in, const PoolGeometry& g, float* out, int threads) {
  for_each_window(in, g, out, threads, [&](const float* src, const PoolWindow& w) {
    float m = -std::numeric_limits<float>::infinity();
    for (int y = w.y0; y < w.y1; ++y)
      for (int x = w.x0; x < w.x1; ++x) {
        const float v = src[int64_t(y) * g.in_w + x];
        if (v > m || std::isnan(v)) m = v;
      }
    return m;
  });
}

void avgpool_forward(const float* in, const PoolGeometry& g, bool count_include_pad, float* out, int threads) {
  for_each_window(in, g, out, threads, [&](const float* src, const PoolWindow& w) {
    float sum = 0;
    for (int y = w.y0; y < w.y1; ++y)
      for (int x = w.x0; x < w.x1; ++x) sum += src[int64_t(y) * g.in_w + x];
    const int count = count_include_pad ? (w.py1 - w.py0) * (w.px1 - w.px0) : (w.y1 - w.y0) * (w.x1 - w.x0);
    return sum / float(count);
  });
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
