// The concat and channel_shuffle layers: shapes, hand-computed and random outputs, refused
// descriptions, a ShuffleNet-like unit through the executor's passes, and parity with PyTorch.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "io/npy.h"
#include "run/executor.h"
#include "weights/weights.h"
#include "graph_testing.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// Channel shuffle straight from its definition: [C, H·W] viewed as [groups, C/groups, H·W],
// the first two axes swapped, flattened back.
std::vector<float> reshape_transpose(const std::vector<float>& x, int channels, int groups) {
  const size_t plane = x.size() / size_t(channels);
  const int per_group = channels / groups;
  std::vector<float> y(x.size());
  for (int i = 0; i < groups; ++i)
    for (int j = 0; j < per_group; ++j)
      for (size_t p = 0; p < plane; ++p) y[(size_t(j) * groups + i) * plane + p] = x[(size_t(i) * per_group + j) * plane + p];
  return y;
}

}  // namespace

TEST_CASE("concat stacks its inputs' channels in order and costs nothing") {
  // 2 channels of 2×2: the graph input, its ReLU, and the input again.
  Graph g = parse_config(net(2, 2, R"({"type": "relu", "name": "r"},
      {"type": "concat", "name": "cat", "inputs": ["input", "r", "input"]})"), "t.json");
  const Node& cat = g.nodes[size_t(g.find("cat"))];
  CHECK(cat.out == (Shape{6, 2, 2}));
  const LayerCost cost = cat.layer->cost(cat.in_shapes, cat.out);
  CHECK(cost.madds == 0);
  CHECK(cost.elementwise_ops == 0);
  CHECK(g.weights_of(g.find("cat")).empty());
  const std::vector<float> x{1, -2, 3, -4, -5, 6, -7, 8};
  std::vector<float> expected = x;
  for (float v : x) expected.push_back(v > 0 ? v : 0);
  expected.insert(expected.end(), x.begin(), x.end());
  for (bool fuse : {true, false}) CHECK(run(g, {}, x, fuse) == expected);
}

TEST_CASE("concat of unequal channel counts keeps each input's block contiguous") {
  Graph g = parse_config(net(3, 5, R"({"type": "conv", "name": "a", "out": 4, "kernel": 1},
      {"type": "conv", "name": "b", "out": 7, "kernel": 3, "pad": 1, "inputs": ["input"]},
      {"type": "concat", "name": "cat", "inputs": ["b", "a", "input"]})"), "t.json");
  REQUIRE(g.output().out == (Shape{14, 5, 5}));
  const WeightMap w = random_weights(g, 11);
  const std::vector<float> x = random_values(3 * 25, 1.0f, 5);
  // Each branch alone, from the same weights: the concat must be their outputs back to back.
  Graph a = parse_config(net(3, 5, R"({"type": "conv", "name": "a", "out": 4, "kernel": 1})"), "a.json");
  Graph b = parse_config(net(3, 5, R"({"type": "conv", "name": "b", "out": 7, "kernel": 3, "pad": 1})"), "b.json");
  std::vector<float> expected = run(b, {{"b.weight", w.at("b.weight")}}, x, true);
  const std::vector<float> ya = run(a, {{"a.weight", w.at("a.weight")}}, x, true);
  expected.insert(expected.end(), ya.begin(), ya.end());
  expected.insert(expected.end(), x.begin(), x.end());
  for (bool fuse : {true, false}) CHECK(run(g, w, x, fuse) == expected);
}

TEST_CASE("channel_shuffle interleaves the groups as ShuffleNet's reshape-transpose-reshape does") {
  // Channels 0..5 at 1×1: groups [0 1 2 | 3 4 5] → [0 3 1 4 2 5]; three groups [0 1|2 3|4 5] → [0 2 4 1 3 5].
  const std::vector<float> x{0, 1, 2, 3, 4, 5};
  for (auto [groups, expected] : {std::pair<int, std::vector<float>>{2, {0, 3, 1, 4, 2, 5}},
                                  {3, {0, 2, 4, 1, 3, 5}}, {1, {0, 1, 2, 3, 4, 5}}, {6, {0, 1, 2, 3, 4, 5}}}) {
    INFO("groups " << groups);
    Graph g = parse_config(net(6, 1, R"({"type": "channel_shuffle", "name": "s", "groups": )" +
                                         std::to_string(groups) + "}"), "t.json");
    CHECK(g.output().out == (Shape{6, 1, 1}));
    const Node& s = g.output();
    CHECK(s.layer->cost(s.in_shapes, s.out).madds == 0);
    CHECK(s.layer->cost(s.in_shapes, s.out).elementwise_ops == 0);
    CHECK(run(g, {}, x, true) == expected);
  }
}

TEST_CASE("channel_shuffle matches the reshape definition on random data, and groups then C/groups undo it") {
  for (auto [channels, groups] : {std::pair{12, 3}, {12, 4}, {24, 2}, {48, 8}}) {
    INFO(channels << " channels, groups " << groups);
    const std::string g_attr = std::to_string(groups), inverse = std::to_string(channels / groups);
    Graph g = parse_config(net(channels, 7, R"({"type": "channel_shuffle", "name": "s", "groups": )" + g_attr + "}"), "t.json");
    Graph back = parse_config(net(channels, 7, R"({"type": "channel_shuffle", "name": "s", "groups": )" + g_attr +
                                                   R"(}, {"type": "channel_shuffle", "name": "u", "groups": )" + inverse + "}"),
                              "t.json");
    const std::vector<float> x = random_values(size_t(channels) * 49, 1.0f, unsigned(channels + groups));
    const std::vector<float> y = run(g, {}, x, true);
    CHECK(y == reshape_transpose(x, channels, groups));
    CHECK(y != x);
    CHECK(run(back, {}, x, false) == x);
  }
}

TEST_CASE("concat and channel_shuffle refuse what they cannot do, naming the rule") {
  SECTION("concat inputs of different height or width") {
    CHECK_THAT(error_of(net(3, 8, R"({"type": "conv", "name": "c", "out": 4, "kernel": 3, "stride": 2, "pad": 1},
        {"type": "concat", "name": "cat", "inputs": ["input", "c"]})")),
               Contains("bad.json: /layers/1 (concat 'cat'): inputs must have the same height and width, got [3,8,8] and [4,4,4]"));
  }
  SECTION("more than kMaxConcatInputs inputs") {
    std::string names = R"("input")";
    for (int i = 1; i < 65; ++i) names += R"(, "input")";
    CHECK_THAT(error_of(net(3, 2, R"({"type": "concat", "name": "cat", "inputs": [)" + names + "]}")),
               Contains("/layers/0 (concat 'cat'): takes at most kMaxConcatInputs = 64 inputs, got 65"));
    CHECK(error_of(net(3, 2, R"({"type": "concat", "name": "cat", "inputs": [)" + names.substr(9) + "]}")) == "(accepted)");
  }
  SECTION("a concat of one input") {
    CHECK_THAT(error_of(net(3, 2, R"({"type": "concat", "name": "cat"})")),
               Contains("/layers/0 (concat 'cat'): takes 2 or more input(s), got 1"));
    CHECK_THAT(error_of(net(3, 2, R"({"type": "concat", "name": "cat", "inputs": ["input"]})")),
               Contains("/layers/0 (concat 'cat'): takes 2 or more input(s), got 1"));
  }
  SECTION("output channels past kMaxChannels") {
    CHECK_THAT(error_of(net(3, 1, R"({"type": "conv", "name": "c", "out": 40000, "kernel": 1},
        {"type": "concat", "name": "cat", "inputs": ["c", "c"]})")),
               Contains("/layers/1 (concat 'cat'): output channels 80000 exceed kMaxChannels = 65536"));
  }
  SECTION("channel_shuffle of channels not divisible by groups, or without groups") {
    CHECK_THAT(error_of(net(6, 2, R"({"type": "channel_shuffle", "name": "s", "groups": 4})")),
               Contains("/layers/0 (channel_shuffle 's'): channels 6 must be divisible by groups 4"));
    CHECK_THAT(error_of(net(6, 2, R"({"type": "channel_shuffle", "name": "s"})")), Contains("groups"));
    CHECK_THAT(error_of(net(6, 2, R"({"type": "channel_shuffle", "name": "s", "groups": 0})")),
               Contains("/layers/0 (channel_shuffle 's'): "));
  }
  SECTION("other layers keep their input counts, each named with its type") {
    CHECK_THAT(error_of(net(3, 2, R"({"type": "relu", "name": "r", "inputs": ["input", "input"]})")),
               Contains("bad.json: /layers/0 (relu 'r'): takes 1 input(s), got 2"));
    CHECK_THAT(error_of(net(3, 2, R"({"type": "add", "name": "s", "inputs": ["input", "input", "input"]})")),
               Contains("/layers/0 (add 's'): takes 2 input(s), got 3"));
    CHECK_THAT(error_of(net(3, 2, R"({"type": "bneck", "name": "b", "inputs": ["input", "input"]})")),
               Contains("/layers/0 (bneck 'b'): 'bneck' is a block and takes 1 input, got 2"));
  }
}

TEST_CASE("mnet refuses a concat of unequal maps with one error line and exit code 3") {
  TempDir tmp;
  fs::create_directories(tmp.path / "out");
  const std::string config = tmp.write("cat.json", net(3, 8, R"({"type": "conv", "name": "c", "out": 4, "kernel": 1, "stride": 2},
      {"type": "concat", "name": "cat", "inputs": ["input", "c"]})"));
  CommandResult r = run_mnet("profile " + shell_quote(config) + " --cost-only -o " + shell_quote(tmp.file("out/p.txt")));
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, StartsWith("mnet: error: " + config + ": /layers/1 (concat 'cat'): inputs must have the same height and width"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.out.empty());
  CHECK(fs::is_empty(tmp.path / "out"));
}

namespace {

// ShuffleNet-like: a grouped 1×1 → shuffle → depthwise → grouped 1×1 branch computed first, then a
// depthwise → 1×1 branch from the input that runs while the first one's output waits for the concat.
const char* const kBranch2 = R"(
    {"type": "conv", "name": "b2_pw1", "out": 12, "kernel": 1, "groups": 3, "inputs": ["input"]},
    {"type": "bn", "name": "b2_pw1_bn"}, {"type": "relu", "name": "b2_pw1_act"},
    {"type": "channel_shuffle", "name": "b2_shuffle", "groups": 3},
    {"type": "dwconv", "name": "b2_dw", "kernel": 3, "pad": 1}, {"type": "bn", "name": "b2_dw_bn"},
    {"type": "conv", "name": "b2_pw2", "out": 12, "kernel": 1, "groups": 3}, {"type": "bn", "name": "b2_pw2_bn"},
    {"type": "relu", "name": "b2_out"})";
const char* const kBranch1 = R"(
    {"type": "dwconv", "name": "b1_dw", "kernel": 3, "pad": 1, "inputs": ["input"]}, {"type": "bn", "name": "b1_dw_bn"},
    {"type": "conv", "name": "b1_pw", "out": 12, "kernel": 1}, {"type": "bn", "name": "b1_pw_bn"},
    {"type": "relu", "name": "b1_out"})";

}  // namespace

TEST_CASE("a ShuffleNet-like unit runs the same fused and unfused, and its branches stay live until the concat") {
  const std::string unit = std::string(kBranch2) + "," + kBranch1 + R"(,
      {"type": "concat", "name": "cat", "inputs": ["b1_out", "b2_out"]},
      {"type": "channel_shuffle", "name": "shuffle", "groups": 2})";
  Graph g = parse_config(net(12, 8, unit), "unit.json");
  REQUIRE(g.output().out == (Shape{24, 8, 8}));
  const WeightMap w = random_weights(g, 17);
  const std::vector<float> x = random_values(12 * 64, 1.0f, 23);
  Graph b1 = parse_config(net(12, 8, kBranch1), "b1.json");
  Graph b2 = parse_config(net(12, 8, kBranch2), "b2.json");
  for (bool fuse : {true, false}) {
    INFO("fuse " << fuse);
    std::vector<float> cat = run(b1, weights_for(b1, w), x, fuse);
    const std::vector<float> y2 = run(b2, weights_for(b2, w), x, fuse);
    cat.insert(cat.end(), y2.begin(), y2.end());
    const std::vector<float> expected = reshape_transpose(cat, 24, 2);
    const std::vector<float> y = run(g, w, x, fuse);
    CHECK(mismatch(y, expected, 1e-5f * max_abs(expected)) == "");
    CHECK(max_abs(y) > 0);
  }
  const std::vector<float> fused = run(g, w, x, true), unfused = run(g, w, x, false);
  CHECK(mismatch(fused, unfused, 1e-5f * max_abs(unfused)) == "");
}

TEST_CASE("mnet run's channel_shuffle matches PyTorch's reshape-transpose and nn.ChannelShuffle") {
  if (run_command("/usr/bin/python3 -c 'import torch'").exit_code != 0) {
    WARN("skipped: /usr/bin/python3 cannot import torch");
    return;
  }
  TempDir tmp;
  const std::string config = tmp.write("s.json", net(12, 5, R"({"type": "relu", "name": "r"},
      {"type": "concat", "name": "cat", "inputs": ["input", "r"]},
      {"type": "channel_shuffle", "name": "s", "groups": 3})"));
  write_npy(tmp.file("x.npy"), TensorData{{1, 12, 5, 5}, random_values(12 * 25, 1.0f, 31)});
  CommandResult r = run_mnet("run " + shell_quote(config) + " --input " + shell_quote(tmp.file("x.npy")) + " --output " +
                             shell_quote(tmp.file("y.npy")));
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  const std::string script = tmp.write("ref.py", R"(import sys, numpy as np, torch
x = torch.from_numpy(np.load(sys.argv[1]))
x = torch.cat([x, torch.relu(x)], dim=1)
n, c, h, w = x.shape
y = x.reshape(n, 3, c // 3, h, w).transpose(1, 2).reshape(n, c, h, w)
assert torch.equal(y, torch.nn.ChannelShuffle(3)(x))
np.save(sys.argv[2], y.numpy())
)");
  CommandResult py = run_command("/usr/bin/python3 " + shell_quote(script) + " " + shell_quote(tmp.file("x.npy")) + " " +
                                 shell_quote(tmp.file("ref.npy")));
  INFO("python: " << py.err);
  REQUIRE(py.exit_code == 0);
  const TensorData y = read_npy(tmp.file("y.npy")), ref = read_npy(tmp.file("ref.npy"));
  CHECK(y.shape == ref.shape);
  CHECK(y.data == ref.data);
}
