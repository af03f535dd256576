// format_conv_comparison: the worked example of the MobileNet paper's Section 3.1, for any sizes.
#include "report/explain_report.h"

#include <nlohmann/json.hpp>

namespace mnet {

namespace {

std::string n(int v) { return std::to_string(v); }

// "1/8.41": a ratio below 1 as one over a number, the way the paper speaks of it.
std::string one_over(double r) { return r > 0 ? "1/" + fixed(1 / r, 2) : "-"; }

}  // namespace

std::string format_conv_comparison(const ConvComparison& c, Format format, const ReportContext& context) {
  const int64_t sep = c.separable_madds();
  const double formula = 1.0 / c.out_channels + 1.0 / (double(c.kernel) * c.kernel);
  if (format == Format::json) {
    auto count = [](const LayerCount& l) { return nlohmann::json{{"madds", l.madds}, {"params", l.params}}; };
    nlohmann::json j = {{"in_channels", c.in_channels},
                        {"out_channels", c.out_channels},
                        {"kernel", c.kernel},
                        {"size", c.size},
                        {"standard", count(c.standard)},
                        {"depthwise", count(c.depthwise)},
                        {"pointwise", count(c.pointwise)},
                        {"separable", {{"madds", sep}, {"params", c.separable_params()}}},
                        {"ratio", c.ratio()},
                        {"one_over_n_plus_one_over_k_squared", formula}};
    return json_text(report_json(context, "explain", j));
  }
  if (format == Format::csv) {
    Table t;
    t.header = {"part", "madds", "params", "in_channels", "out_channels", "kernel", "size"};
    auto row = [&](const std::string& part, int64_t madds, int64_t params) {
      t.add_row({part, std::to_string(madds), std::to_string(params), n(c.in_channels), n(c.out_channels), n(c.kernel), n(c.size)});
    };
    row("standard", c.standard.madds, c.standard.params);
    row("depthwise", c.depthwise.madds, c.depthwise.params);
    row("pointwise", c.pointwise.madds, c.pointwise.params);
    row("separable", sep, c.separable_params());
    t.right_aligned.resize(t.header.size(), false);
    return t.render(format);
  }
  const std::string k = n(c.kernel), m = n(c.in_channels), o = n(c.out_channels), f = n(c.size);
  const std::string dk = k + "·" + k, df = f + "·" + f;
  std::string t;
  t += "A " + k + "×" + k + " convolution from M = " + m + " to N = " + o + " channels on a " + f + "×" + f +
       " map (Dk = " + k + ", Df = " + f + "; stride 1, same padding), counted as the MobileNet paper does:\n\n";
  t += "standard convolution      Dk·Dk·M·N·Df·Df = " + dk + "·" + m + "·" + o + "·" + df + "\n";
  t += "                          = " + with_commas(c.standard.madds) + " multiply-adds, " + with_commas(c.standard.params) +
       " params\n";
  t += "depthwise separable       Dk·Dk·M·Df·Df + M·N·Df·Df = " + dk + "·" + m + "·" + df + " + " + m + "·" + o + "·" + df + "\n";
  t += "                          = " + with_commas(c.depthwise.madds) + " + " + with_commas(c.pointwise.madds) + " = " +
       with_commas(sep) + " multiply-adds, " + with_commas(c.separable_params()) + " params\n";
  t += "ratio                     " + with_commas(sep) + " / " + with_commas(c.standard.madds) + " = " + fixed(c.ratio(), 4) +
       " (" + one_over(c.ratio()) + ")\n";
  t += "                          = 1/N + 1/Dk² = 1/" + o + " + 1/" + n(c.kernel * c.kernel) + " = " + fixed(formula, 4) + "\n";
  return format == Format::md ? "```\n" + t + "```\n" : t;
}

}  // namespace mnet
