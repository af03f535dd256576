// Global average pooling: [C, H, W] → [C, 1, 1].
#include "kernels/elementwise.h"
#include "layers/common.h"

namespace mnet {
namespace {

class GlobalAvgPool : public Layer {
 public:
  std::string type() const override { return "gap"; }
  Shape infer_shape(const std::vector<Shape>& in) const override { return Shape{in[0].c, 1, 1}; }
  LayerCost cost(const std::vector<Shape>& in, const Shape&) const override {
    LayerCost c;
    c.elementwise_ops = in[0].elements();
    return c;
  }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class GlobalAvgPoolOp : public Op {
 public:
  Shape x;
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    global_avgpool_forward(in[0], x.c, int64_t(x.h) * x.w, out, ctx.threads);
  }
};

std::unique_ptr<Op> GlobalAvgPool::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<GlobalAvgPoolOp>();
  op->x = args.in[0];
  // In the batch layout each image's channel is its own contiguous plane: C·N planes to average.
  op->x.c *= args.batch;
  if (args.batch > 1) op->batch_run = BatchRun::any_layout;
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_global_avgpool(Attrs&) { return std::make_unique<GlobalAvgPool>(); }

}  // namespace mnet
