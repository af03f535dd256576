// Building a graph node by node, with shape inference and unique node and weight names.
#include "graph/graph.h"

#include <algorithm>

#include "core/work_count.h"

namespace mnet {

void Graph::set_input(const Shape& shape) {
  nodes.clear();
  outputs.clear();
  node_by_name_.clear();
  weight_owner_.clear();
  node_by_name_["input"] = 0;
  Node n;
  n.name = "input";
  n.out = shape;
  n.origin = "/input";
  nodes.push_back(std::move(n));
}

int Graph::add(std::string node_name, std::unique_ptr<Layer> layer, std::vector<int> inputs,
               std::string origin) {
  if (int(nodes.size()) >= kMaxNodes)
    throw LayerError("too many layers (limit kMaxNodes = " + std::to_string(kMaxNodes) + ")");
  if (find(node_name) >= 0) throw LayerError("duplicate layer name '" + node_name + "'");
  const int arity = layer->arity();
  if (arity == Layer::kTwoOrMoreInputs ? inputs.size() < 2 : int(inputs.size()) != arity)
    throw LayerError("takes " + (arity == Layer::kTwoOrMoreInputs ? std::string("2 or more") : std::to_string(arity)) +
                     " input(s), got " + std::to_string(inputs.size()));
  Node n;
  for (int i : inputs) {
    count_work();
    if (i < 0 || i >= int(nodes.size())) throw LayerError("input refers to a missing layer");
    n.in_shapes.push_back(nodes[i].out);
  }
  n.out = layer->infer_shape(n.in_shapes);
  if (n.out.c <= 0 || n.out.h <= 0 || n.out.w <= 0)
    throw LayerError("output shape " + n.out.str() + " is empty");
  if (n.out.elements() > kMaxActivationElements)
    throw LayerError("output shape " + n.out.str() + " exceeds kMaxActivationElements = " +
                     std::to_string(kMaxActivationElements));
  // Weights are found by name, so two layers declaring the same one ("s.fc1.weight" of an SE layer
  // 's' and of a conv 's.fc1') would load into one buffer too small for one of them.
  const int index = int(nodes.size());
  std::vector<std::string> weight_names;
  for (const WeightDecl& d : layer->weights(n.in_shapes, n.out)) {
    count_work();
    std::string full = node_name + "." + d.name;
    auto owner = weight_owner_.find(full);
    if (owner != weight_owner_.end())
      throw LayerError("weight '" + full + "' of layer '" + node_name + "' is also a weight of layer '" +
                       nodes[owner->second].name + "' (weight names must be unique)");
    weight_names.push_back(std::move(full));
  }
  for (std::string& w : weight_names) weight_owner_.emplace(std::move(w), index);
  node_by_name_.emplace(node_name, index);
  n.name = std::move(node_name);
  n.layer = std::move(layer);
  n.inputs = std::move(inputs);
  n.origin = std::move(origin);
  nodes.push_back(std::move(n));
  return int(nodes.size()) - 1;
}

int Graph::find(const std::string& node_name) const {
  count_work();
  auto it = node_by_name_.find(node_name);
  return it == node_by_name_.end() ? -1 : it->second;
}

std::vector<int> Graph::output_nodes() const {
  if (!outputs.empty()) return outputs;
  return {int(nodes.size()) - 1};
}

bool Graph::is_output(int node) const {
  if (outputs.empty()) return node == int(nodes.size()) - 1;
  return std::find(outputs.begin(), outputs.end(), node) != outputs.end();
}

void Graph::set_outputs(const std::vector<std::string>& names) {
  std::vector<int> picked;
  std::vector<bool> taken(nodes.size(), false);
  for (const std::string& name : names) {
    count_work();
    const int node = find(name);
    if (node < 0) throw LayerError("output '" + cut_for_message(name) + "' is not a layer of the model");
    if (node == 0) throw LayerError("output 'input' is the graph's input, not a layer");
    if (taken[node]) throw LayerError("output '" + cut_for_message(name) + "' is named twice");
    taken[node] = true;
    picked.push_back(node);
  }
  outputs = std::move(picked);
}

std::vector<std::vector<int>> Graph::consumers() const {
  std::vector<std::vector<int>> out(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i)
    for (int j : nodes[i].inputs) out[j].push_back(int(i));
  return out;
}

std::vector<WeightDecl> Graph::weights_of(int node) const {
  const Node& n = nodes[node];
  if (!n.layer) return {};
  std::vector<WeightDecl> w = n.layer->weights(n.in_shapes, n.out);
  for (auto& d : w) d.name = n.name + "." + d.name;
  return w;
}

}  // namespace mnet
