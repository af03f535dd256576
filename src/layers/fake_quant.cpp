// Fake quantization: rounds each value to the grid of an 8-bit tensor, (clamp(round(x / scale) +
// zero_point, qmin, qmax) - zero_point) · scale. The TFLite importer puts one after every layer
// whose output the quantized model stores in 8 bits, so that float execution reproduces the
// quantized runtime's numbers instead of drifting from them layer by layer.
#include <cmath>
#include <cstdio>

#include "kernels/elementwise.h"
#include "layers/common.h"

namespace mnet {
namespace {

class FakeQuant : public ElementwiseLayer {
 public:
  float scale = 1;
  int zero_point = 0, qmin = 0, qmax = 255;

  std::string type() const override { return "fake_quant"; }
  std::string summary() const override {
    char buf[96];
    std::snprintf(buf, sizeof buf, "scale %g zp %d [%d,%d]", double(scale), zero_point, qmin, qmax);
    return buf;
  }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class FakeQuantOp : public Op {
 public:
  QuantGrid grid;
  int64_t n = 0;
  void run(const std::vector<const float*>& in, float* out, RunContext&) override { round_to_grid(in[0], out, n, grid); }
};

std::unique_ptr<Op> FakeQuant::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<FakeQuantOp>();
  op->grid = QuantGrid{scale, float(zero_point), float(qmin), float(qmax)};
  // Element-wise: a batch is N times the values, whatever their layout.
  op->n = args.out.elements() * args.batch;
  if (args.batch > 1) op->batch_run = BatchRun::any_layout;
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_fake_quant(Attrs& attrs) {
  auto q = std::make_unique<FakeQuant>();
  // Checked as a double: 1e300 would become an infinite float scale and NaN outputs.
  q->scale = float(attrs.require_number_in("scale", kMinQuantScale, kMaxQuantScale));
  q->zero_point = attrs.get_int_in("zero_point", 0, -kMaxQuantLevel, kMaxQuantLevel);
  q->qmin = attrs.get_int_in("qmin", 0, -kMaxQuantLevel, kMaxQuantLevel);
  q->qmax = attrs.get_int_in("qmax", 255, -kMaxQuantLevel, kMaxQuantLevel);
  if (q->qmin >= q->qmax)
    throw LayerError("qmin must be below qmax, got [" + std::to_string(q->qmin) + ", " + std::to_string(q->qmax) + "]");
  return q;
}

}  // namespace mnet
