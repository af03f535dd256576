// kernels/conv_gemm: the convolution GEMM gives the same result whichever kernel it picked.
#include <catch2/catch.hpp>
#include <vector>

#include "kernels/conv_gemm.h"
#include "kernels/gemm.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

TEST_CASE("ConvGemm gives the same result whichever kernel it picked") {
  // N = 50: PackedGemm (on AVX-512); N = 49 with K >= 128: SmallMapGemm; else OpenBLAS.
  for (const auto& [N, K] : {std::pair{50, 33}, std::pair{49, 160}}) {
    const int M = 20;
    const auto A = random_values(size_t(M) * K, 1.0f, 41);
    const auto B = random_values(size_t(K) * N, 1.0f, 42);
    std::vector<float> expected(size_t(M) * N), got(size_t(M) * N);
    gemm_bias_act(M, N, K, A.data(), B.data(), expected.data(), nullptr, Act::hswish, 1);
    ConvGemm gemm(M, K, A, N);
    CHECK(gemm.packed() == (PackedGemm::available() && N == 50));  // band chains need PackedGemm
    gemm.run(B.data(), got.data(), nullptr, Act::hswish, 1);
    INFO("N=" << N << " K=" << K);
    REQUIRE(mismatch(got, expected, 1e-5f * K) == "");
  }
}

TEST_CASE("ConvGemm takes SmallMapGemm only for 7×7 maps with enough depth") {
  CHECK(SmallMapGemm::suits(49, 1024));
  CHECK(SmallMapGemm::suits(49, 128));
  CHECK_FALSE(SmallMapGemm::suits(49, 96));
  CHECK_FALSE(SmallMapGemm::suits(196, 512));
  CHECK_FALSE(SmallMapGemm::suits(50, 512));
}
