// Concatenation along channels (GoogLeNet's Inception, ShuffleNet's units): any number of inputs
// of equal H and W, copied one after another into the output.
#include <cstring>

#include "layers/common.h"

namespace mnet {
namespace {

// Inception modules concatenate 4 branches, NASNet cells up to 6; far more is a broken description.
constexpr int kMaxConcatInputs = 64;

class Concat : public Layer {
 public:
  std::string type() const override { return "concat"; }
  int arity() const override { return kTwoOrMoreInputs; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (in.size() > size_t(kMaxConcatInputs))
      throw LayerError("takes at most kMaxConcatInputs = " + std::to_string(kMaxConcatInputs) + " inputs, got " +
                       std::to_string(in.size()));
    int64_t channels = 0;
    for (const Shape& s : in) {
      if (s.h != in[0].h || s.w != in[0].w)
        throw LayerError("inputs must have the same height and width, got " + in[0].str() + " and " + s.str());
      channels += s.c;
    }
    if (channels > kMaxChannels)
      throw LayerError("output channels " + std::to_string(channels) + " exceed kMaxChannels = " +
                       std::to_string(kMaxChannels));
    return Shape{int(channels), in[0].h, in[0].w};
  }
  // A copy: no multiply-adds and, by the papers' convention, no element-wise operations.
  LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return LayerCost{}; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class ConcatOp : public Op {
 public:
  std::vector<int64_t> sizes;  // floats of each input; [C, H, W] keeps each one contiguous
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    for (size_t i = 0; i < sizes.size(); ++i) {
      std::memcpy(out, in[i], size_t(sizes[i]) * sizeof(float));
      out += sizes[i];
    }
  }
};

std::unique_ptr<Op> Concat::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<ConcatOp>();
  for (const Shape& s : args.in) op->sizes.push_back(s.elements());
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_concat(Attrs&) { return std::make_unique<Concat>(); }

}  // namespace mnet
