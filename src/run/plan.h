// The plain structure the executor's passes hand on: the steps that execute, the nodes each one
// covers, what it reads and writes. fuse makes it, prepare_ops and chain_bands fill and merge it.
#pragma once
#include <memory>
#include <vector>

#include "core/activation.h"
#include "core/shape.h"
#include "graph/layer.h"

namespace mnet {

// One executed step: it reads node `first`'s inputs and writes node `last`'s output (the same node
// unless later nodes were merged into it).
struct PlanStep {
  int first = 0, last = 0;
  std::vector<int> inputs;  // the nodes whose outputs `first` reads (0: the graph's input)
  Shape in;                 // the shape of inputs[0]
  Shape out;                // the shape of `last`'s output, which the step writes
  int folded_bn = -1;       // the BatchNorm node folded into `first`'s weights, or -1
  Act fused_act = Act::none;  // the activation applied in `first`'s output pass
  std::unique_ptr<Op> op;   // null until prepared (the memory estimate plans without ops)
};

struct Plan {
  // Per graph node: the node whose step it runs in, i.e. that step's `last`, whose buffer holds the
  // value the node computes (itself when it executes on its own; 0 for the graph's input).
  std::vector<int> runs_in;
  std::vector<PlanStep> steps;
  int output = 0;  // the graph's (first) output node
  std::vector<int> more_outputs;  // its further outputs, in order (a graph with several)
  std::vector<int> all_outputs() const {
    std::vector<int> all{output};
    all.insert(all.end(), more_outputs.begin(), more_outputs.end());
    return all;
  }
};

}  // namespace mnet
