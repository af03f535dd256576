// Cost categories: the rows of the by-type breakdown (the V1 paper's Table 2), as an enum with
// one table of names (category.cpp) that cost analysis and every report use.
#pragma once
#include <string>

namespace mnet {

enum class CostKind { conv, depthwise, fc, se_fc, other };

// A layer's category; convolutions carry their kernel side: "conv1x1", "dw5x5", "conv7x7".
struct CostCategory {
  CostKind kind = CostKind::other;
  int kernel = 0;  // convolutions only

  std::string name() const;  // "conv1x1", "dw3x3", "fc", "se_fc", "other"
  bool operator==(const CostCategory& o) const { return kind == o.kind && kernel == o.kernel; }
  bool operator==(const std::string& category_name) const { return name() == category_name; }
};

// The by-type breakdown's order: conv1x1, dw3x3, dw5x5, dw7x7, conv3x3 as the V1 paper reads,
// then other depthwise, other convolutions, fc, se_fc, other; within one rank by name.
bool reads_before(const CostCategory& a, const CostCategory& b);

}  // namespace mnet
