// The fusion pass (run/fuse.h): which BatchNorms and activations run inside their producer's step.
#include <catch2/catch.hpp>

#include "config/config.h"
#include "run/executor.h"
#include "run/fuse.h"
#include "testing.h"
#include "weights/weights.h"

using namespace mnet;

TEST_CASE("fuse: conv, BatchNorm and ReLU6 become one step with the BatchNorm folded and the ReLU6 fused") {
  Graph g = parse_config(R"({"name": "t", "resolution": 4, "input_channels": 3, "layers": [
      {"type": "conv", "name": "c", "out": 8, "kernel": 3},
      {"type": "bn", "name": "bn"},
      {"type": "relu6", "name": "act"}]})", "t.json");
  const int c = g.find("c"), bn = g.find("bn"), act = g.find("act");
  Plan plan = fuse(g, true);
  REQUIRE(plan.steps.size() == 1);
  const PlanStep& step = plan.steps[0];
  CHECK(step.first == c);
  CHECK(step.last == c);
  CHECK(step.inputs == std::vector<int>{0});
  CHECK(step.folded_bn == bn);
  CHECK(step.fused_act == Act::relu6);
  CHECK(step.in == g.nodes[c].in_shapes[0]);
  CHECK(step.out == g.nodes[act].out);
  CHECK(!step.op);
  CHECK(plan.runs_in == std::vector<int>{0, c, c, c});
  CHECK(plan.output == act);

  SECTION("unfused, every node is a step of its own") {
    Plan plain = fuse(g, false);
    REQUIRE(plain.steps.size() == 3);
    for (size_t s = 0; s < 3; ++s) {
      CHECK(plain.steps[s].first == int(s) + 1);
      CHECK(plain.steps[s].folded_bn == -1);
      CHECK(plain.steps[s].fused_act == Act::none);
    }
    CHECK(plain.runs_in == std::vector<int>{0, 1, 2, 3});
  }
}

TEST_CASE("fuse: an activation or BatchNorm whose producer has a second reader runs on its own") {
  Graph g = parse_config(R"({"name": "t", "resolution": 5, "layers": [
      {"type": "conv", "name": "c", "out": 4, "kernel": 3},
      {"type": "relu", "name": "act"},
      {"type": "add", "name": "sum", "inputs": ["c", "act"]},
      {"type": "conv", "name": "d", "out": 4, "kernel": 1},
      {"type": "bn", "name": "bn"},
      {"type": "add", "name": "sum2", "inputs": ["d", "bn"]}]})", "t.json");
  Plan plan = fuse(g, true);
  for (const char* name : {"c", "act", "sum", "d", "bn", "sum2"}) CHECK(plan.runs_in[g.find(name)] == g.find(name));
  REQUIRE(plan.steps.size() == 6);
  for (const PlanStep& step : plan.steps) {
    CHECK(step.folded_bn == -1);
    CHECK(step.fused_act == Act::none);
  }
  CHECK(plan.steps[2].inputs == std::vector<int>{g.find("c"), g.find("act")});
}

TEST_CASE("fuse: an activation after an add runs in the add's output pass, a second one after it does not") {
  Graph g = parse_config(R"({"name": "t", "resolution": 5, "layers": [
      {"type": "conv", "name": "c", "out": 4, "kernel": 3, "act": "relu"},
      {"type": "add", "name": "sum", "inputs": ["c", "c"]},
      {"type": "relu6", "name": "act"},
      {"type": "hswish", "name": "act2"}]})", "t.json");
  Plan plan = fuse(g, true);
  const int sum = g.find("sum");
  CHECK(plan.runs_in[g.find("act")] == sum);
  CHECK(plan.runs_in[g.find("act2")] == g.find("act2"));  // the add already applies one
  REQUIRE(plan.steps.size() == 3);
  CHECK(plan.steps[0].fused_act == Act::none);  // the conv applies its own ReLU; nothing joins it
  CHECK(plan.steps[1].first == sum);
  CHECK(plan.steps[1].fused_act == Act::relu6);
  CHECK(plan.steps[2].inputs == std::vector<int>{g.find("act")});
}

TEST_CASE("fuse: a BatchNorm after a fused activation is not folded, and one after the graph input is not fused") {
  Graph g = parse_config(R"({"name": "t", "resolution": 5, "layers": [
      {"type": "relu", "name": "first"},
      {"type": "conv", "name": "c", "out": 4, "kernel": 1},
      {"type": "relu", "name": "act"},
      {"type": "bn", "name": "bn"}]})", "t.json");
  Plan plan = fuse(g, true);
  CHECK(plan.runs_in[g.find("first")] == g.find("first"));
  CHECK(plan.runs_in[g.find("act")] == g.find("c"));
  CHECK(plan.runs_in[g.find("bn")] == g.find("bn"));  // folding it would scale before the ReLU
  REQUIRE(plan.steps.size() == 3);
  CHECK(plan.steps[1].folded_bn == -1);
  CHECK(plan.steps[2].inputs == std::vector<int>{g.find("act")});
}

TEST_CASE("fuse: a BatchNorm after a conv with its own activation is not folded into its weights") {
  // Folded, it would scale before the ReLU: relu(bn(conv)) instead of bn(relu(conv)).
  Graph g = parse_config(R"({"name": "t", "resolution": 5, "layers": [
      {"type": "conv", "name": "c", "out": 4, "kernel": 1, "act": "relu"},
      {"type": "bn", "name": "bn"},
      {"type": "relu6", "name": "act"}]})", "t.json");
  Plan plan = fuse(g, true);
  CHECK(plan.runs_in[g.find("bn")] == g.find("bn"));
  CHECK(plan.runs_in[g.find("act")] == g.find("act"));  // a BatchNorm step takes no activation
  REQUIRE(plan.steps.size() == 3);
  CHECK(plan.steps[0].folded_bn == -1);

  // And the executor gives what the layers one by one give.
  WeightMap w = random_weights(g, 1);
  for (float& mean : w.at("bn.running_mean")) mean = 2;  // so that the BatchNorm makes negatives
  const std::vector<float> x = testing::random_values(size_t(g.input().out.elements()), 3, 1);
  Executor fused(g, w, ExecOptions{1, true}), plain(g, w, ExecOptions{1, false});
  const int64_t n = g.output().out.elements();
  const std::vector<float> a(fused.run(x.data()), fused.run(x.data()) + n);
  const float* b = plain.run(x.data());
  for (int64_t i = 0; i < n; ++i) CHECK(a[i] == Approx(b[i]).margin(1e-5));
}

TEST_CASE("fuse: MobileNetV2 runs as its 52 convolutions, 10 adds, pool, fc and softmax") {
  Graph g = load_config(testing::source_path("configs/mobilenet_v2.json"));
  Plan plan = fuse(g, true);
  CHECK(plan.steps.size() == 52 + 10 + 3);
  int folded = 0;
  for (const PlanStep& step : plan.steps) folded += step.folded_bn >= 0;
  CHECK(folded == 52);
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const std::string type = g.nodes[i].layer->type();
    if (type != "bn" && type != "relu6") continue;
    const std::string host = g.nodes[plan.runs_in[i]].layer->type();
    CHECK((host == "conv" || host == "dwconv"));
  }
}
