// OpenBLAS sgemm followed by one bias + activation pass.
#include "kernels/gemm.h"

#include <algorithm>

#include "kernels/openblas.h"
#include "kernels/dispatch.h"
#include "kernels/streamed_gemv.h"

namespace mnet {

namespace {

// Below this many elements the bias/activation pass costs less than waking an OpenMP team.
constexpr long kParallelBiasActElements = 1L << 15;

// The activation is a template argument so the switch folds away and the row loop vectorises.
template <Act A>
void bias_act_rows_as(float* data, int rows, int cols, const float* bias, int threads) {
  const bool parallel = threads > 1 && rows > 1 && long(rows) * cols >= kParallelBiasActElements;
#pragma omp parallel for num_threads(threads) schedule(static) if (parallel)
  for (int r = 0; r < rows; ++r) {
    float* row = data + size_t(r) * cols;
    const float b = bias ? bias[r] : 0.0f;
    for (int j = 0; j < cols; ++j) row[j] = apply_act(A, row[j] + b);
  }
}

}  // namespace

void bias_act_rows(float* data, int rows, int cols, const float* bias, Act act, int threads) {
  if (rows <= 0 || cols <= 0 || (act == Act::none && !bias)) return;
  threads = std::max(threads, 1);
  with_act(act, [&](auto a) { bias_act_rows_as<a>(data, rows, cols, bias, threads); });
}

void gemm_bias_act(int M, int N, int K, const float* A, const float* B, float* C, const float* bias,
                   Act act, int threads) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    // BLAS rejects a leading dimension of 0; an empty sum is zero.
    std::fill(C, C + size_t(M) * N, 0.0f);
  } else {
    openblas::sgemm(M, N, K, A, B, C);
  }
  bias_act_rows(C, M, N, bias, act, threads);
}

void gemv_bias_act(int M, int K, const float* A, const float* x, float* y, const float* bias,
                   Act act, int threads) {
  if (M <= 0) return;
  if (choose_fc(M, K, simd_level()) == Kernel::gemv_streamed_avx512) {
    streamed_gemv(M, K, A, x, y, bias, act, std::max(threads, 1));
    return;
  }
  if (K <= 0) {
    std::fill(y, y + M, 0.0f);
  } else {
    openblas::sgemv(M, K, A, x, y);
  }
  for (int m = 0; m < M; ++m) y[m] = apply_act(act, y[m] + (bias ? bias[m] : 0.0f));
}

void set_blas_threads(int n) { openblas::set_threads(n); }


std::string blas_config() { return openblas::config(); }

std::string blas_corename() { return openblas::corename(); }

}  // namespace mnet
