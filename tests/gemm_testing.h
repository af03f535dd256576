// The check test_packed_gemm.cpp and test_small_map_gemm.cpp share: a GEMM kernel against
// OpenBLAS's sgemm + bias/activation pass (itself checked against a naive loop in test_gemm.cpp).
#pragma once
#include <catch2/catch.hpp>
#include <vector>

#include "kernels/gemm.h"
#include "testing.h"

namespace mnet::testing {

// Kernel(M, K, A).run(N, B, C, bias, act, threads) computes C[M,N] = act(A[M,K]·B[K,N] + bias).
// The two sum in different orders: float rounding grows at most linearly in K.
template <typename Kernel>
void check_against_openblas(int M, int N, int K, bool with_bias, Act act, int threads) {
  const auto A = random_values(size_t(M) * K, 2.0f, 31u + M);
  const auto B = random_values(size_t(K) * N, 2.0f, 32u + N);
  const auto bias = random_values(size_t(M), 3.0f, 33u + K);
  const float* bias_ptr = with_bias ? bias.data() : nullptr;
  std::vector<float> expected(size_t(M) * N), got(size_t(M) * N + 7, 123.0f);
  gemm_bias_act(M, N, K, A.data(), B.data(), expected.data(), bias_ptr, act, 1);
  Kernel(M, K, A.data()).run(N, B.data(), got.data(), bias_ptr, act, threads);
  INFO("M=" << M << " N=" << N << " K=" << K << " act=" << act_name(act) << " bias=" << with_bias
            << " threads=" << threads);
  // Nothing written past C's end, even by masked tails.
  for (size_t i = size_t(M) * N; i < got.size(); ++i) REQUIRE(got[i] == 123.0f);
  got.resize(size_t(M) * N);
  const float tol = 1.5f * 2e-5f * (float(std::max(K, 1)) * max_abs(A) * max_abs(B) + max_abs(bias));
  REQUIRE(mismatch(got, expected, tol) == "");
}

}  // namespace mnet::testing
