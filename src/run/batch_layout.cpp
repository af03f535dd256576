// Moving images in and out of the batch layout (run/batch_layout.h).
#include "run/batch_layout.h"

#include <cstring>

namespace mnet {

void copy_image_from_batch(const float* batch, int images, const Shape& shape, int n, float* image) {
  const size_t plane = size_t(shape.h) * shape.w;
  for (int c = 0; c < shape.c; ++c)
    std::memcpy(image + c * plane, batch + (size_t(c) * images + n) * plane, plane * sizeof(float));
}

namespace {
// How many times one image's activations a layer's weights must outweigh for it to run batched.
// Measured on V1 at 224 (Intel Xeon, AVX-512, 1 thread): its 14x14 layers (weights 1.3x their
// activations) ran 15-25 % slower per image as batches of 8 (the batch's maps leave the cache),
// its 7x7 layers (7-10x) and the FC layer ran faster.
constexpr int64_t kBatchedWeightsPerActivation = 4;
}  // namespace

size_t first_batched_step(const Plan& plan, const Graph& graph) {
  size_t first = plan.steps.size();
  for (size_t s = plan.steps.size(); s-- > 0;) {
    const PlanStep& step = plan.steps[s];
    const Node& node = graph.nodes[size_t(step.first)];
    const CostKind kind = node.layer->cost(node.in_shapes, node.out).category.kind;
    if (kind == CostKind::conv || kind == CostKind::fc) {
      int64_t weights = 0, activations = node.out.elements();
      for (const WeightDecl& w : graph.weights_of(step.first)) weights += w.elements();
      for (const Shape& in : node.in_shapes) activations += in.elements();
      if (weights < kBatchedWeightsPerActivation * activations) break;
    }
    first = s;
  }
  return first;
}

int64_t BatchBuffers::floats() const {
  int64_t total = 0;
  for (int64_t c : capacity) total += c;
  for (int64_t s : store_floats) total += s;
  return total;
}

BatchBuffers plan_batch_buffers(const Plan& plan, const BufferPlan& buffers, size_t first_batched, int batch) {
  BatchBuffers b;
  b.capacity.assign(buffers.capacity.size(), 0);
  b.store_of_step.assign(plan.steps.size(), -1);
  std::vector<int> step_of(plan.runs_in.size(), -1);  // per node holding a step's value
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    step_of[size_t(plan.steps[s].last)] = int(s);
    const int64_t images = s < first_batched ? 1 : batch;
    int64_t& capacity = b.capacity[size_t(buffers.output_buffer[s])];
    capacity = std::max(capacity, plan.steps[s].out.elements() * images);
  }
  auto keep = [&](int node) {
    const int s = step_of[size_t(plan.runs_in[size_t(node)])];
    if (s < 0 || size_t(s) >= first_batched || b.store_of_step[size_t(s)] >= 0) return;
    b.store_of_step[size_t(s)] = int(b.store_floats.size());
    b.store_floats.push_back(plan.steps[size_t(s)].out.elements() * batch);
  };
  for (size_t s = first_batched; s < plan.steps.size(); ++s)
    for (int node : plan.steps[s].inputs) keep(node);
  for (int node : plan.all_outputs()) keep(node);
  return b;
}

void copy_image_to_batch(const float* image, const Shape& shape, int images, int n, float* batch) {
  const size_t plane = size_t(shape.h) * shape.w;
  for (int c = 0; c < shape.c; ++c)
    std::memcpy(batch + (size_t(c) * images + n) * plane, image + c * plane, plane * sizeof(float));
}

}  // namespace mnet
