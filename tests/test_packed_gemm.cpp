// kernels/packed_gemm: the packed AVX-512 GEMM against OpenBLAS on every tail.
#include <catch2/catch.hpp>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/packed_gemm.h"
#include "gemm_testing.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

TEST_CASE("PackedGemm matches OpenBLAS on every row and column tail, every activation") {
  if (!PackedGemm::available()) {
    WARN("skipped: this CPU has no AVX-512F, so the engine uses OpenBLAS for every GEMM");
    return;
  }
  // M over 1..25 covers every partial row panel (12 rows) and two full ones; N covers tiles of
  // 32 columns cut after 1, 16, 17 and 31 columns.
  for (int M = 1; M <= 25; ++M)
    for (int N : {1, 16, 17, 31, 32, 49, 65})
      check_against_openblas<PackedGemm>(M, N, 7, M % 2 == 0, kAllActs[(M + N) % std::size(kAllActs)], 1);
  for (Act act : kAllActs)
    for (bool with_bias : {false, true}) check_against_openblas<PackedGemm>(24, 49, 300, with_bias, act, 1);
}

TEST_CASE("PackedGemm on MobileNet's 1×1 and first-layer shapes, 1 and 2 threads") {
  if (!PackedGemm::available()) {
    WARN("skipped: this CPU has no AVX-512F, so the engine uses OpenBLAS for every GEMM");
    return;
  }
  struct Shape3 {
    int M, N, K;
  };
  // V1's first conv as im2col (K = 27), a 112×112 1×1, column blocks smaller than N (K = 1024,
  // N = 196), 7×7 maps, and V3's odd channel counts.
  for (const auto& s : {Shape3{32, 112 * 112, 27}, Shape3{64, 112 * 112, 32}, Shape3{200, 196, 1024},
                        Shape3{1024, 49, 512}, Shape3{88, 28 * 28, 24}, Shape3{40, 14 * 14, 120}})
    for (int threads : {1, 2}) check_against_openblas<PackedGemm>(s.M, s.N, s.K, true, Act::relu6, threads);
}

TEST_CASE("PackedGemm with K = 0 gives act(bias)") {
  if (!PackedGemm::available()) {
    WARN("skipped: this CPU has no AVX-512F");
    return;
  }
  const float bias[2] = {-1.0f, 2.0f};
  std::vector<float> C(6, 99.0f);
  PackedGemm(2, 0, nullptr).run(3, nullptr, C.data(), bias, Act::relu, 1);
  CHECK(C == std::vector<float>{0, 0, 0, 2, 2, 2});
}
