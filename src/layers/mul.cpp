// Element-wise product of two maps, the second either of the same shape or [C, 1, 1] (one factor
// per channel, broadcast over the map): LR-ASPP's x · sigmoid(conv(pool(x))) gate (V3 paper,
// Fig. 10; torchvision's LRASPPHead), as squeeze-excite scales but with the gate computed apart.
#include "layers/common.h"

namespace mnet {
namespace {

class Mul : public Layer {
 public:
  std::string type() const override { return "mul"; }
  int arity() const override { return 2; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    const bool per_channel = in[1].c == in[0].c && in[1].h == 1 && in[1].w == 1;
    if (in[0] != in[1] && !per_channel)
      throw LayerError("the second input must have the first's shape " + in[0].str() + " or be [" +
                       std::to_string(in[0].c) + ",1,1] (one factor per channel), got " + in[1].str());
    return in[0];
  }
  LayerCost cost(const std::vector<Shape>&, const Shape& out) const override {
    LayerCost c;
    c.elementwise_ops = out.elements();
    return c;
  }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class MulOp : public Op {
 public:
  int channels = 0;
  int64_t plane = 0;
  bool per_channel = false;
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    const float* x = in[0];
    const float* s = in[1];
    for (int c = 0; c < channels; ++c)
      for (int64_t p = 0; p < plane; ++p) {
        const int64_t i = c * plane + p;
        out[i] = x[i] * (per_channel ? s[c] : s[i]);
      }
  }
};

std::unique_ptr<Op> Mul::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<MulOp>();
  op->channels = args.in[0].c;
  op->plane = int64_t(args.in[0].h) * args.in[0].w;
  op->per_channel = args.in[1] != args.in[0];
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_mul(Attrs&) { return std::make_unique<Mul>(); }

}  // namespace mnet
