// A model's cost split into its parts: the backbone and the head a detection or segmentation
// config adds (V2 Table 5 sets an SSD head against an SSDLite head on the same backbone).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cost/cost.h"
#include "graph/graph.h"

namespace mnet {

// The config rows whose layers are a head: ssd_head, aspp, lraspp.
bool is_head_row(const std::string& row_type);

// "head" for a node a head row expanded into, else "backbone". A node's origin names the config
// entry it came from ("/layers/20 (ssd_head 'head')"), so imported models (whose origins name
// TFLite operators) are all backbone.
std::string part_of(const Node& node);

// Per part, backbone first; a part without layers is left out (a classifier has one row).
std::vector<PartCostRow> cost_by_part(const Graph& graph, const CostReport& cost);

}  // namespace mnet
