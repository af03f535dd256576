// Cost per part (backbone, head) from the per-layer rows and where each node came from.
#include "cost/cost_by_part.h"

namespace mnet {

namespace {

const char* const kHeadRows[] = {"ssd_head", "aspp", "lraspp"};
const char* const kParts[] = {"backbone", "head"};

double pct(int64_t part, int64_t total) { return total == 0 ? 0.0 : 100.0 * double(part) / double(total); }

}  // namespace

bool is_head_row(const std::string& row_type) {
  for (const char* row : kHeadRows)
    if (row_type == row) return true;
  return false;
}

std::string part_of(const Node& node) {
  // layer_location's form: "/layers/7 (type 'name')" or "/layers/7 (type)".
  const size_t open = node.origin.find(" (");
  if (node.origin.compare(0, 8, "/layers/") != 0 || open == std::string::npos) return kParts[0];
  const size_t begin = open + 2;
  const size_t end = node.origin.find_first_of(" )", begin);
  return is_head_row(node.origin.substr(begin, end == std::string::npos ? end : end - begin)) ? kParts[1] : kParts[0];
}

std::vector<PartCostRow> cost_by_part(const Graph& graph, const CostReport& cost) {
  std::vector<PartCostRow> rows;
  for (const char* part : kParts) {
    PartCostRow row;
    row.part = part;
    for (const LayerCostRow& layer : cost.layers) {
      if (part_of(graph.nodes[size_t(layer.node)]) != part) continue;
      row.layers += 1;
      row.madds += layer.madds;
      row.params += layer.params;
      row.elementwise_ops += layer.elementwise_ops;
    }
    row.madds_pct = pct(row.madds, cost.madds);
    row.params_pct = pct(row.params, cost.params);
    if (row.layers > 0) rows.push_back(row);
  }
  return rows;
}

}  // namespace mnet
