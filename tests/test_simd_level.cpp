// The instruction-set choice every kernel follows (src/kernels/simd_level.h) and MNET_SIMD, which
// holds the kernels to a lower set so that the fallbacks run on a machine that has faster ones.
#include <catch2/catch.hpp>

#include "kernels/packed_gemm.h"
#include "kernels/simd_level.h"
#include "kernels/streamed_gemv.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::StartsWith;

TEST_CASE("instruction-set names round-trip and unknown names are refused") {
  for (SimdLevel l : {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512}) {
    SimdLevel parsed = SimdLevel::scalar;
    REQUIRE(parse_simd_level(simd_level_name(l), &parsed));
    CHECK(parsed == l);
  }
  SimdLevel unchanged = SimdLevel::avx2;
  CHECK_FALSE(parse_simd_level("avx512f", &unchanged));
  CHECK_FALSE(parse_simd_level("", &unchanged));
  CHECK(unchanged == SimdLevel::avx2);
}

TEST_CASE("the kernels follow the level in force, never above the CPU's") {
  CHECK(simd_level() <= cpu_simd_level());
  CHECK(PackedGemm::available() == (simd_level() >= SimdLevel::avx512));
  CHECK(streamed_gemv_available() == (simd_level() >= SimdLevel::avx512));
}

TEST_CASE("MNET_SIMD: a lower level runs the same model, an unknown or unsupported one is one error line") {
  const std::string model = shell_quote(source_path("configs/tiny_custom.json"));
  CommandResult best = run_command("MNET_SIMD= " + std::string(MNET_BINARY) + " bench " + model + " --runs 2 --warmup 0");
  INFO("stderr: " << best.err);
  REQUIRE(best.exit_code == 0);
  for (const char* level : {"avx2", "scalar"}) {
    if (cpu_simd_level() < SimdLevel::avx2 && std::string(level) == "avx2") continue;
    CommandResult r = run_command(std::string("MNET_SIMD=") + level + " " + MNET_BINARY + " bench " + model +
                                  " --runs 2 --warmup 0");
    INFO(level << " stderr: " << r.err);
    CHECK(r.exit_code == 0);
  }
  CommandResult unknown = run_command("MNET_SIMD=sse9 " + std::string(MNET_BINARY) + " bench " + model + " --runs 2");
  // A usage error, said before any work: the one line and nothing else.
  INFO("stderr: " << unknown.err);
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err == "mnet: error: MNET_SIMD: unknown instruction set 'sse9' (scalar, avx2, avx512)\n");
  CHECK(unknown.out.empty());
  if (cpu_simd_level() < SimdLevel::avx512) {
    CommandResult above = run_command("MNET_SIMD=avx512 " + std::string(MNET_BINARY) + " bench " + model);
    CHECK(above.exit_code == 2);
    CHECK_THAT(above.err, StartsWith("mnet: error: MNET_SIMD: this CPU cannot run avx512"));
  }
}
