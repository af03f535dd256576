// Leaky ReLU, max(x, alpha·x) for 0 ≤ alpha < 1: Darknet's "leaky" activation (alpha 0.1), after
// every convolution of YOLOv2. A layer of its own: the fused activations (core/activation.h) have
// no parameter.
#include "layers/common.h"

namespace mnet {
namespace {

// Below 1 keeps it ReLU-like: slope 1 for x > 0 and a smaller one below.
constexpr double kMaxLeakyAlpha = 0.999;

class LeakyRelu : public ElementwiseLayer {
 public:
  double alpha = 0.1;

  std::string type() const override { return "leaky_relu"; }
  std::string summary() const override { return "alpha " + format_number(alpha); }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class LeakyReluOp : public Op {
 public:
  float alpha = 0.1f;
  int64_t n = 0;
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    for (int64_t i = 0; i < n; ++i) out[i] = in[0][i] > 0 ? in[0][i] : alpha * in[0][i];
  }
};

std::unique_ptr<Op> LeakyRelu::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<LeakyReluOp>();
  op->alpha = float(alpha);
  // Element-wise: a batch is N times the values, whatever their layout.
  op->n = args.out.elements() * args.batch;
  if (args.batch > 1) op->batch_run = BatchRun::any_layout;
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_leaky_relu(Attrs& attrs) {
  auto l = std::make_unique<LeakyRelu>();
  l->alpha = attrs.get_number_in("alpha", 0.1, 0, kMaxLeakyAlpha);
  return l;
}

}  // namespace mnet
