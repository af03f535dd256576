// SmallMapGemm: the GEMM for convolutions on small maps (7×7), where PackedGemm's column tiles go unfilled.
#pragma once
#include <vector>

#include "core/activation.h"

namespace mnet {

// C[M,N] = act(A[M,K] · B[K,N] + bias[M]) for the 1×1 convolutions on 7×7 maps, with AVX-512.
// Its vectors run along M (output channels), not along the N = H·W pixels: tiles of 48 channels
// × 7 pixels fill every lane at N = 49, where PackedGemm's 32-pixel tiles leave 23 % of them
// empty. A is packed once into k-major panels of 48 rows; each tile leaves through bias and
// activation and is scattered into C's rows.
class SmallMapGemm {
 public:
  static constexpr int kRows = 48;    // output channels per tile: three 16-lane vectors
  static constexpr int kColumns = 7;  // pixels per tile, each a broadcast
  // The shapes it is for, on any CPU (kernels/dispatch.cpp adds the AVX-512 check). Measured
  // against PackedGemm on the MobileNets' 1×1 layers (scripts/bench_gemm.cpp, 1 thread): 5-15 %
  // faster at N = 49 with K >= 128, even at K = 96; at N = 196 slower wherever M is not a
  // multiple of 48 or K is small, as the scatter then costs more than the full lanes gain.
  static bool suits(int N, int K) { return N > 0 && N <= 64 && N % kColumns == 0 && K >= 128; }

  SmallMapGemm() = default;
  SmallMapGemm(int M, int K, const float* A);  // A [M, K] row-major
  int rows() const { return M_; }
  // N a multiple of kColumns; bias [M] or null; parallel over panels of 48 channels.
  void run(int N, const float* B, float* C, const float* bias, Act act, int threads) const;

 private:
  int M_ = 0, K_ = 0;
  std::vector<float> panels_;  // [ceil(M / kRows)][K][kRows], rows past M zero
};

}  // namespace mnet
