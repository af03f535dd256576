// The SVG writer and the chart axes: escaping of any bytes, number formatting, elements, ticks.
#include <catch2/catch.hpp>
#include <set>

#include "report/chart.h"
#include "report/svg.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

namespace {

// Whether `text` is well-formed XML, as Python's parser (expat) reads it: "" or its complaint.
std::string xml_problem(const std::string& text) {
  TempDir dir;
  const std::string file = dir.write("doc.xml", text);
  CommandResult r = run_command("/usr/bin/python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' " +
                                shell_quote(file));
  return r.exit_code == 0 ? "" : r.err;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("xml_escape escapes markup and replaces control characters and invalid UTF-8", "[svg]") {
  CHECK(xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(xml_escape(std::string("x\x01y\x7F", 4)) == "x" + fffd + "y" + fffd);
  CHECK(xml_escape(std::string("nul\0!", 5)) == "nul" + fffd + "!");
  CHECK(xml_escape("tab\tnl\n") == "tab\tnl\n");  // allowed in XML
  CHECK(xml_escape("\xFF") == fffd);                // never a UTF-8 byte
  CHECK(xml_escape("\xC0\x80") == fffd + fffd);     // overlong NUL
  CHECK(xml_escape("\xED\xA0\x80") == fffd + fffd + fffd);  // a surrogate
  CHECK(xml_escape("\xE2\x82") == fffd + fffd);     // cut short
  CHECK(xml_escape("\xEF\xBF\xBE") == fffd + fffd + fffd);  // U+FFFE, not an XML character
  CHECK(xml_escape("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80");
}

TEST_CASE("svg_number writes short numbers, never -0, and 0 for what SVG cannot draw", "[svg]") {
  CHECK(svg_number(1.5) == "1.5");
  CHECK(svg_number(3) == "3");
  CHECK(svg_number(2.0004) == "2");
  CHECK(svg_number(-0.0001) == "0");
  CHECK(svg_number(-12.345, 1) == "-12.3");
  CHECK(svg_number(std::nan("")) == "0");
  CHECK(svg_number(1.0 / 0.0) == "0");
}

TEST_CASE("an SVG of every primitive with hostile text is well-formed XML", "[svg]") {
  Svg svg(200, 100);
  const std::string hostile = std::string("</svg><script>alert(1)</script>&\"'\x01\xFF");
  svg.open_group({{"class", "layer"}, {"data-tip", hostile}}, hostile);
  svg.rect(1, 2, 3, -4, "#123456", {{"class", "bar"}}, hostile);
  svg.line(0, 0, 10, 10, "#000", 2);
  svg.polyline({{0, 0}, {1, 2}, {3, 4}}, "red");
  svg.circle(5, 5, 2, "blue", {}, "a title");
  svg.text(10, 20, hostile, "middle", 12, {}, -90);
  // Left open: str() closes it.
  const std::string doc = svg.str(true);
  INFO(doc);
  CHECK(xml_problem(doc) == "");
  CHECK(doc.find("<script>") == std::string::npos);
  CHECK(count(doc, "<rect") == 1);
  CHECK(count(doc, "<title>") == 3);
  CHECK(count(doc, "<g") == 1);
  CHECK(count(doc, "</g>") == 1);
  CHECK(doc.find("height=\"0\"") != std::string::npos);  // a negative size is clamped, not dropped
  CHECK(doc.find("points=\"0,0 1,2 3,4\"") != std::string::npos);
  CHECK(doc.find("transform=\"rotate(-90 10 20)\"") != std::string::npos);
  CHECK(doc.rfind("<?xml", 0) == 0);
  CHECK(svg.str(false).rfind("<svg", 0) == 0);
}

TEST_CASE("axes: round ticks, log decades with 1-2-5 steps, values clamped to the range", "[svg]") {
  const Axis lin = linear_axis(0, 9.3, 0, 100);
  CHECK(lin.hi == Approx(10));  // up to the next round tick
  CHECK(lin.ticks() == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(lin.map(5) == Approx(50));
  CHECK(lin.map(-3) == Approx(0));
  CHECK(lin.map(1e9) == Approx(100));

  const Axis lg = log_axis(0.3, 40, 0, 300);
  CHECK(lg.lo == Approx(0.1));
  CHECK(lg.hi == Approx(100));
  CHECK(lg.map(1) == Approx(100));
  CHECK(lg.map(10) == Approx(200));
  CHECK(lg.map(0) == Approx(0));  // nothing at or below zero on a log axis
  const std::vector<double> t = lg.ticks();
  CHECK(t.front() == Approx(0.1));
  CHECK(t.back() == Approx(100));
  CHECK(std::count_if(t.begin(), t.end(), [](double v) { return std::abs(v - 2) < 1e-9 || std::abs(v - 50) < 1e-9; }) == 2);
  // Many decades: decades only.
  CHECK(log_axis(1e-3, 1e6, 0, 1).ticks().size() == 10);
  CHECK(tick_label(2e6) == "2M");
  CHECK(tick_label(1e9) == "1G");
  CHECK(tick_label(0.05) == "0.05");
}

TEST_CASE("category colours: the paper's rows apart, others grouped", "[svg]") {
  std::vector<std::string> names{"conv1x1", "dw3x3", "dw5x5", "conv3x3", "fc", "se_fc", "other"};
  std::set<std::string> colours;
  for (const auto& n : names) colours.insert(category_colour(n));
  CHECK(colours.size() == names.size());
  CHECK(category_colour("conv7x7") == category_colour("conv5x5"));
  CHECK(category_colour("dw7x7") != category_colour("conv7x7"));
}
