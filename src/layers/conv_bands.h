#pragma once
#include <memory>
#include <vector>

#include "core/shape.h"
#include "graph/layer.h"

namespace mnet {

// A chain [1×1 expand →] depthwise [→ 1×1 project] (MobileNet's blocks) run band of output rows
// by band: each band's expanded rows and depthwise output stay in L2 on their way to the next
// convolution, where run one after another the whole tensors went to memory and back.
//
// `ops` are the chain's prepared ops in order, `in` its input shape and `outs` each op's output
// shape. Returns the fused op, taking the ops, or null, leaving them, when they are not such a
// chain, when a 1×1 does not run on PackedGemm, or when the tensors between them are small
// enough to stay in cache anyway.
std::unique_ptr<Op> chain_in_bands(std::vector<std::unique_ptr<Op>>& ops, const Shape& in,
                                   const std::vector<Shape>& outs);

}  // namespace mnet
