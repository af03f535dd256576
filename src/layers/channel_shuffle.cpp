// ShuffleNet's channel shuffle: [C, H, W] viewed as [groups, C/groups, H, W], transposed to
// [C/groups, groups, H, W] and flattened back, as torch.nn.ChannelShuffle does.
#include <cstring>

#include "layers/common.h"

namespace mnet {
namespace {

class ChannelShuffle : public Layer {
 public:
  int groups = 1;

  std::string type() const override { return "channel_shuffle"; }
  std::string summary() const override { return "g" + std::to_string(groups); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (in[0].c % groups != 0)
      throw LayerError("channels " + std::to_string(in[0].c) + " must be divisible by groups " +
                       std::to_string(groups));
    return in[0];
  }
  // A copy: no multiply-adds and, by the papers' convention, no element-wise operations.
  LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return LayerCost{}; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class ChannelShuffleOp : public Op {
 public:
  int groups = 1;
  Shape x;
  // Output channel o = j·groups + i reads input channel i·(C/groups) + j.
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    const int per_group = x.c / groups;
    const size_t plane = size_t(x.h) * size_t(x.w);
    for (int o = 0; o < x.c; ++o)
      std::memcpy(out + size_t(o) * plane, in[0] + (size_t(o % groups) * per_group + o / groups) * plane,
                  plane * sizeof(float));
  }
};

std::unique_ptr<Op> ChannelShuffle::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<ChannelShuffleOp>();
  op->groups = groups;
  op->x = args.in[0];
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_channel_shuffle(Attrs& attrs) {
  auto l = std::make_unique<ChannelShuffle>();
  l->groups = attrs.require_int_in("groups", 1, kMaxChannels);
  return l;
}

}  // namespace mnet
