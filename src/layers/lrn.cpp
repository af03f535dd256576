// Local response normalisation across channels (AlexNet, GoogLeNet): PyTorch's LocalResponseNorm,
// out = in / (k + alpha / size · Σ in² over `size` neighbouring channels)^beta.
#include <cstdio>

#include "kernels/pooling.h"
#include "layers/common.h"

namespace mnet {
namespace {

// The window across channels: AlexNet and GoogLeNet use 5.
constexpr int kMaxLrnSize = 64;
// alpha, beta and k far beyond the papers' (1e-4, 0.75, 1 or 2) but finite in float arithmetic;
// k stays positive so that an all-zero window never divides by 0^beta.
constexpr double kMaxLrnAlpha = 1e3;
constexpr double kMaxLrnBeta = 16;
constexpr double kMinLrnK = 1e-6;
constexpr double kMaxLrnK = 1e6;

class Lrn : public Layer {
 public:
  LrnParams params;
  std::string type() const override { return "lrn"; }
  std::string summary() const override {
    char buf[96];
    std::snprintf(buf, sizeof buf, "size %d alpha %g beta %g k %g", params.size, double(params.alpha),
                  double(params.beta), double(params.k));
    return buf;
  }
  Shape infer_shape(const std::vector<Shape>& in) const override { return in[0]; }
  LayerCost cost(const std::vector<Shape>&, const Shape& out) const override {
    LayerCost c;
    c.elementwise_ops = out.elements() * params.size;
    return c;
  }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class LrnOp : public Op {
 public:
  LrnParams params;
  Shape x;
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    lrn_forward(in[0], x.c, int64_t(x.h) * x.w, params, out, ctx.threads);
  }
};

std::unique_ptr<Op> Lrn::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<LrnOp>();
  op->params = params;
  op->x = args.in[0];
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_lrn(Attrs& attrs) {
  auto l = std::make_unique<Lrn>();
  l->params.size = attrs.require_int_in("size", 1, kMaxLrnSize);
  l->params.alpha = float(attrs.get_number_in("alpha", 1e-4, 0, kMaxLrnAlpha));
  l->params.beta = float(attrs.get_number_in("beta", 0.75, 0, kMaxLrnBeta));
  l->params.k = float(attrs.get_number_in("k", 1.0, kMinLrnK, kMaxLrnK));
  return l;
}

}  // namespace mnet
