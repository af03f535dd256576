#include "cost/cost.h"

#include <algorithm>
#include <map>

namespace mnet {

namespace {

bool is_bias(const std::string& weight_name) {
  return weight_name.size() >= 4 && weight_name.compare(weight_name.size() - 4, 4, "bias") == 0;
}

// The order the V1 paper's Table 2 reads in, then everything else.
int category_rank(const std::string& c) {
  static const char* const kOrder[] = {"conv1x1", "dw3x3", "dw5x5", "dw7x7", "conv3x3"};
  for (int i = 0; i < int(std::size(kOrder)); ++i)
    if (c == kOrder[i]) return i;
  if (c.rfind("dw", 0) == 0) return 10;
  if (c.rfind("conv", 0) == 0) return 11;
  if (c == "fc") return 20;
  if (c == "se_fc") return 21;
  return 30;
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
    TypeCostRow& t = by_type[row.category];
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
  std::stable_sort(r.by_type.begin(), r.by_type.end(), [](const TypeCostRow& a, const TypeCostRow& b) {
    int ra = category_rank(a.category), rb = category_rank(b.category);
    return ra != rb ? ra < rb : a.category < b.category;
  });
  return r;
}

}  // namespace mnet
