// The mul layer (LR-ASPP's gate): an element-wise product with a map of the same shape or one
// factor per channel; and leaky_relu (YOLOv2's activation), hand-computed.
#include <catch2/catch.hpp>
#include <vector>

#include "graph_testing.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;

TEST_CASE("mul multiplies by a same-shaped map or by one factor per channel") {
  Graph g = parse_config(net(2, 2, R"({"type": "gap", "name": "pool"},
                                      {"type": "mul", "name": "gated", "inputs": ["input", "pool"]},
                                      {"type": "mul", "name": "squared", "inputs": ["gated", "gated"]})"),
                         "t.json");
  const Node& gated = g.nodes[size_t(g.find("gated"))];
  REQUIRE(gated.out == (Shape{2, 2, 2}));
  CHECK(gated.layer->cost(gated.in_shapes, gated.out).elementwise_ops == 8);
  CHECK(gated.layer->cost(gated.in_shapes, gated.out).madds == 0);
  const std::vector<float> x{1, 2, 3, 6, -1, -1, -1, 3};  // channel means 3 and 0
  std::vector<float> expected;
  for (size_t i = 0; i < x.size(); ++i) {
    const float v = x[i] * (i < 4 ? 3.0f : 0.0f);
    expected.push_back(v * v);
  }
  for (bool fuse : {true, false}) CHECK(run(g, {}, x, fuse) == expected);
}

TEST_CASE("mul refuses a second input that is neither the first's shape nor C,1,1") {
  CHECK_THAT(error_of(net(2, 4, R"({"type": "maxpool", "name": "half", "kernel": 2},
                                   {"type": "mul", "name": "m", "inputs": ["input", "half"]})")),
             Contains("the second input must have the first's shape [2,4,4] or be [2,1,1] (one factor per channel), got [2,2,2]"));
}

TEST_CASE("leaky_relu keeps positives and scales negatives by alpha") {
  Graph g = parse_config(net(1, 2, R"({"type": "leaky_relu", "name": "a", "alpha": 0.1})"), "t.json");
  for (bool fuse : {true, false}) {
    const std::vector<float> y = run(g, {}, {-2, 0, 3, -0.5f}, fuse);
    REQUIRE(y.size() == 4);
    CHECK(y[0] == Approx(-0.2f));
    CHECK(y[1] == 0);
    CHECK(y[2] == 3);
    CHECK(y[3] == Approx(-0.05f));
  }
  CHECK_THAT(error_of(net(1, 2, R"({"type": "leaky_relu", "name": "a", "alpha": 1})")),
             Contains("alpha must be between 0 and 0.999, got 1"));
}
