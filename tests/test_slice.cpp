// The slice layer: shape and cost, hand-computed output, refused descriptions, and ShuffleNet v2's
// stride-1 unit (channel split, branch, concat, shuffle) through the executor fused and unfused.
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
using Catch::Matchers::StartsWith;

namespace {

std::string slice(const std::string& name, int begin, int end, const std::string& input = "") {
  return R"({"type": "slice", "name": ")" + name + R"(", "begin": )" + std::to_string(begin) + R"(, "end": )" +
         std::to_string(end) + (input.empty() ? "" : R"(, "inputs": [")" + input + R"("])") + "}";
}

// Channels [begin, end) of a [C, H·W] map, straight from the definition.
std::vector<float> channels_of(const std::vector<float>& x, int channels, int begin, int end) {
  const size_t plane = x.size() / size_t(channels);
  return std::vector<float>(x.begin() + std::ptrdiff_t(size_t(begin) * plane), x.begin() + std::ptrdiff_t(size_t(end) * plane));
}

// Channel shuffle with 2 groups, as torchvision's channel_shuffle: output channel 2j + i is
// input channel i·C/2 + j.
std::vector<float> shuffle2(const std::vector<float>& x, int channels) {
  const size_t plane = x.size() / size_t(channels);
  const int half = channels / 2;
  std::vector<float> y(x.size());
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < half; ++j)
      for (size_t p = 0; p < plane; ++p) y[(size_t(j) * 2 + i) * plane + p] = x[(size_t(i) * half + j) * plane + p];
  return y;
}

}  // namespace

TEST_CASE("slice takes channels begin to end (exclusive) and costs nothing") {
  Graph g = parse_config(net(6, 3, slice("s", 2, 5)), "t.json");
  const Node& s = g.output();
  CHECK(s.out == (Shape{3, 3, 3}));
  CHECK(s.layer->summary() == "[2, 5)");
  const LayerCost cost = s.layer->cost(s.in_shapes, s.out);
  CHECK(cost.madds == 0);
  CHECK(cost.elementwise_ops == 0);
  CHECK(cost.category == "other");
  CHECK(g.weights_of(g.find("s")).empty());
  // The whole map and a single channel are slices too.
  CHECK(parse_config(net(6, 3, slice("s", 0, 6)), "t.json").output().out == (Shape{6, 3, 3}));
  CHECK(parse_config(net(6, 3, slice("s", 5, 6)), "t.json").output().out == (Shape{1, 3, 3}));
}

TEST_CASE("slice copies the named channels, hand-computed") {
  // 4 channels of 2×2: channel c holds 10c + 1 .. 10c + 4.
  const std::vector<float> x{1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34};
  for (auto [begin, end, expected] : {std::tuple<int, int, std::vector<float>>{1, 3, {11, 12, 13, 14, 21, 22, 23, 24}},
                                      {0, 2, {1, 2, 3, 4, 11, 12, 13, 14}},
                                      {3, 4, {31, 32, 33, 34}},
                                      {0, 4, x}}) {
    INFO("[" << begin << ", " << end << ")");
    Graph g = parse_config(net(4, 2, slice("s", begin, end)), "t.json");
    for (bool fuse : {true, false}) CHECK(run(g, {}, x, fuse) == expected);
  }
}

TEST_CASE("slice refuses an empty or out-of-range channel range, naming the values") {
  CHECK_THAT(error_of(net(6, 2, slice("s", 3, 3))),
             Contains("bad.json: /layers/0 (slice 's'): channels [begin, end) must satisfy 0 <= begin < end <= "
                      "input channels, got begin 3, end 3 of 6 channels"));
  CHECK_THAT(error_of(net(6, 2, slice("s", 4, 2))), Contains("got begin 4, end 2 of 6 channels"));
  CHECK_THAT(error_of(net(6, 2, slice("s", 2, 7))),
             Contains("/layers/0 (slice 's'): channels [begin, end) must satisfy 0 <= begin < end <= input channels, "
                      "got begin 2, end 7 of 6 channels"));
  // The range is checked against the channels of the layer it reads, not the graph input.
  CHECK_THAT(error_of(net(6, 2, R"({"type": "conv", "name": "c", "out": 4, "kernel": 1}, )" + slice("s", 2, 6))),
             Contains("/layers/1 (slice 's'): channels [begin, end) must satisfy 0 <= begin < end <= input channels, "
                      "got begin 2, end 6 of 4 channels"));
  CHECK_THAT(error_of(net(6, 2, slice("s", -1, 2))), Contains("/layers/0 (slice 's'): begin must be between 0 and 65535, got -1"));
  CHECK_THAT(error_of(net(6, 2, R"({"type": "slice", "name": "s", "begin": 0})")),
             Contains("/layers/0 (slice 's'): ") && Contains("end"));
  CHECK_THAT(error_of(net(6, 2, R"({"type": "slice", "name": "s", "end": 3})")),
             Contains("/layers/0 (slice 's'): ") && Contains("begin"));
  CHECK_THAT(error_of(net(6, 2, R"({"type": "slice", "name": "s", "begin": 0, "end": 3, "stop": 4})")),
             Contains("/layers/0 (slice 's'): ") && Contains("stop"));
  CHECK_THAT(error_of(net(6, 2, R"({"type": "slice", "name": "s", "begin": 0, "end": 3, "inputs": ["input", "input"]})")),
             Contains("/layers/0 (slice 's'): takes 1 input(s), got 2"));
  CHECK(error_of(net(6, 2, slice("s", 0, 6))) == "(accepted)");
}

TEST_CASE("mnet refuses a slice past the input's channels with one error line and exit code 3") {
  TempDir tmp;
  fs::create_directories(tmp.path / "out");
  const std::string config = tmp.write("slice.json", net(3, 8, slice("s", 1, 4)));
  CommandResult r = run_mnet("profile " + shell_quote(config) + " --cost-only -o " + shell_quote(tmp.file("out/p.txt")));
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, StartsWith("mnet: error: " + config + ": /layers/0 (slice 's'): channels [begin, end) must satisfy"));
  CHECK_THAT(r.err, Contains("got begin 1, end 4 of 3 channels"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.out.empty());
  CHECK(fs::is_empty(tmp.path / "out"));
}

namespace {

// ShuffleNet v2's branch2 of a stride-1 unit on C/2 channels, as torchvision's InvertedResidual:
// 1×1 + BN + ReLU, 3×3 depthwise + BN, 1×1 + BN + ReLU.
std::string branch2(const std::string& unit, int half, const std::string& input) {
  const std::string b = unit + ".branch2.", c = std::to_string(half);
  return R"({"type": "conv", "name": ")" + b + R"(0", "out": )" + c + R"(, "kernel": 1)" +
         (input.empty() ? "" : R"(, "inputs": [")" + input + R"("])") + R"(},
    {"type": "bn", "name": ")" + b + R"(1"}, {"type": "relu", "name": ")" + b + R"(2"},
    {"type": "dwconv", "name": ")" + b + R"(3", "kernel": 3}, {"type": "bn", "name": ")" + b + R"(4"},
    {"type": "conv", "name": ")" + b + R"(5", "out": )" + c + R"(, "kernel": 1}, {"type": "bn", "name": ")" + b + R"(6"},
    {"type": "relu", "name": ")" + b + R"(7"})";
}

// A stride-1 unit reading `input` (C channels): x1, x2 = x.chunk(2); shuffle(cat(x1, branch2(x2)), 2).
std::string unit(const std::string& name, int channels, const std::string& input) {
  const int half = channels / 2;
  return slice(name + ".x1", 0, half, input) + ", " + slice(name + ".x2", half, channels, input) + ", " +
         branch2(name, half, name + ".x2") + R"(, {"type": "concat", "name": ")" + name + R"(.concat", "inputs": [")" +
         name + R"(.x1", ")" + name + R"(.branch2.7"]}, {"type": "channel_shuffle", "name": ")" + name +
         R"(", "groups": 2})";
}

}  // namespace

TEST_CASE("two ShuffleNet v2 stride-1 units (slice, branch, concat, shuffle) run as defined, fused and unfused") {
  constexpr int kChannels = 16, kHalf = kChannels / 2, kSize = 7;
  // The second unit's slices read the first unit's shuffled output.
  Graph g = parse_config(net(kChannels, kSize, unit("u1", kChannels, "input") + ", " + unit("u2", kChannels, "u1")), "unit.json");
  REQUIRE(g.output().out == (Shape{kChannels, kSize, kSize}));
  const WeightMap w = random_weights(g, 41);
  const std::vector<float> x = random_values(size_t(kChannels) * kSize * kSize, 1.0f, 43);
  // Each branch alone on its half, from the same weights; the rest by the definition.
  Graph b1 = parse_config(net(kHalf, kSize, branch2("u1", kHalf, "")), "b1.json");
  Graph b2 = parse_config(net(kHalf, kSize, branch2("u2", kHalf, "")), "b2.json");
  for (bool fuse : {true, false}) {
    INFO("fuse " << fuse);
    std::vector<float> expected = x;
    for (const Graph* branch : {&b1, &b2}) {
      std::vector<float> cat = channels_of(expected, kChannels, 0, kHalf);
      const std::vector<float> y2 = run(*branch, weights_for(*branch, w), channels_of(expected, kChannels, kHalf, kChannels), fuse);
      cat.insert(cat.end(), y2.begin(), y2.end());
      expected = shuffle2(cat, kChannels);
    }
    const std::vector<float> y = run(g, w, x, fuse);
    CHECK(mismatch(y, expected, 1e-5f * max_abs(expected)) == "");
    // x1 passes through untouched: after the two shuffles, input channel 0 is output channel 0.
    CHECK(channels_of(y, kChannels, 0, 1) == channels_of(x, kChannels, 0, 1));
    CHECK(max_abs(y) > 0);
  }
  const std::vector<float> fused = run(g, w, x, true), unfused = run(g, w, x, false);
  CHECK(mismatch(fused, unfused, 1e-5f * max_abs(unfused)) == "");
}
