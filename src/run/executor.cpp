// The Executor (plan once, run many times) and the memory estimate made from the same passes.
#include "run/executor.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "kernels/depthwise_blocked.h"
#include "kernels/dispatch.h"
#include "kernels/gemm.h"
#include "kernels/scratch.h"
#include "run/batch_layout.h"
#include "run/chain_bands.h"
#include "run/fuse.h"
#include "run/plan_buffers.h"
#include "run/prepare_ops.h"

namespace mnet {

struct Executor::Step {
  int node = 0;
  std::unique_ptr<Op> op;
  std::vector<int> input_buffers;  // -1: the caller's input
  int output_buffer = 0;
  // In a batch: one image's shapes; per input its store (a value handed on by a step that runs
  // image by image) or -1, and whether it is in the batch layout (else image after image); the
  // output's layout; the step's own store, or -1.
  std::vector<Shape> input_shapes;
  Shape out_shape;
  std::vector<int> input_stores;
  std::vector<char> input_in_batch_layout;
  bool out_in_batch_layout = false;
  int store = -1;
};

Executor::Executor(const Graph& graph, const WeightMap& weights, const ExecOptions& options)
    : input_shape_(graph.input().out),
      output_shape_(graph.output().out),
      threads_(std::max(1, options.threads)),
      batch_(std::max(1, options.batch)) {
  if (options.batch > kMaxBatch)
    throw RunError("Executor: a batch of " + std::to_string(options.batch) + " images is more than the limit of " +
                   std::to_string(kMaxBatch));
  set_blas_threads(threads_);
  Plan plan = fuse(graph, options.fuse);
  const size_t split = batch_ > 1 ? first_batched_step(plan, graph) : plan.steps.size();
  const int split_node = split < plan.steps.size() ? plan.steps[split].first : -1;
  prepare_ops(plan, graph, weights, batch_, split);
  // The steps before the split chain as they would for one image; the later ones run whole batches.
  if (options.fuse && options.bands) band_chains_ = chain_bands(plan);
  first_batched_ = plan.steps.size();
  for (size_t s = 0; s < plan.steps.size(); ++s)
    if (plan.steps[s].first == split_node) first_batched_ = s;
  BufferPlan buffers = plan_buffers(plan);
  const BatchBuffers batch_buffers = plan_batch_buffers(plan, buffers, first_batched_, batch_);

  runs_in_ = std::move(plan.runs_in);
  size_t widest = 0;
  int64_t gathered = 0, converted = 0;  // floats of the largest step's copies, one image / the batch
  // Per node holding a step's value: whether it is in the batch layout (the caller's images are not),
  // and its store.
  std::vector<char> in_batch_layout(runs_in_.size(), 0);
  std::vector<int> store_of(runs_in_.size(), -1);
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    Step step;
    step.node = plan.steps[s].last;
    step.input_buffers = std::move(buffers.input_buffers[s]);
    step.output_buffer = buffers.output_buffer[s];
    step.op = std::move(plan.steps[s].op);
    step.out_shape = plan.steps[s].out;
    step.store = batch_buffers.store_of_step[s];
    const BatchRun mode = s >= first_batched_ ? step.op->batch_run : BatchRun::per_image;
    bool any_batch = false, any_from_caller = false;
    for (int node : plan.steps[s].inputs) {
      step.input_shapes.push_back(graph.nodes[node].out);
      const int holder = runs_in_[node];
      step.input_stores.push_back(s >= first_batched_ && node != 0 ? store_of[size_t(holder)] : -1);
      const bool batch = node != 0 && in_batch_layout[size_t(holder)];
      step.input_in_batch_layout.push_back(batch);
      any_batch = any_batch || batch;
      any_from_caller = any_from_caller || node == 0;
    }
    if (s >= first_batched_) {
      // An any-layout op keeps its inputs' layout where they share one (the caller's images only
      // as a copy: they may be fewer than the batch); otherwise the batch layout.
      step.out_in_batch_layout =
          mode == BatchRun::batch_layout || (mode == BatchRun::any_layout && (any_batch || any_from_caller));
      int64_t step_gathered = 0, step_converted = 0;
      for (size_t i = 0; i < step.input_shapes.size(); ++i) {
        if (mode == BatchRun::per_image && step.input_in_batch_layout[i]) step_gathered += step.input_shapes[i].elements();
        if (step.out_in_batch_layout && !step.input_in_batch_layout[i])
          step_converted += step.input_shapes[i].elements() * batch_;
      }
      gathered = std::max(gathered, step_gathered);
      converted = std::max(converted, step_converted);
    }
    // A store holds its value in the batch layout.
    in_batch_layout[size_t(step.node)] = step.store >= 0 || step.out_in_batch_layout;
    store_of[size_t(step.node)] = step.store;
    scratch_floats_ = std::max(scratch_floats_, step.op->scratch_floats());
    widest = std::max(widest, step.input_buffers.size());
    steps_.push_back(std::move(step));
  }
  const std::vector<int64_t>& capacity = batch_ > 1 ? batch_buffers.capacity : buffers.capacity;
  for (int64_t c : capacity) buffers_.emplace_back(size_t(c), 0.0f);
  for (int64_t floats : batch_buffers.store_floats) stores_.emplace_back(size_t(floats), 0.0f);
  image_scratch_.assign(size_t(gathered + converted), 0.0f);
  output_buffer_ = buffers.graph_output;
  output_buffers_ = buffers.output_buffers;
  for (int o : graph.output_nodes()) {
    outputs_.push_back(ExecOutput{graph.nodes[o].name, graph.nodes[o].out, nullptr});
    const int holder = runs_in_[o];
    output_stores_.push_back(o != 0 ? store_of[size_t(holder)] : -1);
    output_in_batch_layout_.push_back(o != 0 && in_batch_layout[size_t(holder)]);
    batch_outputs_.emplace_back(output_in_batch_layout_.back() ? size_t(graph.nodes[o].out.elements()) * batch_ : 0, 0.0f);
  }
  inputs_.reserve(widest);
  image_inputs_.reserve(widest);
}

Executor::~Executor() = default;

std::vector<ExecOutput> Executor::run_all(const float* input, const NodeObserver* observer) {
  run(input, observer);
  std::vector<ExecOutput> all = outputs_;
  for (size_t i = 0; i < all.size(); ++i)
    all[i].data = output_buffers_[i] < 0 ? input : buffers_[output_buffers_[i]].data();
  return all;
}

const float* Executor::run(const float* input, const NodeObserver* observer) {
  if (batch_ > 1)
    throw RunError("Executor::run: this executor runs batches of " + std::to_string(batch_) + " (run_batch)");
  run_steps(input, observer, 1);
  return output_buffer_ < 0 ? input : buffers_[output_buffer_].data();
}

std::vector<ExecOutput> Executor::run_batch(const float* images, int count, const NodeObserver* observer) {
  if (count < 1 || count > batch_)
    throw RunError("Executor::run_batch: " + std::to_string(count) + " images for a batch of " + std::to_string(batch_));
  if (batch_ == 1) return run_all(images, observer);
  run_steps(images, observer, count);
  std::vector<ExecOutput> all = outputs_;
  for (size_t o = 0; o < all.size(); ++o) {
    const float* value = output_stores_[o] >= 0 ? stores_[size_t(output_stores_[o])].data()
                         : output_buffers_[o] < 0 ? images
                                                  : buffers_[output_buffers_[o]].data();
    if (!output_in_batch_layout_[o]) {  // already image after image
      all[o].data = value;
      continue;
    }
    float* images_out = batch_outputs_[o].data();
    const int64_t image_out = all[o].shape.elements();
    for (int n = 0; n < count; ++n) copy_image_from_batch(value, batch_, all[o].shape, n, images_out + n * image_out);
    all[o].data = images_out;
  }
  return all;
}

void Executor::run_steps(const float* input, const NodeObserver* observer, int count) {
  RunContext ctx;
  ctx.threads = threads_;
  ctx.scratch = scratch_floats_ > 0 ? thread_scratch(size_t(scratch_floats_), ScratchSlot::op) : nullptr;
  std::vector<const float*>& inputs = inputs_;
  auto timed = [&](const Step& s, const auto& body) {
    if (!observer) return body();
    const auto t0 = std::chrono::steady_clock::now();
    body();
    const auto t1 = std::chrono::steady_clock::now();
    (*observer)(s.node, std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
  };
  // The steps before the split (all of them for one image), one image after another on buffers of
  // one image; values later steps read kept in their stores. In a batch each reports once per image.
  const int64_t image_in = input_shape_.elements();
  for (int n = 0; n < count; ++n)
    for (size_t i = 0; i < first_batched_; ++i) {
      Step& s = steps_[i];
      inputs.clear();
      for (int b : s.input_buffers) inputs.push_back(b < 0 ? input + n * image_in : buffers_[b].data());
      float* out = buffers_[s.output_buffer].data();
      timed(s, [&] { s.op->run(inputs, out, ctx); });
      if (s.store >= 0) copy_image_to_batch(out, s.out_shape, batch_, n, stores_[size_t(s.store)].data());
    }
  // The rest over the whole batch.
  for (size_t i = first_batched_; i < steps_.size(); ++i) {
    Step& s = steps_[i];
    inputs.clear();
    for (size_t k = 0; k < s.input_buffers.size(); ++k) {
      const int b = s.input_buffers[k];
      inputs.push_back(s.input_stores[k] >= 0 ? stores_[size_t(s.input_stores[k])].data()
                       : b < 0                ? input
                                              : buffers_[b].data());
    }
    float* out = buffers_[s.output_buffer].data();
    timed(s, [&] { run_batched_step(s, out, count, ctx); });
  }
}

void Executor::run_batched_step(Step& s, float* out, int count, RunContext& ctx) {
  std::vector<const float*>& inputs = inputs_;
  if (!s.out_in_batch_layout && s.op->batch_run == BatchRun::any_layout) {
    s.op->run(inputs, out, ctx);  // image after image in, image after image out
  } else if (s.out_in_batch_layout) {
    // Inputs held image after image are copied into the batch layout first.
    float* copy = image_scratch_.data();
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (s.input_in_batch_layout[i]) continue;
      const int64_t size = s.input_shapes[i].elements();
      for (int n = 0; n < count; ++n) copy_image_to_batch(inputs[i] + n * size, s.input_shapes[i], batch_, n, copy);
      inputs[i] = copy;
      copy += size * batch_;
    }
    s.op->run(inputs, out, ctx);
  } else {
    // An op prepared for one image, run on each image in turn: an input image after image is read
    // in place, one in the batch layout copied out.
    const int64_t out_size = s.out_shape.elements();
    for (int n = 0; n < count; ++n) {
      float* copy = image_scratch_.data();
      std::vector<const float*>& image_inputs = image_inputs_;
      image_inputs.clear();
      for (size_t i = 0; i < inputs.size(); ++i) {
        const int64_t size = s.input_shapes[i].elements();
        if (!s.input_in_batch_layout[i]) {
          image_inputs.push_back(inputs[i] + n * size);
          continue;
        }
        copy_image_from_batch(inputs[i], batch_, s.input_shapes[i], n, copy);
        image_inputs.push_back(copy);
        copy += size;
      }
      s.op->run(image_inputs, out + n * out_size, ctx);
    }
  }
}

std::vector<std::string> Executor::kernel_names() const {
  std::vector<std::string> names(runs_in_.size());
  for (const Step& step : steps_) names[size_t(step.node)] = step.op->kernel_name();
  return names;
}

int64_t Executor::activation_bytes() const {
  int64_t floats = scratch_floats_;
  for (const auto& b : buffers_) floats += int64_t(b.size());
  return floats * int64_t(sizeof(float));
}

int64_t MemoryEstimate::peak() const {
  return weights + std::max(loading, op_weights + preparing + activations + scratch + io);
}

std::string MemoryEstimate::breakdown() const {
  return "weights " + format_bytes(weights) + ", prepared weights " + format_bytes(op_weights) + ", activations " +
         format_bytes(activations) + ", scratch " + format_bytes(scratch) + ", while loading " +
         format_bytes(loading) + ", while preparing " + format_bytes(preparing) + ", input and output " +
         format_bytes(io);
}

namespace {

// Bounds on what the kernels and band chains keep per thread (kernels/scratch.h), from the
// layouts of kernels/depthwise*.cpp and direct_conv.cpp: a channel plane padded by at most the
// kernel on each side, rows rounded up to whole 16-lane vectors plus alignment slack.
int64_t padded_plane_floats(const Shape& in, int64_t kernel) {
  return (in.h + 2 * kernel) * (in.w + 2 * kernel + 96) + 16;
}
// The packed GEMMs hold weights in panels of 12 (PackedGemm) or 48 (SmallMapGemm) rows.
constexpr int64_t kPanelRows = 48;
constexpr int64_t kReadBufferBytes = int64_t(1) << 20;
// run/band_chain_op.h sizes a band to about kBandBytes (320 KiB) plus the rows one output row
// needs; this bounds that with room to spare.
constexpr int64_t kBandBytesBound = int64_t(1) << 20;
constexpr int64_t kLanes = 16;

}  // namespace

MemoryEstimate estimate_memory(const Graph& graph, const std::vector<ExecOptions>& executors) {
  constexpr int64_t kFloat = sizeof(float);
  MemoryEstimate m;
  int64_t declared = 0;
  for (size_t i = 1; i < graph.nodes.size(); ++i)
    for (const WeightDecl& w : graph.weights_of(int(i))) declared += w.elements();
  m.weights = declared * kFloat;
  // A safetensors file of F64 values, read whole before decoding, through a 1 MiB buffer
  // (io/atomic_file.cpp: read_file_bytes).
  m.loading = declared * 8 + kReadBufferBytes;
  int64_t output_elements = 0;
  for (int o : graph.output_nodes()) output_elements += graph.nodes[o].out.elements();
  int widest_batch = 1;
  for (const ExecOptions& options : executors) widest_batch = std::max(widest_batch, options.batch);
  // The caller's images and the outputs, and the executor's copies of them in the batch layout.
  m.io = 2 * kFloat * (graph.input().out.elements() + output_elements) * widest_batch;

  for (const ExecOptions& options : executors) {
    const int threads = std::max(1, options.threads);
    const int64_t batch = std::max(1, options.batch);
    // Steps as fused, not chained: chains only take buffers away.
    const Plan plan = fuse(graph, options.fuse);
    // A batch's copies between layouts (Executor::run_steps): one image of a step's inputs, and the
    // whole batch of the inputs of a step from the first batched one on.
    const size_t first_batched = batch > 1 ? first_batched_step(plan, graph) : plan.steps.size();
    int64_t gathered = 0, converted = 0;
    int64_t op_floats = 0, preparing = 0, shared_scratch = 0, per_thread = 0, band_in = 0, band_out = 0;
    for (const PlanStep& step : plan.steps) {
      const Node& node = graph.nodes[step.first];
      const Shape& in = node.in_shapes.empty() ? node.out : node.in_shapes[0];
      const Shape& out = node.out;
      int64_t step_inputs = 0;
      for (int input : step.inputs) step_inputs += graph.nodes[input].out.elements();
      if (size_t(&step - plan.steps.data()) >= first_batched) {
        gathered = std::max(gathered, step_inputs);
        converted = std::max(converted, step_inputs * batch);
      }
      int64_t own = 0, stored = 0, widest_row = 0;
      bool depthwise = false;
      int64_t kernel = 0, groups = 1;
      for (const WeightDecl& w : node.layer->weights(node.in_shapes, node.out)) {
        own += w.elements();
        if (w.shape.size() != 4 || w.shape[1] <= 0) {  // not a convolution's [out, in/groups, k, k]
          // In a batch a fully connected layer's [out, in] is a GEMM's, packed into panels.
          stored += batch > 1 && w.shape.size() == 2
                        ? (w.shape[0] + kPanelRows - 1) / kPanelRows * kPanelRows * w.shape[1]
                        : w.elements();
          if (!w.shape.empty()) widest_row = std::max(widest_row, w.shape[0]);
          continue;
        }
        groups = in.c / w.shape[1];
        const int64_t out_per_group = w.shape[0] / std::max<int64_t>(groups, 1);
        kernel = w.shape[2];
        depthwise = groups == in.c && groups == out.c && groups > 1;
        const int64_t k_depth = w.elements() / std::max<int64_t>(w.shape[0], 1);
        stored += depthwise ? w.elements()
                            : groups * ((out_per_group + kPanelRows - 1) / kPanelRows * kPanelRows) * k_depth;
      }
      if (step.folded_bn >= 0) {
        own += out.c;  // the bias folding creates
        stored += out.c;
      }
      op_floats += stored;
      // While preparing: the layer's copy of its weights, and the copy the kernel takes to pack.
      preparing = std::max(preparing, 2 * own);
      if (kernel > 0) {
        const bool pointwise = kernel == 1 && groups == 1 && in.h == out.h && in.w == out.w;
        if (depthwise) {
          // The 16-channel kernel pads 16 planes at a time (and keeps 16 of weights and outputs);
          // the others one plane. Either stride is tried: the graph does not keep it.
          bool blocked = false;
          for (int stride : {1, 2}) {
            DepthwiseParams p;
            p.channels = in.c;
            p.in_h = in.h, p.in_w = in.w, p.out_h = out.h, p.out_w = out.w;
            p.kernel = int(kernel), p.stride = stride;
            blocked = blocked || depthwise_blocked_suits(p);
          }
          per_thread = std::max(per_thread, blocked ? kLanes * (padded_plane_floats(in, kernel) + kernel * kernel +
                                                                out.h * out.w)
                                                    : padded_plane_floats(in, kernel));
          // A band chain's buffers hold a band of rows of the expanded input and of the output.
          const int64_t band = kBandBytesBound / kFloat + (kernel + 8) * in.c * std::max(in.w, out.w);
          band_in = std::max(band_in, std::min(in.elements(), band));
          band_out = std::max(band_out, std::min(out.elements(), band));
        } else if (!pointwise) {
          // The stride is not in the graph; guessing it wrong only picks the other, larger bound.
          const int stride = int(std::max<int64_t>(1, (in.h + out.h / 2) / std::max(out.h, 1)));
          ConvShape shape;
          shape.in_c = in.c, shape.in_h = in.h, shape.in_w = in.w;
          shape.out_c = out.c, shape.out_h = out.h, shape.out_w = out.w;
          shape.kernel = int(kernel), shape.stride = stride, shape.groups = int(groups);
          if (choose_conv(shape, simd_level()) == Kernel::direct_conv_avx512)  // the calling thread's padded copy
            per_thread = std::max(per_thread, in.c * padded_plane_floats(in, kernel));
          // im2col's columns, one group at a time; also where direct_conv was named, since the graph
          // does not keep dilation either and a dilated convolution runs through im2col.
          shared_scratch = std::max(shared_scratch, in.c / std::max<int64_t>(groups, 1) * kernel * kernel * out.h * out.w);
        }
      } else if (own > 0) {
        // Squeeze-excite: the pooled and gated channels and the squeezed vector.
        shared_scratch = std::max(shared_scratch, 2 * in.c + widest_row);
      }
    }
    if (options.fuse && options.bands) per_thread += band_in + band_out;  // band chains' buffers
    m.op_weights += op_floats * kFloat;
    m.preparing = std::max(m.preparing, preparing * kFloat);
    const BufferPlan buffers = plan_buffers(plan);
    m.activations += (batch > 1 ? plan_batch_buffers(plan, buffers, first_batched, int(batch)).floats() : buffers.floats()) * kFloat;
    if (batch > 1) shared_scratch += gathered + converted;
    m.scratch += (shared_scratch + threads * per_thread) * kFloat;
  }
  return m;
}

int64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  int64_t bytes = pages > 0 && page > 0 ? int64_t(pages) * page : 0;
  // A container's own limit (cgroup v2) is the memory this process really has.
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  long long limit = 0;
  if (cgroup >> limit && limit > 0 && (bytes == 0 || limit < bytes)) bytes = limit;
  return bytes;
}

int64_t default_max_memory() { return int64_t(double(physical_memory_bytes()) * kMaxMemoryShareOfRam); }

std::string format_bytes(int64_t bytes) {
  static const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[48];
  if (u == 0) std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(bytes));
  else std::snprintf(buf, sizeof buf, v < 10 ? "%.2f %s" : "%.1f %s", v, units[u]);
  return buf;
}

PlannedMemory planned_memory(const MemoryEstimate& e) {
  PlannedMemory p;
  p.peak_bytes = e.peak();
  p.text = format_bytes(e.peak()) + " (" + e.breakdown() + ")";
  p.parts_bytes = {{"weights", e.weights},         {"prepared_weights", e.op_weights}, {"activations", e.activations},
                   {"scratch", e.scratch},         {"loading", e.loading},             {"preparing", e.preparing},
                   {"input_output", e.io}};
  return p;
}

void check_memory(const MemoryEstimate& e, int64_t limit, const std::string& limit_from, const Graph& graph,
                  const std::string& source) {
  if (limit <= 0 || e.peak() <= limit) return;
  throw InputError(source + ": " + graph.name + " needs an estimated " + format_bytes(e.peak()) + " (" +
                   std::to_string(e.peak()) + " bytes) of memory at peak (" + e.breakdown() +
                   "), more than the limit of " + format_bytes(limit) + " (" + limit_from + ")");
}

}  // namespace mnet
