// GEMM through OpenBLAS with bias and activation applied after, and OpenBLAS's threads.
#pragma once
#include <string>

#include "core/activation.h"

namespace mnet {

// C[M,N] = A[M,K] · B[K,N], all row-major and densely packed, then C[m,n] = act(C[m,n] + bias[m])
// (bias may be null). One cblas_sgemm; bias and activation applied in one pass over C afterwards.
void gemm_bias_act(int M, int N, int K, const float* A, const float* B, float* C, const float* bias,
                   Act act, int threads);

// y[M] = act(A[M,K] · x[K] + bias[M]) (bias may be null): fully connected layers. With AVX-512,
// streamed_gemv (kernels/streamed_gemv.h) on `threads`; otherwise one cblas_sgemv.
void gemv_bias_act(int M, int K, const float* A, const float* x, float* y, const float* bias, Act act,
                   int threads);

// Applies act(x + bias[row]) over a [rows, cols] block in place; bias may be null. OpenMP over rows.
void bias_act_rows(float* data, int rows, int cols, const float* bias, Act act, int threads);

// OpenBLAS threads; mnet's own parallel loops take `threads` explicitly.
void set_blas_threads(int n);
// "OpenBLAS 0.3.21 ... core Haswell": version/config string and the core type it chose.
std::string blas_config();
std::string blas_corename();

}  // namespace mnet
