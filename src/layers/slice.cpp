// Slice: channels [begin, end) of the input, as ShuffleNet v2's channel split
// (`x1, x2 = x.chunk(2, dim=1)` is two slices, [0, C/2) and [C/2, C)). The engine stores maps
// channel-major, so the slice is one contiguous block: a copy.
#include <algorithm>

#include "layers/common.h"

namespace mnet {
namespace {

class Slice : public Layer {
 public:
  int begin = 0, end = 1;  // channels [begin, end)

  std::string type() const override { return "slice"; }
  std::string summary() const override { return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")"; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (!(begin < end && end <= in[0].c))
      throw LayerError("channels [begin, end) must satisfy 0 <= begin < end <= input channels, got begin " +
                       std::to_string(begin) + ", end " + std::to_string(end) + " of " + std::to_string(in[0].c) +
                       " channels");
    return Shape{end - begin, in[0].h, in[0].w};
  }
  // A copy: no multiply-adds and, by the papers' convention, no element-wise operations.
  LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return LayerCost{}; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class SliceOp : public Op {
 public:
  int64_t offset = 0;  // floats before channel `begin`
  int64_t n = 0;       // floats of the output
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    std::copy(in[0] + offset, in[0] + offset + n, out);
  }
};

std::unique_ptr<Op> Slice::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<SliceOp>();
  op->offset = int64_t(begin) * args.in[0].h * args.in[0].w;
  op->n = args.out.elements();
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_slice(Attrs& attrs) {
  auto l = std::make_unique<Slice>();
  l->begin = attrs.require_int_in("begin", 0, kMaxChannels - 1);
  l->end = attrs.require_int_in("end", 1, kMaxChannels);
  return l;
}

}  // namespace mnet
