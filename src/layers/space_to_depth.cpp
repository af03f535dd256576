// Space to depth (TensorFlow's tf.nn.space_to_depth; YOLOv2's passthrough "reorg" layer): every
// block×block patch of the map becomes block² · C channels of one pixel. Output channel
// (dy·block + dx)·C + c at (y, x) is input channel c at (y·block + dy, x·block + dx), which is
// TensorFlow's NHWC order written for [C, H, W]. (Darknet's own reorg permutes the channels
// differently; the cost is the same: a copy.)
#include <cstring>

#include "layers/common.h"

namespace mnet {
namespace {

// YOLOv2 uses 2; larger blocks only multiply channels.
constexpr int kMaxSpaceToDepthBlock = 8;

class SpaceToDepth : public Layer {
 public:
  int block = 2;

  std::string type() const override { return "space_to_depth"; }
  std::string summary() const override { return "block " + std::to_string(block); }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    if (in[0].h % block != 0 || in[0].w % block != 0)
      throw LayerError("height and width must be multiples of block " + std::to_string(block) + ", got " +
                       in[0].str());
    const int64_t channels = int64_t(in[0].c) * block * block;
    if (channels > kMaxChannels)
      throw LayerError("output channels " + std::to_string(channels) + " exceed kMaxChannels = " +
                       std::to_string(kMaxChannels));
    return Shape{int(channels), in[0].h / block, in[0].w / block};
  }
  // A copy: no multiply-adds and, as concat, no element-wise operations.
  LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return LayerCost{}; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class SpaceToDepthOp : public Op {
 public:
  int block = 2;
  Shape x, y;
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    for (int dy = 0; dy < block; ++dy)
      for (int dx = 0; dx < block; ++dx)
        for (int c = 0; c < x.c; ++c) {
          float* dst = out + int64_t((dy * block + dx) * x.c + c) * y.h * y.w;
          const float* src = in[0] + int64_t(c) * x.h * x.w;
          for (int oy = 0; oy < y.h; ++oy)
            for (int ox = 0; ox < y.w; ++ox)
              dst[int64_t(oy) * y.w + ox] = src[int64_t(oy * block + dy) * x.w + ox * block + dx];
        }
  }
};

std::unique_ptr<Op> SpaceToDepth::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<SpaceToDepthOp>();
  op->block = block;
  op->x = args.in[0];
  op->y = args.out;
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_space_to_depth(Attrs& attrs) {
  auto l = std::make_unique<SpaceToDepth>();
  l->block = attrs.get_int_in("block", 2, 1, kMaxSpaceToDepthBlock);
  return l;
}

}  // namespace mnet
