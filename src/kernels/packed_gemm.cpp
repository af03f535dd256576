// PackedGemm: weights packed into panels at load, 12×32 AVX-512 register tiles, bias and activation in the store.
#include "kernels/packed_gemm.h"

#include <immintrin.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "kernels/dispatch.h"
#include "kernels/gemm.h"
#include "kernels/simd_act.h"
#include "kernels/simd_level.h"

namespace mnet {

namespace {

constexpr int kRows = PackedGemm::kRows;
constexpr int kColumns = PackedGemm::kColumns;
// Floats of B one column block may span (K × block columns): half of a 1 MiB L2, so the block
// stays there while every row panel passes over it.
constexpr int64_t kBlockFloats = 128 * 1024;
// Below this many multiply-adds one thread finishes before a passive OpenMP team wakes up.
constexpr int64_t kParallelMadds = int64_t(1) << 20;

// One tile: rows [0, R) of a panel times columns [0, 16·V) of B (fewer where `masked`, per the
// two lane masks), summed over all of K in V·R registers, then bias, activation and one store.
// V = 1 takes a block's last columns when at most 16 are left: at N = 196 (14×14 maps) a
// two-vector tile there computed 28 columns for nothing, 1/8 of the layer.
// `next_panel`, unless null, is pulled towards L2 meanwhile: weights are read from memory once
// per inference, and the hardware prefetcher alone left the deepest 1×1 layers at half speed.
template <int R, bool Masked, int V>
__attribute__((target("avx512f"))) void tile(int K, const float* panel, const float* b, size_t ldb,
                                             float* c, size_t ldc, const float* bias, Act act,
                                             __mmask16 lanes0, __mmask16 lanes1, const float* next_panel) {
  __m512 acc0[R], acc1[R];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    acc0[r] = _mm512_setzero_ps();
    if constexpr (V == 2) acc1[r] = _mm512_setzero_ps();
  }
  for (int k = 0; k < K; ++k) {
    const float* b_row = b + size_t(k) * ldb;
    const __m512 b0 = Masked ? _mm512_maskz_loadu_ps(lanes0, b_row) : _mm512_loadu_ps(b_row);
    __m512 b1 = _mm512_setzero_ps();
    if constexpr (V == 2) b1 = Masked ? _mm512_maskz_loadu_ps(lanes1, b_row + 16) : _mm512_loadu_ps(b_row + 16);
    const float* a = panel + size_t(k) * kRows;
    if (next_panel) _mm_prefetch(reinterpret_cast<const char*>(next_panel + size_t(k) * kRows), _MM_HINT_T1);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 a_r = _mm512_set1_ps(a[r]);
      acc0[r] = _mm512_fmadd_ps(a_r, b0, acc0[r]);
      if constexpr (V == 2) acc1[r] = _mm512_fmadd_ps(a_r, b1, acc1[r]);
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    const __m512 bias_r = _mm512_set1_ps(bias ? bias[r] : 0.0f);
    float* c_row = c + size_t(r) * ldc;
    const __m512 y0 = act_avx512(act, _mm512_add_ps(acc0[r], bias_r));
    if (Masked)
      _mm512_mask_storeu_ps(c_row, lanes0, y0);
    else
      _mm512_storeu_ps(c_row, y0);
    if constexpr (V == 2) {
      const __m512 y1 = act_avx512(act, _mm512_add_ps(acc1[r], bias_r));
      if (Masked)
        _mm512_mask_storeu_ps(c_row + 16, lanes1, y1);
      else
        _mm512_storeu_ps(c_row + 16, y1);
    }
  }
}

using TileFn = void (*)(int, const float*, const float*, size_t, float*, size_t, const float*, Act,
                        __mmask16, __mmask16, const float*);

// The tile shapes a column block ends with.
enum TileKind { kFull, kMasked, kNarrow, kTileKinds };

template <int... R>
constexpr std::array<std::array<TileFn, sizeof...(R)>, kTileKinds> make_tile_table(std::integer_sequence<int, R...>) {
  return {{{&tile<R + 1, false, 2>...}, {&tile<R + 1, true, 2>...}, {&tile<R + 1, true, 1>...}}};
}
// kTileTable[kind][rows - 1]
constexpr auto kTileTable = make_tile_table(std::make_integer_sequence<int, kRows>{});

}  // namespace

bool PackedGemm::available() { return simd_level() >= kernel_simd_level(Kernel::gemm_packed_avx512); }

std::vector<float> pack_row_panels(int M, int K, const float* A, int rows) {
  const int panels = (M + rows - 1) / rows;
  std::vector<float> packed(size_t(panels) * K * rows, 0.0f);
  for (int m = 0; m < M; ++m) {
    float* panel = packed.data() + size_t(m / rows) * K * rows;
    for (int k = 0; k < K; ++k) panel[size_t(k) * rows + m % rows] = A[size_t(m) * K + k];
  }
  return packed;
}

PackedGemm::PackedGemm(int M, int K, const float* A) : M_(M), K_(K), panels_(pack_row_panels(M, K, A, kRows)) {}

void PackedGemm::run(int N, const float* B, size_t ldb, float* C, size_t ldc, const float* bias, Act act,
                     int threads) const {
  if (M_ <= 0 || N <= 0) return;
  if (act == Act::sigmoid) {  // no vector form: a second pass
    run(N, B, ldb, C, ldc, bias, Act::none, threads);
    for (int m = 0; m < M_; ++m) bias_act_rows(C + size_t(m) * ldc, 1, N, nullptr, Act::sigmoid, 1);
    return;
  }
  const int panels = (M_ + kRows - 1) / kRows;
  const int max_columns = (N + kColumns - 1) / kColumns * kColumns;
  const int widest_block =
      std::clamp(int(kBlockFloats / std::max(K_, 1)) / kColumns * kColumns, kColumns, max_columns);
  // Blocks of equal width (to a tile): with one wide and one narrow block, the thread given the
  // narrow one idled (V1's 128x128 layer at 56x56 ran 1.4x faster on 2 threads, not 1.9x).
  const int column_blocks = (N + widest_block - 1) / widest_block;
  const int block_columns = ((N + column_blocks - 1) / column_blocks + kColumns - 1) / kColumns * kColumns;
  const int64_t tasks = int64_t(column_blocks) * panels;
  const bool parallel = threads > 1 && tasks > 1 && int64_t(M_) * N * K_ >= kParallelMadds;
  auto task_columns = [&](int64_t t) {
    const int block = int(t / panels);
    return std::pair{block * block_columns, std::min(N, (block + 1) * block_columns)};
  };
  auto task_work = [&](int64_t t) {  // rows × 16-lane vectors
    const auto [begin, end] = task_columns(t);
    return int64_t(std::min(kRows, M_ - int(t % panels) * kRows)) * ((end - begin + 15) / 16);
  };
  int64_t total_work = 0;
  for (int64_t t = 0; t < tasks; ++t) total_work += task_work(t);
  // Task order: row panels inside column blocks, so a thread's consecutive tasks share B's block.
  // Each thread takes a contiguous run of tasks holding an equal share of the work: OpenMP's
  // static split counted tasks, and at N = 196 with two blocks of 128 and 68 columns one thread
  // got twice the other's work (V3-Large's 672->112 layer: 1.63x on 2 threads).
#pragma omp parallel num_threads(threads) if (parallel)
  {
#ifdef _OPENMP
    const int team = omp_get_num_threads(), member = omp_get_thread_num();
#else  // the fuzz targets' build, without OpenMP
    const int team = 1, member = 0;
#endif
    int64_t work_before = 0;
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t work = task_work(t);
      // The task goes to the thread whose share holds its middle.
      const int64_t owner = std::min<int64_t>(team - 1, (2 * work_before + work) * team / (2 * total_work));
      work_before += work;
      if (owner != member) continue;
      const int panel = int(t % panels);
      const int row0 = panel * kRows, rows = std::min(kRows, M_ - row0);
      const float* a = panels_.data() + size_t(panel) * K_ * kRows;
      const float* row_bias = bias ? bias + row0 : nullptr;
      const auto [column_begin, column_end] = task_columns(t);
      const float* next_panel = panel + 1 < panels ? a + size_t(K_) * kRows : nullptr;
      for (int col = column_begin; col < column_end; col += kColumns) {
        const int cols = std::min(kColumns, column_end - col);
        const TileKind kind = cols <= 16 ? kNarrow : cols < kColumns ? kMasked : kFull;
        kTileTable[kind][rows - 1](K_, a, B + col, ldb, C + size_t(row0) * ldc + col, ldc, row_bias, act,
                                   lanes_below16(cols), lanes_below16(cols - 16), next_panel);
        next_panel = nullptr;  // the first tile of the panel has fetched it
      }
    }
  }
}

}  // namespace mnet
