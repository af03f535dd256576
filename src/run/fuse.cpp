// The fusion pass (run/fuse.h): decides which BatchNorms and activations run inside their producer.
#include "run/fuse.h"

namespace mnet {

Plan fuse(const Graph& graph, bool enabled) {
  const size_t n = graph.nodes.size();
  const std::vector<std::vector<int>> consumers = graph.consumers();
  Plan plan;
  const std::vector<int> outputs = graph.output_nodes();
  plan.output = outputs.front();
  plan.more_outputs.assign(outputs.begin() + 1, outputs.end());
  // An output's value must survive: nothing after it may run inside its step.
  std::vector<bool> is_output(n, false);
  for (int o : outputs) is_output[o] = true;
  plan.runs_in.resize(n);
  for (size_t i = 0; i < n; ++i) plan.runs_in[i] = int(i);
  std::vector<int> folded_bn(n, -1);
  std::vector<Act> fused_act(n, Act::none);
  for (size_t i = 1; i < n && enabled; ++i) {
    const Node& node = graph.nodes[i];
    const FusionRole role = node.layer->fusion_role();
    if (role == FusionRole::none) continue;
    const int p = node.inputs[0];
    if (p == 0 || consumers[p].size() != 1 || is_output[p]) continue;
    const int target = plan.runs_in[p];
    const Layer& t = *graph.nodes[target].layer;
    // A BatchNorm moves into weights only where nothing non-linear comes between them: not after
    // a fused activation, nor after a layer's own (such a layer accepts no further activation).
    if (role == FusionRole::batchnorm && target == p && t.accepts_bn() && t.accepts_act() &&
        folded_bn[target] < 0 && fused_act[target] == Act::none) {
      folded_bn[target] = int(i);
      plan.runs_in[i] = target;
    } else if (role == FusionRole::activation && t.accepts_act() && fused_act[target] == Act::none) {
      fused_act[target] = node.layer->activation();
      plan.runs_in[i] = target;
    }
  }
  for (size_t i = 1; i < n; ++i) {
    if (plan.runs_in[i] != int(i)) continue;
    const Node& node = graph.nodes[i];
    PlanStep step;
    step.first = step.last = int(i);
    step.inputs = node.inputs;
    step.in = node.in_shapes.empty() ? node.out : node.in_shapes[0];
    step.out = node.out;
    step.folded_bn = folded_bn[i];
    step.fused_act = fused_act[i];
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

}  // namespace mnet
