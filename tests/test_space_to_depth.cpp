// The space_to_depth layer (YOLOv2's passthrough): each block×block patch into channels in
// TensorFlow's order, hand-computed; shape, cost and refused descriptions.
#include <catch2/catch.hpp>
#include <vector>

#include "graph_testing.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;

TEST_CASE("space_to_depth moves each 2x2 patch into channels (dy·2 + dx)·C + c, as tf.nn.space_to_depth") {
  Graph g = parse_config(net(2, 4, R"({"type": "space_to_depth", "name": "s", "block": 2})"), "t.json");
  const Node& s = g.nodes[size_t(g.find("s"))];
  REQUIRE(s.out == (Shape{8, 2, 2}));
  const LayerCost cost = s.layer->cost(s.in_shapes, s.out);
  CHECK(cost.madds == 0);
  CHECK(cost.elementwise_ops == 0);
  std::vector<float> x(32);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i);  // channel c, row y, column x: 16c + 4y + x
  std::vector<float> expected;
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx)
      for (int c = 0; c < 2; ++c)
        for (int oy = 0; oy < 2; ++oy)
          for (int ox = 0; ox < 2; ++ox) expected.push_back(float(16 * c + 4 * (2 * oy + dy) + 2 * ox + dx));
  // Channel 0 of the output: the top-left pixel of every patch of input channel 0.
  REQUIRE(std::vector<float>(expected.begin(), expected.begin() + 4) == std::vector<float>{0, 2, 8, 10});
  for (bool fuse : {true, false}) CHECK(run(g, {}, x, fuse) == expected);
}

TEST_CASE("space_to_depth refuses a map its block does not divide, and a block over kMaxSpaceToDepthBlock") {
  CHECK_THAT(error_of(net(2, 5, R"({"type": "space_to_depth", "name": "s"})")),
             Contains("height and width must be multiples of block 2, got [2,5,5]"));
  CHECK_THAT(error_of(net(2, 8, R"({"type": "space_to_depth", "name": "s", "block": 9})")),
             Contains("block must be between 1 and 8, got 9"));
}
