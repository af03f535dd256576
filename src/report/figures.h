// The papers' figures as SVG, and what their commands print: MobileNetV2's Figure 1 (the ReLU
// manifold) and V3's hard activations. The maths is in cost/manifold.h.
#pragma once
#include <string>
#include <vector>

#include "cost/manifold.h"
#include "report/envelope.h"
#include "report/table.h"

namespace mnet {

// One panel for the input spiral, then one per n with its error; a standalone SVG file.
std::string manifold_svg(const ManifoldFigure& figure);
// The error per panel (n, points, error), as a table, CSV, Markdown or JSON (in the report envelope,
// kind "manifold": {"points", "seed", "panels": [{"dims", "error"}]}).
std::string format_manifold(const ManifoldFigure& figure, Format format, const ReportContext& context);

// Three panels: ReLU6 with ReLU, sigmoid with h-sigmoid, swish with h-swish; a standalone SVG file.
std::string activations_svg(const std::vector<ActivationPanel>& panels);
// The largest difference of each hard activation from the smooth one it replaces (JSON: kind
// "activations", {"pairs": [{"smooth", "hard", "max_difference", "at_x"}]}).
std::string format_activations(const std::vector<ActivationPanel>& panels, Format format, const ReportContext& context);

// An SVG figure as a self-contained HTML page, for -o FILE.html.
std::string figure_html(const std::string& title, const std::string& svg, const std::string& caption);

}  // namespace mnet
