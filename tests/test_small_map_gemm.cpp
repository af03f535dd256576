// kernels/small_map_gemm: the 7×7-map GEMM against OpenBLAS.
#include <catch2/catch.hpp>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/packed_gemm.h"
#include "kernels/small_map_gemm.h"
#include "gemm_testing.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

TEST_CASE("SmallMapGemm matches OpenBLAS on every channel tail and activation") {
  if (!PackedGemm::available()) {
    WARN("skipped: this CPU has no AVX-512F, so the engine uses OpenBLAS for every GEMM");
    return;
  }
  // M over 1..100 covers partial vectors and panels (48 rows) and two full panels.
  for (int M = 1; M <= 100; M += 3)
    for (int N : {7, 49})
      check_against_openblas<SmallMapGemm>(M, N, 9, M % 2 == 0, kAllActs[(M + N) % std::size(kAllActs)], 1);
  // Last panels of 16 | 17, 32 | 33 rows: where the tile drops from three vectors to two or one.
  for (int M : {16, 17, 32, 33, 64, 65, 80, 81, 95, 96})
    check_against_openblas<SmallMapGemm>(M, 49, 33, true, Act::relu6, 1);
  for (Act act : kAllActs)
    for (bool with_bias : {false, true}) check_against_openblas<SmallMapGemm>(96, 49, 160, with_bias, act, 1);
}

TEST_CASE("SmallMapGemm on MobileNet's 7×7 layers, 1 and 2 threads") {
  if (!PackedGemm::available()) {
    WARN("skipped: this CPU has no AVX-512F");
    return;
  }
  for (int threads : {1, 2}) {
    check_against_openblas<SmallMapGemm>(1024, 49, 1024, true, Act::relu6, threads);
    check_against_openblas<SmallMapGemm>(160, 49, 960, true, Act::none, threads);
    check_against_openblas<SmallMapGemm>(960, 49, 160, true, Act::hswish, threads);
  }
}
