#include "graph/graph.h"

namespace mnet {

void Graph::set_input(const Shape& shape) {
  nodes.clear();
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
  if (int(inputs.size()) != layer->arity())
    throw LayerError("takes " + std::to_string(layer->arity()) + " input(s), got " +
                     std::to_string(inputs.size()));
  Node n;
  for (int i : inputs) {
    if (i < 0 || i >= int(nodes.size())) throw LayerError("input refers to a missing layer");
    n.in_shapes.push_back(nodes[i].out);
  }
  n.out = layer->infer_shape(n.in_shapes);
  if (n.out.c <= 0 || n.out.h <= 0 || n.out.w <= 0)
    throw LayerError("output shape " + n.out.str() + " is empty");
  if (n.out.elements() > kMaxActivationElements)
    throw LayerError("output shape " + n.out.str() + " exceeds kMaxActivationElements = " +
                     std::to_string(kMaxActivationElements));
  n.name = std::move(node_name);
  n.layer = std::move(layer);
  n.inputs = std::move(inputs);
  n.origin = std::move(origin);
  nodes.push_back(std::move(n));
  return int(nodes.size()) - 1;
}

int Graph::find(const std::string& node_name) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == node_name) return int(i);
  return -1;
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
