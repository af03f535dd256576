// Cost analysis: per-layer rows from each layer's own cost() and the by-type breakdown.
#include "cost/cost.h"

#include <algorithm>
#include <map>

#include "cost/cost_by_part.h"

namespace mnet {

namespace {

bool is_bias(const std::string& weight_name) {
  return weight_name.size() >= 4 && weight_name.compare(weight_name.size() - 4, 4, "bias") == 0;
}

double pct(int64_t part, int64_t total) { return total == 0 ? 0.0 : 100.0 * double(part) / double(total); }

}  // namespace

CostReport analyze_cost(const Graph& graph) {
  CostReport r;
  r.model = graph.name;
  r.input = graph.input().out;
  std::map<std::string, TypeCostRow> by_type;
  for (size_t i = 1; i < graph.nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    LayerCost c = n.layer->cost(n.in_shapes, n.out);
    LayerCostRow row;
    row.node = int(i);
    row.name = n.name;
    row.type = n.layer->type();
    row.summary = n.layer->summary();
    row.category = c.category;
    row.in = n.in_shapes;
    row.out = n.out;
    row.madds = c.madds;
    row.elementwise_ops = c.elementwise_ops;
    for (const WeightDecl& w : n.layer->weights(n.in_shapes, n.out)) {
      if (!w.counted) continue;
      row.params += w.elements();
      if (!is_bias(w.name)) row.weights += w.elements();
    }
    r.madds += row.madds;
    r.params += row.params;
    r.weights += row.weights;
    r.elementwise_ops += row.elementwise_ops;
    TypeCostRow& t = by_type[row.category.name()];
    t.category = row.category;
    t.layers += 1;
    t.madds += row.madds;
    t.params += row.params;
    t.weights += row.weights;
    r.layers.push_back(std::move(row));
  }
  for (auto& kv : by_type) {
    TypeCostRow t = kv.second;
    t.madds_pct = pct(t.madds, r.madds);
    t.params_pct = pct(t.params, r.params);
    t.weights_pct = pct(t.weights, r.weights);
    r.by_type.push_back(t);
  }
  std::stable_sort(r.by_type.begin(), r.by_type.end(),
                   [](const TypeCostRow& a, const TypeCostRow& b) { return reads_before(a.category, b.category); });
  for (LayerCostRow& row : r.layers) row.part = part_of(graph.nodes[size_t(row.node)]);
  r.by_part = cost_by_part(graph, r);
  return r;
}

int64_t compulsory_bytes(const LayerCostRow& row) {
  int64_t elements = row.out.elements() + row.params;
  for (const Shape& in : row.in) elements += in.elements();
  return elements * int64_t(sizeof(float));
}

}  // namespace mnet
