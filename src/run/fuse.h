// The executor's first pass: which nodes run inside another (BatchNorm folded into the producing
// layer's weights, activations applied in its output pass), giving the plan's steps.
#pragma once
#include "graph/graph.h"
#include "run/plan.h"

namespace mnet {

// Takes the graph; gives one step per executing node in graph order, no ops yet. A BatchNorm or
// activation joins its producer's step where the producer has no other consumer and accepts it
// (Layer::accepts_bn / accepts_act): at most one BatchNorm, only where no activation comes before
// it (fused or the layer's own), and one activation. With `enabled` false every node but the
// input is a step of its own.
Plan fuse(const Graph& graph, bool enabled);

}  // namespace mnet
