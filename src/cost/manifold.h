// The maths of two figures the papers argue with, apart from drawing them (report/figures.h):
// MobileNetV2's Figure 1 (a 2-D spiral embedded in n dimensions by a random matrix T, passed
// through ReLU and mapped back with T's pseudo-inverse: low n loses the manifold) and V3's hard
// activations beside the smooth ones they replace.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mnet {

// Limits of `mnet manifold`: n ≥ 2 because T's pseudo-inverse (TᵀT)⁻¹Tᵀ needs T of rank 2; the
// others keep the figure drawable (one panel per n, a polyline of every point).
constexpr int kMinManifoldDims = 2;
constexpr int kMaxManifoldDims = 4096;
constexpr size_t kMaxManifoldPanels = 12;
constexpr int kMinManifoldPoints = 16;
constexpr int kMaxManifoldPoints = 100000;
// `mnet activations`: the curves on [-range, range], range in (0, kMaxActivationRange].
constexpr double kMaxActivationRange = 100;

using Point2 = std::array<double, 2>;

// A matrix with 2 columns, row-major: rows × 2 values.
struct MatrixN2 {
  int rows = 0;
  std::vector<double> values;  // [rows, 2]
  double at(int r, int c) const { return values[size_t(r) * 2 + size_t(c)]; }
};

// m points on a 2-D spiral around the origin (two turns, radius growing with the angle).
std::vector<Point2> spiral_points(int m);

// An n×2 matrix of independent standard normal entries, the same for the same seed on every
// platform (its own generator and Box–Muller, not <random>'s distributions, which differ).
MatrixN2 random_embedding(int n, uint64_t seed);

// The pseudo-inverse of an n×2 matrix of rank 2: (TᵀT)⁻¹Tᵀ, a 2×n matrix stored as its n columns
// (column k: the two coefficients of output row k). Throws RunError when TᵀT is singular (rank < 2).
std::vector<Point2> pseudo_inverse(const MatrixN2& t);

// T⁺·ReLU(T·x) for every point.
std::vector<Point2> relu_round_trip(const std::vector<Point2>& points, const MatrixN2& t);

// How far `reconstructed` is from `original` in shape: the RMS distance after the best single
// scale factor (T⁺·ReLU(T·x) of a wide T comes back about half the size, which is no loss of the
// manifold), over the RMS radius of `original`. 0: the same spiral; 1: nothing of it left.
double reconstruction_error(const std::vector<Point2>& original, const std::vector<Point2>& reconstructed);

// One panel of the figure: its n, the points mapped back, and their error.
struct ManifoldPanel {
  int dims = 0;
  std::vector<Point2> points;
  double error = 0;
};
struct ManifoldFigure {
  std::vector<Point2> input;
  std::vector<ManifoldPanel> panels;
  uint64_t seed = 0;
};
// The spiral of `points` points through a random T per n (seeded by `seed` and n, so that a panel
// does not change when others are added).
ManifoldFigure relu_manifold(const std::vector<int>& dims, int points, uint64_t seed);

// One activation sampled on a range, for the hard vs smooth figure.
struct ActivationCurve {
  std::string name;  // "ReLU6", "sigmoid", "h-sigmoid", "swish", "h-swish"
  std::vector<Point2> points;
};
// Two curves drawn in one panel, and the largest gap between them over the range.
struct ActivationPanel {
  std::string title;
  std::vector<ActivationCurve> curves;
  double max_difference = 0;  // max |smooth - hard| over the samples; 0 for ReLU6 beside ReLU
  double at_x = 0;            // where it is reached
};
// ReLU6 (with ReLU), sigmoid vs h-sigmoid, swish vs h-swish on [lo, hi] with `samples` samples.
std::vector<ActivationPanel> hard_activations(double lo, double hi, int samples);

}  // namespace mnet
