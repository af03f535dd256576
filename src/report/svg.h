// mnet's own small SVG writer: the handful of primitives the reports draw with (rect, line,
// polyline, circle, text, group, title), attributes and text escaped, numbers written short.
// Chosen over a library: Debian has no header-only C++ SVG writer that is kept up, and the
// figures need nothing beyond these.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace mnet {

// Text as XML character data or an attribute value: <>&"' escaped, control characters (which XML
// 1.0 forbids) and bytes that are not valid UTF-8 replaced by U+FFFD, so that a layer name of any
// bytes gives a well-formed file.
std::string xml_escape(const std::string& text);

// A number as SVG coordinates are written: at most `decimals` decimals, no trailing zeros, never
// "-0", and 0 for NaN or infinity (which SVG cannot draw).
std::string svg_number(double v, int decimals = 2);

// Extra attributes of one element: name and value (escaped when written), e.g. {"class", "bar"}.
using SvgAttrs = std::vector<std::pair<std::string, std::string>>;

// Builds one <svg> element. Every call appends; groups nest with open_group/close_group.
class Svg {
 public:
  Svg(double width, double height);

  void rect(double x, double y, double w, double h, const std::string& fill, const SvgAttrs& attrs = {},
            const std::string& title = "");
  void line(double x1, double y1, double x2, double y2, const std::string& stroke, double stroke_width = 1,
            const SvgAttrs& attrs = {});
  void polyline(const std::vector<std::pair<double, double>>& points, const std::string& stroke,
                double stroke_width = 1, const SvgAttrs& attrs = {});
  void circle(double cx, double cy, double r, const std::string& fill, const SvgAttrs& attrs = {},
              const std::string& title = "");
  // anchor: "start", "middle" or "end"; `rotate`: degrees about (x, y).
  void text(double x, double y, const std::string& text, const std::string& anchor = "start", double size = 12,
            const SvgAttrs& attrs = {}, double rotate = 0);
  // A <g> with the attributes and, when `title` is set, a <title> (the browser's tooltip).
  void open_group(const SvgAttrs& attrs = {}, const std::string& title = "");
  void close_group();

  // The whole element; open groups are closed. `standalone`: with the XML declaration, as a .svg file.
  std::string str(bool standalone = false) const;

 private:
  void element(const std::string& name, const std::string& geometry, const SvgAttrs& attrs, const std::string& title);
  double width_, height_;
  std::string body_;
  int open_groups_ = 0;
};

}  // namespace mnet
