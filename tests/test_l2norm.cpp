// The l2norm layer (SSD300's conv4_3_norm): each pixel's channel vector scaled to unit length
// times a learned per-channel weight, hand-computed; its weight and cost; refused descriptions.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "graph_testing.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;

TEST_CASE("l2norm divides each pixel's channels by their L2 norm and scales them per channel") {
  Graph g = parse_config(net(2, 2, R"({"type": "l2norm", "name": "n"})"), "t.json");
  const int node = g.find("n");
  const Node& n = g.nodes[size_t(node)];
  REQUIRE(n.out == (Shape{2, 1 * 2, 2}));
  REQUIRE(g.weights_of(node).size() == 1);
  CHECK(g.weights_of(node)[0].name == "n.weight");
  CHECK(g.weights_of(node)[0].shape == std::vector<int64_t>{2});
  CHECK(g.weights_of(node)[0].counted);  // SSD learns the scale: a parameter
  const LayerCost cost = n.layer->cost(n.in_shapes, n.out);
  CHECK(cost.madds == 0);
  CHECK(cost.elementwise_ops == 2 * 8);
  // Pixels (3, 4) → norm 5; (0, 0) → stays 0 (norm clamped to eps); (-1, 0); (6, 8) → norm 10.
  const std::vector<float> x{3, 0, -1, 6,   // channel 0
                             4, 0, 0, 8};   // channel 1
  const WeightMap w{{"n.weight", {20, 2}}};
  const std::vector<float> expected{20 * 0.6f, 0, -20, 20 * 0.6f, 2 * 0.8f, 0, 0, 2 * 0.8f};
  for (bool fuse : {true, false}) {
    const std::vector<float> y = run(g, w, x, fuse);
    REQUIRE(y.size() == expected.size());
    for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(expected[i]).margin(1e-6));
  }
}

TEST_CASE("l2norm refuses an eps outside 0 to 1 and unknown keys") {
  CHECK_THAT(error_of(net(2, 2, R"({"type": "l2norm", "name": "n", "eps": 2})")), Contains("eps must be between 0 and 1, got 2"));
  CHECK_THAT(error_of(net(2, 2, R"({"type": "l2norm", "name": "n", "scale": 20})")), Contains("unknown key 'scale'"));
}
