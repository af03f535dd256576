// BatchNorm with running statistics. Folded into the producing convolution at load; runs on its
// own only where nothing can take it.
#include <cmath>
#include <cstdio>

#include "kernels/elementwise.h"
#include "layers/common.h"

namespace mnet {
namespace {

class BatchNorm : public Layer {
 public:
  float eps = 1e-5f;

  std::string type() const override { return "bn"; }
  std::string summary() const override {
    char buf[32];
    std::snprintf(buf, sizeof buf, "eps %g", double(eps));
    return buf;
  }
  Shape infer_shape(const std::vector<Shape>& in) const override { return in[0]; }
  std::vector<WeightDecl> weights(const std::vector<Shape>& in, const Shape&) const override {
    int64_t c = in[0].c;
    return {{"weight", {c}, false}, {"bias", {c}, false}, {"running_mean", {c}, false},
            {"running_var", {c}, false}};
  }
  LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return {}; }
  FusionRole fusion_role() const override { return FusionRole::batchnorm; }
  float bn_epsilon() const override { return eps; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class BatchNormOp : public Op {
 public:
  std::vector<float> scale, shift;  // [C]: y = x·scale + shift
  Shape shape;
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    channel_affine_forward(in[0], scale.data(), shift.data(), shape.c, int64_t(shape.h) * shape.w, out);
  }
};

std::unique_ptr<Op> BatchNorm::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<BatchNormOp>();
  op->shape = args.out;
  const auto& gamma = args.weights.at("weight");
  const auto& beta = args.weights.at("bias");
  const auto& mean = args.weights.at("running_mean");
  const auto& var = args.weights.at("running_var");
  for (size_t c = 0; c < gamma.size(); ++c) {
    float s = gamma[c] / std::sqrt(var[c] + eps);
    op->scale.push_back(s);
    op->shift.push_back(beta[c] - mean[c] * s);
  }
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_batchnorm(Attrs& attrs) {
  auto bn = std::make_unique<BatchNorm>();
  bn->eps = float(attrs.get_number_in("eps", 1e-5, kMinBnEps, kMaxBnEps));
  return bn;
}

}  // namespace mnet
