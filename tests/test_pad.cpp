// The pad layer: zeros added or rows and columns cut per side, hand-computed outputs, the one-pixel
// shift of NASNet's factorized reduction, refused descriptions, and its cost (none).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "run/executor.h"
#include "weights/weights.h"
#include "graph_testing.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;

TEST_CASE("pad adds zeros on each side as asked and costs nothing") {
  Graph g = parse_config(net(2, 2, R"({"type": "pad", "name": "p", "top": 1, "left": 0, "bottom": 0, "right": 2})"),
                         "t.json");
  const Node& p = g.nodes[size_t(g.find("p"))];
  REQUIRE(p.out == (Shape{2, 3, 4}));
  const LayerCost cost = p.layer->cost(p.in_shapes, p.out);
  CHECK(cost.madds == 0);
  CHECK(cost.elementwise_ops == 0);
  CHECK(g.weights_of(g.find("p")).empty());
  const std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<float> expected{0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0,   // channel 0
                                    0, 0, 0, 0, 5, 6, 0, 0, 7, 8, 0, 0};  // channel 1
  for (bool fuse : {true, false}) CHECK(run(g, {}, x, fuse) == expected);
}

TEST_CASE("a negative pad cuts rows and columns: NASNet's shift moves the map up and left by one pixel") {
  // TF-slim's factorized reduction: tf.pad(x, bottom 1, right 1)[:, 1:, 1:, :].
  Graph g = parse_config(net(1, 3, R"({"type": "pad", "name": "shift", "top": -1, "left": -1, "bottom": 1, "right": 1})"),
                         "t.json");
  REQUIRE(g.output().out == (Shape{1, 3, 3}));
  const std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<float> expected{5, 6, 0, 8, 9, 0, 0, 0, 0};
  for (bool fuse : {true, false}) CHECK(run(g, {}, x, fuse) == expected);

  // Followed by a stride-2 1×1 convolution it reads the odd pixels, as the reference's second path.
  Graph fr = parse_config(net(1, 4, R"({"type": "pad", "name": "shift", "top": -1, "left": -1, "bottom": 1, "right": 1},
      {"type": "conv", "name": "c", "out": 1, "kernel": 1, "stride": 2, "pad": 0})"), "t.json");
  REQUIRE(fr.output().out == (Shape{1, 2, 2}));
  const std::vector<float> x4{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  for (bool fuse : {true, false}) CHECK(run(fr, WeightMap{{"c.weight", {1}}}, x4, fuse) == std::vector<float>{6, 8, 14, 16});
}

TEST_CASE("pad crops on one side and pads on the other of a random map like slicing does") {
  Graph g = parse_config(net(3, 5, R"({"type": "pad", "name": "p", "top": -2, "left": 1, "bottom": 3, "right": -4})"),
                         "t.json");
  REQUIRE(g.output().out == (Shape{3, 6, 2}));
  const std::vector<float> x = random_values(3 * 25, 1.0f, 9);
  std::vector<float> expected(3 * 6 * 2, 0.0f);
  for (int c = 0; c < 3; ++c)
    for (int oy = 0; oy < 6; ++oy)
      for (int ox = 0; ox < 2; ++ox) {
        const int iy = oy + 2, ix = ox - 1;
        if (iy < 5 && ix >= 0) expected[size_t((c * 6 + oy) * 2 + ox)] = x[size_t((c * 5 + iy) * 5 + ix)];
      }
  for (bool fuse : {true, false}) CHECK(run(g, {}, x, fuse) == expected);
}

TEST_CASE("pad refuses a cut that leaves nothing, a pad beyond kMaxPad and unknown keys") {
  CHECK_THAT(error_of(net(1, 4, R"({"type": "pad", "name": "p", "top": -2, "bottom": -2})")),
             Contains("bad.json: /layers/0 (pad 'p'): padding t-2 b-2 l0 r0 leaves nothing of [1,4,4] (output 0x4)"));
  CHECK_THAT(error_of(net(1, 4, R"({"type": "pad", "name": "p", "left": 65})")),
             Contains("left must be between -64 and 64, got 65"));
  CHECK_THAT(error_of(net(1, 4, R"({"type": "pad", "name": "p", "top": 1.5})")), Contains("'top'"));
  CHECK_THAT(error_of(net(1, 4, R"({"type": "pad", "name": "p", "up": 1})")), Contains("'up'"));
}
