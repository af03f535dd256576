// Drawing the ReLU-manifold and activation figures, and their printed figures.
#include "report/figures.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "report/chart.h"
#include "report/svg.h"

namespace mnet {

namespace {

constexpr double kPanel = 220;  // a manifold panel's plot side, pixels
constexpr double kGap = 30;

// Sequential colours (cividis-like: dark blue to yellow, readable for colour-blind readers) for
// the spiral's position, so that folds and collapses show where along it they happen.
constexpr const char* kAlong[] = {"#00204c", "#213d6b", "#555b6c", "#7b7a77", "#a59c74", "#d3c064", "#fee838"};

void draw_points(Svg& svg, const std::vector<Point2>& p, const Axis& x, const Axis& y) {
  const size_t bands = std::size(kAlong);
  for (size_t b = 0; b < bands; ++b) {
    const size_t from = p.size() * b / bands, to = std::min(p.size(), p.size() * (b + 1) / bands + 1);
    std::vector<std::pair<double, double>> line;
    for (size_t i = from; i < to; ++i) line.push_back({x.map(p[i][0]), y.map(p[i][1])});
    if (line.size() >= 2) svg.polyline(line, kAlong[b], 2, {{"class", "spiral"}});
  }
}

double extent(const std::vector<Point2>& p) {
  double m = 0;
  for (const Point2& q : p) m = std::max({m, std::abs(q[0]), std::abs(q[1])});
  return m > 0 ? m * 1.05 : 1;
}

}  // namespace

std::string manifold_svg(const ManifoldFigure& f) {
  const size_t n_panels = f.panels.size() + 1;
  const double width = kGap + double(n_panels) * (kPanel + kGap), height = kPanel + 90;
  Svg svg(width, height);
  svg.rect(0, 0, width, height, "#ffffff");
  for (size_t i = 0; i < n_panels; ++i) {
    const bool input = i == 0;
    const std::vector<Point2>& pts = input ? f.input : f.panels[i - 1].points;
    const double left = kGap + double(i) * (kPanel + kGap), top = 40;
    // Each panel on its own symmetric scale: a reconstruction that shrank is about shape, not size.
    const double e = extent(pts);
    const Axis x{-e, e, left, left + kPanel, false}, y{-e, e, top + kPanel, top, false};
    svg.open_group({{"class", "panel"}, {"data-dims", input ? "input" : std::to_string(f.panels[i - 1].dims)}});
    svg.rect(left, top, kPanel, kPanel, "#fafafa", {{"stroke", "#999"}});
    svg.line(left, y.map(0), left + kPanel, y.map(0), "#ddd");
    svg.line(x.map(0), top, x.map(0), top + kPanel, "#ddd");
    draw_points(svg, pts, x, y);
    svg.text(left + kPanel / 2, top - 12, input ? "Input (2-D spiral)" : "n = " + std::to_string(f.panels[i - 1].dims),
             "middle", 14, {{"font-weight", "bold"}});
    if (!input)
      svg.text(left + kPanel / 2, top + kPanel + 20,
               "error " + svg_number(f.panels[i - 1].error, 3), "middle", 12, {{"class", "error"}});
    svg.close_group();
  }
  svg.text(kGap, height - 14,
           "T⁺·ReLU(T·x) for a random n×2 matrix T (seed " + std::to_string(f.seed) + ", " +
               std::to_string(f.input.size()) + " points); colour runs along the spiral; error: RMS distance "
               "after the best scale, over the spiral's RMS radius",
           "start", 11);
  return svg.str(true);
}

std::string format_manifold(const ManifoldFigure& f, Format format, const ReportContext& context) {
  if (format == Format::json) {
    nlohmann::json j = {{"points", f.input.size()}, {"seed", f.seed}, {"panels", nlohmann::json::array()}};
    for (const auto& p : f.panels) j["panels"].push_back({{"dims", p.dims}, {"error", p.error}});
    return json_text(report_json(context, "manifold", j));
  }
  Table t;
  t.header = {"n", "points", "reconstruction error"};
  t.right_aligned = {true, true, true};
  for (const auto& p : f.panels) t.add_row({std::to_string(p.dims), std::to_string(f.input.size()), fixed(p.error, 4)});
  if (format != Format::table) return t.render(format);
  return "ReLU(T·x) of a 2-D spiral through a random n×2 T, mapped back with T's pseudo-inverse (seed " +
         std::to_string(f.seed) + ")\nerror: RMS distance after the best scale, over the spiral's RMS radius (0: "
         "the spiral kept, 1: nothing of it)\n\n" + t.render(format);
}

std::string activations_svg(const std::vector<ActivationPanel>& panels) {
  const double pw = 280, ph = 200, left0 = 60, top = 40, gap = 70;
  const double width = left0 + double(panels.size()) * (pw + gap), height = top + ph + 80;
  Svg svg(width, height);
  svg.rect(0, 0, width, height, "#ffffff");
  const char* colours[] = {"#0072B2", "#D55E00"};
  const char* dashes[] = {"", "6 4"};
  for (size_t i = 0; i < panels.size(); ++i) {
    const ActivationPanel& p = panels[i];
    double lo = 0, hi = 0, xlo = 0, xhi = 0;
    for (const auto& c : p.curves)
      for (const Point2& q : c.points) {
        lo = std::min(lo, q[1]), hi = std::max(hi, q[1]);
        xlo = std::min(xlo, q[0]), xhi = std::max(xhi, q[0]);
      }
    const double left = left0 + double(i) * (pw + gap);
    const Axis x = linear_axis(xlo, xhi, left, left + pw);
    Axis y = linear_axis(std::floor(lo), hi, top + ph, top);
    svg.open_group({{"class", "panel"}});
    draw_axes(svg, x, y, "x", "f(x)");
    for (size_t k = 0; k < p.curves.size() && k < 2; ++k) {
      std::vector<std::pair<double, double>> line;
      for (const Point2& q : p.curves[k].points) line.push_back({x.map(q[0]), y.map(q[1])});
      SvgAttrs a{{"class", "curve"}};
      if (*dashes[k]) a.push_back({"stroke-dasharray", dashes[k]});
      svg.polyline(line, colours[k], 2.5, a);
      svg.line(left + 10, top + 12 + 16 * double(k), left + 34, top + 12 + 16 * double(k), colours[k], 2.5, a);
      svg.text(left + 40, top + 16 + 16 * double(k), p.curves[k].name, "start", 12);
    }
    svg.text(left + pw / 2, top - 14, p.title, "middle", 14, {{"font-weight", "bold"}});
    if (p.max_difference > 0)
      svg.text(left + pw / 2, top + ph + 58, "max difference " + svg_number(p.max_difference, 4) + " at x = " +
                                                 svg_number(p.at_x, 2), "middle", 12);
    svg.close_group();
  }
  return svg.str(true);
}

std::string format_activations(const std::vector<ActivationPanel>& panels, Format format, const ReportContext& context) {
  std::vector<const ActivationPanel*> pairs;
  for (const auto& p : panels)
    if (p.max_difference > 0) pairs.push_back(&p);
  if (format == Format::json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto* p : pairs)
      j.push_back({{"smooth", p->curves[0].name}, {"hard", p->curves[1].name}, {"max_difference", p->max_difference},
                   {"at_x", p->at_x}});
    return json_text(report_json(context, "activations", nlohmann::json{{"pairs", j}}));
  }
  Table t;
  t.header = {"smooth", "hard", "max difference", "at x"};
  t.right_aligned = {false, false, true, true};
  for (const auto* p : pairs)
    t.add_row({p->curves[0].name, p->curves[1].name, fixed(p->max_difference, 4), fixed(p->at_x, 2)});
  return t.render(format);
}

std::string figure_html(const std::string& title, const std::string& svg, const std::string& caption) {
  // The SVG inline, without its XML declaration (not allowed inside HTML).
  std::string inline_svg = svg;
  if (inline_svg.rfind("<?xml", 0) == 0) inline_svg.erase(0, inline_svg.find('\n') + 1);
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>" + xml_escape(title) +
         "</title>\n<style>body{font-family:sans-serif;margin:20px;color:#222}svg{max-width:100%;height:auto}</style>"
         "</head>\n<body><h1>" + xml_escape(title) + "</h1>\n" + inline_svg + "<p>" + xml_escape(caption) +
         "</p>\n</body></html>\n";
}

}  // namespace mnet
