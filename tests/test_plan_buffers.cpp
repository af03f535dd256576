// The buffer planning pass (run/plan_buffers.h): no live value overwritten, dead buffers reused.
#include <catch2/catch.hpp>
#include <string>

#include "config/config.h"
#include "run/fuse.h"
#include "run/plan_buffers.h"
#include "testing.h"

using namespace mnet;

namespace {

// Replays the plan step by step and checks that every input is read from the buffer its value was
// written to and still holds it, that no step writes over a value some later step (or the caller,
// for the graph's output) still reads, and that every buffer is large enough.
void check_no_live_value_overwritten(const Plan& plan, const BufferPlan& buffers) {
  const std::vector<PlanStep>& steps = plan.steps;
  REQUIRE(buffers.input_buffers.size() == steps.size());
  REQUIRE(buffers.output_buffer.size() == steps.size());
  std::vector<int> holds(buffers.capacity.size(), -1);  // per buffer: the value (a node) in it
  auto still_read = [&](int value, size_t after) {
    if (value == plan.runs_in[plan.output]) return true;
    for (size_t t = after; t < steps.size(); ++t)
      for (int in : steps[t].inputs)
        if (plan.runs_in[in] == value) return true;
    return false;
  };
  for (size_t s = 0; s < steps.size(); ++s) {
    INFO("step " << s << " (node " << steps[s].last << ")");
    for (size_t k = 0; k < steps[s].inputs.size(); ++k) {
      const int value = plan.runs_in[steps[s].inputs[k]];
      const int b = buffers.input_buffers[s][k];
      if (value == 0) {
        CHECK(b == -1);
        continue;
      }
      REQUIRE(b >= 0);
      CHECK(holds[b] == value);
    }
    const int out = buffers.output_buffer[s];
    REQUIRE(out >= 0);
    REQUIRE(out < int(buffers.capacity.size()));
    CHECK(buffers.capacity[out] >= steps[s].out.elements());
    if (holds[out] >= 0) CHECK_FALSE(still_read(holds[out], s));  // this step's inputs included
    holds[out] = steps[s].last;
  }
  const int output = plan.runs_in[plan.output];
  if (output != 0) CHECK(holds[buffers.graph_output] == output);
}

Plan chain_of(int steps, int64_t floats) {
  Plan plan;
  plan.output = steps;
  for (int i = 0; i <= steps; ++i) plan.runs_in.push_back(i);
  for (int i = 1; i <= steps; ++i) {
    PlanStep step;
    step.first = step.last = i;
    step.inputs = {i - 1};
    step.in = step.out = Shape{int(floats), 1, 1};
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

}  // namespace

TEST_CASE("plan_buffers: ten layers in a row take two buffers, the first reading the caller's input") {
  Plan plan = chain_of(10, 100);
  BufferPlan buffers = plan_buffers(plan);
  CHECK(buffers.capacity == std::vector<int64_t>{100, 100});
  CHECK(buffers.input_buffers[0] == std::vector<int>{-1});
  for (size_t s = 1; s < plan.steps.size(); ++s) CHECK(buffers.input_buffers[s][0] != buffers.output_buffer[s]);
  CHECK(buffers.graph_output == buffers.output_buffer.back());
  CHECK(buffers.floats() == 200);
  check_no_live_value_overwritten(plan, buffers);
}

TEST_CASE("plan_buffers: a dead buffer too small is grown rather than a new one added — the smallest that fits is taken") {
  Plan plan = chain_of(4, 10);
  plan.steps[2].out = Shape{50, 1, 1};  // step 3 writes 50 floats where 10 were: the free buffer grows
  plan.steps[3].in = plan.steps[2].out;
  BufferPlan buffers = plan_buffers(plan);
  CHECK(buffers.capacity.size() == 2);
  CHECK(buffers.floats() == 60);
  CHECK(buffers.output_buffer[3] == buffers.output_buffer[1]);  // the 10 free beside the 50 in use
  check_no_live_value_overwritten(plan, buffers);
}

TEST_CASE("plan_buffers: a residual's input stays until the add reads it — a fused node's value is its step's") {
  // 1: conv, 2: its fused ReLU, 3: conv, 4: conv, 5: add(2, 4), 6: conv.
  Plan plan;
  plan.runs_in = {0, 1, 1, 3, 4, 5, 6};
  plan.output = 6;
  const std::vector<std::vector<int>> inputs{{0}, {2}, {3}, {2, 4}, {5}};
  const std::vector<int> nodes{1, 3, 4, 5, 6};
  for (size_t s = 0; s < nodes.size(); ++s) {
    PlanStep step;
    step.first = step.last = nodes[s];
    step.inputs = inputs[s];
    step.out = Shape{8, 4, 4};
    plan.steps.push_back(std::move(step));
  }
  BufferPlan buffers = plan_buffers(plan);
  check_no_live_value_overwritten(plan, buffers);
  CHECK(buffers.input_buffers[3][0] == buffers.output_buffer[0]);  // node 2 is in node 1's buffer
  CHECK(buffers.capacity.size() == 3);
  CHECK(buffers.output_buffer[4] != buffers.output_buffer[3]);
}

TEST_CASE("plan_buffers: the graph's output is never overwritten, even where steps follow it") {
  Plan plan = chain_of(6, 100);
  plan.output = 3;  // a value in the middle is the result
  BufferPlan buffers = plan_buffers(plan);
  check_no_live_value_overwritten(plan, buffers);
  CHECK(buffers.graph_output == buffers.output_buffer[2]);
  for (size_t s = 3; s < plan.steps.size(); ++s) CHECK(buffers.output_buffer[s] != buffers.graph_output);
  CHECK(buffers.capacity.size() == 3);
}

TEST_CASE("plan_buffers: every MobileNet's fused and unfused plans overwrite no live value") {
  for (const char* config : {"mobilenet_v1.json", "mobilenet_v2.json", "mobilenet_v3_large.json",
                             "mobilenet_v3_small.json", "tiny_custom.json"}) {
    for (bool fused : {true, false}) {
      INFO(config << (fused ? ", fused" : ", unfused"));
      Graph g = load_config(testing::source_path(std::string("configs/") + config));
      Plan plan = fuse(g, fused);
      BufferPlan buffers = plan_buffers(plan);
      check_no_live_value_overwritten(plan, buffers);
      // Reused: a few buffers for up to 140 steps.
      CHECK(buffers.capacity.size() <= 4);
    }
  }
}
