// The separable_conv row (Xception's SeparableConv2D): what it expands into, its shapes and cost,
// refused descriptions, and on the engine: equal to its expansion written by hand, and with
// depth_multiplier 2 equal to a reference computed here.
#include <catch2/catch.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/error.h"
#include "cost/cost.h"
#include "run/executor.h"
#include "graph_testing.h"
#include "testing.h"
#include "weights/weights.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;

namespace {

// "type name [summary] → [c,h,w]" per node after the input.
std::vector<std::string> layers_of(const Graph& g) {
  std::vector<std::string> out;
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    out.push_back(n.layer->type() + " " + n.name + " [" + n.layer->summary() + "] " + std::to_string(n.out.c) + "x" +
                  std::to_string(n.out.h) + "x" + std::to_string(n.out.w));
  }
  return out;
}

const LayerCostRow& row(const CostReport& r, const std::string& name) {
  for (const LayerCostRow& l : r.layers)
    if (l.name == name) return l;
  FAIL("no layer " << name);
  return r.layers.front();
}

}  // namespace

TEST_CASE("separable_conv: depthwise then 1x1 with nothing between, then BN and the activation asked", "[separable_conv]") {
  SECTION("defaults: 3x3 stride 1 same padding, BN, no activation, no bias") {
    const Graph g = parse_config(net(8, 15, R"({"type": "separable_conv", "name": "s", "out": 16})"), "t.json");
    CHECK(layers_of(g) == std::vector<std::string>{"dwconv s.dw [k3 s1 same] 8x15x15", "conv s.pw [k1 s1 p0] 16x15x15",
                                                   "bn s.bn [eps 1e-05] 16x15x15"});
    const CostReport r = analyze_cost(g);
    // Depthwise k²·C·H·W, pointwise C·N·H·W; weights k²·C + C·N, BN's not counted.
    CHECK(row(r, "s.dw").madds == 9 * 8 * 15 * 15);
    CHECK(row(r, "s.pw").madds == 8 * 16 * 15 * 15);
    CHECK(r.madds == (9 * 8 + 8 * 16) * 15 * 15);
    CHECK(r.params == 9 * 8 + 8 * 16);
    CHECK(row(r, "s.dw").category == "dw3x3");
  }
  SECTION("pre_act before the depthwise, stride 2, dilation, bias, activation after, no BN") {
    const Graph g = parse_config(net(8, 15, R"({"type": "separable_conv", "name": "s", "out": 12, "kernel": 5,
        "stride": 2, "dilation": 2, "pre_act": "relu", "act": "relu6", "bn": false, "bias": true})"),
                                 "t.json");
    CHECK(layers_of(g) == std::vector<std::string>{"relu s.pre_act [] 8x15x15", "dwconv s.dw [k5 s2 d2 same] 8x8x8",
                                                   "conv s.pw [k1 s1 p0 bias] 12x8x8", "relu6 s.act [] 12x8x8"});
    const CostReport r = analyze_cost(g);
    CHECK(r.madds == (25 * 8 + 8 * 12) * 8 * 8);
    CHECK(r.params == 25 * 8 + 8 * 12 + 12);
  }
  SECTION("depth_multiplier M: a convolution with one group per channel, M·C outputs") {
    const Graph g = parse_config(net(8, 15, R"({"type": "separable_conv", "name": "s", "out": 16, "depth_multiplier": 3})"),
                                 "t.json");
    CHECK(layers_of(g).front() == "conv s.dw [k3 s1 g8 same] 24x15x15");
    const CostReport r = analyze_cost(g);
    // k²·C·M·H·W + C·M·N·H·W.
    CHECK(row(r, "s.dw").madds == 9 * 8 * 3 * 15 * 15);
    CHECK(row(r, "s.pw").madds == 8 * 3 * 16 * 15 * 15);
    CHECK(row(r, "s.dw").params == 9 * 8 * 3);
    // The by-type breakdown's depthwise rows are one filter per channel; M > 1 counts as a k×k conv.
    CHECK(row(r, "s.dw").category == "conv3x3");
  }
  SECTION("unnamed rows count up; the width multiplier scales out") {
    const Graph g = parse_config(R"({"name": "t", "resolution": 8, "width": 0.5, "layers": [
        {"type": "separable_conv", "out": 32}, {"type": "separable_conv", "out": 32}]})",
                                 "t.json");
    CHECK(g.find("sepconv1.pw") > 0);
    CHECK(g.find("sepconv2.bn") > 0);
    CHECK(g.output().out.c == 16);
  }
}

TEST_CASE("separable_conv: bad keys and values are refused with the rule", "[separable_conv]") {
  CHECK_THAT(error_of(net(8, 15, R"({"type": "separable_conv", "name": "s"})")), Contains("'out'"));
  CHECK_THAT(error_of(net(8, 15, R"({"type": "separable_conv", "name": "s", "out": 8, "groups": 2})")),
             Contains("groups"));
  CHECK_THAT(error_of(net(8, 15, R"({"type": "separable_conv", "name": "s", "out": 8, "depth_multiplier": 0})")),
             Contains("'depth_multiplier' must be between 1 and 65536, got 0"));
  CHECK_THAT(error_of(net(8, 15, R"({"type": "separable_conv", "name": "s", "out": 8, "depth_multiplier": 9000})")),
             Contains("depth_multiplier 9000 on 8 channels gives 72000, more than kMaxChannels = 65536"));
  CHECK_THAT(error_of(net(8, 15, R"({"type": "separable_conv", "name": "s", "out": 8, "stride": 3})")),
             Contains("stride must be 1 or 2, got 3"));
  CHECK_THAT(error_of(net(8, 15, R"({"type": "separable_conv", "name": "s", "out": 8, "pre_act": "tanh"})")),
             Contains("unknown activation 'tanh' for 'pre_act'"));
  CHECK_THAT(error_of(net(8, 15, R"({"type": "separable_conv", "name": "s", "out": 8, "dilation": 99})")),
             Contains("dilation must be between 1 and kMaxDilation = 64, got 99"));
  CHECK_THAT(error_of(net(8, 15, R"({"type": "separable_conv", "name": "s", "out": 8, "pad": "valid"})")),
             Contains("pad must be an integer or \"same\""));
}

TEST_CASE("a separable_conv row runs exactly as its dwconv + conv expansion written by hand", "[separable_conv]") {
  const Graph row = parse_config(net(6, 17, R"({"type": "separable_conv", "name": "s", "out": 10, "stride": 2,
      "dilation": 2, "pre_act": "relu6", "act": "relu", "bias": true})"),
                                 "row.json");
  const Graph hand = parse_config(net(6, 17, R"({"type": "relu6", "name": "s.pre_act"},
      {"type": "dwconv", "name": "s.dw", "kernel": 3, "stride": 2, "dilation": 2, "pad": "same"},
      {"type": "conv", "name": "s.pw", "out": 10, "kernel": 1, "bias": true},
      {"type": "bn", "name": "s.bn"}, {"type": "relu", "name": "s.act"})"),
                                  "hand.json");
  const WeightMap w = random_weights(hand, 5);
  const std::vector<float> x = random_values(size_t(row.input().out.elements()), 2.0f, 6);
  const std::vector<float> y = run(row, w, x, ExecOptions{2});
  CHECK(max_abs(y) > 0);
  CHECK(y == run(hand, w, x, ExecOptions{2}));
  // Folding the BN and fusing the activation change nothing beyond rounding.
  CHECK(mismatch(run(row, w, x, ExecOptions{2, false}), y, 1e-5f * max_abs(y)) == "");
}

TEST_CASE("separable_conv with depth_multiplier 2 equals a reference computed from its definition", "[separable_conv]") {
  // 3 channels of 9×9, depthwise 3×3 stride 1 same (pad 1) with 2 filters per channel, 1×1 to 8.
  const Graph g = parse_config(net(3, 9, R"({"type": "separable_conv", "name": "s", "out": 8,
      "depth_multiplier": 2, "bn": false, "bias": true})"),
                               "m.json");
  const WeightMap w = random_weights(g, 7);
  const std::vector<float> x = random_values(3 * 81, 1.0f, 8);
  const std::vector<float>& dw = w.at("s.dw.weight");  // [C·M, 1, 3, 3]: output c·M + m reads channel c
  const std::vector<float>& pw = w.at("s.pw.weight");  // [8, C·M]
  const std::vector<float>& bias = w.at("s.pw.bias");
  REQUIRE(dw.size() == 6 * 9);
  std::vector<double> mid(6 * 81, 0.0);
  for (int c = 0; c < 3; ++c)
    for (int m = 0; m < 2; ++m)
      for (int y = 0; y < 9; ++y)
        for (int x0 = 0; x0 < 9; ++x0) {
          double sum = 0;
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = y - 1 + ky, ix = x0 - 1 + kx;
              if (iy < 0 || iy >= 9 || ix < 0 || ix >= 9) continue;
              sum += double(dw[size_t(((c * 2 + m) * 3 + ky) * 3 + kx)]) * x[size_t((c * 9 + iy) * 9 + ix)];
            }
          mid[size_t((c * 2 + m) * 81 + y * 9 + x0)] = sum;
        }
  std::vector<float> expected(8 * 81);
  for (int o = 0; o < 8; ++o)
    for (int p = 0; p < 81; ++p) {
      double sum = bias[size_t(o)];
      for (int j = 0; j < 6; ++j) sum += double(pw[size_t(o * 6 + j)]) * mid[size_t(j * 81 + p)];
      expected[size_t(o * 81 + p)] = float(sum);
    }
  const std::vector<float> y = run(g, w, x, ExecOptions{2});
  CHECK(max_abs(expected) > 0);
  CHECK(mismatch(y, expected, 1e-5f * max_abs(expected)) == "");
}
