// What `mnet explain conv` prints: the paper's worked example, formulas with the numbers put in.
#pragma once
#include <string>

#include "cost/explain.h"
#include "report/envelope.h"
#include "report/table.h"

namespace mnet {

// Table: the standard and depthwise separable counts, each as its formula, the formula with the
// sizes put in, and the total; then the ratio and 1/N + 1/Dk². JSON: the same figures.
// Table and Markdown: the worked example as text; CSV: one row per part (standard, depthwise,
// pointwise, separable); JSON in the report envelope (kind "explain").
std::string format_conv_comparison(const ConvComparison& c, Format format, const ReportContext& context);

}  // namespace mnet
