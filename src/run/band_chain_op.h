// The op that runs a chain [1×1 expand →] depthwise [→ 1×1 project] (MobileNet's blocks) band of
// output rows by band, through the interfaces of graph/row_bands.h.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/shape.h"
#include "graph/layer.h"

namespace mnet {

// A band's expanded rows (or, without an expansion, its depthwise output) take about this much:
// a third of a 1 MiB L2, leaving room for the depthwise output and the weights streaming by.
constexpr int64_t kBandBytes = 320 * 1024;
// Chains whose tensors between the convolutions are all smaller stay in L2 when run whole.
constexpr int64_t kMinIntermediateBytes = 1536 * 1024;

// Each band's expanded rows and depthwise output stay in L2 on their way to the next convolution,
// where run one after another the whole tensors went to memory and back. Bands are independent:
// with several threads each runs whole bands; the band buffers are each thread's
// ScratchSlot::band_input and band_output (kernels/scratch.h).
//
// `ops` are the chain's prepared ops in order, `in` its input shape and `outs` each op's output
// shape. Returns the chained op, taking the ops, or null, leaving them, when they are not such a
// chain (a PointwiseBands, then a DepthwiseBands, then a PointwiseBands, at least one of the 1×1s),
// when a 1×1 cannot run a band of pixels, or when the tensors between them are smaller than
// kMinIntermediateBytes and stay in cache anyway.
std::unique_ptr<Op> chain_in_bands(std::vector<std::unique_ptr<Op>>& ops, const Shape& in,
                                   const std::vector<Shape>& outs);

}  // namespace mnet
