// The upsample layer: bilinear and nearest resizing against PyTorch 1.13's F.interpolate (numbers
// computed once and written here), TF's legacy and align-corners grids worked by hand, the size of
// a second input, refused descriptions and its cost.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "run/executor.h"
#include "graph_testing.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;

namespace {

// A 3×4 map (a 4×4 input with its last row cut by a pad), then the upsample described by `attrs`.
Graph upsample_of_3x4(const std::string& attrs) {
  return parse_config(net(1, 4, R"({"type": "pad", "name": "rows3", "bottom": -1},
                                   {"type": "upsample", "name": "up", )" + attrs + "}"),
                      "t.json");
}
// The 3×4 map's values (row-major), followed by a row the pad drops.
const std::vector<float> kMap{0.5f, -1.25f, 2.0f, 3.5f, 4.0f, 0.25f, -2.5f, 1.0f, -0.75f, 6.0f, 1.5f, -3.0f,
                              99, 99, 99, 99};

std::vector<float> resized(const std::string& attrs, const Shape& expected_shape) {
  Graph g = upsample_of_3x4(attrs);
  REQUIRE(g.output().out == expected_shape);
  const std::vector<float> fused = run(g, {}, kMap, true);
  CHECK(run(g, {}, kMap, ExecOptions{2}) == fused);  // channels split over threads change nothing
  return fused;
}

}  // namespace

TEST_CASE("upsample bilinear matches PyTorch's F.interpolate with align_corners False and True") {
  // torch.nn.functional.interpolate(x, ..., mode="bilinear", align_corners=...), PyTorch 1.13.
  SECTION("align_corners=False, scale_factor=2 (half-pixel centres, the default)") {
    const std::vector<float> torch{0.5,   0.0625, -0.8125, -0.4375, 1.1875, 2.375,   3.125,    3.5,
                                   1.375, 0.8125, -0.3125, -0.4375, 0.4375, 1.375,   2.375,    2.875,
                                   3.125, 2.3125, 0.6875,  -0.4375, -1.0625, -0.625, 0.875,    1.625,
                                   2.8125, 2.53125, 1.96875, 0.890625, -0.703125, -1.125, -0.375, 0,
                                   0.4375, 1.46875, 3.53125, 3.546875, 1.515625, -0.125, -1.375, -2,
                                   -0.75, 0.9375, 4.3125, 4.875,  2.625,  0.375,   -1.875,   -3};
    CHECK(mismatch(resized(R"("scale": 2)", Shape{1, 6, 8}), torch, 1e-6f) == "");
  }
  SECTION("align_corners=True, size 5×7") {
    const std::vector<float> torch{0.5,    -0.375, -1.25, 0.375, 2,     2.75,  3.5,   2.25,  0.875,
                                   -0.5,   -0.375, -0.25, 1,     2.25,  4,     2.125, 0.25,  -1.125,
                                   -2.5,   -0.75,  1,     1.625, 2.375, 3.125, 1.3125, -0.5, -0.75,
                                   -1,     -0.75,  2.625, 6,     3.75,  1.5,   -0.75, -3};
    CHECK(mismatch(resized(R"("height": 5, "width": 7, "align_corners": true)", Shape{1, 5, 7}), torch, 1e-6f) == "");
  }
  SECTION("align_corners=False, size 5×7 (a scale that is not whole)") {
    const std::vector<float> torch{0.5,        -0.125000089, -1.125,      0.375000387, 2.10714316,  2.96428585,
                                   3.5,        1.9000001,    0.989285588, -0.467857182, -0.224999979, 0.364285856,
                                   1.6785717,  2.5,          3.99999976,  2.66071391,  0.517857313, -1.125,
                                   -2.24999952, -0.249999478, 0.999999762, 1.14999962,  2.06071424,  3.51785779,
                                   1.80000007, -0.192857057, -0.935714602, -1.40000033, -0.75,       1.66071451,
                                   5.51785755, 3.74999952,   1.17857099,  -1.39285791, -3};
    CHECK(mismatch(resized(R"("height": 5, "width": 7, "half_pixel_centers": true)", Shape{1, 5, 7}), torch, 2e-6f) ==
          "");
  }
  SECTION("align_corners=False, down to 2×3") {
    const std::vector<float> torch{0.99999994f, 1.52736902e-07f, 2.54166675f, 1.12500012f, 2.53124976f, -1.58333349f};
    CHECK(mismatch(resized(R"("height": 2, "width": 3)", Shape{1, 2, 3}), torch, 2e-6f) == "");
  }
}

TEST_CASE("upsample nearest matches PyTorch's nearest and nearest-exact") {
  SECTION("mode nearest: floor(i · in/out)") {
    const std::vector<float> torch{0.5, 0.5,  -1.25, -1.25, 2,    2,    3.5,  0.5,  0.5,  -1.25, -1.25, 2,
                                   2,   3.5,  4,     4,     0.25, 0.25, -2.5, -2.5, 1,    4,     4,     0.25,
                                   0.25, -2.5, -2.5, 1,     -0.75, -0.75, 6,   6,    1.5,  1.5,   -3};
    CHECK(resized(R"("mode": "nearest", "height": 5, "width": 7)", Shape{1, 5, 7}) == torch);
  }
  SECTION("nearest-exact: half-pixel centres, floor((i + 0.5) · in/out)") {
    const std::vector<float> torch{0.5,   0.5,   -1.25, 2,    2,    3.5,   3.5,   0.5,   0.5,  -1.25, 2,   2,
                                   3.5,   3.5,   4,     4,    0.25, -2.5,  -2.5,  1,     1,    -0.75, -0.75, 6,
                                   1.5,   1.5,   -3,    -3,   -0.75, -0.75, 6,    1.5,   1.5,  -3,    -3};
    CHECK(resized(R"("mode": "nearest", "height": 5, "width": 7, "half_pixel_centers": true)", Shape{1, 5, 7}) == torch);
  }
}

TEST_CASE("upsample follows TF's legacy grid and align_corners rounding, worked by hand") {
  // A 1×2 row [1, 3] … as a 2×2 map whose rows are equal, so only columns interpolate.
  const std::string two = R"({"type": "upsample", "name": "up", )";
  const std::vector<float> x{1, 3, 1, 3};
  SECTION("bilinear, both options false (TF1's resize_bilinear): positions 0, 0.5, 1, 1.5 clamp at the edge") {
    Graph g = parse_config(net(1, 2, two + R"("scale": 2, "half_pixel_centers": false})"), "t.json");
    REQUIRE(g.output().out == (Shape{1, 4, 4}));
    const std::vector<float> row{1, 2, 3, 3};
    std::vector<float> expected;
    for (int r = 0; r < 4; ++r)
      for (float v : row) expected.push_back(v);
    CHECK(run(g, {}, x, true) == expected);
  }
  SECTION("nearest with align_corners rounds: 3 pixels to 5 read 0, 1, 1, 2, 2") {
    Graph g = parse_config(net(1, 3, two + R"("mode": "nearest", "size": 5, "align_corners": true})"), "t.json");
    const std::vector<float> x3{0, 1, 2, 0, 1, 2, 0, 1, 2};
    const std::vector<float> y = run(g, {}, x3, true);
    CHECK(std::vector<float>(y.begin(), y.begin() + 5) == std::vector<float>{0, 1, 1, 2, 2});
  }
  SECTION("one output pixel under align_corners reads the first input pixel") {
    Graph g = parse_config(net(1, 2, two + R"("size": 1, "align_corners": true})"), "t.json");
    CHECK(run(g, {}, std::vector<float>{5, 6, 7, 8}, true) == std::vector<float>{5});
  }
}

TEST_CASE("upsample without a size takes the size of its second input and costs one operation per value") {
  Graph g = parse_config(net(2, 8, R"({"type": "conv", "name": "down", "out": 3, "kernel": 1, "stride": 2, "pad": 0},
      {"type": "upsample", "name": "up", "inputs": ["down", "input"], "align_corners": true})"),
                         "t.json");
  const Node& up = g.nodes[size_t(g.find("up"))];
  REQUIRE(up.out == (Shape{3, 8, 8}));
  const LayerCost cost = up.layer->cost(up.in_shapes, up.out);
  CHECK(cost.madds == 0);
  CHECK(cost.elementwise_ops == 3 * 8 * 8);
  CHECK(up.layer->summary() == "bilinear to input 2's size align_corners");
  // A constant map stays constant, whichever grid.
  WeightMap w{{"down.weight", std::vector<float>(6, 0.5f)}};
  const std::vector<float> y = run(g, w, std::vector<float>(2 * 64, 1.0f), true);
  CHECK(mismatch(y, std::vector<float>(3 * 64, 1.0f), 1e-6f) == "");
  // Nearest is a copy: nothing counted.
  Graph n = parse_config(net(1, 4, R"({"type": "upsample", "name": "up", "mode": "nearest", "scale": 2})"), "t.json");
  const Node& nu = n.output();
  CHECK(nu.layer->cost(nu.in_shapes, nu.out).elementwise_ops == 0);
}

TEST_CASE("upsample refuses descriptions that name no grid or two") {
  const auto up = [](const std::string& attrs) {
    return error_of(net(1, 4, R"({"type": "upsample", "name": "up", )" + attrs + "}"));
  };
  CHECK_THAT(up(R"("mode": "bicubic", "scale": 2)"), Contains("mode must be \"bilinear\" or \"nearest\", got \"bicubic\""));
  CHECK_THAT(up(R"("scale": 2, "size": 8)"), Contains("give either 'scale' or an output size, not both"));
  CHECK_THAT(up(R"("size": 8, "height": 8)"), Contains("give either 'size' or 'height' and 'width', not both"));
  CHECK_THAT(up(R"("height": 8)"), Contains("'height' and 'width' go together"));
  CHECK_THAT(up(R"("scale": 2, "align_corners": true, "half_pixel_centers": true)"),
             Contains("align_corners and half_pixel_centers cannot both be true"));
  CHECK_THAT(up(R"("scale": 0)"), Contains("scale must be above 0 and at most kMaxUpsampleScale = 64, got 0"));
  CHECK_THAT(up(R"("scale": 65)"), Contains("scale must be between 0 and 64, got 65"));
  CHECK_THAT(up(R"("scale": 0.1)"), Contains("scale 0.1 leaves nothing of [1,4,4]"));
  CHECK_THAT(up(R"("size": 0)"), Contains("size must be between 1 and 8192, got 0"));
  CHECK_THAT(up(R"("scale": 2, "sise": 3)"), Contains("sise"));
  // Without a size it needs the second input to take one from.
  CHECK_THAT(up(R"("mode": "nearest")"), Contains("takes 2 input(s), got 1"));
  CHECK_THAT(error_of(net(1, 512, R"({"type": "upsample", "name": "up", "scale": 32})")),
             Contains("output 16384x16384 exceeds kMaxResolution = 8192"));
}
