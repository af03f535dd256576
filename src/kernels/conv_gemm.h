#pragma once
#include <vector>

#include "core/activation.h"
#include "kernels/packed_gemm.h"
#include "kernels/small_map_gemm.h"

namespace mnet {

// The engine's GEMM for a convolution's weights, chosen once for the shape: on AVX-512 CPUs
// SmallMapGemm for the maps it suits, else PackedGemm; OpenBLAS's sgemm elsewhere.
class ConvGemm {
 public:
  ConvGemm() = default;
  ConvGemm(int M, int K, std::vector<float> A, int N);
  void run(const float* B, float* C, const float* bias, Act act, int threads) const;
  bool packed() const { return packed_.rows() > 0; }
  const PackedGemm& packed_gemm() const { return packed_; }  // valid where packed()

 private:
  int M_ = 0, K_ = 0, N_ = 0;
  std::vector<float> A_;  // kept for OpenBLAS when not packed
  PackedGemm packed_;
  SmallMapGemm small_map_;
};

}  // namespace mnet
