// The direct convolution kernel.
#include "kernels/direct_conv.h"

#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "kernels/packed_gemm.h"
#include "kernels/scratch.h"
#include "kernels/simd_act.h"

namespace mnet {

namespace {

constexpr int kLanes = 16;
constexpr int kChannels = 8;  // output channels per pass

int round_up(int x, int multiple) { return (x + multiple - 1) / multiple * multiple; }

// P vectors of pixels (from column x) × kChannels output channels (from c0) in P·8 registers:
// per tap, P loads and 8 broadcasts feed 8·P FMAs (with 16 channels × 1 vector it was 17 loads
// for 16 FMAs, and the layer ran at half the FMA peak).
template <int P>
__attribute__((target("avx512f"), always_inline)) inline void output_block(
    const float* padded_row, const int* tap_offset, int taps, const float* taps_weight, const float* bias,
    int out_c, int c0, int x, int out_w, size_t out_plane, Act act, float* out_row) {
  __m512 acc[P][kChannels];
#pragma GCC unroll 8
  for (int o = 0; o < kChannels; ++o)
#pragma GCC unroll 3
    for (int p = 0; p < P; ++p) acc[p][o] = _mm512_set1_ps(bias[c0 + o]);
  for (int t = 0; t < taps; ++t) {
    __m512 v[P];
#pragma GCC unroll 3
    for (int p = 0; p < P; ++p) v[p] = _mm512_loadu_ps(padded_row + tap_offset[t] + x + kLanes * p);
    const float* w = taps_weight + size_t(t) * out_c + c0;
#pragma GCC unroll 8
    for (int o = 0; o < kChannels; ++o) {
      const __m512 w_o = _mm512_set1_ps(w[o]);
#pragma GCC unroll 3
      for (int p = 0; p < P; ++p) acc[p][o] = _mm512_fmadd_ps(v[p], w_o, acc[p][o]);
    }
  }
#pragma GCC unroll 3
  for (int p = 0; p < P; ++p) {
    const __mmask16 lanes = lanes_below16(out_w - x - kLanes * p);
#pragma GCC unroll 8
    for (int o = 0; o < kChannels; ++o)
      _mm512_mask_storeu_ps(out_row + size_t(c0 + o) * out_plane + x + kLanes * p, lanes, act_avx512(act, acc[p][o]));
  }
}

__attribute__((target("avx512f"))) void output_row(const float* padded_row, const int* tap_offset, int taps,
                                                   const float* taps_weight, const float* bias, int out_c,
                                                   int out_w, size_t out_plane, Act act, float* out_row) {
  constexpr int kBlock = 3 * kLanes;
  for (int x = 0; x < out_w; x += kBlock) {
    const int vectors = std::min(3, (out_w - x + kLanes - 1) / kLanes);
    for (int c0 = 0; c0 < out_c; c0 += kChannels) {
      if (vectors == 3)
        output_block<3>(padded_row, tap_offset, taps, taps_weight, bias, out_c, c0, x, out_w, out_plane, act, out_row);
      else if (vectors == 2)
        output_block<2>(padded_row, tap_offset, taps, taps_weight, bias, out_c, c0, x, out_w, out_plane, act, out_row);
      else
        output_block<1>(padded_row, tap_offset, taps, taps_weight, bias, out_c, c0, x, out_w, out_plane, act, out_row);
    }
  }
}

}  // namespace

bool DirectConv::fits(const DirectConvShape& s) {
  return s.in_c >= 1 && s.in_c <= 4 && s.out_c % kChannels == 0 && s.out_c > 0 && (s.stride == 1 || s.stride == 2) &&
         s.kernel >= 1 && s.kernel <= 7;
}

bool DirectConv::suits(const DirectConvShape& s) { return PackedGemm::available() && fits(s); }

DirectConv::DirectConv(const DirectConvShape& shape, const std::vector<float>& weight, std::vector<float> bias,
                       Act act)
    : s_(shape), act_(act), bias_(std::move(bias)) {
  const int k = s_.kernel, taps = s_.in_c * k * k;
  taps_weight_.resize(size_t(taps) * s_.out_c);
  for (int o = 0; o < s_.out_c; ++o)
    for (int t = 0; t < taps; ++t) taps_weight_[size_t(t) * s_.out_c + o] = weight[size_t(o) * taps + t];
  if (bias_.empty()) bias_.assign(size_t(s_.out_c), 0.0f);
  // Padded row: stride 1, padded columns [0, width); stride 2, the even ones then, from
  // odd_offset_, the odd ones, so the taps of 16 neighbouring outputs are 16 neighbouring floats.
  padded_rows_ = (s_.out_h - 1) * s_.stride + k;
  const int vector_cols = round_up(s_.out_w, kLanes);
  if (s_.stride == 1) {
    row_pitch_ = round_up(vector_cols + k - 1, kLanes);
  } else {
    odd_offset_ = round_up(vector_cols + (k - 1) / 2, kLanes);
    row_pitch_ = 2 * odd_offset_;
  }
  for (int c = 0; c < s_.in_c; ++c)
    for (int ky = 0; ky < k; ++ky)
      for (int kx = 0; kx < k; ++kx) {
        const int column = s_.stride == 1 ? kx : (kx % 2) * odd_offset_ + kx / 2;
        tap_offset_.push_back((c * padded_rows_ + ky) * row_pitch_ + column);
      }
}

void DirectConv::run(const float* in, float* out, int threads) const {
  const size_t plane = size_t(padded_rows_) * row_pitch_;
  float* padded = thread_scratch(plane * s_.in_c);  // the calling thread's, shared with the team
  const size_t out_plane = size_t(s_.out_h) * s_.out_w;
  const int taps = int(tap_offset_.size());
  const Act vector_act = act_ == Act::sigmoid ? Act::none : act_;  // sigmoid: a scalar pass after
  // The padded copy is split between the threads too: serial, it held 2 threads to 1.36x on V1.
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
#pragma omp for schedule(static) collapse(2)
    for (int c = 0; c < s_.in_c; ++c)
      for (int r = 0; r < padded_rows_; ++r) {
        float* dst = padded + size_t(c) * plane + size_t(r) * row_pitch_;
        std::fill(dst, dst + row_pitch_, 0.0f);
        const int iy = r - s_.pad_top;
        if (iy < 0 || iy >= s_.in_h) continue;
        const float* src = in + (size_t(c) * s_.in_h + iy) * s_.in_w;
        if (s_.stride == 1) {
          for (int j = std::max(0, s_.pad_left); j < std::min(row_pitch_, s_.pad_left + s_.in_w); ++j)
            dst[j] = src[j - s_.pad_left];
        } else {
          // even[j] = input column 2j - pad_left, odd[j] = 2j + 1 - pad_left, where inside the row;
          // bounds first, so that the copies are plain strided loops that vectorise.
          float* odd = dst + odd_offset_;
          const int even_begin = (s_.pad_left + 1) / 2, odd_begin = s_.pad_left / 2;
          const int even_end = std::min(odd_offset_, (s_.in_w + s_.pad_left + 1) / 2);
          const int odd_end = std::min(odd_offset_, (s_.in_w + s_.pad_left) / 2);
          for (int j = even_begin; j < even_end; ++j) dst[j] = src[2 * j - s_.pad_left];
          for (int j = odd_begin; j < odd_end; ++j) odd[j] = src[2 * j + 1 - s_.pad_left];
        }
      }
#pragma omp for schedule(static)
    for (int oy = 0; oy < s_.out_h; ++oy)
      output_row(padded + size_t(oy) * s_.stride * row_pitch_, tap_offset_.data(), taps, taps_weight_.data(),
                 bias_.data(), s_.out_c, s_.out_w, out_plane, vector_act, out + size_t(oy) * s_.out_w);
  }
  if (act_ == Act::sigmoid)
    for (size_t i = 0; i < out_plane * s_.out_c; ++i) out[i] = apply_act(Act::sigmoid, out[i]);
}

}  // namespace mnet
