// The rows of an SSD predictor map: [C, H, W] → [H·W·C/k, 1, k], values in TensorFlow's NHWC
// order — TFLite's RESHAPE of a [1, H, W, A·k] box or class map into [1, H·W·A, k], one row per
// anchor (pixel by pixel, the A anchors of a pixel in turn). `concat` then joins the rows of
// several maps, as the model's CONCATENATION on axis 1 does.
#include "layers/common.h"

namespace mnet {
namespace {

class ToRows : public Layer {
 public:
  int row = 1;  // k: values per row (4 box coordinates, or the classes)

  std::string type() const override { return "to_rows"; }
  std::string summary() const override { return "rows of " + std::to_string(row); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    const int64_t n = in[0].elements();
    if (n % row != 0)
      throw LayerError(in[0].str() + " holds " + std::to_string(n) + " values, not a whole number of rows of " +
                       std::to_string(row));
    if (n / row > kMaxChannels)
      throw LayerError(std::to_string(n / row) + " rows exceed kMaxChannels = " + std::to_string(kMaxChannels));
    return Shape{int(n / row), 1, row};
  }
  // A copy: no multiply-adds and, as for concat, no element-wise operations.
  LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return LayerCost{}; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class ToRowsOp : public Op {
 public:
  Shape x;
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    const int64_t plane = int64_t(x.h) * x.w;
    // out[(pixel · C) + c] = in[c · H·W + pixel]: CHW → HWC.
    for (int64_t p = 0; p < plane; ++p)
      for (int c = 0; c < x.c; ++c) out[p * x.c + c] = in[0][c * plane + p];
  }
};

std::unique_ptr<Op> ToRows::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<ToRowsOp>();
  op->x = args.in[0];
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_to_rows(Attrs& attrs) {
  auto l = std::make_unique<ToRows>();
  l->row = attrs.require_int_in("row", 1, kMaxChannels);
  return l;
}

}  // namespace mnet
