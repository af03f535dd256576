// The 16-channels-per-vector AVX-512 depthwise kernel for small maps.
#include "kernels/depthwise_blocked.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "kernels/dispatch.h"
#include "kernels/scratch.h"
#include "kernels/simd_act.h"
#include "kernels/simd_level.h"

namespace mnet {

namespace {

constexpr int kLanes = 16;
// Output pixels of a row computed together: each tap's weight vector then feeds four FMAs.
constexpr int kPixelBlock = 4;

// The zero-masked forms with a full mask: the plain ones trip GCC 12's -Wuninitialized (see max512).
constexpr __mmask16 kAll = 0xFFFF;
constexpr __mmask8 kAll8 = 0xFF;

// r[i] = row i of a 16×16 block → r[j] = column j.
__attribute__((target("avx512f"), always_inline)) inline void transpose16(__m512 r[16]) {
  __m512 a[16], b[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    a[2 * i] = _mm512_maskz_unpacklo_ps(kAll, r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm512_maskz_unpackhi_ps(kAll, r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const __m512d lo0 = _mm512_castps_pd(a[4 * i]), hi0 = _mm512_castps_pd(a[4 * i + 1]);
    const __m512d lo1 = _mm512_castps_pd(a[4 * i + 2]), hi1 = _mm512_castps_pd(a[4 * i + 3]);
    b[4 * i] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(kAll8, lo0, lo1));
    b[4 * i + 1] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(kAll8, lo0, lo1));
    b[4 * i + 2] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(kAll8, hi0, hi1));
    b[4 * i + 3] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(kAll8, hi0, hi1));
  }
  // b[4g + c] holds, in its 128-bit lane k, rows 4g..4g+3 at column 4k + c.
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    const __m512 even01 = _mm512_maskz_shuffle_f32x4(kAll, b[c], b[4 + c], 0x88);
    const __m512 odd01 = _mm512_maskz_shuffle_f32x4(kAll, b[c], b[4 + c], 0xDD);
    const __m512 even23 = _mm512_maskz_shuffle_f32x4(kAll, b[8 + c], b[12 + c], 0x88);
    const __m512 odd23 = _mm512_maskz_shuffle_f32x4(kAll, b[8 + c], b[12 + c], 0xDD);
    r[c] = _mm512_maskz_shuffle_f32x4(kAll, even01, even23, 0x88);
    r[c + 8] = _mm512_maskz_shuffle_f32x4(kAll, even01, even23, 0xDD);
    r[c + 4] = _mm512_maskz_shuffle_f32x4(kAll, odd01, odd23, 0x88);
    r[c + 12] = _mm512_maskz_shuffle_f32x4(kAll, odd01, odd23, 0xDD);
  }
}

// Rows [0, channels) of a 16-row block, columns [column, column + 16) of rows `pitch` floats
// apart, each row holding `width` floats: zeros past either end.
__attribute__((target("avx512f"), always_inline)) inline void load_block(const float* src, size_t pitch,
                                                                        int channels, int column, int width,
                                                                        __m512 r[16]) {
  const __mmask16 lanes = lanes_below16(width - column);
#pragma GCC unroll 16
  for (int i = 0; i < kLanes; ++i)
    r[i] = i < channels ? _mm512_maskz_loadu_ps(lanes, src + i * pitch + column) : _mm512_setzero_ps();
}

constexpr int kMaxWidth = kLanes, kMaxPixels = kLanes * kLanes;  // the inputs it takes

struct BlockedLayout {
  int padded_h = 0, padded_w = 0;
  std::array<int, kMaxPixels> slot;  // per input pixel: its padded pixel, or -1 where no output reads it
};

BlockedLayout blocked_layout(const DepthwiseParams& p) {
  BlockedLayout l;
  l.padded_h = (p.out_h - 1) * p.stride + p.kernel;
  l.padded_w = (p.out_w - 1) * p.stride + p.kernel;
  l.slot.fill(-1);
  for (int iy = 0; iy < p.in_h; ++iy)
    for (int ix = 0; ix < p.in_w; ++ix) {
      const int y = iy + p.pad_top, x = ix + p.pad_left;
      if (y < l.padded_h && x < l.padded_w) l.slot[size_t(iy) * p.in_w + ix] = y * l.padded_w + x;
    }
  return l;
}

// N output pixels of row oy from column ox: padded [padded_h·padded_w][16], weight [K²][16],
// out [out_h·out_w][16].
template <int K, int S, int N>
__attribute__((target("avx512f"), always_inline)) inline void output_pixels(const float* padded, int padded_w,
                                                                           const float* weight, __m512 bias,
                                                                           Act act, int oy, int ox, int out_w,
                                                                           float* out) {
  __m512 acc[N];
#pragma GCC unroll 4
  for (int i = 0; i < N; ++i) acc[i] = bias;
#pragma GCC unroll 5
  for (int ky = 0; ky < K; ++ky) {
    const float* row = padded + (size_t(oy * S + ky) * padded_w + ox * S) * kLanes;
#pragma GCC unroll 5
    for (int kx = 0; kx < K; ++kx) {
      const __m512 w = _mm512_load_ps(weight + (ky * K + kx) * kLanes);
#pragma GCC unroll 4
      for (int i = 0; i < N; ++i)
        acc[i] = _mm512_fmadd_ps(_mm512_load_ps(row + (i * S + kx) * kLanes), w, acc[i]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < N; ++i)
    _mm512_store_ps(out + (size_t(oy) * out_w + ox + i) * kLanes, act_avx512(act, acc[i]));
}

// Channels [c0, c0 + channels), channels <= 16. scratch: padded input, then weights, then output.
template <int K, int S>
__attribute__((target("avx512f"))) void channel_block(const DepthwiseParams& p, const BlockedLayout& l,
                                                     const float* in, const float* weight, const float* bias,
                                                     float* out, int c0, int channels, float* scratch) {
  float* padded = scratch;
  float* block_weight = padded + size_t(l.padded_h) * l.padded_w * kLanes;
  float* block_out = block_weight + K * K * kLanes;
  const size_t in_plane = p.in_stride(), out_plane = p.out_stride();
  const int in_pixels = p.in_h * p.in_w, out_pixels = p.out_h * p.out_w;
  __m512 r[16];
  for (int t = 0; t < K * K; t += kLanes) {
    load_block(weight + size_t(c0) * K * K, K * K, channels, t, K * K, r);
    transpose16(r);
    for (int i = 0; i < kLanes && t + i < K * K; ++i) _mm512_store_ps(block_weight + (t + i) * kLanes, r[i]);
  }
  for (int px = 0; px < in_pixels; px += kLanes) {
    load_block(in + c0 * in_plane, in_plane, channels, px, in_pixels, r);
    transpose16(r);
    for (int i = 0; i < kLanes && px + i < in_pixels; ++i)
      if (l.slot[px + i] >= 0) _mm512_store_ps(padded + size_t(l.slot[px + i]) * kLanes, r[i]);
  }
  const __m512 bias_vec = bias ? _mm512_maskz_loadu_ps(lanes_below16(channels), bias + c0) : _mm512_setzero_ps();
  const Act act = p.act == Act::sigmoid ? Act::none : p.act;
  const int out_w = p.out_w;
  for (int oy = 0; oy < p.out_h; ++oy) {
    int ox = 0;
    for (; ox + kPixelBlock <= out_w; ox += kPixelBlock)
      output_pixels<K, S, kPixelBlock>(padded, l.padded_w, block_weight, bias_vec, act, oy, ox, out_w, block_out);
    switch (out_w - ox) {
      case 3:
        output_pixels<K, S, 3>(padded, l.padded_w, block_weight, bias_vec, act, oy, ox, out_w, block_out);
        break;
      case 2:
        output_pixels<K, S, 2>(padded, l.padded_w, block_weight, bias_vec, act, oy, ox, out_w, block_out);
        break;
      case 1:
        output_pixels<K, S, 1>(padded, l.padded_w, block_weight, bias_vec, act, oy, ox, out_w, block_out);
        break;
      default:
        break;
    }
  }
  for (int px = 0; px < out_pixels; px += kLanes) {
#pragma GCC unroll 16
    for (int i = 0; i < kLanes; ++i)
      r[i] = px + i < out_pixels ? _mm512_load_ps(block_out + size_t(px + i) * kLanes) : _mm512_setzero_ps();
    transpose16(r);
    const __mmask16 lanes = lanes_below16(out_pixels - px);
    for (int i = 0; i < channels; ++i) _mm512_mask_storeu_ps(out + (c0 + i) * out_plane + px, lanes, r[i]);
  }
  if (p.act == Act::sigmoid)
    for (int i = 0; i < channels; ++i)
      for (int px = 0; px < out_pixels; ++px) {
        float& v = out[(c0 + i) * out_plane + px];
        v = apply_act(Act::sigmoid, v);
      }
}

using BlockFn = void (*)(const DepthwiseParams&, const BlockedLayout&, const float*, const float*, const float*,
                         float*, int, int, float*);

}  // namespace

bool depthwise_blocked_fits(const DepthwiseParams& p) {
  // Input rows of at most one vector, where the row kernels fill few lanes and pay their per-row
  // and per-channel costs most. Measured (mnet profile, 1 thread, against the row kernels): 7×7
  // 3×3 960 ch 0.032 → 0.019 ms, 5×5 0.067 → 0.038; 14→7 stride 2 0.028 → 0.019 (3×3), 0.064 →
  // 0.037 (5×5); 14×14 3×3 0.023 → 0.021, 5×5 0.032 → 0.021. At 28×28 and wider the transposes
  // cost more than they save (28→14 stride 2: 0.019 → 0.024; 28×28 5×5: 0.042 → 0.045).
  return (p.kernel == 3 || p.kernel == 5) && (p.stride == 1 || p.stride == 2) && p.dilation == 1 &&
         p.in_w <= kMaxWidth && p.in_h * p.in_w <= kMaxPixels;
}

bool depthwise_blocked_suits(const DepthwiseParams& p) {
  return choose_depthwise(p, simd_level()) == Kernel::depthwise_blocked_avx512;
}

void depthwise_conv_blocked(const DepthwiseParams& p, const float* in, const float* weight, const float* bias,
                            float* out, int threads, bool parallel) {
  const BlockedLayout layout = blocked_layout(p);
  const BlockFn block = p.kernel == 3 ? (p.stride == 1 ? channel_block<3, 1> : channel_block<3, 2>)
                                      : (p.stride == 1 ? channel_block<5, 1> : channel_block<5, 2>);
  const size_t padded_floats = size_t(layout.padded_h) * layout.padded_w * kLanes;
  const size_t scratch_floats =
      padded_floats + size_t(p.kernel) * p.kernel * kLanes + size_t(p.out_h) * p.out_w * kLanes;
  const int blocks = (p.channels + kLanes - 1) / kLanes;
#pragma omp parallel num_threads(threads) if (parallel && threads > 1 && blocks > 1)
  {
    float* scratch = thread_scratch(scratch_floats);
    std::fill(scratch, scratch + padded_floats, 0.0f);  // the padding; pixels are overwritten per block
#pragma omp for schedule(static)
    for (int b = 0; b < blocks; ++b)
      block(p, layout, in, weight, bias, out, b * kLanes, std::min(kLanes, p.channels - b * kLanes), scratch);
  }
}

}  // namespace mnet
