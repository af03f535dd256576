// SmallMapGemm: the AVX-512 GEMM for 7×7 maps, vectors along the output channels.
#include "kernels/small_map_gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "kernels/gemm.h"
#include "kernels/packed_gemm.h"
#include "kernels/simd_act.h"

namespace mnet {

namespace {

constexpr int kRows = SmallMapGemm::kRows;
constexpr int kColumns = SmallMapGemm::kColumns;
constexpr int kVectors = kRows / 16;
// Below this many multiply-adds one thread finishes before a passive OpenMP team wakes up.
constexpr int64_t kParallelMadds = int64_t(1) << 20;

// Rows [0, rows) of a panel times columns [0, 7) of B, summed over all of K in 21 registers,
// then bias, activation and a scatter into C's rows. Meanwhile the first `prefetch_lines` cache
// lines from `prefetch` are fetched, one per k step: the weights come from L3 once per inference,
// and with weights not in L2 the layers ran 12-20 % below their in-cache speed. One line per step
// spread over all the panel's tiles, into L1 (T0), brought that to 4-10 % (T1, or the whole panel
// during the first tile as before: 10-15 %; scripts/bench_gemm.cpp shapes, 1 thread).
template <int V>
__attribute__((target("avx512f"))) void tile(int K, const float* panel, const float* b, size_t ldb,
                                             float* c, size_t ldc, const float* bias, int rows, Act act,
                                             const char* prefetch, int prefetch_lines) {
  __m512 acc[V][kColumns];
#pragma GCC unroll 8
  for (int j = 0; j < kColumns; ++j)
#pragma GCC unroll 3
    for (int v = 0; v < V; ++v) acc[v][j] = _mm512_setzero_ps();
  for (int k = 0; k < K; ++k) {
    const float* a = panel + size_t(k) * kRows;
    if (k < prefetch_lines) _mm_prefetch(prefetch + 64 * size_t(k), _MM_HINT_T0);
    __m512 a_v[V];
#pragma GCC unroll 3
    for (int v = 0; v < V; ++v) a_v[v] = _mm512_loadu_ps(a + 16 * v);
    const float* b_row = b + size_t(k) * ldb;
#pragma GCC unroll 8
    for (int j = 0; j < kColumns; ++j) {
      const __m512 b_j = _mm512_set1_ps(b_row[j]);
#pragma GCC unroll 3
      for (int v = 0; v < V; ++v) acc[v][j] = _mm512_fmadd_ps(a_v[v], b_j, acc[v][j]);
    }
  }
  const __m512i row_offsets = _mm512_mullo_epi32(_mm512_set1_epi32(int(ldc)),
                                                 _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
#pragma GCC unroll 3
  for (int v = 0; v < V; ++v) {
    const __mmask16 lanes = lanes_below16(rows - 16 * v);
    if (!lanes) break;
    const __m512 bias_v = bias ? _mm512_maskz_loadu_ps(lanes, bias + 16 * v) : _mm512_setzero_ps();
    float* c_v = c + size_t(16 * v) * ldc;
#pragma GCC unroll 8
    for (int j = 0; j < kColumns; ++j)
      _mm512_mask_i32scatter_ps(c_v + j, lanes, row_offsets, act_avx512(act, _mm512_add_ps(acc[v][j], bias_v)), 4);
  }
}

}  // namespace

SmallMapGemm::SmallMapGemm(int M, int K, const float* A)
    : M_(M), K_(K), panels_(pack_row_panels(M, K, A, kRows)) {}

void SmallMapGemm::run(int N, const float* B, float* C, const float* bias, Act act, int threads) const {
  if (M_ <= 0 || N <= 0) return;
  if (act == Act::sigmoid) {  // no vector form: a second pass
    run(N, B, C, bias, Act::none, threads);
    bias_act_rows(C, M_, N, nullptr, Act::sigmoid, threads);
    return;
  }
  const int panels = (M_ + kRows - 1) / kRows;
  const bool parallel = threads > 1 && panels > 1 && int64_t(M_) * N * K_ >= kParallelMadds;
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (int panel = 0; panel < panels; ++panel) {
    const int row0 = panel * kRows, rows = std::min(kRows, M_ - row0);
    const float* a = panels_.data() + size_t(panel) * K_ * kRows;
    // The next panel's lines, one per k step, spread over this panel's tiles.
    const int panel_lines = K_ * kRows / 16;
    const char* next_panel = reinterpret_cast<const char*>(a + size_t(K_) * kRows);
    int lines_left = panel + 1 < panels ? panel_lines : 0;
    for (int col = 0; col < N; col += kColumns) {
      const int lines = std::min(lines_left, K_);
      // A last panel of at most 16 or 32 rows runs one or two vectors, not three.
      const auto tile_fn = rows <= 16 ? tile<1> : rows <= 32 ? tile<2> : tile<kVectors>;
      tile_fn(K_, a, B + col, size_t(N), C + size_t(row0) * N + col, size_t(N), bias ? bias + row0 : nullptr, rows,
              act, next_panel, lines);
      next_panel += 64 * size_t(lines);
      lines_left -= lines;
    }
  }
}

}  // namespace mnet
