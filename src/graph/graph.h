// The layer graph: nodes with inferred shapes, in topological order, and the input's preprocessing.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/shape.h"
#include "graph/layer.h"
#include "io/preprocess.h"

namespace mnet {

// Limits checked before anything is allocated from a description.
constexpr int kMaxNodes = 10000;
constexpr int64_t kMaxActivationElements = int64_t(1) << 28;  // one activation tensor, 1 GiB of float

struct Node {
  std::string name;
  std::unique_ptr<Layer> layer;  // null for the graph input (node 0)
  std::vector<int> inputs;       // node indices, all smaller than this node's
  std::vector<Shape> in_shapes;
  Shape out;
  std::string origin;            // where it came from, e.g. "/layers/7"
};

class Graph {
 public:
  std::string name;
  std::string source;  // the file it was read from
  double width = 1.0;
  int resolution = 224;
  Preprocess preprocess;
  std::string labels;   // labels file, resolved against the config's folder; may be empty
  std::string weights;  // weights file the config names, resolved likewise; may be empty
  std::vector<Node> nodes;
  // The nodes whose values a run returns, in order (a detector's box and class tensors); empty:
  // the last node alone. Set through set_outputs, which checks them.
  std::vector<int> outputs;

  // Adds the input node; must be first.
  void set_input(const Shape& shape);
  // Appends a node after inferring its shape; throws LayerError with the rule that failed, among
  // them a node or weight name already taken (weights are looked up by name when loading).
  int add(std::string name, std::unique_ptr<Layer> layer, std::vector<int> inputs, std::string origin);
  int find(const std::string& name) const;  // -1 if absent; one hash lookup
  const Node& input() const { return nodes.front(); }
  // The first (or only) output.
  const Node& output() const { return nodes[output_nodes().front()]; }
  // Every output node, in order: `outputs`, or the last node.
  std::vector<int> output_nodes() const;
  bool is_output(int node) const;
  // Makes the named layers the graph's outputs; throws LayerError naming a missing layer, the
  // input, or a name given twice.
  void set_outputs(const std::vector<std::string>& names);
  std::vector<std::vector<int>> consumers() const;
  // Declared weights of a node with full names ("<node>.<suffix>").
  std::vector<WeightDecl> weights_of(int node) const;

 private:
  // Indexes kept by set_input and add, so that building n nodes stays linear in n.
  std::unordered_map<std::string, int> node_by_name_;
  std::unordered_map<std::string, int> weight_owner_;  // full weight name → node declaring it
};

}  // namespace mnet
