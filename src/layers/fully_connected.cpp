// Fully connected layer on the flattened input: [C, H, W] → [out, 1, 1].
#include <algorithm>

#include "graph/graph.h"
#include "kernels/dispatch.h"
#include "kernels/gemm.h"
#include "kernels/streamed_gemv.h"
#include "layers/common.h"
#include "layers/conv_ops.h"

namespace mnet {
namespace {

class FullyConnected : public Layer {
 public:
  int out_features = 0;
  int64_t expect_in = 0;  // "in": input features the description expects, 0 = whatever arrives
  bool bias = true;
  Act act = Act::none;

  std::string type() const override { return "fc"; }
  std::string summary() const override {
    std::string s = bias ? "bias" : "no bias";
    if (act != Act::none) s += std::string(" ") + act_name(act);
    return s;
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (expect_in && in[0].elements() != expect_in)
      throw LayerError("expects " + std::to_string(expect_in) + " input features, its input " + in[0].str() +
                       " has " + std::to_string(in[0].elements()));
    return Shape{out_features, 1, 1};
  }
  std::vector<WeightDecl> weights(const std::vector<Shape>& in, const Shape& out) const override {
    std::vector<WeightDecl> w{{"weight", {out.c, in[0].elements()}}};
    if (bias) w.push_back({"bias", {out.c}});
    return w;
  }
  LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override {
    LayerCost c;
    c.madds = in[0].elements() * out.c;
    c.elementwise_ops = act == Act::none ? 0 : out.c;
    c.category = CostCategory{CostKind::fc};
    return c;
  }
  bool accepts_bn() const override { return true; }
  bool accepts_act() const override { return act == Act::none; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class FullyConnectedOp : public Op {
 public:
  std::vector<float> weight;  // [out, in]
  std::vector<float> bias;    // [out] or empty
  int out_features = 0, in_features = 0;
  Act act = Act::none;
  Kernel kernel = Kernel::gemv_openblas;  // choose_fc's
  std::string kernel_name() const override { return mnet::kernel_name(kernel); }
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    if (kernel == Kernel::gemv_streamed_avx512)
      streamed_gemv(out_features, in_features, weight.data(), in[0], out, data_or_null(bias), act,
                    std::max(ctx.threads, 1));
    else  // gemv_openblas: gemv_bias_act's cblas_sgemv path, the only one below AVX-512
      gemv_bias_act(out_features, in_features, weight.data(), in[0], out, data_or_null(bias), act, ctx.threads);
  }
};

std::unique_ptr<Op> FullyConnected::prepare(const PrepareArgs& args) const {
  const Shape& x = args.in[0];
  if (args.batch > 1 && x.h == 1 && x.w == 1) {
    // A batch of [K,1,1] vectors in the batch layout is a [K, N] matrix: the layer becomes one GEMM
    // over the N images, the weights read once instead of N times.
    auto op = std::make_unique<PointwiseOp>();
    op->gemm = ConvGemm(args.out.c, x.c, take_weight(args, "weight"), args.batch);
    op->bias = take_weight(args, "bias");
    op->act = act != Act::none ? act : args.fused_act;
    op->batch_run = BatchRun::batch_layout;
    return op;
  }
  auto op = std::make_unique<FullyConnectedOp>();
  op->out_features = args.out.c;
  op->in_features = int(args.in[0].elements());
  op->act = act != Act::none ? act : args.fused_act;
  op->kernel = choose_fc(op->out_features, op->in_features, simd_level());
  op->weight = take_weight(args, "weight");
  op->bias = take_weight(args, "bias");
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_fully_connected(Attrs& attrs) {
  auto fc = std::make_unique<FullyConnected>();
  fc->out_features = attrs.require_int_in("out", 1, kMaxChannels);
  // The input is flattened: as many features as one activation may hold. 0: not checked.
  fc->expect_in = attrs.has("in") ? attrs.require_int64_in("in", 1, kMaxActivationElements) : 0;
  fc->bias = attrs.get_bool("bias", true);
  fc->act = read_act(attrs, "act", Act::none);
  return fc;
}

}  // namespace mnet
