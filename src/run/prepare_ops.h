// The executor's second pass: binds each step's layer to its weights (BatchNorm folded in, the
// activation fused) and gives it an Op.
#pragma once
#include "graph/graph.h"
#include "run/plan.h"
#include "weights/weights.h"

namespace mnet {

// Takes a plan from fuse() and the graph's weights (each declared tensor present, as
// load_weights and random_weights give them); gives every step its op. The weights are copied.
// `batch`: images per run (PrepareArgs::batch), for the steps from `first_batched` on; the earlier
// ones, which a batched executor runs image by image, are prepared for one image.
void prepare_ops(Plan& plan, const Graph& graph, const WeightMap& weights, int batch = 1, size_t first_batched = 0);

}  // namespace mnet
