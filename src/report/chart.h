// What the drawn reports share: axes (linear or logarithmic) with round ticks, drawing them in an
// Svg, and the colours of the cost categories.
#pragma once
#include <string>
#include <vector>

#include "report/svg.h"

namespace mnet {

// A value range mapped onto a pixel range; logarithmic axes need lo > 0.
struct Axis {
  double lo = 0, hi = 1;        // values
  double px_lo = 0, px_hi = 1;  // pixels (px_hi < px_lo for a y axis, which grows upwards)
  bool log = false;
  double map(double v) const;  // clamped to the range
  // Round values inside [lo, hi]: 1-2-5 steps on a linear axis, 1-2-5 × 10^k on a log one.
  std::vector<double> ticks() const;
};
// A linear axis from `lo` to a round value at or above `hi` (0 → 1).
Axis linear_axis(double lo, double hi, double px_lo, double px_hi);
// A log axis over the decades around [lo, hi] (both > 0; lo == hi widens to a decade).
Axis log_axis(double lo, double hi, double px_lo, double px_hi);

// A tick label: "0.5", "20", "1k", "2M", "1G".
std::string tick_label(double v);

// The frame of a plot: tick lines and labels on both axes, light grid lines, the axes' names.
void draw_axes(Svg& svg, const Axis& x, const Axis& y, const std::string& x_label, const std::string& y_label);

// A category's fill: Okabe–Ito colours, which stay apart for colour-blind readers and in grey print
// (conv1x1 blue, dw3x3 orange, dw5x5 vermillion, conv3x3 green, fc reddish purple, se_fc sky blue,
// other grey; other convolutions black, other depthwise yellow).
std::string category_colour(const std::string& category);

}  // namespace mnet
