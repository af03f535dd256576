// Pad: zeros added on each side of the map, or rows and columns cut where a side is negative (as
// ONNX's Pad). NASNet's factorized reduction shifts its second path by one pixel this way,
// TF-slim's tf.pad(x, bottom 1, right 1)[:, 1:, 1:, :]: top -1, left -1, bottom 1, right 1.
#include <algorithm>
#include <cstring>

#include "layers/common.h"

namespace mnet {
namespace {

// A pad larger than a kernel's reach has no use in these networks; the bound keeps shapes small.
// The range error names it: "top must be between -64 and 64, got 65".
constexpr int kMaxPad = 64;

class Pad : public Layer {
 public:
  int top = 0, left = 0, bottom = 0, right = 0;

  std::string type() const override { return "pad"; }
  std::string summary() const override {
    return "t" + std::to_string(top) + " l" + std::to_string(left) + " b" + std::to_string(bottom) + " r" +
           std::to_string(right);
  }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    const int h = in[0].h + top + bottom, w = in[0].w + left + right;
    if (h < 1 || w < 1)
      throw LayerError("padding t" + std::to_string(top) + " b" + std::to_string(bottom) + " l" +
                       std::to_string(left) + " r" + std::to_string(right) + " leaves nothing of " + in[0].str() +
                       " (output " + std::to_string(h) + "x" + std::to_string(w) + ")");
    return Shape{in[0].c, h, w};
  }
  // A copy: no multiply-adds and, as for concat, no element-wise operations.
  LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return LayerCost{}; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class PadOp : public Op {
 public:
  int top = 0, left = 0;
  Shape x, y;
  // Output (oy, ox) reads input (oy - top, ox - left) where that lies inside the input, else 0.
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    std::fill(out, out + y.elements(), 0.0f);
    const int x0 = std::max(left, 0), x1 = std::min(y.w, x.w + left);  // output columns from the input
    if (x1 <= x0) return;
    for (int c = 0; c < y.c; ++c)
      for (int oy = 0; oy < y.h; ++oy) {
        const int iy = oy - top;
        if (iy < 0 || iy >= x.h) continue;
        std::memcpy(out + (int64_t(c) * y.h + oy) * y.w + x0, in[0] + (int64_t(c) * x.h + iy) * x.w + (x0 - left),
                    size_t(x1 - x0) * sizeof(float));
      }
  }
};

std::unique_ptr<Op> Pad::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<PadOp>();
  op->top = top;
  op->left = left;
  op->x = args.in[0];
  op->y = args.out;
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_pad(Attrs& attrs) {
  auto l = std::make_unique<Pad>();
  l->top = attrs.get_int_in("top", 0, -kMaxPad, kMaxPad);
  l->left = attrs.get_int_in("left", 0, -kMaxPad, kMaxPad);
  l->bottom = attrs.get_int_in("bottom", 0, -kMaxPad, kMaxPad);
  l->right = attrs.get_int_in("right", 0, -kMaxPad, kMaxPad);
  return l;
}

}  // namespace mnet
