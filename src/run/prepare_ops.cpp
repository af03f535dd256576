// The preparing pass (run/prepare_ops.h): folds BatchNorm into the weights and prepares each step's op.
#include "run/prepare_ops.h"

#include <cmath>

namespace mnet {

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

void prepare_ops(Plan& plan, const Graph& graph, const WeightMap& weights, int batch, size_t first_batched) {
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    PlanStep& step = plan.steps[s];
    const Node& node = graph.nodes[step.first];
    PrepareArgs args;
    args.in = node.in_shapes;
    args.out = node.out;
    for (const WeightDecl& w : node.layer->weights(node.in_shapes, node.out))
      args.weights[w.name] = weights.at(node.name + "." + w.name);
    if (step.folded_bn >= 0) {
      const Node& bn = graph.nodes[step.folded_bn];
      fold_batchnorm(args.weights, weights, bn.name, bn.layer->bn_epsilon());
    }
    args.fused_act = step.fused_act;
    args.batch = s >= first_batched ? batch : 1;
    step.op = node.layer->prepare(args);
  }
}

}  // namespace mnet
