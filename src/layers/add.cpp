// Residual add of two tensors of the same shape, optionally followed by an activation.
#include "kernels/elementwise.h"
#include "layers/common.h"

namespace mnet {
namespace {

class Add : public Layer {
 public:
  Act act = Act::none;

  std::string type() const override { return "add"; }
  std::string summary() const override { return act == Act::none ? "" : act_name(act); }
  int arity() const override { return 2; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (in[0] != in[1])
      throw LayerError("inputs must have the same shape, got " + in[0].str() + " and " + in[1].str());
    return in[0];
  }
  LayerCost cost(const std::vector<Shape>&, const Shape& out) const override {
    LayerCost c;
    c.elementwise_ops = out.elements() * (act == Act::none ? 1 : 2);
    return c;
  }
  bool accepts_act() const override { return act == Act::none; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class AddOp : public Op {
 public:
  Act act = Act::none;
  int64_t n = 0;
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    add_forward(in[0], in[1], out, n, act, ctx.threads);
  }
};

std::unique_ptr<Op> Add::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<AddOp>();
  op->act = act != Act::none ? act : args.fused_act;
  // Element-wise: a batch is N times the values, whatever their layout.
  op->n = args.out.elements() * args.batch;
  if (args.batch > 1) op->batch_run = BatchRun::any_layout;
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_add(Attrs& attrs) {
  auto a = std::make_unique<Add>();
  a->act = read_act(attrs, "act", Act::none);
  return a;
}

}  // namespace mnet
