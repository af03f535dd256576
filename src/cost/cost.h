// The analytic cost of a graph (multiply-adds, params, element-wise ops) per layer and per type,
// as the papers count them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "graph/cost_category.h"
#include "graph/graph.h"

namespace mnet {

struct LayerCostRow {
  int node = 0;
  std::string name, type, summary;
  CostCategory category;
  std::vector<Shape> in;
  Shape out;
  int64_t madds = 0;
  int64_t params = 0;   // weights + biases, BatchNorm excluded (folded)
  int64_t weights = 0;  // params without biases: the V1 paper's Table 2 counts these
  int64_t elementwise_ops = 0;
  std::string part;     // "backbone" or "head" (cost_by_part.h)
};

// Bytes a layer must move at least, in float32: every input and its output once, and its params.
// The denominator of arithmetic intensity (FLOP/byte) in traces and rooflines.
int64_t compulsory_bytes(const LayerCostRow& row);

struct TypeCostRow {
  CostCategory category;
  int layers = 0;
  int64_t madds = 0, params = 0, weights = 0;
  double madds_pct = 0, params_pct = 0, weights_pct = 0;
};

// A part of a model: the backbone, or the head a detection or segmentation row adds (cost_by_part.h).
struct PartCostRow {
  std::string part;  // "backbone", "head"
  int layers = 0;
  int64_t madds = 0, params = 0, elementwise_ops = 0;
  double madds_pct = 0, params_pct = 0;
};

struct CostReport {
  std::string model;
  Shape input;
  std::vector<LayerCostRow> layers;  // every node but the input, in graph order
  std::vector<TypeCostRow> by_type;  // conv1x1, dw3x3, dw5x5, conv3x3, other convs, fc, se_fc, other
  std::vector<PartCostRow> by_part;  // backbone, then head where a config row added one
  int64_t madds = 0, params = 0, weights = 0, elementwise_ops = 0;
};

// The analytic cost of a graph: pure arithmetic on shapes, no weights, no buffers.
CostReport analyze_cost(const Graph& graph);

}  // namespace mnet
