// The SVG writer: escaping, number formatting and the elements.
#include "report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace mnet {

namespace {

const char* const kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// The length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one (overlong forms,
// surrogates and code points past U+10FFFF included).
size_t utf8_sequence(const std::string& s, size_t i) {
  const auto byte = [&](size_t k) { return uint8_t(s[k]); };
  const uint8_t b = byte(i);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t cp = len == 1 ? b : len == 2 ? b & 0x1F : len == 3 ? b & 0x0F : b & 0x07;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static const uint32_t kMinOf[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinOf[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  // XML 1.0 forbids U+FFFE and U+FFFF too.
  if (cp == 0xFFFE || cp == 0xFFFF) return 0;
  return len;
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = uint8_t(text[i]);
    switch (c) {
      case '<': out += "&lt;"; ++i; continue;
      case '>': out += "&gt;"; ++i; continue;
      case '&': out += "&amp;"; ++i; continue;
      case '"': out += "&quot;"; ++i; continue;
      case '\'': out += "&#39;"; ++i; continue;
      default: break;
    }
    // Tab, newline and carriage return are allowed in XML; other control characters are not.
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      out += kReplacement;
      ++i;
      continue;
    }
    const size_t len = utf8_sequence(text, i);
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(text, i, len);
    i += len;
  }
  return out;
}

std::string svg_number(double v, int decimals) {
  if (!std::isfinite(v)) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

Svg::Svg(double width, double height) : width_(width), height_(height) {}

void Svg::element(const std::string& name, const std::string& geometry, const SvgAttrs& attrs,
                  const std::string& title) {
  body_ += "<" + name + geometry;
  for (const auto& [key, value] : attrs) body_ += " " + key + "=\"" + xml_escape(value) + "\"";
  if (title.empty()) {
    body_ += "/>\n";
  } else {
    body_ += "><title>" + xml_escape(title) + "</title></" + name + ">\n";
  }
}

void Svg::rect(double x, double y, double w, double h, const std::string& fill, const SvgAttrs& attrs,
               const std::string& title) {
  // A negative size is not drawn by SVG: clamp instead of losing the element.
  element("rect",
          " x=\"" + svg_number(x) + "\" y=\"" + svg_number(y) + "\" width=\"" + svg_number(std::max(w, 0.0)) +
              "\" height=\"" + svg_number(std::max(h, 0.0)) + "\" fill=\"" + xml_escape(fill) + "\"",
          attrs, title);
}

void Svg::line(double x1, double y1, double x2, double y2, const std::string& stroke, double stroke_width,
               const SvgAttrs& attrs) {
  element("line",
          " x1=\"" + svg_number(x1) + "\" y1=\"" + svg_number(y1) + "\" x2=\"" + svg_number(x2) + "\" y2=\"" +
              svg_number(y2) + "\" stroke=\"" + xml_escape(stroke) + "\" stroke-width=\"" + svg_number(stroke_width) + "\"",
          attrs, "");
}

void Svg::polyline(const std::vector<std::pair<double, double>>& points, const std::string& stroke,
                   double stroke_width, const SvgAttrs& attrs) {
  std::string p;
  for (const auto& [x, y] : points) p += (p.empty() ? "" : " ") + svg_number(x) + "," + svg_number(y);
  element("polyline",
          " points=\"" + p + "\" fill=\"none\" stroke=\"" + xml_escape(stroke) + "\" stroke-width=\"" +
              svg_number(stroke_width) + "\"",
          attrs, "");
}

void Svg::circle(double cx, double cy, double r, const std::string& fill, const SvgAttrs& attrs,
                 const std::string& title) {
  element("circle",
          " cx=\"" + svg_number(cx) + "\" cy=\"" + svg_number(cy) + "\" r=\"" + svg_number(r) + "\" fill=\"" +
              xml_escape(fill) + "\"",
          attrs, title);
}

void Svg::text(double x, double y, const std::string& text, const std::string& anchor, double size,
               const SvgAttrs& attrs, double rotate) {
  body_ += "<text x=\"" + svg_number(x) + "\" y=\"" + svg_number(y) + "\" font-size=\"" + svg_number(size) + "\"";
  if (anchor != "start") body_ += " text-anchor=\"" + xml_escape(anchor) + "\"";
  if (rotate != 0)
    body_ += " transform=\"rotate(" + svg_number(rotate) + " " + svg_number(x) + " " + svg_number(y) + ")\"";
  for (const auto& [key, value] : attrs) body_ += " " + key + "=\"" + xml_escape(value) + "\"";
  body_ += ">" + xml_escape(text) + "</text>\n";
}

void Svg::open_group(const SvgAttrs& attrs, const std::string& title) {
  body_ += "<g";
  for (const auto& [key, value] : attrs) body_ += " " + key + "=\"" + xml_escape(value) + "\"";
  body_ += ">";
  if (!title.empty()) body_ += "<title>" + xml_escape(title) + "</title>";
  body_ += "\n";
  ++open_groups_;
}

void Svg::close_group() {
  if (open_groups_ == 0) return;
  body_ += "</g>\n";
  --open_groups_;
}

std::string Svg::str(bool standalone) const {
  std::string s = standalone ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" : "";
  s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + svg_number(width_) + "\" height=\"" +
       svg_number(height_) + "\" viewBox=\"0 0 " + svg_number(width_) + " " + svg_number(height_) +
       "\" font-family=\"sans-serif\">\n" + body_;
  for (int i = 0; i < open_groups_; ++i) s += "</g>\n";
  return s + "</svg>\n";
}

}  // namespace mnet
