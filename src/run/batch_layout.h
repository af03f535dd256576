// The batch layout: N images of one shape stored channel-major with the images inside each channel,
// [C][N][H·W], so that a 1×1 convolution of all N is one GEMM over N·H·W columns and an element-wise
// op is one pass over N times the values. Moving one image in and out of it, as [C][H·W].
#pragma once
#include <cstddef>

#include "core/shape.h"
#include "graph/graph.h"
#include "run/plan.h"
#include "run/plan_buffers.h"

namespace mnet {

// Image `n` of a batch of `images` in the batch layout → one contiguous image [C][H·W].
void copy_image_from_batch(const float* batch, int images, const Shape& shape, int n, float* image);
// One contiguous image [C][H·W] → image `n` of a batch of `images` in the batch layout.
void copy_image_to_batch(const float* image, const Shape& shape, int images, int n, float* batch);

// Where a batched executor starts running each layer over the whole batch: the first step from
// which every convolution and fully connected layer (depthwise aside) has several times more
// weights than one image's input and output values (batch_layout.cpp says how many, and why).
// Those layers read their weights once per batch instead of once per image; the earlier ones,
// whose activations outweigh their weights, run image by image, in band chains where they form,
// so that one image's maps stay in cache. MobileNets' maps shrink as their layers widen, so one
// split serves.
size_t first_batched_step(const Plan& plan, const Graph& graph);

// A batched plan's memory. The steps before `first_batched` run one image after another on buffers
// of one image (each image's maps reuse the same, cached memory); the values they hand to later
// steps, or out of the graph, are kept for the whole batch in a store each, in the batch layout.
// The later steps' buffers hold the whole batch.
struct BatchBuffers {
  std::vector<int64_t> capacity;     // floats per buffer of BufferPlan
  std::vector<int> store_of_step;    // per step: its store, or -1
  std::vector<int64_t> store_floats; // per store
  int64_t floats() const;
};
BatchBuffers plan_batch_buffers(const Plan& plan, const BufferPlan& buffers, size_t first_batched, int batch);

}  // namespace mnet
