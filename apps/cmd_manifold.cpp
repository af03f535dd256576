// mnet manifold and mnet activations: two of the papers' figures computed and drawn. manifold is
// MobileNetV2's Figure 1 (a spiral through ReLU in n dimensions and back); activations is V3's
// hard sigmoid and swish beside the smooth ones. The figure goes to -o (SVG, or HTML by the name),
// the figures it shows to stdout.
#include "common.h"
#include "cost/manifold.h"
#include "graph/attrs.h"  // format_number
#include "io/atomic_file.h"
#include "report/figures.h"

namespace mnet::app {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// -o FILE: where the figure goes; its name says SVG or HTML.
void add_figure_output(CLI::App& app, std::string& path, const std::string& example) {
  app.add_option("-o,--output", path, "Write the figure to FILE (atomically): SVG, or an HTML page when FILE ends in .html")
      ->required()
      ->check(CLI::Validator(
          [](std::string& v) {
            return ends_with(v, ".svg") || ends_with(v, ".html") ? std::string()
                                                                  : "the figure is SVG or HTML: name it FILE.svg or FILE.html, got '" + v + "'";
          },
          "FILE.svg|FILE.html"))
      ->type_name(example);
}

// --format for what goes to stdout (the figure's numbers); -o is the figure, so OutputOptions's own
// -o (the same bytes to a file) does not apply.
void add_stdout_format(CLI::App& app, OutputOptions& out) {
  app.add_option("--format", out.format, "Format of the numbers on stdout: table|json|csv|md")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "json", "csv", "md"}));
}

void write_figure(const std::string& path, const std::string& title, const std::string& svg, const std::string& caption) {
  write_file_atomic(path, ends_with(path, ".html") ? figure_html(title, svg, caption) : svg);
}

}  // namespace

Command make_manifold_command(CLI::App& root) {
  auto dims = std::make_shared<std::vector<int>>(std::vector<int>{2, 3, 5, 15, 30});
  auto points = std::make_shared<int>(1000);
  auto seed = std::make_shared<uint64_t>(1);
  auto figure = std::make_shared<std::string>();
  auto out = std::make_shared<OutputOptions>();
  CLI::App* app = root.add_subcommand(
      "manifold",
      "MobileNetV2's Figure 1: a 2-D spiral embedded in n dimensions by a random n×2 matrix T, passed through ReLU and\n"
      "mapped back with T's pseudo-inverse, one panel per n; the reconstruction error per panel on stdout.\n"
      "  example: mnet manifold --dims 2,3,5,15,30 -o relu_manifold.svg");
  const std::string dims_rule = "[" + std::to_string(kMinManifoldDims) + ", " + std::to_string(kMaxManifoldDims) + "]";
  app->add_option("--dims", *dims, "Embedding dimensions n, comma-separated, one panel each (at most " +
                                       std::to_string(kMaxManifoldPanels) + ")")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Validator(
          [dims_rule](std::string& v) {
            int n = 0;
            const bool number = CLI::detail::lexical_cast(v, n);
            if (number && n >= kMinManifoldDims && n <= kMaxManifoldDims) return std::string();
            return "each n must be an integer in " + dims_rule +
                   " (kMinManifoldDims: T's pseudo-inverse needs T of rank 2; kMaxManifoldDims), got '" + v + "'";
          },
          "N"));
  app->add_option("--points", *points, "Points on the spiral")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& v) {
            long long n = 0;
            if (CLI::detail::lexical_cast(v, n) && n >= kMinManifoldPoints && n <= kMaxManifoldPoints) return std::string();
            return "must be an integer in [" + std::to_string(kMinManifoldPoints) + ", " +
                   std::to_string(kMaxManifoldPoints) + "] (kMinManifoldPoints, kMaxManifoldPoints), got '" + v + "'";
          },
          "N"));
  app->add_option("--seed", *seed, "Seed of the random matrices T (each n has its own from it)")->capture_default_str();
  add_figure_output(*app, *figure, "FILE.svg");
  add_stdout_format(*app, *out);
  // Checked while parsing, so that too many panels is a usage error like a wrong n.
  app->parse_complete_callback([dims] {
    if (dims->size() > kMaxManifoldPanels)
      throw CLI::ValidationError("--dims", "at most " + std::to_string(kMaxManifoldPanels) +
                                               " values, one panel each (kMaxManifoldPanels), got " + std::to_string(dims->size()));
  });
  auto run = [dims, points, seed, figure, out]() {
    const ManifoldFigure f = relu_manifold(*dims, *points, *seed);
    write_figure(*figure, "ReLU on a manifold embedded in n dimensions (MobileNetV2, Figure 1)", manifold_svg(f),
                 "The input spiral, then T⁺·ReLU(T·x) for each n: low n loses the manifold.");
    emit(*out, format_manifold(f, out->parsed(), report_context()));
    return kExitOk;
  };
  return {app, run};
}

Command make_activations_command(CLI::App& root) {
  auto range = std::make_shared<double>(8);
  auto figure = std::make_shared<std::string>();
  auto out = std::make_shared<OutputOptions>();
  CLI::App* app = root.add_subcommand(
      "activations",
      "MobileNetV3's hard activations beside the smooth ones they replace (ReLU6 with ReLU, sigmoid vs h-sigmoid,\n"
      "swish vs h-swish) as one figure; the largest difference of each pair on stdout.\n"
      "  example: mnet activations -o act.svg");
  app->add_option("--range", *range, "Draw x in [-RANGE, RANGE]")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& v) {
            double x = 0;
            if (CLI::detail::lexical_cast(v, x) && x >= 0.5 && x <= kMaxActivationRange) return std::string();
            return "must be a number in [0.5, " + format_number(kMaxActivationRange) + "] (kMaxActivationRange), got '" + v + "'";
          },
          "RANGE"));
  add_figure_output(*app, *figure, "FILE.svg");
  add_stdout_format(*app, *out);
  auto run = [range, figure, out]() {
    // A sample every 0.01 at the default range, so the gaps' maxima are found to two decimals.
    const std::vector<ActivationPanel> panels = hard_activations(-*range, *range, 1601);
    write_figure(*figure, "Hard vs smooth activations (MobileNetV3)", activations_svg(panels),
                 "ReLU6, sigmoid vs h-sigmoid = ReLU6(x + 3)/6, swish vs h-swish = x·ReLU6(x + 3)/6.");
    emit(*out, format_activations(panels, out->parsed(), report_context()));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
