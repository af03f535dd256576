// The matrix-vector product of fully connected and squeeze-excite layers, streaming the weights once.
#pragma once
#include "core/activation.h"

namespace mnet {

// y[M] = act(A[M,K] · x[K] + bias[M]) (bias may be null) with AVX-512, for the fully connected and
// squeeze-excite layers: matrix-vector products whose weights come from memory once per inference.
// Eight rows are summed at a time, each prefetched 1 KB ahead. Cycling through 96 MB of weights
// (1 thread): 1000x1280 from DRAM 153 us against OpenBLAS 0.3.21's sgemv 183, read again from L3
// 73 against 98; 240x960 30 / 11.5 against 36 / 12 (its first versions, four rows and one
// accumulator each, lost to OpenBLAS from L3). Rows are split between `threads` from 2^16 weights.
// Whether the level in force runs it (whether a layer takes it: kernels/dispatch.h's choose_fc).
bool streamed_gemv_available();
void streamed_gemv(int M, int K, const float* A, const float* x, float* y, const float* bias, Act act, int threads);

}  // namespace mnet
