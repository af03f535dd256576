// kernels/gemm: OpenBLAS GEMM with bias and activation against a naive loop.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/activation.h"
#include "kernels/gemm.h"
#include "kernels/openblas.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

namespace {

// C[M,N] = act(A[M,K]·B[K,N] + bias[M]), summed in double.
std::vector<float> naive_gemm(int M, int N, int K, const std::vector<float>& A,
                              const std::vector<float>& B, const float* bias, Act act) {
  std::vector<float> C(size_t(M) * N);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double sum = 0.0;
      for (int k = 0; k < K; ++k) sum += double(A[size_t(m) * K + k]) * B[size_t(k) * N + n];
      C[size_t(m) * N + n] = apply_act(act, float(sum) + (bias ? bias[m] : 0.0f));
    }
  return C;
}

// float GEMM rounding grows at most linearly in K with the product magnitudes: 1e-5·K·max|a|·max|b|
// (plus the bias), times 1.5 because hswish's slope reaches 1.5 and no activation is steeper.
float gemm_tolerance(int K, const std::vector<float>& A, const std::vector<float>& B,
                     float max_bias) {
  return 1.5f * 1e-5f * (float(std::max(K, 1)) * max_abs(A) * max_abs(B) + max_bias);
}

void check_gemm(int M, int N, int K, bool with_bias, Act act, int threads) {
  // Scale 2 puts pre-activations on both sides of every breakpoint (-3, 0, 3, 6).
  const auto A = random_values(size_t(M) * K, 2.0f, 1u + M);
  const auto B = random_values(size_t(K) * N, 2.0f, 2u + N);
  const auto bias = random_values(size_t(M), 3.0f, 3u + K);
  const float* bias_ptr = with_bias ? bias.data() : nullptr;
  std::vector<float> C(size_t(M) * N, 123.0f);
  gemm_bias_act(M, N, K, A.data(), B.data(), C.data(), bias_ptr, act, threads);
  const auto expected = naive_gemm(M, N, K, A, B, bias_ptr, act);
  const float tol = gemm_tolerance(K, A, B, with_bias ? max_abs(bias) : 0.0f);
  INFO("M=" << M << " N=" << N << " K=" << K << " act=" << act_name(act) << " bias=" << with_bias
            << " threads=" << threads);
  REQUIRE(mismatch(C, expected, tol) == "");
}

struct GemmShape {
  int M, N, K;
};

}  // namespace

TEST_CASE(
    "gemm_bias_act matches a naive triple loop on odd shapes, every activation, with and without "
    "bias") {
  const GemmShape shapes[] = {{27, 15 * 14, 13}, {1, 1, 1},    {1, 1, 7},
                              {5, 3, 1},         {3, 33, 200}, {64, 1, 9}};
  for (const auto& s : shapes)
    for (Act act : kAllActs)
      for (bool with_bias : {false, true}) check_gemm(s.M, s.N, s.K, with_bias, act, 1);
}

TEST_CASE("gemm_bias_act parallelises the bias pass over rows without changing results") {
  // 96·56·56 elements is above the threshold where the bias/activation pass goes parallel.
  for (Act act : {Act::none, Act::relu6, Act::hswish})
    for (bool with_bias : {false, true}) check_gemm(96, 56 * 56, 24, with_bias, act, 2);
}

TEST_CASE("gemm_bias_act with K = 0 gives act(bias)") {
  const float bias[2] = {-1.0f, 2.0f};
  std::vector<float> C(6, 99.0f);
  gemm_bias_act(2, 3, 0, nullptr, nullptr, C.data(), bias, Act::relu, 1);
  CHECK(C == std::vector<float>{0, 0, 0, 2, 2, 2});
}

TEST_CASE("BLAS thread count 1 or 2 does not change gemm results beyond tolerance") {
  const int M = 96, N = 15 * 14 * 4, K = 147;
  const auto A = random_values(size_t(M) * K, 1.0f, 11);
  const auto B = random_values(size_t(K) * N, 1.0f, 12);
  const auto bias = random_values(size_t(M), 1.0f, 13);
  const auto expected = naive_gemm(M, N, K, A, B, bias.data(), Act::hswish);
  const float tol = gemm_tolerance(K, A, B, max_abs(bias));
  const int threads_before = openblas::threads();
  for (int threads : {1, 2}) {
    set_blas_threads(threads);
    std::vector<float> C(size_t(M) * N);
    gemm_bias_act(M, N, K, A.data(), B.data(), C.data(), bias.data(), Act::hswish, 2);
    INFO("blas threads " << threads);
    REQUIRE(mismatch(C, expected, tol) == "");
  }
  set_blas_threads(threads_before);
  CHECK(openblas::threads() == threads_before);
}

TEST_CASE("gemv_bias_act matches a naive loop for every activation, with and without bias") {
  for (const auto& [M, K] :
       {std::pair{1, 1}, std::pair{1, 9}, std::pair{27, 13}, std::pair{1000, 1024}}) {
    const auto A = random_values(size_t(M) * K, 1.0f, 21u + M);
    const auto x = random_values(size_t(K), 1.0f, 22u + K);
    const auto bias = random_values(size_t(M), 3.0f, 23);
    for (Act act : kAllActs)
      for (bool with_bias : {false, true}) {
        const float* bias_ptr = with_bias ? bias.data() : nullptr;
        std::vector<float> y(size_t(M), 123.0f);
        gemv_bias_act(M, K, A.data(), x.data(), y.data(), bias_ptr, act, 1);
        const auto expected = naive_gemm(M, 1, K, A, x, bias_ptr, act);
        const float tol = gemm_tolerance(K, A, x, with_bias ? max_abs(bias) : 0.0f);
        INFO("M=" << M << " K=" << K << " act=" << act_name(act) << " bias=" << with_bias);
        REQUIRE(mismatch(y, expected, tol) == "");
      }
  }
}

TEST_CASE("bias_act_rows applies bias per row and the activation to every element") {
  std::vector<float> data{-4, -1, 0, 1, 2, 5, 7, 10};  // [2, 4]
  const float bias[2] = {1.0f, -2.0f};
  bias_act_rows(data.data(), 2, 4, bias, Act::relu6, 1);
  CHECK(data == std::vector<float>{0, 0, 1, 2, 0, 3, 5, 6});
  std::vector<float> unchanged{-1.5f, 2.5f};
  bias_act_rows(unchanged.data(), 1, 2, nullptr, Act::none, 2);
  CHECK(unchanged == std::vector<float>{-1.5f, 2.5f});
}

TEST_CASE("OpenBLAS reports its configuration and core name") {
  CHECK(blas_config().find("OpenBLAS") != std::string::npos);
  CHECK_FALSE(blas_corename().empty());
}
