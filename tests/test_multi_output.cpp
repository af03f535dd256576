// Graphs with several outputs: the config's "outputs" key, values kept whole through fusion, band
// chains and buffer reuse, Executor::run_all, the refused descriptions, and `mnet run`'s files.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/write_config.h"
#include "io/npy.h"
#include "kernels/packed_gemm.h"
#include "run/chain_bands.h"
#include "run/executor.h"
#include "run/fuse.h"
#include "run/plan_buffers.h"
#include "run/prepare_ops.h"
#include "weights/weights.h"
#include "graph_testing.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;

namespace {

// A V2 block (expand, depthwise, project, each with BN; ReLU6 after the first two) at 112×112,
// where the executor folds, fuses and runs the three convolutions band by band, then a head on the
// block's output: `count` layers of it, and `outputs` (JSON) if not empty.
std::string block_config(size_t count, const std::string& outputs) {
  const std::vector<std::string> layers{
      R"({"type": "conv", "name": "expand", "out": 48, "kernel": 1})", R"({"type": "bn", "name": "bn1"})",
      R"({"type": "relu6", "name": "act1"})",
      R"({"type": "dwconv", "name": "dw", "kernel": 3, "stride": 1})", R"({"type": "bn", "name": "bn2"})",
      R"({"type": "relu6", "name": "act2"})",
      R"({"type": "conv", "name": "project", "out": 16, "kernel": 1})", R"({"type": "bn", "name": "bn3"})",
      R"({"type": "conv", "name": "head", "out": 4, "kernel": 3})"};
  std::string text = R"({"name": "t", "resolution": 112, "input_channels": 8, "layers": [)";
  for (size_t i = 0; i < count; ++i) text += (i ? ", " : "") + layers[i];
  return text + "]" + (outputs.empty() ? "" : ", \"outputs\": " + outputs) + "}";
}
constexpr size_t kAllLayers = 9;

// The value of layer number `count` (1-based) computed by a graph that ends there.
std::vector<float> value_of_layer(size_t count, const WeightMap& all, const std::vector<float>& x) {
  Graph g = parse_config(block_config(count, ""), "t.json");
  return run(g, weights_for(g, all), x, ExecOptions{1, false, false});
}

}  // namespace

TEST_CASE("a graph's outputs default to its last layer, and the outputs key names several in order") {
  Graph one = parse_config(block_config(kAllLayers, ""), "t.json");
  CHECK(one.output_nodes() == std::vector<int>{one.find("head")});
  CHECK(one.output().name == "head");

  Graph g = parse_config(block_config(kAllLayers, R"(["bn3", "expand", "head"])"), "t.json");
  CHECK(g.output_nodes() == (std::vector<int>{g.find("bn3"), g.find("expand"), g.find("head")}));
  CHECK(g.output().name == "bn3");  // the single-output API gives the first
  CHECK(g.is_output(g.find("expand")));
  CHECK_FALSE(g.is_output(g.find("dw")));
  // Memory for the caller's copies counts every output.
  const MemoryEstimate m1 = estimate_memory(one, {ExecOptions{}});
  const MemoryEstimate m3 = estimate_memory(g, {ExecOptions{}});
  CHECK(m3.io - m1.io == 2 * 4 * (Shape{16, 112, 112}.elements() + Shape{48, 112, 112}.elements()));
}

TEST_CASE("run_all returns every output by name, each equal to a graph ending at that layer, fused and chained or not") {
  // "expand" is followed by a BatchNorm and "act2" sits inside a band chain: both must stay whole.
  Graph g = parse_config(block_config(kAllLayers, R"(["expand", "act2", "bn3", "head"])"), "t.json");
  const WeightMap w = random_weights(g, 5);
  const std::vector<float> x = random_values(size_t(g.input().out.elements()), 1, 11);
  const std::vector<std::pair<std::string, size_t>> expected_layers{{"expand", 1}, {"act2", 6}, {"bn3", 8}, {"head", 9}};
  for (const ExecOptions& options : {ExecOptions{1, true, true}, ExecOptions{2, true, true}, ExecOptions{1, false, false}}) {
    INFO("threads " << options.threads << ", fuse " << options.fuse);
    Executor exec(g, w, options);
    REQUIRE(exec.outputs().size() == 4);
    const std::vector<ExecOutput> outs = exec.run_all(x.data());
    REQUIRE(outs.size() == 4);
    for (size_t i = 0; i < outs.size(); ++i) {
      INFO("output " << outs[i].name);
      CHECK(outs[i].name == expected_layers[i].first);
      CHECK(outs[i].shape == g.nodes[size_t(g.find(outs[i].name))].out);
      const std::vector<float> got(outs[i].data, outs[i].data + outs[i].shape.elements());
      const std::vector<float> expected = value_of_layer(expected_layers[i].second, w, x);
      CHECK(mismatch(got, expected, 1e-4f * (1 + max_abs(expected))) == "");
    }
    // run() gives the first output's buffer.
    CHECK(exec.run(x.data()) == exec.run_all(x.data())[0].data);
  }
}

TEST_CASE("fusion and band chains stop at an output") {
  // Without outputs inside it the block runs as one chain (where the packed 1×1 kernel runs bands).
  Graph plain = parse_config(block_config(kAllLayers, ""), "t.json");
  Plan whole = fuse(plain, true);
  prepare_ops(whole, plain, random_weights(plain, 1));
  CHECK(chain_bands(whole) == (PackedGemm::available() ? 1 : 0));

  Graph g = parse_config(block_config(kAllLayers, R"(["expand", "act2", "head"])"), "t.json");
  Plan plan = fuse(g, true);
  // bn1 is not folded into the output "expand"; act2 still fuses into dw (its value is act2's).
  CHECK(plan.runs_in[size_t(g.find("bn1"))] == g.find("bn1"));
  CHECK(plan.runs_in[size_t(g.find("act2"))] == g.find("dw"));
  CHECK(plan.all_outputs() == (std::vector<int>{g.find("expand"), g.find("act2"), g.find("head")}));
  prepare_ops(plan, g, random_weights(g, 1));
  chain_bands(plan);
  for (int o : plan.all_outputs()) {
    INFO("output " << g.nodes[size_t(o)].name);
    // The step holding each output ends with it.
    bool ends_a_step = false;
    for (const PlanStep& step : plan.steps) ends_a_step = ends_a_step || step.last == plan.runs_in[size_t(o)];
    CHECK(ends_a_step);
  }
  CHECK(plan.runs_in[size_t(g.find("act2"))] == g.find("dw"));
}

TEST_CASE("plan_buffers keeps every output's buffer to the end") {
  // A chain of 6 equal steps: without outputs in the middle, two buffers suffice.
  Plan plan;
  for (int i = 0; i <= 6; ++i) plan.runs_in.push_back(i);
  for (int i = 1; i <= 6; ++i) {
    PlanStep step;
    step.first = step.last = i;
    step.inputs = {i - 1};
    step.in = step.out = Shape{10, 1, 1};
    plan.steps.push_back(std::move(step));
  }
  plan.output = 6;
  CHECK(plan_buffers(plan).capacity.size() == 2);
  plan.more_outputs = {2, 4};
  const BufferPlan buffers = plan_buffers(plan);
  REQUIRE(buffers.output_buffers.size() == 3);
  CHECK(buffers.output_buffers[0] == buffers.graph_output);
  CHECK(buffers.output_buffers[1] == buffers.output_buffer[1]);  // step 1 computes node 2
  CHECK(buffers.output_buffers[2] == buffers.output_buffer[3]);
  for (size_t s = 2; s < plan.steps.size(); ++s) CHECK(buffers.output_buffer[s] != buffers.output_buffers[1]);
  for (size_t s = 4; s < plan.steps.size(); ++s) CHECK(buffers.output_buffer[s] != buffers.output_buffers[2]);
}

TEST_CASE("the outputs key refuses unknown layers, the input, repeats and anything but a list of names") {
  const auto err = [](const std::string& outputs) { return error_of(block_config(kAllLayers, outputs)); };
  CHECK_THAT(err(R"(["bn3", "nope"])"), Contains("bad.json: /outputs: output 'nope' is not a layer of the model"));
  CHECK_THAT(err(R"(["input"])"), Contains("/outputs: output 'input' is the graph's input, not a layer"));
  CHECK_THAT(err(R"(["bn3", "head", "bn3"])"), Contains("/outputs: output 'bn3' is named twice"));
  CHECK_THAT(err(R"([])"), Contains("/outputs: 'outputs' must be a non-empty list of layer names, got []"));
  CHECK_THAT(err(R"("head")"), Contains("/outputs: 'outputs' must be a non-empty list of layer names"));
  CHECK_THAT(err(R"(["head", 3])"), Contains("/outputs: 'outputs' must be a non-empty list of layer names"));
}

TEST_CASE("a model description's outputs survive writing it as a config and reading it back") {
  ModelSpec s;
  s.source = "m.tflite";
  s.name = "two heads";
  s.resolution = 4;
  s.input_channels = 1;
  for (const char* name : {"a", "b"}) {
    LayerSpec l;
    l.type = "relu";
    l.name = name;
    l.inputs = {"input"};
    l.origin = std::string("/layers/") + name;
    s.layers.push_back(std::move(l));
  }
  s.outputs = {"b", "a"};
  const Graph built = build_graph(s);
  CHECK(built.output_nodes() == (std::vector<int>{2, 1}));
  const Graph read = parse_config(write_config(s), "config.json");
  CHECK(read.output_nodes() == (std::vector<int>{2, 1}));
  s.outputs = {"c"};
  REQUIRE_INPUT_ERROR(build_graph(s), "m.tflite: /outputs: output 'c' is not a layer of the model");
}

TEST_CASE("mnet run writes one .npy per output of a graph with several, named by the output") {
  TempDir tmp;
  const std::string config = tmp.write("two.json", R"({"name": "two", "resolution": 4, "input_channels": 1, "layers": [
      {"type": "relu", "name": "pos"}, {"type": "sigmoid", "name": "gate/0", "inputs": ["input"]}],
      "outputs": ["pos", "gate/0"]})");
  // x = -1.5 .. 6: relu keeps the positive values, sigmoid maps all.
  std::vector<float> x;
  for (int i = 0; i < 16; ++i) x.push_back(-1.5f + 0.5f * float(i));
  const std::string input = tmp.file("x.npy");
  write_npy(input, TensorData{{1, 1, 4, 4}, x});
  CommandResult r = run_mnet("run " + shell_quote(config) + " --input " + shell_quote(input) + " --output " +
                             shell_quote(tmp.file("y.npy")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(fs::exists(tmp.file("y.npy")));
  REQUIRE(fs::exists(tmp.file("y.pos.npy")));
  REQUIRE(fs::exists(tmp.file("y.gate_0.npy")));  // '/' is no file name character
  const TensorData pos = read_npy(tmp.file("y.pos.npy")), gate = read_npy(tmp.file("y.gate_0.npy"));
  CHECK(pos.shape == std::vector<int64_t>{1, 1, 4, 4});
  REQUIRE(pos.data.size() == 16);
  REQUIRE(gate.data.size() == 16);
  const std::vector<float>& p = pos.data;
  const std::vector<float>& s = gate.data;
  for (size_t i = 0; i < 16; ++i) {
    CHECK(p[i] == std::max(0.0f, x[i]));
    CHECK(s[i] == Approx(1 / (1 + std::exp(-x[i]))).epsilon(1e-6));
  }
}
