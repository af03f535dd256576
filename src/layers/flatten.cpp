// Flatten: [C, H, W] → [C·H·W, 1, 1] before a classifier's fully connected layers (AlexNet, VGG).
// The engine stores maps channel-major, so the values keep their order: a copy.
#include <climits>

#include "layers/common.h"

namespace mnet {
namespace {

class Flatten : public Layer {
 public:
  std::string type() const override { return "flatten"; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    const int64_t n = in[0].elements();
    if (n > INT_MAX)
      throw LayerError("flattened size must be at most " + std::to_string(INT_MAX) + ", got " + in[0].str() +
                       " = " + std::to_string(n));
    return Shape{int(n), 1, 1};
  }
  LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return {}; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

std::unique_ptr<Op> Flatten::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<CopyOp>();
  op->n = args.out.elements();
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_flatten(Attrs&) { return std::make_unique<Flatten>(); }

}  // namespace mnet
