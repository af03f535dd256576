// Softmax over all of the input's values (the classifier's [classes, 1, 1]).
#include "kernels/elementwise.h"
#include "layers/common.h"

namespace mnet {
namespace {

class Softmax : public ElementwiseLayer {
 public:
  std::string type() const override { return "softmax"; }
  bool outputs_probabilities() const override { return true; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class SoftmaxOp : public Op {
 public:
  int64_t n = 0;
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    softmax_forward(in[0], out, n);
  }
};

std::unique_ptr<Op> Softmax::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<SoftmaxOp>();
  op->n = args.out.elements();
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_softmax(Attrs&) { return std::make_unique<Softmax>(); }

}  // namespace mnet
