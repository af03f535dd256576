// Average pooling over a k×k window (GoogLeNet's inception pool branch, ResNet-D and NASNet cells):
// PyTorch's AvgPool2d with a square window.
#include "kernels/pooling.h"
#include "layers/common.h"
#include "layers/pool_window.h"

namespace mnet {
namespace {

class AvgPool : public Layer {
 public:
  PoolWindow window;
  bool count_include_pad = true;  // PyTorch's default; TensorFlow's "SAME" pools count only the input
  std::string type() const override { return "avgpool"; }
  std::string summary() const override {
    return window.summary() + (count_include_pad ? "" : " exclude_pad");
  }
  Shape infer_shape(const std::vector<Shape>& in) const override { return window.output(in[0]); }
  LayerCost cost(const std::vector<Shape>&, const Shape& out) const override { return window.cost(out); }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class AvgPoolOp : public Op {
 public:
  PoolGeometry g;
  bool count_include_pad = true;
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    avgpool_forward(in[0], g, count_include_pad, out, ctx.threads);
  }
};

std::unique_ptr<Op> AvgPool::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<AvgPoolOp>();
  op->g = window.geometry(args.in[0], args.out);
  op->count_include_pad = count_include_pad;
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_avgpool(Attrs& attrs) {
  auto p = std::make_unique<AvgPool>();
  p->window = PoolWindow::read(attrs);
  p->count_include_pad = attrs.get_bool("count_include_pad", true);
  return p;
}

}  // namespace mnet
