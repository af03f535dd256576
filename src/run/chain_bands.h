// The executor's third pass: merges chains of convolutions into one step that runs them band of
// rows by band (run/band_chain_op.h), so the tensors between them stay in cache.
#pragma once
#include "run/plan.h"

namespace mnet {

// Takes a plan whose steps have ops (prepare_ops). Where 3, else 2, consecutive steps form a chain
// that chain_in_bands accepts and each link's value has the next step as its only reader (and is
// not the graph's output), merges them into one step running the chained op; the merged steps'
// nodes then run in the chain's last node (plan.runs_in). Gives the number of chains formed.
int chain_bands(Plan& plan);

}  // namespace mnet
