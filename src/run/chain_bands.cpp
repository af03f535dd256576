// The band chaining pass (run/chain_bands.h): finds 1×1 → depthwise → 1×1 chains in a plan.
#include "run/chain_bands.h"

#include "run/band_chain_op.h"

namespace mnet {

int chain_bands(Plan& plan) {
  // Readers of each step's value among the other steps.
  std::vector<int> readers(plan.runs_in.size(), 0);
  for (const PlanStep& step : plan.steps)
    for (int in : step.inputs) ++readers[plan.runs_in[in]];
  // Outputs' values are kept whole, so no chain runs through one.
  std::vector<bool> holds_output(plan.runs_in.size(), false);
  for (int o : plan.all_outputs()) holds_output[plan.runs_in[o]] = true;
  auto sole_reader = [&](const PlanStep& from, const PlanStep& to) {
    return readers[from.last] == 1 && to.inputs.size() == 1 && plan.runs_in[to.inputs[0]] == from.last &&
           !holds_output[from.last];
  };
  int chains = 0;
  std::vector<PlanStep> merged;
  std::vector<PlanStep>& steps = plan.steps;
  for (size_t s = 0; s < steps.size();) {
    bool chained = false;
    for (size_t length : {3, 2}) {
      if (s + length > steps.size()) continue;
      bool linked = true;
      for (size_t k = s; k + 1 < s + length; ++k) linked = linked && sole_reader(steps[k], steps[k + 1]);
      // An op that runs a whole batch at once stays whole: a chain runs one image at a time.
      for (size_t k = s; k < s + length; ++k) linked = linked && steps[k].op->batch_run == BatchRun::per_image;
      if (!linked) continue;
      std::vector<std::unique_ptr<Op>> ops;
      std::vector<Shape> outs;
      for (size_t k = s; k < s + length; ++k) {
        ops.push_back(std::move(steps[k].op));
        outs.push_back(steps[k].out);
      }
      std::unique_ptr<Op> chain = chain_in_bands(ops, steps[s].in, outs);
      if (!chain) {  // the ops are left where they were
        for (size_t k = s; k < s + length; ++k) steps[k].op = std::move(ops[k - s]);
        continue;
      }
      // Nodes that ran in the chain's inner steps now run in the chain.
      const PlanStep& tail = steps[s + length - 1];
      for (int& host : plan.runs_in)
        for (size_t k = s; k + 1 < s + length; ++k)
          if (host == steps[k].last) host = tail.last;
      PlanStep step = std::move(steps[s]);
      step.last = tail.last;
      step.out = tail.out;
      step.op = std::move(chain);
      merged.push_back(std::move(step));
      ++chains;
      s += length;
      chained = true;
      break;
    }
    if (!chained) merged.push_back(std::move(steps[s++]));
  }
  steps = std::move(merged);
  return chains;
}

}  // namespace mnet
