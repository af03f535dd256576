// The ReLU-manifold figure's maths (spiral, random embedding, pseudo-inverse, error) and the
// activation curves.
#include "cost/manifold.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "core/activation.h"
#include "core/error.h"

namespace mnet {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSpiralTurns = 2;

// splitmix64: a small generator whose sequence is the same everywhere.
struct SplitMix {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform_open() { return (double(next() >> 11) + 0.5) / 9007199254740992.0; }  // (0, 1)
};

}  // namespace

std::vector<Point2> spiral_points(int m) {
  std::vector<Point2> p;
  p.reserve(size_t(std::max(m, 0)));
  for (int i = 0; i < m; ++i) {
    // From a little off the centre, so that the first points do not pile up at the origin.
    const double f = m > 1 ? double(i) / double(m - 1) : 0.0;
    const double angle = 2 * kPi * kSpiralTurns * f;
    const double radius = 0.1 + f;
    p.push_back({radius * std::cos(angle), radius * std::sin(angle)});
  }
  return p;
}

MatrixN2 random_embedding(int n, uint64_t seed) {
  SplitMix rng{seed};
  MatrixN2 t{n, std::vector<double>(size_t(n) * 2)};
  for (size_t i = 0; i < t.values.size(); i += 2) {
    // Box–Muller: two independent standard normals from two uniforms.
    const double r = std::sqrt(-2 * std::log(rng.uniform_open()));
    const double a = 2 * kPi * rng.uniform_open();
    t.values[i] = r * std::cos(a);
    t.values[i + 1] = r * std::sin(a);
  }
  return t;
}

std::vector<Point2> pseudo_inverse(const MatrixN2& t) {
  // TᵀT is 2×2: [[a, b], [b, d]].
  double a = 0, b = 0, d = 0, scale = 0;
  for (int r = 0; r < t.rows; ++r) {
    a += t.at(r, 0) * t.at(r, 0);
    b += t.at(r, 0) * t.at(r, 1);
    d += t.at(r, 1) * t.at(r, 1);
  }
  scale = a * d;
  const double det = a * d - b * b;
  // Relative to its scale: a T whose columns are (nearly) parallel has no pseudo-inverse of this form.
  if (!(det > 1e-12 * scale) || scale == 0)
    throw RunError("the " + std::to_string(t.rows) + "x2 embedding has rank below 2: T^T T is singular");
  const double ia = d / det, ib = -b / det, id = a / det;  // (TᵀT)⁻¹
  std::vector<Point2> cols(size_t(t.rows));
  for (int r = 0; r < t.rows; ++r)
    cols[size_t(r)] = {ia * t.at(r, 0) + ib * t.at(r, 1), ib * t.at(r, 0) + id * t.at(r, 1)};
  return cols;
}

std::vector<Point2> relu_round_trip(const std::vector<Point2>& points, const MatrixN2& t) {
  const std::vector<Point2> pinv = pseudo_inverse(t);
  std::vector<Point2> out;
  out.reserve(points.size());
  for (const Point2& x : points) {
    Point2 back{0, 0};
    for (int r = 0; r < t.rows; ++r) {
      const double y = std::max(0.0, t.at(r, 0) * x[0] + t.at(r, 1) * x[1]);  // ReLU(T·x), row r
      back[0] += pinv[size_t(r)][0] * y;
      back[1] += pinv[size_t(r)][1] * y;
    }
    out.push_back(back);
  }
  return out;
}

double reconstruction_error(const std::vector<Point2>& original, const std::vector<Point2>& reconstructed) {
  // The best scale s minimises Σ|s·r − o|²: s = Σ r·o / Σ r·r.
  double ro = 0, rr = 0, oo = 0;
  for (size_t i = 0; i < original.size() && i < reconstructed.size(); ++i) {
    const Point2 &o = original[i], &r = reconstructed[i];
    ro += r[0] * o[0] + r[1] * o[1];
    rr += r[0] * r[0] + r[1] * r[1];
    oo += o[0] * o[0] + o[1] * o[1];
  }
  if (oo == 0) return 0;
  const double s = rr > 0 ? ro / rr : 0;
  double e = 0;
  for (size_t i = 0; i < original.size() && i < reconstructed.size(); ++i) {
    const double dx = s * reconstructed[i][0] - original[i][0], dy = s * reconstructed[i][1] - original[i][1];
    e += dx * dx + dy * dy;
  }
  return std::sqrt(e / oo);
}

ManifoldFigure relu_manifold(const std::vector<int>& dims, int points, uint64_t seed) {
  ManifoldFigure f;
  f.seed = seed;
  f.input = spiral_points(points);
  for (int n : dims) {
    const MatrixN2 t = random_embedding(n, seed * 1000003u + uint64_t(n));
    ManifoldPanel p{n, relu_round_trip(f.input, t), 0};
    p.error = reconstruction_error(f.input, p.points);
    f.panels.push_back(std::move(p));
  }
  return f;
}

std::vector<ActivationPanel> hard_activations(double lo, double hi, int samples) {
  // The engine's own activations (core/activation.h), so the figure shows what mnet computes.
  const auto act = [](Act a) { return [a](double x) { return double(apply_act(a, float(x))); }; };
  const auto relu = act(Act::relu), relu6 = act(Act::relu6), sigmoid = act(Act::sigmoid),
             hsigmoid = act(Act::hsigmoid), hswish = act(Act::hswish);
  const auto swish = [&](double x) { return x * sigmoid(x); };
  struct Pair {
    const char* title;
    const char* first_name;
    std::function<double(double)> first;
    const char* second_name;
    std::function<double(double)> second;
  };
  const Pair pairs[] = {{"ReLU6 (and ReLU)", "ReLU6", relu6, "ReLU", relu},
                        {"sigmoid vs h-sigmoid", "sigmoid", sigmoid, "h-sigmoid", hsigmoid},
                        {"swish vs h-swish", "swish", swish, "h-swish", hswish}};
  std::vector<ActivationPanel> panels;
  for (const Pair& p : pairs) {
    ActivationPanel panel{p.title, {{p.first_name, {}}, {p.second_name, {}}}, 0, lo};
    for (int i = 0; i < samples; ++i) {
      const double x = samples > 1 ? lo + (hi - lo) * double(i) / double(samples - 1) : lo;
      const double a = p.first(x), b = p.second(x);
      panel.curves[0].points.push_back({x, a});
      panel.curves[1].points.push_back({x, b});
      // ReLU against ReLU6 differs without bound; the gap that matters is hard vs smooth.
      if (std::string(p.second_name) != "ReLU" && std::abs(a - b) > panel.max_difference) {
        panel.max_difference = std::abs(a - b);
        panel.at_x = x;
      }
    }
    panels.push_back(std::move(panel));
  }
  return panels;
}

}  // namespace mnet
