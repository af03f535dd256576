// Dropout: accepted so that configs can follow the papers' tables; at inference it passes its
// input through unchanged (PyTorch's eval mode), a copy that costs nothing.
#include <cstdio>

#include "layers/common.h"

namespace mnet {
namespace {

class Dropout : public Layer {
 public:
  double p = 0.5;
  std::string type() const override { return "dropout"; }
  std::string summary() const override {
    char buf[32];
    std::snprintf(buf, sizeof buf, "p %g", p);
    return buf;
  }
  Shape infer_shape(const std::vector<Shape>& in) const override { return in[0]; }
  LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return {}; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

std::unique_ptr<Op> Dropout::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<CopyOp>();
  // Element-wise: a batch is N times the values, whatever their layout.
  op->n = args.out.elements() * args.batch;
  if (args.batch > 1) op->batch_run = BatchRun::any_layout;
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_dropout(Attrs& attrs) {
  auto d = std::make_unique<Dropout>();
  d->p = attrs.get_number_in("p", 0.5, 0, 1);  // PyTorch's default 0.5
  if (d->p >= 1) throw LayerError("p must be below 1 (a dropout that drops everything), got " + format_number(d->p));
  return d;
}

}  // namespace mnet
