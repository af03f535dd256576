// The names and the order of the cost categories.
#include "graph/cost_category.h"

#include <iterator>

namespace mnet {

namespace {

struct KindRow {
  CostKind kind;
  const char* name;  // a convolution's name goes on with its kernel, "dw" → "dw3x3"
  int rank;          // where the kind's categories stand after the paper's own rows
};
constexpr KindRow kKinds[] = {
    {CostKind::depthwise, "dw", 10}, {CostKind::conv, "conv", 11}, {CostKind::fc, "fc", 20},
    {CostKind::se_fc, "se_fc", 21},  {CostKind::other, "other", 30},
};

// The rows of the V1 paper's Table 2, in its order, ahead of every kind's rank.
constexpr CostCategory kPaperOrder[] = {
    {CostKind::conv, 1}, {CostKind::depthwise, 3}, {CostKind::depthwise, 5}, {CostKind::depthwise, 7}, {CostKind::conv, 3},
};

const KindRow& row_of(CostKind kind) {
  for (const KindRow& r : kKinds)
    if (r.kind == kind) return r;
  return kKinds[std::size(kKinds) - 1];
}

int rank(const CostCategory& c) {
  for (int i = 0; i < int(std::size(kPaperOrder)); ++i)
    if (c == kPaperOrder[i]) return i;
  return row_of(c.kind).rank;
}

bool is_convolution(CostKind kind) { return kind == CostKind::conv || kind == CostKind::depthwise; }

}  // namespace

std::string CostCategory::name() const {
  std::string n = row_of(kind).name;
  if (is_convolution(kind)) n += std::to_string(kernel) + "x" + std::to_string(kernel);
  return n;
}

bool reads_before(const CostCategory& a, const CostCategory& b) {
  int ra = rank(a), rb = rank(b);
  return ra != rb ? ra < rb : a.name() < b.name();
}

}  // namespace mnet
