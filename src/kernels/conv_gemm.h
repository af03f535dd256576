// The GEMM of a convolution's constant weights, on the kernel kernels/dispatch.h chooses for its shape.
#pragma once
#include <vector>

#include "core/activation.h"
#include "kernels/dispatch.h"
#include "kernels/packed_gemm.h"
#include "kernels/small_map_gemm.h"

namespace mnet {

// The engine's GEMM for a convolution's weights, chosen once for the shape by choose_gemm
// (kernels/dispatch.h): SmallMapGemm, PackedGemm or OpenBLAS's sgemm.
class ConvGemm {
 public:
  ConvGemm() = default;
  // A [M, K] row-major; N = H·W. The kernel choose_gemm names at simd_level().
  ConvGemm(int M, int K, std::vector<float> A, int N);
  // The same through `kernel`, a gemm_* Kernel the dispatcher named for this shape.
  ConvGemm(Kernel kernel, int M, int K, std::vector<float> A, int N);
  void run(const float* B, float* C, const float* bias, Act act, int threads) const;
  // The same for n columns of B and C whose rows are ldb and ldc floats apart (a band of pixels of
  // every channel); exactly run's sums. Only where packed(): other kernels need dense operands.
  void run_strided(int n, const float* B, size_t ldb, float* C, size_t ldc, const float* bias, Act act,
                   int threads) const;
  bool packed() const { return kernel_ == Kernel::gemm_packed_avx512; }
  Kernel kernel() const { return kernel_; }

 private:
  int M_ = 0, K_ = 0, N_ = 0;
  Kernel kernel_ = Kernel::gemm_openblas;
  std::vector<float> A_;  // kept for OpenBLAS when not packed
  PackedGemm packed_;
  SmallMapGemm small_map_;
};

}  // namespace mnet
