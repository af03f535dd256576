#include <catch2/catch.hpp>
#include <cmath>

#include "config/config.h"
#include "run/executor.h"
#include "testing.h"

using namespace mnet;
using testing::source_path;

namespace {

float max_abs(const float* v, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::abs(v[i]));
  return m;
}

std::vector<float> input_for(const Shape& s, uint32_t seed) {
  std::vector<float> x(size_t(s.elements()));
  for (float& v : x) {
    seed = seed * 1664525u + 1013904223u;
    v = float(seed >> 8) / float(1u << 24) * 2 - 1;
  }
  return x;
}

// Runs `graph` fused and unfused; returns the largest difference relative to the output's magnitude.
double fused_vs_unfused(const Graph& graph, int threads) {
  WeightMap w = random_weights(graph, 7);
  std::vector<float> x = input_for(graph.input().out, 3);
  Executor fused(graph, w, ExecOptions{threads, true});
  Executor plain(graph, w, ExecOptions{1, false});
  int64_t n = graph.output().out.elements();
  std::vector<float> a(fused.run(x.data()), fused.run(x.data()) + n);  // twice: buffers are reused
  const float* b = plain.run(x.data());
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) worst = std::max(worst, double(std::abs(a[i] - b[i])));
  return worst / std::max(1e-30f, max_abs(b, n));
}

Graph without_softmax(const std::string& config) {
  // Logits, not probabilities: softmax of random weights is nearly flat and would hide errors.
  std::string text = testing::read_text(source_path("configs/" + config));
  size_t cut = text.find(",\n    {\"type\": \"softmax\"");
  REQUIRE(cut != std::string::npos);
  text.erase(cut, text.find('}', cut) + 1 - cut);
  return parse_config(text, source_path("configs/" + config));
}

}  // namespace

TEST_CASE("a hand-computed 1x1 conv, BatchNorm and ReLU6 give the expected numbers") {
  Graph g = parse_config(R"({"name": "t", "resolution": 1, "input_channels": 2, "layers": [
      {"type": "conv", "name": "c", "out": 2, "kernel": 1},
      {"type": "bn", "name": "bn", "eps": 1e-9},
      {"type": "relu6", "name": "act"}]})", "t.json");
  WeightMap w{{"c.weight", {1, 2, 3, -1}},  // [2, 2, 1, 1]
              {"bn.weight", {2, 1}}, {"bn.bias", {0.5f, 7}}, {"bn.running_mean", {-4, 1}}, {"bn.running_var", {4, 16}}};
  float x[2] = {1, -2};
  // conv: [1·1 + 2·(-2), 3·1 + (-1)·(-2)] = [-3, 5]
  // bn:   [2·(-3 + 4)/2 + 0.5, 1·(5 - 1)/4 + 7] = [1.5, 8];  relu6: [1.5, 6]
  for (bool fuse : {true, false}) {
    Executor exec(g, w, ExecOptions{1, fuse});
    const float* y = exec.run(x);
    CHECK(y[0] == Approx(1.5).margin(1e-4));
    CHECK(y[1] == Approx(6.0).margin(1e-6));
  }
}

TEST_CASE("folded BatchNorm and fused activations match the unfused graph on every MobileNet") {
  // Tolerance: float32 re-association of the folded weights, relative to the logits' magnitude.
  for (const char* config : {"mobilenet_v1.json", "mobilenet_v2.json", "mobilenet_v3_large.json",
                             "mobilenet_v3_small.json", "tiny_custom.json"}) {
    INFO(config);
    Graph g = std::string(config) == "tiny_custom.json" ? load_config(source_path(std::string("configs/") + config))
                                                          : without_softmax(config);
    CHECK(fused_vs_unfused(g, 1) < 1e-4);
    CHECK(fused_vs_unfused(g, 2) < 1e-4);
  }
}

TEST_CASE("the planner folds every conv's BatchNorm and fuses its activation in MobileNetV2") {
  Graph g = load_config(source_path("configs/mobilenet_v2.json"));
  Executor exec(g, random_weights(g, 1), ExecOptions{});
  int executed = 0;
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const std::string type = g.nodes[i].layer->type();
    if (type == "bn" || type == "relu6") CHECK(exec.runs_in()[i] != int(i));
    if (exec.runs_in()[i] == int(i)) ++executed;
  }
  CHECK(executed == 52 + 10 + 3);  // 52 convs, 10 adds, pool + fc + softmax
  // Buffers are reused: far less than one buffer per node.
  CHECK(exec.activation_bytes() < 4 * 3 * 96 * 112 * 112 * 4);
}

TEST_CASE("a BatchNorm whose producer has a second consumer runs on its own and stays correct") {
  Graph g = parse_config(R"({"name": "t", "resolution": 5, "layers": [
      {"type": "conv", "name": "c", "out": 4, "kernel": 3},
      {"type": "bn", "name": "bn"},
      {"type": "add", "name": "sum", "inputs": ["c", "bn"]},
      {"type": "relu", "name": "act"}]})", "t.json");
  Executor exec(g, random_weights(g, 1), ExecOptions{});
  CHECK(exec.runs_in()[g.find("bn")] == g.find("bn"));
  CHECK(exec.runs_in()[g.find("act")] == g.find("sum"));
  CHECK(fused_vs_unfused(g, 1) < 1e-5);
}

TEST_CASE("random weights are deterministic and cover every declared tensor") {
  Graph g = load_config(source_path("configs/tiny_custom.json"));
  WeightMap a = random_weights(g, 5), b = random_weights(g, 5), c = random_weights(g, 6);
  CHECK(a == b);
  CHECK(a != c);
  size_t declared = 0;
  for (size_t i = 1; i < g.nodes.size(); ++i)
    for (const auto& w : g.weights_of(int(i))) {
      ++declared;
      REQUIRE(a.count(w.name));
      CHECK(int64_t(a[w.name].size()) == w.elements());
    }
  CHECK(a.size() == declared);
}
