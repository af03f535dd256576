#include "run/executor.h"

#include <algorithm>
#include <chrono>
#include <cmath>

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

}  // namespace

Executor::Executor(const Graph& graph, const WeightMap& weights, const ExecOptions& options)
    : input_shape_(graph.input().out), output_shape_(graph.output().out), threads_(std::max(1, options.threads)) {
  set_blas_threads(threads_);
  const size_t n = graph.nodes.size();
  std::vector<std::vector<int>> consumers = graph.consumers();
  runs_in_.resize(n);
  for (size_t i = 0; i < n; ++i) runs_in_[i] = int(i);
  std::vector<int> folded_bn(n, -1);
  std::vector<Act> fused_act(n, Act::none);

  // Fusion: a BatchNorm or activation whose producer has no other consumer runs inside it.
  for (size_t i = 1; i < n; ++i) {
    const Node& node = graph.nodes[i];
    FusionRole role = node.layer->fusion_role();
    if (role == FusionRole::none || !options.fuse) continue;
    int p = node.inputs[0];
    if (p == 0 || consumers[p].size() != 1) continue;
    int target = runs_in_[p];
    const Layer& t = *graph.nodes[target].layer;
    if (role == FusionRole::batchnorm && target == p && t.accepts_bn() && folded_bn[target] < 0 &&
        fused_act[target] == Act::none) {
      folded_bn[target] = int(i);
      runs_in_[i] = target;
    } else if (role == FusionRole::activation && t.accepts_act() && fused_act[target] == Act::none) {
      fused_act[target] = node.layer->activation();
      runs_in_[i] = target;
    }
  }

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

  // Buffers: the last step reading each value frees its buffer for later steps.
  std::vector<int> last_use(n, -1);
  for (size_t s = 0; s < pending.size(); ++s)
    for (int in : graph.nodes[pending[s].first].inputs) last_use[runs_in_[in]] = int(s);
  last_use[runs_in_[n - 1]] = int(pending.size());  // the output stays
  std::vector<int64_t> capacity;
  std::vector<bool> busy;
  std::vector<int> buffer_of(n, -1);
  int64_t scratch = 0;
  for (size_t s = 0; s < pending.size(); ++s) {
    const Node& head = graph.nodes[pending[s].first];
    Step step;
    step.node = pending[s].last;
    for (int in : head.inputs) step.input_buffers.push_back(in == 0 ? -1 : buffer_of[runs_in_[in]]);
    int64_t need = graph.nodes[step.node].out.elements();
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
    buffer_of[step.node] = pick;
    step.output_buffer = pick;
    // Inputs whose last reader is this step are free once it has run.
    for (int in : head.inputs) {
      int src = runs_in_[in];
      if (src != 0 && last_use[src] == int(s)) busy[buffer_of[src]] = false;
    }
    step.op = std::move(pending[s].op);
    scratch = std::max(scratch, step.op->scratch_floats());
    steps_.push_back(std::move(step));
  }
  for (int64_t c : capacity) buffers_.emplace_back(size_t(c), 0.0f);
  scratch_.assign(size_t(scratch), 0.0f);
  output_buffer_ = buffer_of[runs_in_[n - 1]];
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

}  // namespace mnet
