// Depthwise convolution kernels: scalar, AVX2 and AVX-512 row kernels over padded or direct input.
#include "kernels/depthwise.h"

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "kernels/depthwise_blocked.h"
#include "kernels/dispatch.h"
#include "kernels/scratch.h"
#include "kernels/simd_act.h"

namespace mnet {

namespace {

// Scratch rows are sized for the widest vector so any code path can read whole vectors.
constexpr int kMaxLanes = 16;
// Output rows computed together: each loaded input vector then feeds several output rows.
constexpr int kRowBlock = 4;
// The padded plane is filled this many rows ahead of the row blocks, so the rows a block reads
// are still in L1 while the whole plane (58 KB at 112×112) would not be.
constexpr int kFillAheadRows = 16;
// Below this much work (~10 µs) one thread finishes before a passive OpenMP team wakes. Work counts
// whole vectors of outputs and, at stride 2, the input each reads: multiply-adds alone called a
// 7×7 map with 1024 channels small, and it took 37 µs on one thread.
constexpr int64_t kParallelWork = int64_t(1) << 19;

int round_up(int x, int multiple) { return (x + multiple - 1) / multiple * multiple; }

int64_t parallel_work(const DepthwiseParams& p) {
  return int64_t(p.channels) * p.out_h * round_up(p.out_w, kMaxLanes) * p.kernel * p.kernel * p.stride * p.stride;
}

// in [in_h, in_w], weight [k, k], out [out_h, out_w].
void depthwise_channel_reference(const DepthwiseParams& p, const float* in, const float* weight,
                                 float bias, float* out) {
  const int k = p.kernel, d = p.dilation;
  for (int oy = 0; oy < p.out_h; ++oy) {
    for (int ox = 0; ox < p.out_w; ++ox) {
      float sum = 0.0f;
      for (int ky = 0; ky < k; ++ky) {
        const int iy = oy * p.stride - p.pad_top + ky * d;
        if (iy < 0 || iy >= p.in_h) continue;
        for (int kx = 0; kx < k; ++kx) {
          const int ix = ox * p.stride - p.pad_left + kx * d;
          if (ix < 0 || ix >= p.in_w) continue;
          sum += weight[ky * k + kx] * in[size_t(iy) * p.in_w + ix];
        }
      }
      out[size_t(oy) * p.out_w + ox] = apply_act(p.act, sum + bias);
    }
  }
}

// Smallest o >= 0 with o·stride + offset >= 0, at most `count`.
int first_inside(int offset, int stride, int count) {
  return std::min(offset >= 0 ? 0 : (-offset + stride - 1) / stride, count);
}

// One past the largest o < count with o·stride + offset < size, at least `begin`.
int end_inside(int offset, int stride, int size, int count, int begin) {
  return std::max(std::min(offset >= size ? 0 : (size - 1 - offset) / stride + 1, count), begin);
}

// Any kernel size, stride and dilation: each tap is added to a whole output row at once, over the
// columns whose input lies inside, so the inner loop has no bounds checks (and vectorises at
// stride 1). Per output the taps are summed in the reference's order, so the results are equal.
void depthwise_channel_rows(const DepthwiseParams& p, const float* in, const float* weight, float bias,
                            float* out) {
  const int k = p.kernel, d = p.dilation, s = p.stride;
  for (int oy = 0; oy < p.out_h; ++oy) {
    float* row = out + size_t(oy) * p.out_w;
    std::fill(row, row + p.out_w, 0.0f);
    for (int ky = 0; ky < k; ++ky) {
      const int iy = oy * s - p.pad_top + ky * d;
      if (iy < 0 || iy >= p.in_h) continue;
      const float* in_row = in + size_t(iy) * p.in_w;
      for (int kx = 0; kx < k; ++kx) {
        // Input column of output x is x·s + offset.
        const int offset = kx * d - p.pad_left;
        const int begin = first_inside(offset, s, p.out_w), end = end_inside(offset, s, p.in_w, p.out_w, begin);
        const float w = weight[ky * k + kx];
        if (s == 1) {
          for (int ox = begin; ox < end; ++ox) row[ox] += w * in_row[ox + offset];
        } else {
          for (int ox = begin; ox < end; ++ox) row[ox] += w * in_row[ox * s + offset];
        }
      }
    }
    for (int ox = 0; ox < p.out_w; ++ox) row[ox] = apply_act(p.act, row[ox] + bias);
  }
}

void depthwise_conv_scalar(const DepthwiseParams& p, const float* in, const float* weight,
                           const float* bias, float* out, int threads) {
  const size_t in_plane = p.in_stride();
  const size_t out_plane = p.out_stride();
  const size_t taps = size_t(p.kernel) * p.kernel;
  // Undilated shapes keep the plain loops they always ran on; dilated ones (no other kernel takes
  // them) get the row loops.
  const auto channel = p.dilation == 1 ? depthwise_channel_reference : depthwise_channel_rows;
  const bool parallel = threads > 1 && p.channels > 1 && (p.dilation == 1 || parallel_work(p) >= kParallelWork);
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (int c = 0; c < p.channels; ++c)
    channel(p, in + c * in_plane, weight + c * taps, bias ? bias[c] : 0.0f, out + c * out_plane);
}

// ---- the zero-padded plane ----

// Zero-padded copy of one channel, laid out so each tap of a vector of outputs is one contiguous
// load and the inner loop needs no bounds checks. Padded row r is input row r - pad_top; padded
// column col is input column col - pad_left.
// Stride 1: a row holds padded columns [0, used_width). Stride 2: a row holds the even padded
// columns at [0, used_width) and the odd ones at [odd_offset, odd_offset + used_width), so padded
// column 2x + kx is even[x + kx/2] for even kx and odd[x + kx/2] for odd kx.
struct PaddedLayout {
  int rows = 0;
  int row_pitch = 0;
  int odd_offset = 0;
  int used_width = 0;
  // Floats of slack before the plane, chosen so the first copied column is 64-byte aligned.
  int origin = 0;
  // Padded columns [inside_begin, inside_end) come from the input; the rest stay zero.
  int inside_begin = 0, inside_end = 0;
  // Stride 2: even[j] is inside for j in [even_begin, even_end), odd[j] for j in
  // [odd_begin, odd_end), both for j in [even_begin, pairs_end).
  int even_begin = 0, even_end = 0, odd_begin = 0, odd_end = 0, pairs_end = 0;

  size_t floats() const { return size_t(rows) * row_pitch; }
};

PaddedLayout padded_layout(const DepthwiseParams& p) {
  PaddedLayout l;
  l.rows = (p.out_h - 1) * p.stride + p.kernel;
  // Output columns are computed in whole vectors; the lanes past out_w read zeros and are dropped.
  const int vector_cols = round_up(p.out_w, kMaxLanes);
  l.used_width = p.stride == 1 ? vector_cols + p.kernel - 1 : vector_cols + (p.kernel - 1) / 2;
  const int padded_cols = p.stride == 1 ? l.used_width : 2 * l.used_width;
  l.inside_begin = std::clamp(p.pad_left, 0, padded_cols);
  l.inside_end = std::clamp(p.pad_left + p.in_w, l.inside_begin, padded_cols);
  l.even_begin = (l.inside_begin + 1) / 2;
  l.even_end = (l.inside_end + 1) / 2;
  l.odd_begin = l.inside_begin / 2;
  l.odd_end = l.inside_end / 2;
  l.pairs_end = std::max(l.odd_end, l.even_begin);
  const int first_stored = p.stride == 1 ? l.inside_begin : l.even_begin;
  l.origin = (kMaxLanes - first_stored % kMaxLanes) % kMaxLanes;
  if (p.stride == 1) {
    l.row_pitch = round_up(l.origin + l.used_width, kMaxLanes);
  } else {
    l.odd_offset = round_up(l.origin + l.used_width, kMaxLanes);
    l.row_pitch = 2 * l.odd_offset;
  }
  return l;
}

// Copies n floats from each of `rows` rows (src rows src_pitch apart, dst rows dst_pitch apart).
using CopyRowsFn = void (*)(const float* src, size_t src_pitch, float* dst, size_t dst_pitch,
                            int rows, int n);
// For each of `rows` rows: even[j] = src[2j] and odd[j] = src[2j + 1] for j < n, where
// odd = even + odd_offset.
using DeinterleaveRowsFn = void (*)(const float* src, size_t src_pitch, float* even,
                                    size_t dst_pitch, int odd_offset, int rows, int n);

struct RowMovers {
  CopyRowsFn copy_rows;
  DeinterleaveRowsFn deinterleave_rows;
};

// Writes the input-backed part of padded rows [row_begin, row_end): in [in_h, in_w] → padded
// [l.rows, l.row_pitch]. The padding zeros sit at the same places for every channel, so they are
// written once per call (see depthwise_conv_vector) and never overwritten.
void copy_inside(const DepthwiseParams& p, const PaddedLayout& l, const RowMovers& movers,
                 const float* in, float* padded, int row_begin, int row_end) {
  const int iy_begin = std::max(0, row_begin - p.pad_top);
  const int iy_end = std::min(p.in_h, row_end - p.pad_top);
  if (iy_begin >= iy_end || l.inside_begin == l.inside_end) return;
  const int rows = iy_end - iy_begin;
  const float* src = in + size_t(iy_begin) * p.in_w;  // [rows, in_w]
  float* dst = padded + size_t(iy_begin + p.pad_top) * l.row_pitch;
  // Every column read is >= inside_begin >= pad_left, so the source offsets below are >= 0.
  if (p.stride == 1) {
    movers.copy_rows(src + (l.inside_begin - p.pad_left), p.in_w, dst + l.inside_begin, l.row_pitch,
                     rows, l.inside_end - l.inside_begin);
    return;
  }
  if (l.pairs_end > l.even_begin)
    movers.deinterleave_rows(src + (2 * l.even_begin - p.pad_left), p.in_w, dst + l.even_begin,
                             l.row_pitch, l.odd_offset, rows, l.pairs_end - l.even_begin);
  // At most one unpaired column at each end (odd pad_left, odd right edge).
  const int lone_odd_end = std::min(l.even_begin, l.odd_end);
  if (l.odd_begin == lone_odd_end && l.pairs_end == l.even_end) return;
  for (int r = 0; r < rows; ++r) {
    const float* src_row = src + size_t(r) * p.in_w;
    float* even = dst + size_t(r) * l.row_pitch;
    float* odd = even + l.odd_offset;
    for (int j = l.odd_begin; j < lone_odd_end; ++j) odd[j] = src_row[2 * j + 1 - p.pad_left];
    for (int j = l.pairs_end; j < l.even_end; ++j) even[j] = src_row[2 * j - p.pad_left];
  }
}

// Fills padded rows up to at least `needed` (and a few ahead); returns the new filled row count.
int fill_ahead(const DepthwiseParams& p, const PaddedLayout& l, const RowMovers& movers,
               const float* in, float* padded, int filled_rows, int needed) {
  if (needed <= filled_rows) return filled_rows;
  const int upto = std::min(l.rows, std::max(needed, filled_rows + kFillAheadRows));
  copy_inside(p, l, movers, in, padded, filled_rows, upto);
  return upto;
}

// Offset of tap column kx from output column x's first tap, within a padded row.
template <int S>
constexpr int tap_offset(int kx, int odd_offset) {
  return S == 1 ? kx : (kx % 2) * odd_offset + kx / 2;
}

// Sigmoid is not vectorised: the vector paths leave it to a scalar pass afterwards.
Act vector_act(Act act) { return act == Act::sigmoid ? Act::none : act; }

// ---- AVX2 + FMA: 8 output columns per vector ----

// Lane i is all ones when i < count: the tail mask for AVX2 masked loads and stores.
__attribute__((target("avx2,fma"), always_inline)) inline __m256i lanes_below(int count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

__attribute__((target("avx2,fma"))) void copy_rows_avx2(const float* src, size_t src_pitch,
                                                        float* dst, size_t dst_pitch, int rows,
                                                        int n) {
  const __m256i tail_mask = lanes_below(n % 8);
  for (int r = 0; r < rows; ++r, src += src_pitch, dst += dst_pitch) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
    if (i < n) _mm256_maskstore_ps(dst + i, tail_mask, _mm256_maskload_ps(src + i, tail_mask));
  }
}

// Per 128-bit lane the shuffles give [a0 a2 b0 b2 | a4 a6 b4 b6]; the 64-bit permute then puts
// a's pairs first.
__attribute__((target("avx2,fma"), always_inline)) inline void deinterleave8_avx2(__m256 a,
                                                                                  __m256 b,
                                                                                  __m256* even,
                                                                                  __m256* odd) {
  constexpr int kOrder = _MM_SHUFFLE(3, 1, 2, 0);
  const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
  const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
  *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), kOrder));
  *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), kOrder));
}

__attribute__((target("avx2,fma"))) void deinterleave_rows_avx2(const float* src, size_t src_pitch,
                                                                float* even, size_t dst_pitch,
                                                                int odd_offset, int rows, int n) {
  const int tail = n % 8;  // pairs left after whole vectors: 2·tail floats to read
  const __m256i first_mask = lanes_below(2 * tail), second_mask = lanes_below(2 * tail - 8);
  const __m256i store_mask = lanes_below(tail);
  for (int r = 0; r < rows; ++r, src += src_pitch, even += dst_pitch) {
    float* odd = even + odd_offset;
    __m256 e, o;
    int j = 0;
    for (; j + 8 <= n; j += 8) {
      deinterleave8_avx2(_mm256_loadu_ps(src + 2 * j), _mm256_loadu_ps(src + 2 * j + 8), &e, &o);
      _mm256_storeu_ps(even + j, e);
      _mm256_storeu_ps(odd + j, o);
    }
    if (j < n) {
      deinterleave8_avx2(_mm256_maskload_ps(src + 2 * j, first_mask),
                         _mm256_maskload_ps(src + 2 * j + 8, second_mask), &e, &o);
      _mm256_maskstore_ps(even + j, store_mask, e);
      _mm256_maskstore_ps(odd + j, store_mask, o);
    }
  }
}

// Output rows [0, R) of a block whose first padded row is `padded`: weight [K, K] broadcast,
// out [R, out_w].
template <int K, int S, int R>
__attribute__((target("avx2,fma"), always_inline)) inline void output_rows_avx2(
    const float* padded, size_t row_pitch, int odd_offset, const __m256* weight, __m256 bias,
    Act act, int out_w, float* out) {
  constexpr int kInputRows = S * (R - 1) + K;
  for (int x = 0; x < out_w; x += 8) {
    __m256 acc[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) acc[i] = bias;
#pragma GCC unroll 16
    for (int r = 0; r < kInputRows; ++r) {
      const float* row = padded + r * row_pitch + x;
#pragma GCC unroll 8
      for (int kx = 0; kx < K; ++kx) {
        __m256 v = _mm256_loadu_ps(row + tap_offset<S>(kx, odd_offset));
        // Keeps v in a register: otherwise GCC folds this load into each of the R FMAs using it.
        __asm__("" : "+x"(v));
#pragma GCC unroll 8
        for (int i = 0; i < R; ++i) {
          const int ky = r - S * i;
          if (ky >= 0 && ky < K) acc[i] = _mm256_fmadd_ps(v, weight[ky * K + kx], acc[i]);
        }
      }
    }
    if (out_w - x >= 8) {
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i)
        _mm256_storeu_ps(out + size_t(i) * out_w + x, act_avx2(act, acc[i]));
    } else {
      const __m256i mask = lanes_below(out_w - x);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i)
        _mm256_maskstore_ps(out + size_t(i) * out_w + x, mask, act_avx2(act, acc[i]));
    }
  }
}

// in [in_h, in_w], padded [l.rows, l.row_pitch] with its padding zeros in place, weight [K, K],
// out [out_h, out_w]. Applies every activation but sigmoid.
template <int K, int S>
__attribute__((target("avx2,fma"))) void depthwise_channel_avx2(
    const DepthwiseParams& p, const PaddedLayout& l, const RowMovers& movers, const float* in,
    float* padded, const float* weight, float bias, float* out) {
  __m256 weight_vec[K * K];
  for (int t = 0; t < K * K; ++t) weight_vec[t] = _mm256_set1_ps(weight[t]);
  const __m256 bias_vec = _mm256_set1_ps(bias);
  const Act act = vector_act(p.act);
  // Locals rather than reads through p and l, which the output stores could alias.
  const int out_h = p.out_h, out_w = p.out_w, odd_offset = l.odd_offset;
  const size_t row_pitch = l.row_pitch;
  int filled_rows = 0;
  for (int oy = 0; oy < out_h; oy += kRowBlock) {
    const int rows = std::min(kRowBlock, out_h - oy);
    filled_rows = fill_ahead(p, l, movers, in, padded, filled_rows, (oy + rows - 1) * S + K);
    const float* block = padded + size_t(oy) * S * row_pitch;
    float* block_out = out + size_t(oy) * out_w;
    switch (rows) {
      case 4:
        output_rows_avx2<K, S, 4>(block, row_pitch, odd_offset, weight_vec, bias_vec, act, out_w,
                                  block_out);
        break;
      case 3:
        output_rows_avx2<K, S, 3>(block, row_pitch, odd_offset, weight_vec, bias_vec, act, out_w,
                                  block_out);
        break;
      case 2:
        output_rows_avx2<K, S, 2>(block, row_pitch, odd_offset, weight_vec, bias_vec, act, out_w,
                                  block_out);
        break;
      default:
        output_rows_avx2<K, S, 1>(block, row_pitch, odd_offset, weight_vec, bias_vec, act, out_w,
                                  block_out);
        break;
    }
  }
}

// ---- AVX-512F: 16 output columns per vector ----

// Lanes i with begin + i in [0, width): the columns of a load that lie inside its row.
inline __mmask16 lanes_inside(int begin, int width) {
  return __mmask16(lanes_below16(width - begin) & ~lanes_below16(-begin));
}

// rows[r] = input row first_row + r, or null where that lies outside [0, in_h).
template <int N>
inline void input_rows(const float* in, int in_h, int in_w, int first_row, const float* (&rows)[N]) {
#pragma GCC unroll 16
  for (int r = 0; r < N; ++r) {
    const int iy = first_row + r;
    rows[r] = iy >= 0 && iy < in_h ? in + size_t(iy) * in_w : nullptr;
  }
}

// Input row r of a block, tap column kx (its values v): into every output row i of the R whose
// window holds row r at tap row ky = r - S·i.
template <int K, int S, int R>
__attribute__((target("avx512f"), always_inline)) inline void add_tap(__m512 v, int r, int kx, const __m512* weight,
                                                                     __m512 (&acc)[R]) {
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
    const int ky = r - S * i;
    if (ky >= 0 && ky < K) acc[i] = _mm512_fmadd_ps(v, weight[ky * K + kx], acc[i]);
  }
}

// Output rows [0, R) at columns [x, x + 16) of out [R, out_w], through the activation.
template <int R>
__attribute__((target("avx512f"), always_inline)) inline void store_rows(const __m512 (&acc)[R], Act act, int x,
                                                                        int out_w, float* out) {
  const __mmask16 mask = lanes_below16(out_w - x);
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) _mm512_mask_storeu_ps(out + size_t(i) * out_w + x, mask, act_avx512(act, acc[i]));
}

__attribute__((target("avx512f"))) void copy_rows_avx512(const float* src, size_t src_pitch,
                                                         float* dst, size_t dst_pitch, int rows,
                                                         int n) {
  const __mmask16 tail_mask = lanes_below16(n % 16);
  for (int r = 0; r < rows; ++r, src += src_pitch, dst += dst_pitch) {
    int i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_loadu_ps(src + i));
    if (i < n) _mm512_mask_storeu_ps(dst + i, tail_mask, _mm512_maskz_loadu_ps(tail_mask, src + i));
  }
}

template <int K, int S, int R>
__attribute__((target("avx512f"), always_inline)) inline void output_rows_avx512(
    const float* padded, size_t row_pitch, int odd_offset, const __m512* weight, __m512 bias,
    Act act, int out_w, float* out) {
  constexpr int kInputRows = S * (R - 1) + K;
  for (int x = 0; x < out_w; x += 16) {
    __m512 acc[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) acc[i] = bias;
#pragma GCC unroll 16
    for (int r = 0; r < kInputRows; ++r) {
      const float* row = padded + r * row_pitch + x;
#pragma GCC unroll 8
      for (int kx = 0; kx < K; ++kx) {
        __m512 v = _mm512_loadu_ps(row + tap_offset<S>(kx, odd_offset));
        __asm__("" : "+v"(v));  // one load, R uses (see output_rows_avx2)
        add_tap<K, S, R>(v, r, kx, weight, acc);
      }
    }
    store_rows<R>(acc, act, x, out_w, out);
  }
}

template <int K, int S>
__attribute__((target("avx512f"))) void depthwise_channel_avx512(
    const DepthwiseParams& p, const PaddedLayout& l, const RowMovers& movers, const float* in,
    float* padded, const float* weight, float bias, float* out) {
  __m512 weight_vec[K * K];
  for (int t = 0; t < K * K; ++t) weight_vec[t] = _mm512_set1_ps(weight[t]);
  const __m512 bias_vec = _mm512_set1_ps(bias);
  const Act act = vector_act(p.act);
  const int out_h = p.out_h, out_w = p.out_w, odd_offset = l.odd_offset;
  const size_t row_pitch = l.row_pitch;
  int filled_rows = 0;
  for (int oy = 0; oy < out_h; oy += kRowBlock) {
    const int rows = std::min(kRowBlock, out_h - oy);
    filled_rows = fill_ahead(p, l, movers, in, padded, filled_rows, (oy + rows - 1) * S + K);
    const float* block = padded + size_t(oy) * S * row_pitch;
    float* block_out = out + size_t(oy) * out_w;
    switch (rows) {
      case 4:
        output_rows_avx512<K, S, 4>(block, row_pitch, odd_offset, weight_vec, bias_vec, act, out_w,
                                    block_out);
        break;
      case 3:
        output_rows_avx512<K, S, 3>(block, row_pitch, odd_offset, weight_vec, bias_vec, act, out_w,
                                    block_out);
        break;
      case 2:
        output_rows_avx512<K, S, 2>(block, row_pitch, odd_offset, weight_vec, bias_vec, act, out_w,
                                    block_out);
        break;
      default:
        output_rows_avx512<K, S, 1>(block, row_pitch, odd_offset, weight_vec, bias_vec, act, out_w,
                                    block_out);
        break;
    }
  }
}

// Stride 1 straight from the input, no padded copy (3×3 by the dispatcher's choice; 5×5 stays on
// the padded plane): rows above or below the input are skipped, and the columns a tap would read
// left or right of a row are masked out of its load (masked lanes are never read, so the address
// may lie outside the row).
template <int K, int R>
__attribute__((target("avx512f"), always_inline)) inline void direct_rows_avx512(
    const float* in, int in_h, int in_w, int first_row, int pad_left, const __m512* weight,
    __m512 bias, Act act, int out_w, float* out) {
  constexpr int kInputRows = R - 1 + K;
  const float* rows[kInputRows];
  input_rows(in, in_h, in_w, first_row, rows);
  for (int x = 0; x < out_w; x += 16) {
    __mmask16 tap_lanes[K];  // lane j of tap kx reads input column x + j + kx - pad_left
#pragma GCC unroll 8
    for (int kx = 0; kx < K; ++kx) tap_lanes[kx] = lanes_inside(x + kx - pad_left, in_w);
    __m512 acc[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) acc[i] = bias;
#pragma GCC unroll 16
    for (int r = 0; r < kInputRows; ++r) {
      if (!rows[r]) continue;
      const float* row = rows[r] + x - pad_left;
#pragma GCC unroll 8
      for (int kx = 0; kx < K; ++kx) {
        __m512 v = _mm512_maskz_loadu_ps(tap_lanes[kx], row + kx);
        __asm__("" : "+v"(v));  // one load, R uses (see output_rows_avx2)
        add_tap<K, 1, R>(v, r, kx, weight, acc);
      }
    }
    store_rows<R>(acc, act, x, out_w, out);
  }
}

// Stride 2 straight from the input: for each tap column kx, the 16 inputs a vector of outputs
// needs (every other column from 2x + kx - pad_left) are picked out of two loaded vectors with
// one permute; kx and kx + 1 share the two loads. Columns outside the input are masked out of
// the loads, rows outside it are skipped.
template <int K, int R>
__attribute__((target("avx512f"), always_inline)) inline void direct_s2_rows_avx512(
    const float* in, int in_h, int in_w, int first_row, int pad_left, const __m512* weight,
    __m512 bias, Act act, int out_w, float* out) {
  constexpr int kInputRows = 2 * (R - 1) + K;
  constexpr int kPairs = (K + 1) / 2;
  const __m512i even_index = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd_index = _mm512_add_epi32(even_index, _mm512_set1_epi32(1));
  const float* rows[kInputRows];
  input_rows(in, in_h, in_w, first_row, rows);
  for (int x = 0; x < out_w; x += 16) {
    // Pair j covers input columns [2x + 2j - pad_left, +32): masks of its two halves.
    __mmask16 low_lanes[kPairs], high_lanes[kPairs];
#pragma GCC unroll 4
    for (int j = 0; j < kPairs; ++j) {
      const int begin = 2 * x + 2 * j - pad_left;
      low_lanes[j] = lanes_inside(begin, in_w);
      high_lanes[j] = lanes_inside(begin + 16, in_w);
    }
    __m512 acc[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) acc[i] = bias;
#pragma GCC unroll 16
    for (int r = 0; r < kInputRows; ++r) {
      if (!rows[r]) continue;
      const float* row = rows[r] + 2 * x - pad_left;
#pragma GCC unroll 4
      for (int j = 0; j < kPairs; ++j) {
        const __m512 low = _mm512_maskz_loadu_ps(low_lanes[j], row + 2 * j);
        const __m512 high = _mm512_maskz_loadu_ps(high_lanes[j], row + 2 * j + 16);
#pragma GCC unroll 2
        for (int q = 0; q < 2; ++q) {
          const int kx = 2 * j + q;
          if (kx >= K) continue;
          add_tap<K, 2, R>(_mm512_permutex2var_ps(low, q ? odd_index : even_index, high), r, kx, weight, acc);
        }
      }
    }
    store_rows<R>(acc, act, x, out_w, out);
  }
}

template <int K, int S, int R>
__attribute__((target("avx512f"), always_inline)) inline void direct_rows(
    const float* in, int in_h, int in_w, int first_row, int pad_left, const __m512* weight,
    __m512 bias, Act act, int out_w, float* out) {
  if constexpr (S == 1)
    direct_rows_avx512<K, R>(in, in_h, in_w, first_row, pad_left, weight, bias, act, out_w, out);
  else
    direct_s2_rows_avx512<K, R>(in, in_h, in_w, first_row, pad_left, weight, bias, act, out_w, out);
}

template <int K, int S>
__attribute__((target("avx512f"))) void depthwise_channel_direct_avx512(
    const DepthwiseParams& p, const PaddedLayout&, const RowMovers&, const float* in, float*,
    const float* weight, float bias, float* out) {
  __m512 weight_vec[K * K];
  for (int t = 0; t < K * K; ++t) weight_vec[t] = _mm512_set1_ps(weight[t]);
  const __m512 bias_vec = _mm512_set1_ps(bias);
  const Act act = vector_act(p.act);
  const int out_h = p.out_h, out_w = p.out_w, in_h = p.in_h, in_w = p.in_w;
  const int pad_top = p.pad_top, pad_left = p.pad_left;
  constexpr int kBlockInputRows = S * (kRowBlock - 1) + K;
  const size_t row_bytes = size_t(in_w) * sizeof(float);
  for (int oy = 0; oy < out_h; oy += kRowBlock) {
    const int rows = std::min(kRowBlock, out_h - oy);
    float* block_out = out + size_t(oy) * out_w;
    const int first_row = S * oy - pad_top;
    // The next block's input rows (past the last block, the next channel's first ones), so they
    // arrive from L3 while this block computes.
    const bool last = oy + kRowBlock >= out_h;
    const char* next_in = reinterpret_cast<const char*>(last ? in + p.in_stride() : in);
    const int next_first = last ? 0 : std::max(0, first_row + S * kRowBlock);
    const int next_end = std::min(in_h, (last ? -pad_top : first_row + S * kRowBlock) + kBlockInputRows);
    for (int r = next_first; r < next_end; ++r)
      for (size_t byte = 0; byte < row_bytes; byte += 64) _mm_prefetch(next_in + r * row_bytes + byte, _MM_HINT_T0);
    switch (rows) {
      case 4:
        direct_rows<K, S, 4>(in, in_h, in_w, first_row, pad_left, weight_vec, bias_vec, act, out_w, block_out);
        break;
      case 3:
        direct_rows<K, S, 3>(in, in_h, in_w, first_row, pad_left, weight_vec, bias_vec, act, out_w, block_out);
        break;
      case 2:
        direct_rows<K, S, 2>(in, in_h, in_w, first_row, pad_left, weight_vec, bias_vec, act, out_w, block_out);
        break;
      default:
        direct_rows<K, S, 1>(in, in_h, in_w, first_row, pad_left, weight_vec, bias_vec, act, out_w, block_out);
        break;
    }
  }
}

// ---- running the kernel the dispatcher names ----

using ChannelKernel = void (*)(const DepthwiseParams& p, const PaddedLayout& l,
                               const RowMovers& movers, const float* in, float* padded,
                               const float* weight, float bias, float* out);

// The per-channel function of a row kernel, for p's kernel size and stride (which it suits).
ChannelKernel channel_kernel(Kernel kernel, int k, int s) {
  switch (kernel) {
    case Kernel::depthwise_direct_avx512:
      if (k == 3) return s == 1 ? depthwise_channel_direct_avx512<3, 1> : depthwise_channel_direct_avx512<3, 2>;
      return s == 1 ? depthwise_channel_direct_avx512<5, 1> : depthwise_channel_direct_avx512<5, 2>;
    case Kernel::depthwise_padded_avx512:
      return k == 3 ? depthwise_channel_avx512<3, 1> : depthwise_channel_avx512<5, 1>;
    default:  // Kernel::depthwise_avx2
      if (k == 3) return s == 1 ? depthwise_channel_avx2<3, 1> : depthwise_channel_avx2<3, 2>;
      return s == 1 ? depthwise_channel_avx2<5, 1> : depthwise_channel_avx2<5, 2>;
  }
}

// One of the row kernels: depthwise_direct_avx512, depthwise_padded_avx512 or depthwise_avx2.
void depthwise_conv_rows(Kernel kernel, const DepthwiseParams& p, const float* in, const float* weight,
                         const float* bias, float* out, int threads) {
  const PaddedLayout layout = padded_layout(p);
  const ChannelKernel channel = channel_kernel(kernel, p.kernel, p.stride);
  // The AVX-512 padded plane is used at stride 1 only, so it never deinterleaves.
  const RowMovers movers = kernel == Kernel::depthwise_avx2 ? RowMovers{copy_rows_avx2, deinterleave_rows_avx2}
                                                            : RowMovers{copy_rows_avx512, nullptr};
  const size_t in_plane = p.in_stride();
  const size_t out_plane = p.out_stride();
  const size_t taps = size_t(p.kernel) * p.kernel;
  // No padded plane: the direct kernel reads the input itself.
  const bool direct = kernel == Kernel::depthwise_direct_avx512;
  const bool parallel = threads > 1 && p.channels > 1 && parallel_work(p) >= kParallelWork;
#pragma omp parallel num_threads(threads) if (parallel)
  {
    float* padded = nullptr;
    if (!direct) {
      float* scratch = thread_scratch(layout.origin + layout.floats());
      std::fill(scratch, scratch + layout.origin + layout.floats(), 0.0f);
      padded = scratch + layout.origin;
    }
#pragma omp for schedule(static)
    for (int c = 0; c < p.channels; ++c) {
      float* out_c = out + c * out_plane;
      channel(p, layout, movers, in + c * in_plane, padded, weight + c * taps, bias ? bias[c] : 0.0f, out_c);
      if (p.act == Act::sigmoid)
        for (size_t i = 0; i < size_t(p.out_h) * p.out_w; ++i) out_c[i] = apply_act(Act::sigmoid, out_c[i]);
    }
  }
}

// Runs `kernel`, which the caller has checked suits p and this CPU; p is not empty.
void run_kernel(Kernel kernel, const DepthwiseParams& p, const float* in, const float* weight, const float* bias,
                float* out, int threads) {
  switch (kernel) {
    case Kernel::depthwise_blocked_avx512:
      depthwise_conv_blocked(p, in, weight, bias, out, threads, parallel_work(p) >= kParallelWork);
      return;
    case Kernel::depthwise_direct_avx512:
    case Kernel::depthwise_padded_avx512:
    case Kernel::depthwise_avx2:
      depthwise_conv_rows(kernel, p, in, weight, bias, out, threads);
      return;
    default:  // Kernel::depthwise_scalar
      depthwise_conv_scalar(p, in, weight, bias, out, threads);
      return;
  }
}

bool suits(Kernel kernel, const DepthwiseParams& p) {
  switch (kernel) {
    case Kernel::depthwise_blocked_avx512:
      return depthwise_blocked_fits(p);
    case Kernel::depthwise_direct_avx512:
    case Kernel::depthwise_avx2:
      return depthwise_rows_suit(p);
    case Kernel::depthwise_padded_avx512:
      return depthwise_padded_avx512_suits(p);
    case Kernel::depthwise_scalar:
      return true;
    default:
      return false;
  }
}

bool empty(const DepthwiseParams& p) { return p.channels <= 0 || p.out_h <= 0 || p.out_w <= 0; }

}  // namespace

bool depthwise_rows_suit(const DepthwiseParams& p) {
  return (p.kernel == 3 || p.kernel == 5) && (p.stride == 1 || p.stride == 2) && p.dilation == 1;
}

bool depthwise_padded_avx512_suits(const DepthwiseParams& p) { return depthwise_rows_suit(p) && p.stride == 1; }

void depthwise_conv_reference(const DepthwiseParams& p, const float* in, const float* weight,
                              const float* bias, float* out) {
  const size_t in_plane = p.in_stride();
  const size_t out_plane = p.out_stride();
  const size_t taps = size_t(p.kernel) * p.kernel;
  for (int c = 0; c < p.channels; ++c)
    depthwise_channel_reference(p, in + c * in_plane, weight + c * taps, bias ? bias[c] : 0.0f,
                                out + c * out_plane);
}

void depthwise_conv_with(SimdLevel level, const DepthwiseParams& p, const float* in,
                         const float* weight, const float* bias, float* out, int threads) {
  if (empty(p)) return;
  run_kernel(depthwise_row_kernel(p, std::min(level, simd_level())), p, in, weight, bias, out, std::max(threads, 1));
}

void depthwise_conv_as(Kernel kernel, const DepthwiseParams& p, const float* in, const float* weight,
                       const float* bias, float* out, int threads) {
  if (!suits(kernel, p))
    throw RunError(std::string("depthwise_conv_as: kernel ") + kernel_name(kernel) + " does not take kernel " +
                   std::to_string(p.kernel) + " stride " + std::to_string(p.stride) + " on " +
                   std::to_string(p.in_h) + "x" + std::to_string(p.in_w));
  if (kernel_simd_level(kernel) > simd_level())
    throw RunError(std::string("depthwise_conv_as: kernel ") + kernel_name(kernel) + " needs " +
                   simd_level_name(kernel_simd_level(kernel)) + ", the level in force is " +
                   simd_level_name(simd_level()));
  if (empty(p)) return;
  run_kernel(kernel, p, in, weight, bias, out, std::max(threads, 1));
}

void depthwise_conv(const DepthwiseParams& p, const float* in, const float* weight,
                    const float* bias, float* out, int threads) {
  if (empty(p)) return;
  run_kernel(choose_depthwise(p, simd_level()), p, in, weight, bias, out, std::max(threads, 1));
}

}  // namespace mnet
