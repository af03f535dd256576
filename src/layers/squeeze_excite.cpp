// Squeeze-and-excite (MobileNetV3): global pool → FC to `squeeze` channels → act → FC back →
// gate → scale each channel of the input. Both FCs have biases, as in the reference models.
#include <algorithm>

#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "layers/common.h"

namespace mnet {
namespace {

class SqueezeExcite : public Layer {
 public:
  int squeeze = 0;
  Act act = Act::relu;
  Act gate = Act::hsigmoid;

  std::string type() const override { return "se"; }
  std::string summary() const override {
    return "squeeze " + std::to_string(squeeze) + " " + act_name(act) + "/" + act_name(gate);
  }
  Shape infer_shape(const std::vector<Shape>& in) const override { return in[0]; }
  std::vector<WeightDecl> weights(const std::vector<Shape>& in, const Shape&) const override {
    int64_t c = in[0].c;
    return {{"fc1.weight", {squeeze, c}}, {"fc1.bias", {squeeze}}, {"fc2.weight", {c, squeeze}},
            {"fc2.bias", {c}}};
  }
  LayerCost cost(const std::vector<Shape>& in, const Shape&) const override {
    LayerCost c;
    c.madds = 2 * int64_t(in[0].c) * squeeze;
    // pooling + scaling over the map, plus the two activations on the squeezed vectors
    c.elementwise_ops = 2 * in[0].elements() + squeeze + in[0].c;
    c.category = CostCategory{CostKind::se_fc};
    return c;
  }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class SqueezeExciteOp : public Op {
 public:
  std::vector<float> w1, b1;  // [squeeze, C], [squeeze]
  std::vector<float> w2, b2;  // [C, squeeze], [C]
  Shape x;
  int squeeze = 0;
  Act act = Act::relu, gate = Act::hsigmoid;
  int64_t scratch_floats() const override { return 2 * int64_t(x.c) + squeeze; }
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    float* pooled = ctx.scratch;              // [C]
    float* squeezed = pooled + x.c;           // [squeeze]
    float* channel_scale = squeezed + squeeze;  // [C]
    int64_t spatial = int64_t(x.h) * x.w;
    global_avgpool_forward(in[0], x.c, spatial, pooled, ctx.threads);
    gemv_bias_act(squeeze, x.c, w1.data(), pooled, squeezed, b1.data(), act, ctx.threads);
    gemv_bias_act(x.c, squeeze, w2.data(), squeezed, channel_scale, b2.data(), gate, ctx.threads);
    channel_scale_forward(in[0], channel_scale, x.c, spatial, out, ctx.threads);
  }
};

std::unique_ptr<Op> SqueezeExcite::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<SqueezeExciteOp>();
  op->x = args.in[0];
  op->squeeze = squeeze;
  op->act = act;
  op->gate = gate;
  op->w1 = take_weight(args, "fc1.weight");
  op->b1 = take_weight(args, "fc1.bias");
  op->w2 = take_weight(args, "fc2.weight");
  op->b2 = take_weight(args, "fc2.bias");
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_squeeze_excite(Attrs& attrs) {
  auto se = std::make_unique<SqueezeExcite>();
  se->squeeze = attrs.require_int_in("squeeze", 1, kMaxChannels);
  se->act = read_act(attrs, "act", Act::relu);
  se->gate = read_act(attrs, "gate", Act::hsigmoid);
  return se;
}

}  // namespace mnet
