// streamed_gemv: fully connected rows streamed from memory with AVX-512, split between threads.
#include "kernels/streamed_gemv.h"

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/dispatch.h"
#include "kernels/simd_act.h"
#include "kernels/simd_level.h"

namespace mnet {

namespace {

constexpr int kRows = 8;
constexpr int kPrefetchBytes = 1024;
constexpr int64_t kParallelWeights = int64_t(1) << 16;

// The sum of v's 16 lanes, halving four times (_mm512_reduce_add_ps trips GCC 12's
// -Wuninitialized; the zero-masked forms with a full mask are the same instructions, see max512).
__attribute__((target("avx512f"), always_inline)) inline float sum_lanes(__m512 v) {
  constexpr __mmask16 kAll = 0xFFFF;
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(kAll, v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(kAll, v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_add_ps(v, _mm512_maskz_permute_ps(kAll, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_maskz_permute_ps(kAll, v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm512_cvtss_f32(v);
}

// Rows [0, R) of A from `a` (rows K floats apart) times x: two accumulators a row, 32 columns a
// step, both of the step's cache lines prefetched 1 KB ahead in every row.
template <int R>
__attribute__((target("avx512f"))) void dot_rows(int K, const float* a, const float* x, float* sums) {
  __m512 acc0[R], acc1[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
  int k = 0;
  for (; k + 32 <= K; k += 32) {
    const __m512 x0 = _mm512_loadu_ps(x + k), x1 = _mm512_loadu_ps(x + k + 16);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const float* row = a + size_t(r) * K + k;
      _mm_prefetch(reinterpret_cast<const char*>(row) + kPrefetchBytes, _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(row) + kPrefetchBytes + 64, _MM_HINT_T0);
      acc0[r] = _mm512_fmadd_ps(_mm512_loadu_ps(row), x0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(_mm512_loadu_ps(row + 16), x1, acc1[r]);
    }
  }
  for (; k < K; k += 16) {
    const __mmask16 lanes = lanes_below16(K - k);
    const __m512 xv = _mm512_maskz_loadu_ps(lanes, x + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
      acc0[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(lanes, a + size_t(r) * K + k), xv, acc0[r]);
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) sums[r] = sum_lanes(_mm512_add_ps(acc0[r], acc1[r]));
}

}  // namespace

bool streamed_gemv_available() { return simd_level() >= kernel_simd_level(Kernel::gemv_streamed_avx512); }

void streamed_gemv(int M, int K, const float* A, const float* x, float* y, const float* bias, Act act,
                   int threads) {
  if (M <= 0) return;
  const int groups = (M + kRows - 1) / kRows;
  const bool parallel = threads > 1 && groups > 1 && int64_t(M) * K >= kParallelWeights;
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (int g = 0; g < groups; ++g) {
    const int m0 = g * kRows, rows = std::min(kRows, M - m0);
    float sums[kRows] = {};
    if (K > 0) {
      if (rows == kRows)
        dot_rows<kRows>(K, A + size_t(m0) * K, x, sums);
      else
        for (int r = 0; r < rows; ++r) dot_rows<1>(K, A + size_t(m0 + r) * K, x, sums + r);
    }
    for (int r = 0; r < rows; ++r) y[m0 + r] = apply_act(act, sums[r] + (bias ? bias[m0 + r] : 0.0f));
  }
}

}  // namespace mnet
