// Axes, ticks and category colours for the drawn reports.
#include "report/chart.h"

#include <algorithm>
#include <cmath>

namespace mnet {

double Axis::map(double v) const {
  double a = lo, b = hi, t = v;
  if (log) {
    a = std::log10(lo);
    b = std::log10(hi);
    t = v > 0 ? std::log10(v) : a;
  }
  if (!std::isfinite(t)) t = a;
  const double f = b > a ? std::clamp((t - a) / (b - a), 0.0, 1.0) : 0.0;
  return px_lo + f * (px_hi - px_lo);
}

std::vector<double> Axis::ticks() const {
  std::vector<double> out;
  if (log) {
    const int first = int(std::floor(std::log10(lo))), last = int(std::ceil(std::log10(hi)));
    // 1-2-5 steps while they stay readable (up to 3 decades), decades only past that.
    const bool dense = last - first <= 3;
    for (int e = first; e <= last; ++e)
      for (double m : {1.0, 2.0, 5.0}) {
        if (!dense && m != 1.0) continue;
        const double v = m * std::pow(10.0, e);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push_back(v);
      }
    return out;
  }
  const double span = hi - lo;
  if (!(span > 0)) return {lo};
  const double raw = span / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

Axis linear_axis(double lo, double hi, double px_lo, double px_hi) {
  if (!(hi > lo)) hi = lo + 1;
  Axis a{lo, hi, px_lo, px_hi, false};
  const std::vector<double> t = a.ticks();
  // End on a tick, so that the top of the axis is labelled.
  if (t.size() >= 2 && t.back() < hi) a.hi = t.back() + (t[1] - t[0]);
  return a;
}

Axis log_axis(double lo, double hi, double px_lo, double px_hi) {
  if (!(lo > 0)) lo = hi > 0 ? hi / 10 : 1;
  if (!(hi > lo)) hi = lo * 10;
  return Axis{std::pow(10.0, std::floor(std::log10(lo))), std::pow(10.0, std::ceil(std::log10(hi))), px_lo, px_hi, true};
}

std::string tick_label(double v) {
  const double a = std::abs(v);
  if (a >= 1e9) return svg_number(v / 1e9, 2) + "G";
  if (a >= 1e6) return svg_number(v / 1e6, 2) + "M";
  if (a >= 1e4) return svg_number(v / 1e3, 2) + "k";
  return svg_number(v, a >= 1 || a == 0 ? 2 : 4);
}

void draw_axes(Svg& svg, const Axis& x, const Axis& y, const std::string& x_label, const std::string& y_label) {
  const double left = std::min(x.px_lo, x.px_hi), right = std::max(x.px_lo, x.px_hi);
  const double top = std::min(y.px_lo, y.px_hi), bottom = std::max(y.px_lo, y.px_hi);
  svg.open_group({{"class", "axes"}});
  for (double v : x.ticks()) {
    const double px = x.map(v);
    svg.line(px, top, px, bottom, "#e4e4e4");
    svg.line(px, bottom, px, bottom + 4, "#333");
    svg.text(px, bottom + 16, tick_label(v), "middle", 11);
  }
  for (double v : y.ticks()) {
    const double py = y.map(v);
    svg.line(left, py, right, py, "#e4e4e4");
    svg.line(left - 4, py, left, py, "#333");
    svg.text(left - 6, py + 4, tick_label(v), "end", 11);
  }
  svg.line(left, bottom, right, bottom, "#333");
  svg.line(left, top, left, bottom, "#333");
  svg.text((left + right) / 2, bottom + 34, x_label, "middle", 12);
  svg.text(left - 46, (top + bottom) / 2, y_label, "middle", 12, {}, -90);
  svg.close_group();
}

std::string category_colour(const std::string& c) {
  if (c == "conv1x1") return "#0072B2";
  if (c == "dw3x3") return "#E69F00";
  if (c == "dw5x5") return "#D55E00";
  if (c == "conv3x3") return "#009E73";
  if (c == "fc") return "#CC79A7";
  if (c == "se_fc") return "#56B4E9";
  if (c.rfind("conv", 0) == 0) return "#000000";
  if (c.rfind("dw", 0) == 0) return "#F0E442";
  return "#999999";
}

}  // namespace mnet
