// Element-wise activations as layers of their own; the planner fuses them into the producer.
#include "kernels/elementwise.h"
#include "layers/common.h"

namespace mnet {
namespace {

class Activation : public ElementwiseLayer {
 public:
  explicit Activation(Act a) : act(a) {}
  Act act;

  std::string type() const override { return act_name(act); }
  FusionRole fusion_role() const override { return FusionRole::activation; }
  Act activation() const override { return act; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class ActivationOp : public Op {
 public:
  Act act = Act::none;
  int64_t n = 0;
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    activation_forward(in[0], out, n, act);
  }
};

std::unique_ptr<Op> Activation::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<ActivationOp>();
  op->act = act;
  // Element-wise: a batch is N times the values, whatever their layout.
  op->n = args.out.elements() * args.batch;
  if (args.batch > 1) op->batch_run = BatchRun::any_layout;
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_relu(Attrs&) { return std::make_unique<Activation>(Act::relu); }
std::unique_ptr<Layer> make_relu6(Attrs&) { return std::make_unique<Activation>(Act::relu6); }
std::unique_ptr<Layer> make_hswish(Attrs&) { return std::make_unique<Activation>(Act::hswish); }
std::unique_ptr<Layer> make_hsigmoid(Attrs&) { return std::make_unique<Activation>(Act::hsigmoid); }
std::unique_ptr<Layer> make_sigmoid(Attrs&) { return std::make_unique<Activation>(Act::sigmoid); }

}  // namespace mnet
