// The ReLU-manifold figure (MobileNetV2's Figure 1) and the hard activations: the maths on known
// matrices, determinism, the error falling with n; and `mnet manifold` / `mnet activations`
// through the binary, bad arguments included.
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>

#include "cost/manifold.h"
#include "report/figures.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::string xml_problem(const std::string& file) {
  CommandResult r = run_command("/usr/bin/python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' " +
                                shell_quote(file));
  return r.exit_code == 0 ? "" : r.err;
}

// A rejected command line: exit 2, one error line naming the option and the limit, nothing written.
void require_usage_rejection(const CommandResult& r, const std::string& message, const fs::path& out_dir) {
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, StartsWith("mnet: error: "));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Contains(message));
  CHECK(r.out.empty());
  CHECK(fs::is_empty(out_dir));
}

}  // namespace

TEST_CASE("the pseudo-inverse of an n×2 matrix is a left inverse", "[manifold]") {
  const MatrixN2 t{3, {1, 2, 3, 4, 5, 6}};
  const std::vector<Point2> pinv = pseudo_inverse(t);  // 2×3 as 3 columns
  REQUIRE(pinv.size() == 3);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      double v = 0;
      for (int k = 0; k < 3; ++k) v += pinv[size_t(k)][size_t(i)] * t.at(k, j);
      CHECK(v == Approx(i == j ? 1.0 : 0.0).margin(1e-12));
    }
  // Known values: (TᵀT)⁻¹Tᵀ of [[1,2],[3,4],[5,6]] is [[-4/3, -1/3, 2/3], [13/12, 1/3, -5/12]].
  CHECK(pinv[0][0] == Approx(-4.0 / 3));
  CHECK(pinv[1][1] == Approx(1.0 / 3));
  CHECK(pinv[2][1] == Approx(-5.0 / 12));
  // Parallel columns: rank 1, no pseudo-inverse of this form.
  CHECK_THROWS_AS(pseudo_inverse(MatrixN2{3, {1, 2, 2, 4, 3, 6}}), RunError);
  CHECK_THROWS_AS(pseudo_inverse(MatrixN2{2, {0, 0, 0, 0}}), RunError);
}

TEST_CASE("ReLU round trips on known matrices: the identity keeps one quadrant, ±I keeps every point at half size",
          "[manifold]") {
  const std::vector<Point2> pts{{1, 2}, {-1, 2}, {-1, -2}, {3, -0.5}};
  const std::vector<Point2> id = relu_round_trip(pts, MatrixN2{2, {1, 0, 0, 1}});
  CHECK(id[0] == Point2{1, 2});
  CHECK(id[1] == Point2{0, 2});
  CHECK(id[2] == Point2{0, 0});
  CHECK(id[3] == Point2{3, 0});
  // T = [I; -I]: ReLU(Tx) = (x⁺, y⁺, x⁻, y⁻), T⁺ = Tᵀ/2, so T⁺·ReLU(Tx) = x/2 exactly: nothing lost.
  const MatrixN2 both{4, {1, 0, 0, 1, -1, 0, 0, -1}};
  const std::vector<Point2> half = relu_round_trip(pts, both);
  for (size_t i = 0; i < pts.size(); ++i) {
    CHECK(half[i][0] == Approx(pts[i][0] / 2));
    CHECK(half[i][1] == Approx(pts[i][1] / 2));
  }
  CHECK(reconstruction_error(pts, half) == Approx(0).margin(1e-12));
  CHECK(reconstruction_error(pts, id) > 0.3);
  CHECK(reconstruction_error(pts, std::vector<Point2>(pts.size(), Point2{0, 0})) == Approx(1));
}

TEST_CASE("the random embedding is standard normal and the same for the same seed", "[manifold]") {
  const MatrixN2 a = random_embedding(20000, 7), b = random_embedding(20000, 7), c = random_embedding(20000, 8);
  CHECK(a.values == b.values);
  CHECK(a.values != c.values);
  double mean = 0, var = 0;
  for (double v : a.values) mean += v;
  mean /= double(a.values.size());
  for (double v : a.values) var += (v - mean) * (v - mean);
  var /= double(a.values.size());
  CHECK(std::abs(mean) < 0.02);
  CHECK(var == Approx(1).margin(0.03));
}

TEST_CASE("the manifold survives ReLU better as n grows, the same for a seed", "[manifold]") {
  const std::vector<int> dims{2, 3, 5, 15, 30};
  std::vector<double> mean_error(dims.size(), 0);
  const int seeds = 8;
  for (int seed = 1; seed <= seeds; ++seed) {
    const ManifoldFigure f = relu_manifold(dims, 400, uint64_t(seed));
    REQUIRE(f.panels.size() == dims.size());
    INFO("seed " << seed);
    CHECK(f.panels.front().error > f.panels.back().error);
    for (size_t i = 0; i < dims.size(); ++i) mean_error[i] += f.panels[i].error / seeds;
  }
  for (size_t i = 1; i < dims.size(); ++i) {
    INFO("n = " << dims[i]);
    CHECK(mean_error[i] < mean_error[i - 1]);
  }
  CHECK(mean_error.front() > 0.5);
  CHECK(mean_error.back() < 0.45);

  const ManifoldFigure a = relu_manifold(dims, 300, 42), b = relu_manifold(dims, 300, 42), c = relu_manifold({5}, 300, 42);
  for (size_t i = 0; i < dims.size(); ++i) CHECK(a.panels[i].points == b.panels[i].points);
  CHECK(c.panels[0].points == a.panels[2].points);  // a panel does not depend on the others
  CHECK(relu_manifold(dims, 300, 43).panels[0].points != a.panels[0].points);
}

TEST_CASE("hard activations: the largest gaps are where the papers' formulas put them", "[manifold]") {
  const std::vector<ActivationPanel> p = hard_activations(-8, 8, 1601);
  REQUIRE(p.size() == 3);
  CHECK(p[0].max_difference == 0);  // ReLU6 beside ReLU: no smooth pair
  // swish(-3) − h-swish(-3) = −3·σ(−3) − 0 = −3/(1 + e³).
  CHECK(p[2].max_difference == Approx(3 / (1 + std::exp(3.0))).epsilon(1e-5));
  CHECK(p[2].at_x == Approx(-3));
  CHECK(p[1].max_difference == Approx(0.0692).margin(0.0005));
  CHECK(std::abs(p[1].at_x) == Approx(1.32).margin(0.02));
  // ReLU6 caps at 6.
  CHECK(p[0].curves[0].points.back()[1] == Approx(6));
  CHECK(p[0].curves[1].points.back()[1] == Approx(8));
}

TEST_CASE("mnet manifold writes the figure and prints the error per panel", "[manifold][e2e]") {
  TempDir dir;
  const std::string svg = dir.file("relu_manifold.svg");
  CommandResult r = run_mnet("manifold --dims 2,3,5,15,30 --points 300 --seed 3 -o " + shell_quote(svg));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(xml_problem(svg) == "");
  const std::string text = read_text(svg);
  CHECK(count(text, "<g class=\"panel\"") == 6);  // the input and one per n
  CHECK_THAT(text, Contains("n = 30"));
  const ManifoldFigure f = relu_manifold({2, 3, 5, 15, 30}, 300, 3);
  for (const auto& p : f.panels) CHECK_THAT(r.out, Contains(fixed(p.error, 4)));

  r = run_mnet("manifold --dims 2,30 --points 100 --format json -o " + shell_quote(dir.file("m.html")));
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["kind"] == "manifold");  // in the report envelope
  CHECK(j["panels"].size() == 2);
  CHECK(j["panels"][0]["error"].get<double>() > j["panels"][1]["error"].get<double>());
  CHECK_THAT(read_text(dir.file("m.html")), StartsWith("<!DOCTYPE html>"));
  CHECK(xml_problem(dir.file("m.html")) == "");
}

TEST_CASE("mnet activations writes the figure and prints the largest differences", "[manifold][e2e]") {
  TempDir dir;
  CommandResult r = run_mnet("activations -o " + shell_quote(dir.file("act.svg")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(xml_problem(dir.file("act.svg")) == "");
  CHECK(count(read_text(dir.file("act.svg")), "<g class=\"panel\"") == 3);
  CHECK_THAT(r.out, Contains("h-sigmoid"));
  CHECK_THAT(r.out, Contains("0.1423"));
}

TEST_CASE("mnet manifold and activations refuse bad arguments with one usage line naming the limit", "[manifold][e2e]") {
  TempDir dir;
  const std::string out = " -o " + shell_quote(dir.file("x.svg"));
  require_usage_rejection(run_mnet("manifold --dims 0" + out), "kMinManifoldDims", dir.path);
  require_usage_rejection(run_mnet("manifold --dims 1" + out), "[2, 4096]", dir.path);
  require_usage_rejection(run_mnet("manifold --dims 2,5000" + out), "kMaxManifoldDims", dir.path);
  require_usage_rejection(run_mnet("manifold --dims 2,x" + out), "got 'x'", dir.path);
  require_usage_rejection(run_mnet("manifold --dims 2,3,4,5,6,7,8,9,10,11,12,13,14" + out), "kMaxManifoldPanels", dir.path);
  require_usage_rejection(run_mnet("manifold --points 100000000" + out), "kMaxManifoldPoints", dir.path);
  require_usage_rejection(run_mnet("manifold --points 3" + out), "kMinManifoldPoints", dir.path);
  require_usage_rejection(run_mnet("manifold -o " + shell_quote(dir.file("x.png"))), "FILE.svg or FILE.html", dir.path);
  require_usage_rejection(run_mnet("manifold"), "--output", dir.path);
  require_usage_rejection(run_mnet("activations --range 1000" + out), "kMaxActivationRange", dir.path);
}
