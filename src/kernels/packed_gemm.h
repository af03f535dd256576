// PackedGemm: the AVX-512 GEMM for 1×1 and im2col convolutions over weights packed once.
#pragma once
#include <vector>

#include "core/activation.h"

namespace mnet {

// C[M,N] = act(A[M,K] · B[K,N] + bias[M]) for a convolution's constant weights A, with AVX-512.
// A is packed once, at load, into panels of kRows rows laid out k-major, so the inner loop reads
// it contiguously; B and C are the activations as they are (row-major, N = H·W), with no copy.
// Each 12×32 output tile is summed over all of K in registers and leaves through the bias and
// activation on its way to memory: no second pass over C.
// A [M, K] row-major → [ceil(M / rows)][K][rows]: k-major panels of `rows` rows, rows past M zero.
// The weight layout PackedGemm and SmallMapGemm read, each with its own panel height.
std::vector<float> pack_row_panels(int M, int K, const float* A, int rows);

class PackedGemm {
 public:
  static constexpr int kRows = 12;     // output rows (channels) per tile
  static constexpr int kColumns = 32;  // output columns (pixels) per tile: two 16-lane vectors

  // Whether the level in force (simd_level()) runs it; which kernel a layer takes is
  // kernels/dispatch.h's choice.
  static bool available();

  PackedGemm() = default;
  PackedGemm(int M, int K, const float* A);  // A [M, K] row-major

  int rows() const { return M_; }
  int depth() const { return K_; }
  // bias: [M] or null. Parallel over tiles with `threads` OpenMP threads. Requires available().
  void run(int N, const float* B, float* C, const float* bias, Act act, int threads) const {
    run(N, B, size_t(N), C, size_t(N), bias, act, threads);
  }
  // The same with B's and C's rows ldb and ldc floats apart (>= N): a band of columns of wider
  // matrices, e.g. some image rows of every channel.
  void run(int N, const float* B, size_t ldb, float* C, size_t ldc, const float* bias, Act act,
           int threads) const;

 private:
  int M_ = 0, K_ = 0;
  std::vector<float> panels_;  // [ceil(M / kRows)][K][kRows], rows past M zero
};

}  // namespace mnet
