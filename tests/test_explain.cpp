// mnet explain conv: the MobileNet paper's worked example (Section 3.1), counted by the layers'
// own cost functions and printed with the formulas.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cost/explain.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

TEST_CASE("compare_conv counts the paper's formulas through the conv and dwconv layers") {
  // The paper's example: Dk = 3, M = 64, N = 128, Df = 112.
  ConvComparison c = compare_conv(64, 128, 3, 112);
  CHECK(c.standard.madds == 924844032);
  CHECK(c.separable_madds() == 109985792);
  CHECK(c.ratio() == Approx(0.1189).epsilon(1e-3));
  CHECK(c.standard.params == 3 * 3 * 64 * 128);
  CHECK(c.separable_params() == 3 * 3 * 64 + 64 * 128);
  // Any sizes: Dk²·M·N·Df², Dk²·M·Df² + M·N·Df², and the ratio 1/N + 1/Dk² (exact at stride 1).
  for (auto [m, n, k, f] : {std::array<int64_t, 4>{3, 32, 3, 224}, {512, 512, 5, 14}, {1, 1, 1, 1}, {960, 160, 7, 7}}) {
    INFO("M " << m << " N " << n << " Dk " << k << " Df " << f);
    ConvComparison x = compare_conv(int(m), int(n), int(k), int(f));
    CHECK(x.standard.madds == k * k * m * n * f * f);
    CHECK(x.depthwise.madds == k * k * m * f * f);
    CHECK(x.pointwise.madds == m * n * f * f);
    CHECK(x.ratio() == Approx(1.0 / double(n) + 1.0 / double(k * k)));
  }
}

TEST_CASE("compare_conv refuses sizes outside the layers' limits and counts that would not fit") {
  CHECK_THROWS_AS(compare_conv(0, 8, 3, 8), InputError);
  CHECK_THROWS_AS(compare_conv(8, 8, 16, 8), InputError);
  CHECK_THROWS_WITH(compare_conv(65536, 65536, 15, 8192), Contains("above the limit of 2^62"));
}

TEST_CASE("mnet explain conv prints the worked example with the numbers put in") {
  CommandResult r = run_mnet("explain conv --in 64 --out 128 --kernel 3 --size 112");
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Contains("Dk·Dk·M·N·Df·Df = 3·3·64·128·112·112\n"));
  CHECK_THAT(r.out, Contains("= 924,844,032 multiply-adds, 73,728 params\n"));
  CHECK_THAT(r.out, Contains("= 7,225,344 + 102,760,448 = 109,985,792 multiply-adds, 8,768 params\n"));
  CHECK_THAT(r.out, Contains("109,985,792 / 924,844,032 = 0.1189 (1/8.41)\n"));
  CHECK_THAT(r.out, Contains("= 1/N + 1/Dk² = 1/128 + 1/9 = 0.1189\n"));
  CommandResult j = run_mnet("explain conv --in 64 --out 128 --size 112 --format json");
  REQUIRE(j.exit_code == 0);
  auto json = nlohmann::json::parse(j.out);
  CHECK(json["standard"]["madds"] == 924844032);
  CHECK(json["separable"]["madds"] == 109985792);
  CHECK(json["kernel"] == 3);  // the default
}

TEST_CASE("mnet explain refuses what it cannot explain with one usage line") {
  for (const char* args : {"explain pool --in 3 --out 3 --size 3", "explain conv --out 3 --size 3",
                           "explain conv --in 3 --out 3 --size 0", "explain conv --in 3 --out 3 --size 3 --format xml"}) {
    INFO(args);
    CommandResult r = run_mnet(args);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  CommandResult big = run_mnet("explain conv --in 65536 --out 65536 --kernel 15 --size 8192");
  CHECK(big.exit_code == 3);
  CHECK_THAT(big.err, Contains("above the limit of 2^62"));
}

TEST_CASE("mnet explain writes every format: CSV one row per part, Markdown the worked example fenced") {
  CommandResult csv = run_mnet("explain conv --in 64 --out 128 --size 112 --format csv");
  REQUIRE(csv.exit_code == 0);
  CHECK_THAT(csv.out, StartsWith("part,madds,params,in_channels,out_channels,kernel,size\n"));
  CHECK_THAT(csv.out, Contains("\nstandard,924844032,73728,64,128,3,112\n"));
  CHECK_THAT(csv.out, Contains("\nseparable,109985792,8768,64,128,3,112\n"));
  CommandResult md = run_mnet("explain conv --in 64 --out 128 --size 112 --format md");
  REQUIRE(md.exit_code == 0);
  CHECK_THAT(md.out, StartsWith("```\n") && EndsWith("```\n"));
  CommandResult json = run_mnet("explain conv --in 64 --out 128 --size 112 --format json");
  REQUIRE(json.exit_code == 0);
  auto j = nlohmann::json::parse(json.out);
  CHECK(j["kind"] == "explain");
  CHECK(j["threads"].empty());  // nothing executed
}
