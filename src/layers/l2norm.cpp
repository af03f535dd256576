// L2 normalisation across channels with a learned per-channel scale: SSD300's conv4_3_norm (Liu et
// al. 2016, after ParseNet), whose conv4_3 features are much larger than the later maps'. As
// torchvision's SSD: y[c] = weight[c] · x[c] / max(‖x[:, y, x]‖₂, eps).
#include <algorithm>
#include <cmath>

#include "layers/common.h"

namespace mnet {
namespace {

// F.normalize's default; at most 1 so that a norm of ordinary size is never replaced.
constexpr double kDefaultL2NormEps = 1e-12;
constexpr double kMaxL2NormEps = 1;

class L2Norm : public Layer {
 public:
  double eps = kDefaultL2NormEps;

  std::string type() const override { return "l2norm"; }
  std::string summary() const override { return "eps " + format_number(eps); }
  Shape infer_shape(const std::vector<Shape>& in) const override { return in[0]; }
  // The scale (SSD initialises it to 20) is learned: one weight per channel, counted as params.
  std::vector<WeightDecl> weights(const std::vector<Shape>& in, const Shape&) const override {
    return {{"weight", {int64_t(in[0].c)}, true}};
  }
  // No multiply-adds by the papers' convention; two element-wise operations per value: the sum of
  // squares and the scaled division.
  LayerCost cost(const std::vector<Shape>&, const Shape& out) const override {
    LayerCost c;
    c.elementwise_ops = 2 * out.elements();
    return c;
  }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class L2NormOp : public Op {
 public:
  std::vector<float> scale;  // [C]
  Shape shape;
  float eps = 0;
  std::vector<double> sum;  // [H·W], sized at prepare
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    const int64_t plane = int64_t(shape.h) * shape.w;
    const float* x = in[0];
    // Channels are planes apart: accumulate the squares plane by plane, pixel-wise.
    std::fill(sum.begin(), sum.end(), 0.0);
    for (int c = 0; c < shape.c; ++c)
      for (int64_t p = 0; p < plane; ++p) sum[size_t(p)] += double(x[c * plane + p]) * x[c * plane + p];
    for (int64_t p = 0; p < plane; ++p) sum[size_t(p)] = 1.0 / std::max(std::sqrt(sum[size_t(p)]), double(eps));
    for (int c = 0; c < shape.c; ++c)
      for (int64_t p = 0; p < plane; ++p)
        out[c * plane + p] = float(x[c * plane + p] * sum[size_t(p)]) * scale[size_t(c)];
  }
};

std::unique_ptr<Op> L2Norm::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<L2NormOp>();
  op->scale = take_weight(args, "weight");
  if (op->scale.size() != size_t(args.in[0].c)) throw LayerError("l2norm needs its weight [C]");
  op->shape = args.in[0];
  op->eps = float(eps);
  op->sum.resize(size_t(int64_t(op->shape.h) * op->shape.w));
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_l2norm(Attrs& attrs) {
  auto l = std::make_unique<L2Norm>();
  l->eps = attrs.get_number_in("eps", kDefaultL2NormEps, 0, kMaxL2NormEps);
  return l;
}

}  // namespace mnet
