// Max pooling (VGG, AlexNet, GoogLeNet, ResNet's stem): PyTorch's MaxPool2d with a square window.
#include "kernels/pooling.h"
#include "layers/common.h"
#include "layers/pool_window.h"

namespace mnet {
namespace {

class MaxPool : public Layer {
 public:
  PoolWindow window;
  std::string type() const override { return "maxpool"; }
  std::string summary() const override { return window.summary(); }
  Shape infer_shape(const std::vector<Shape>& in) const override { return window.output(in[0]); }
  LayerCost cost(const std::vector<Shape>&, const Shape& out) const override { return window.cost(out); }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class MaxPoolOp : public Op {
 public:
  PoolGeometry g;
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    maxpool_forward(in[0], g, out, ctx.threads);
  }
};

std::unique_ptr<Op> MaxPool::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<MaxPoolOp>();
  op->g = window.geometry(args.in[0], args.out);
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_maxpool(Attrs& attrs) {
  auto p = std::make_unique<MaxPool>();
  p->window = PoolWindow::read(attrs);
  return p;
}

}  // namespace mnet
