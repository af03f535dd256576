#include "kernels/conv_gemm.h"

#include <utility>

#include "kernels/gemm.h"

namespace mnet {

ConvGemm::ConvGemm(int M, int K, std::vector<float> A, int N) : M_(M), K_(K), N_(N) {
  if (PackedGemm::available() && SmallMapGemm::suits(N, K)) {
    small_map_ = SmallMapGemm(M, K, A.data());
  } else if (PackedGemm::available()) {
    packed_ = PackedGemm(M, K, A.data());
  } else {
    A_ = std::move(A);
  }
}

void ConvGemm::run(const float* B, float* C, const float* bias, Act act, int threads) const {
  if (small_map_.rows() > 0)
    small_map_.run(N_, B, C, bias, act, threads);
  else if (packed())
    packed_.run(N_, B, C, bias, act, threads);
  else
    gemm_bias_act(M_, N_, K_, A_.data(), B, C, bias, act, threads);
}

}  // namespace mnet
