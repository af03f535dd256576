// kernels/streamed_gemv: the FC GEMV against a double-precision loop.
#include <catch2/catch.hpp>
#include <vector>

#include "core/activation.h"
#include "kernels/streamed_gemv.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

namespace {

// act(A·x + bias), summed in double.
std::vector<float> naive_gemv(int M, int K, const std::vector<float>& A, const std::vector<float>& x, const float* bias,
                              Act act) {
  std::vector<float> y(size_t(M), 0.0f);
  for (int m = 0; m < M; ++m) {
    double sum = 0;
    for (int k = 0; k < K; ++k) sum += double(A[size_t(m) * K + k]) * x[size_t(k)];
    y[size_t(m)] = apply_act(act, float(sum) + (bias ? bias[m] : 0.0f));
  }
  return y;
}

bool have_avx512() {
  if (streamed_gemv_available()) return true;
  WARN("no AVX-512 on this CPU: the fully connected layers use OpenBLAS's sgemv");
  return false;
}

}  // namespace

TEST_CASE("streamed_gemv matches a double-precision loop on every row and column tail") {
  if (!have_avx512()) return;
  // Rows: groups of four and the 1-3 left over; columns: whole vectors and masked tails.
  for (int M : {1, 2, 3, 4, 5, 7, 8, 9, 13})
    for (int K : {1, 15, 16, 17, 33, 100}) {
      const auto A = random_values(size_t(M) * K, 1.0f, 31u + unsigned(M * K));
      const auto x = random_values(size_t(K), 1.0f, 32u + unsigned(K));
      const auto bias = random_values(size_t(M), 2.0f, 33);
      const Act act = kAllActs[size_t(M + K) % std::size(kAllActs)];
      for (bool with_bias : {false, true}) {
        const float* b = with_bias ? bias.data() : nullptr;
        std::vector<float> y(size_t(M), 123.0f);
        streamed_gemv(M, K, A.data(), x.data(), y.data(), b, act, 1);
        INFO("M=" << M << " K=" << K << " act=" << act_name(act) << " bias=" << with_bias);
        // float sums in another order: 1e-5·K·max|a|·max|x| (+ bias), ×1.5 for hswish's slope
        REQUIRE(mismatch(y, naive_gemv(M, K, A, x, b, act), 1.5e-5f * float(K) + 1e-5f * max_abs(bias)) == "");
      }
    }
}

TEST_CASE("streamed_gemv on FC shapes gives the same bits on 1 and 2 threads — K = 0 gives act(bias)") {
  if (!have_avx512()) return;
  const int M = 1001, K = 1280;  // above the size where rows are split, with a ragged last group
  const auto A = random_values(size_t(M) * K, 1.0f, 41);
  const auto x = random_values(size_t(K), 1.0f, 42);
  const auto bias = random_values(size_t(M), 1.0f, 43);
  std::vector<float> one(size_t(M), 0.0f), two(size_t(M), 0.0f);
  streamed_gemv(M, K, A.data(), x.data(), one.data(), bias.data(), Act::hswish, 1);
  streamed_gemv(M, K, A.data(), x.data(), two.data(), bias.data(), Act::hswish, 2);
  CHECK(one == two);
  CHECK(mismatch(one, naive_gemv(M, K, A, x, bias.data(), Act::hswish), 1.5e-5f * K + 1e-5f) == "");

  std::vector<float> y(3, 99.0f);
  const float b3[3] = {-1.0f, 0.5f, 7.0f};
  streamed_gemv(3, 0, nullptr, nullptr, y.data(), b3, Act::relu6, 1);
  CHECK(y == std::vector<float>{0.0f, 0.5f, 6.0f});
}
