#include "run/executor.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "kernels/depthwise_blocked.h"
#include "kernels/direct_conv.h"
#include "kernels/gemm.h"
#include "layers/conv_bands.h"

namespace mnet {

struct Executor::Step {
  int node = 0;
  std::unique_ptr<Op> op;
  std::vector<int> input_buffers;  // -1: the caller's input
  int output_buffer = 0;
};

namespace {

// w'[o, ...] = w[o, ...] · s[o] and b'[o] = beta[o] + (b[o] - mean[o]) · s[o], s = gamma / sqrt(var + eps).
void fold_batchnorm(std::map<std::string, std::vector<float>>& w, const WeightMap& all, const std::string& bn,
                    float eps) {
  const auto& gamma = all.at(bn + ".weight");
  const auto& beta = all.at(bn + ".bias");
  const auto& mean = all.at(bn + ".running_mean");
  const auto& var = all.at(bn + ".running_var");
  std::vector<float>& weight = w.at("weight");
  size_t out_c = gamma.size();
  size_t row = weight.size() / out_c;
  std::vector<float>& bias = w["bias"];
  if (bias.empty()) bias.assign(out_c, 0.0f);
  for (size_t o = 0; o < out_c; ++o) {
    float s = gamma[o] / std::sqrt(var[o] + eps);
    for (size_t k = 0; k < row; ++k) weight[o * row + k] *= s;
    bias[o] = beta[o] + (bias[o] - mean[o]) * s;
  }
}

// Which nodes run inside another: a BatchNorm or activation whose producer has no other consumer.
struct FusionPlan {
  std::vector<int> runs_in;    // per node: the executed node it runs inside (itself if it executes)
  std::vector<int> folded_bn;  // per executing node: the BatchNorm folded into it, or -1
  std::vector<Act> fused_act;  // per executing node: the activation applied in its output pass
};

FusionPlan plan_fusion(const Graph& graph, const ExecOptions& options) {
  const size_t n = graph.nodes.size();
  std::vector<std::vector<int>> consumers = graph.consumers();
  FusionPlan f;
  f.runs_in.resize(n);
  for (size_t i = 0; i < n; ++i) f.runs_in[i] = int(i);
  f.folded_bn.assign(n, -1);
  f.fused_act.assign(n, Act::none);
  for (size_t i = 1; i < n; ++i) {
    const Node& node = graph.nodes[i];
    FusionRole role = node.layer->fusion_role();
    if (role == FusionRole::none || !options.fuse) continue;
    int p = node.inputs[0];
    if (p == 0 || consumers[p].size() != 1) continue;
    int target = f.runs_in[p];
    const Layer& t = *graph.nodes[target].layer;
    if (role == FusionRole::batchnorm && target == p && t.accepts_bn() && f.folded_bn[target] < 0 &&
        f.fused_act[target] == Act::none) {
      f.folded_bn[target] = int(i);
      f.runs_in[i] = target;
    } else if (role == FusionRole::activation && t.accepts_act() && f.fused_act[target] == Act::none) {
      f.fused_act[target] = node.layer->activation();
      f.runs_in[i] = target;
    }
  }
  return f;
}

// One executed step: it reads node `first`'s inputs and writes node `last`'s output.
struct StepSpan {
  int first = 0, last = 0;
};

struct BufferPlan {
  std::vector<int64_t> capacity;                // floats of each buffer
  std::vector<std::vector<int>> input_buffers;  // per step; -1: the caller's input
  std::vector<int> output_buffer;               // per step
  int graph_output = -1;                        // the buffer holding the graph's output
  int64_t floats() const {
    int64_t total = 0;
    for (int64_t c : capacity) total += c;
    return total;
  }
};

// Buffers: the last step reading each value frees its buffer for later steps.
BufferPlan plan_buffers(const Graph& graph, const std::vector<int>& runs_in, const std::vector<StepSpan>& steps) {
  const size_t n = graph.nodes.size();
  BufferPlan plan;
  std::vector<int> last_use(n, -1);
  for (size_t s = 0; s < steps.size(); ++s)
    for (int in : graph.nodes[steps[s].first].inputs) last_use[runs_in[in]] = int(s);
  last_use[runs_in[n - 1]] = int(steps.size());  // the output stays
  std::vector<bool> busy;
  std::vector<int> buffer_of(n, -1);
  std::vector<int64_t>& capacity = plan.capacity;
  for (size_t s = 0; s < steps.size(); ++s) {
    const Node& head = graph.nodes[steps[s].first];
    const int node = steps[s].last;
    std::vector<int> inputs;
    for (int in : head.inputs) inputs.push_back(in == 0 ? -1 : buffer_of[runs_in[in]]);
    int64_t need = graph.nodes[node].out.elements();
    // The smallest free buffer that fits; else the largest free one, grown.
    int pick = -1;
    for (size_t b = 0; b < capacity.size(); ++b) {
      if (busy[b]) continue;
      bool fits = capacity[b] >= need;
      bool pick_fits = pick >= 0 && capacity[pick] >= need;
      if (pick < 0 || (fits && (!pick_fits || capacity[b] < capacity[pick])) ||
          (!fits && !pick_fits && capacity[b] > capacity[pick]))
        pick = int(b);
    }
    if (pick < 0) {
      pick = int(capacity.size());
      capacity.push_back(0);
      busy.push_back(false);
    }
    capacity[pick] = std::max(capacity[pick], need);
    busy[pick] = true;
    buffer_of[node] = pick;
    // Inputs whose last reader is this step are free once it has run.
    for (int in : head.inputs) {
      int src = runs_in[in];
      if (src != 0 && last_use[src] == int(s)) busy[buffer_of[src]] = false;
    }
    plan.input_buffers.push_back(std::move(inputs));
    plan.output_buffer.push_back(pick);
  }
  plan.graph_output = buffer_of[runs_in[n - 1]];
  return plan;
}

}  // namespace

Executor::Executor(const Graph& graph, const WeightMap& weights, const ExecOptions& options)
    : input_shape_(graph.input().out), output_shape_(graph.output().out), threads_(std::max(1, options.threads)) {
  set_blas_threads(threads_);
  const size_t n = graph.nodes.size();
  FusionPlan fusion = plan_fusion(graph, options);
  runs_in_ = fusion.runs_in;
  const std::vector<int>& folded_bn = fusion.folded_bn;
  const std::vector<Act>& fused_act = fusion.fused_act;

  // Ops for every node that executes; BatchNorm folded and activations fused as decided above.
  struct Pending {
    int first = 0, last = 0;  // nodes: the step reads `first`'s inputs and writes `last`'s output
    std::unique_ptr<Op> op;
  };
  std::vector<Pending> pending;
  for (size_t i = 1; i < n; ++i) {
    if (runs_in_[i] != int(i)) continue;
    const Node& node = graph.nodes[i];
    PrepareArgs args;
    args.in = node.in_shapes;
    args.out = node.out;
    for (const WeightDecl& w : node.layer->weights(node.in_shapes, node.out))
      args.weights[w.name] = weights.at(node.name + "." + w.name);
    if (folded_bn[i] >= 0) {
      const Node& bn = graph.nodes[folded_bn[i]];
      fold_batchnorm(args.weights, weights, bn.name, bn.layer->bn_epsilon());
    }
    args.fused_act = fused_act[i];
    pending.push_back({int(i), int(i), node.layer->prepare(args)});
  }

  // Chains of convolutions run band by band (layers/conv_bands.h) where each link's output has
  // the next link as its only reader.
  if (options.fuse && options.bands) {
    // Readers of each executing node's output among the nodes that run elsewhere.
    std::vector<int> readers(n, 0);
    for (size_t i = 1; i < n; ++i)
      for (int in : graph.nodes[i].inputs)
        if (runs_in_[in] != runs_in_[i]) ++readers[runs_in_[in]];
    auto sole_reader = [&](const Pending& from, const Pending& to) {
      const Node& reader = graph.nodes[to.first];
      return readers[from.last] == 1 && reader.inputs.size() == 1 && runs_in_[reader.inputs[0]] == from.last &&
             from.last != runs_in_[n - 1];
    };
    std::vector<Pending> chained;
    for (size_t s = 0; s < pending.size();) {
      bool fused = false;
      for (size_t length : {3, 2}) {
        if (s + length > pending.size()) continue;
        bool linked = true;
        for (size_t k = s; k + 1 < s + length; ++k) linked = linked && sole_reader(pending[k], pending[k + 1]);
        if (!linked) continue;
        std::vector<std::unique_ptr<Op>> ops;
        std::vector<Shape> outs;
        for (size_t k = s; k < s + length; ++k) {
          ops.push_back(std::move(pending[k].op));
          outs.push_back(graph.nodes[pending[k].last].out);
        }
        const Node& head = graph.nodes[pending[s].first];
        std::unique_ptr<Op> chain = chain_in_bands(ops, head.in_shapes[0], outs);
        if (!chain) {
          for (size_t k = s; k < s + length; ++k) pending[k].op = std::move(ops[k - s]);
          continue;
        }
        const int last = pending[s + length - 1].last;
        for (size_t i = 1; i < n; ++i)
          for (size_t k = s; k + 1 < s + length; ++k)
            if (runs_in_[i] == pending[k].last) runs_in_[i] = last;
        chained.push_back({pending[s].first, last, std::move(chain)});
        ++band_chains_;
        s += length;
        fused = true;
        break;
      }
      if (!fused) chained.push_back(std::move(pending[s++]));
    }
    pending = std::move(chained);
  }

  std::vector<StepSpan> spans;
  for (const Pending& p : pending) spans.push_back({p.first, p.last});
  BufferPlan plan = plan_buffers(graph, runs_in_, spans);
  int64_t scratch = 0;
  for (size_t s = 0; s < pending.size(); ++s) {
    Step step;
    step.node = pending[s].last;
    step.input_buffers = plan.input_buffers[s];
    step.output_buffer = plan.output_buffer[s];
    step.op = std::move(pending[s].op);
    scratch = std::max(scratch, step.op->scratch_floats());
    steps_.push_back(std::move(step));
  }
  for (int64_t c : plan.capacity) buffers_.emplace_back(size_t(c), 0.0f);
  scratch_.assign(size_t(scratch), 0.0f);
  output_buffer_ = plan.graph_output;
}

Executor::~Executor() = default;

const float* Executor::run(const float* input, const NodeObserver* observer) {
  RunContext ctx;
  ctx.threads = threads_;
  ctx.scratch = scratch_.data();
  std::vector<const float*> inputs;
  for (Step& s : steps_) {
    inputs.clear();
    for (int b : s.input_buffers) inputs.push_back(b < 0 ? input : buffers_[b].data());
    float* out = buffers_[s.output_buffer].data();
    if (observer) {
      auto t0 = std::chrono::steady_clock::now();
      s.op->run(inputs, out, ctx);
      auto t1 = std::chrono::steady_clock::now();
      (*observer)(s.node, std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    } else {
      s.op->run(inputs, out, ctx);
    }
  }
  return output_buffer_ < 0 ? input : buffers_[output_buffer_].data();
}

int64_t Executor::activation_bytes() const {
  int64_t floats = int64_t(scratch_.size());
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

// Bounds on what the kernels keep per thread (kernels/scratch.h, layers/conv_bands.cpp), from the
// layouts of kernels/depthwise*.cpp and direct_conv.cpp: a channel plane padded by at most the
// kernel on each side, rows rounded up to whole 16-lane vectors plus alignment slack.
int64_t padded_plane_floats(const Shape& in, int64_t kernel) {
  return (in.h + 2 * kernel) * (in.w + 2 * kernel + 96) + 16;
}
// The packed GEMMs hold weights in panels of 12 (PackedGemm) or 48 (SmallMapGemm) rows.
constexpr int64_t kPanelRows = 48;
constexpr int64_t kReadBufferBytes = int64_t(1) << 20;
// layers/conv_bands.cpp sizes a band to about 320 KiB (kBandBytes) plus the rows one output row
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
  m.io = 2 * kFloat * (graph.input().out.elements() + graph.output().out.elements());

  for (const ExecOptions& options : executors) {
    const int threads = std::max(1, options.threads);
    FusionPlan fusion = plan_fusion(graph, options);
    std::vector<StepSpan> spans;
    int64_t op_floats = 0, preparing = 0, shared_scratch = 0, per_thread = 0, band_in = 0, band_out = 0;
    for (size_t i = 1; i < graph.nodes.size(); ++i) {
      if (fusion.runs_in[i] != int(i)) continue;
      spans.push_back({int(i), int(i)});
      const Node& node = graph.nodes[i];
      const Shape& in = node.in_shapes.empty() ? node.out : node.in_shapes[0];
      const Shape& out = node.out;
      int64_t own = 0, stored = 0, widest_row = 0;
      bool depthwise = false;
      int64_t kernel = 0, groups = 1;
      for (const WeightDecl& w : node.layer->weights(node.in_shapes, node.out)) {
        own += w.elements();
        if (w.shape.size() != 4 || w.shape[1] <= 0) {  // not a convolution's [out, in/groups, k, k]
          stored += w.elements();
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
      if (fusion.folded_bn[i] >= 0) {
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
          const DirectConvShape direct{in.c, in.h, in.w, out.c, out.h, out.w, int(kernel), stride, 0, 0};
          if (groups == 1 && DirectConv::suits(direct))  // the calling thread's padded copy
            per_thread = std::max(per_thread, in.c * padded_plane_floats(in, kernel));
          else  // im2col's columns, one group at a time
            shared_scratch = std::max(shared_scratch, in.c / std::max<int64_t>(groups, 1) * kernel * kernel * out.h * out.w);
        }
      } else if (own > 0) {
        // Squeeze-excite: the pooled and gated channels and the squeezed vector.
        shared_scratch = std::max(shared_scratch, 2 * in.c + widest_row);
      }
    }
    if (options.fuse && options.bands) per_thread += band_in + band_out;  // band chains' buffers
    BufferPlan plan = plan_buffers(graph, fusion.runs_in, spans);
    m.op_weights += op_floats * kFloat;
    m.preparing = std::max(m.preparing, preparing * kFloat);
    m.activations += plan.floats() * kFloat;
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
