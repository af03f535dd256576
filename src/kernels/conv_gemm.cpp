// The convolution GEMM: builds the kernel the dispatcher names and runs it.
#include "kernels/conv_gemm.h"

#include <string>
#include <utility>

#include "core/error.h"
#include "kernels/gemm.h"

namespace mnet {

ConvGemm::ConvGemm(int M, int K, std::vector<float> A, int N)
    : ConvGemm(choose_gemm(M, K, N, simd_level()), M, K, std::move(A), N) {}

ConvGemm::ConvGemm(Kernel kernel, int M, int K, std::vector<float> A, int N) : M_(M), K_(K), N_(N), kernel_(kernel) {
  if (kernel_simd_level(kernel) > simd_level())
    throw RunError(std::string("ConvGemm: ") + kernel_name(kernel) + " needs " +
                   simd_level_name(kernel_simd_level(kernel)) + ", the level in force is " +
                   simd_level_name(simd_level()));
  switch (kernel) {
    case Kernel::gemm_small_map_avx512:
      small_map_ = SmallMapGemm(M, K, A.data());
      break;
    case Kernel::gemm_packed_avx512:
      packed_ = PackedGemm(M, K, A.data());
      break;
    case Kernel::gemm_openblas:
      A_ = std::move(A);
      break;
    default:
      throw RunError(std::string("ConvGemm: ") + kernel_name(kernel) + " is not a GEMM kernel");
  }
}

void ConvGemm::run(const float* B, float* C, const float* bias, Act act, int threads) const {
  if (kernel_ == Kernel::gemm_small_map_avx512)
    small_map_.run(N_, B, C, bias, act, threads);
  else if (kernel_ == Kernel::gemm_packed_avx512)
    packed_.run(N_, B, C, bias, act, threads);
  else
    gemm_bias_act(M_, N_, K_, A_.data(), B, C, bias, act, threads);
}

void ConvGemm::run_strided(int n, const float* B, size_t ldb, float* C, size_t ldc, const float* bias, Act act,
                           int threads) const {
  packed_.run(n, B, ldb, C, ldc, bias, act, threads);
}

}  // namespace mnet
