// Resizing a map (DeepLab's logits to the image, LR-ASPP's branch to its skip, FPN's top-down
// path): bilinear or nearest, with TensorFlow's two options, computed as TF's resize_bilinear /
// resize_nearest_neighbor and PyTorch's F.interpolate compute them.
//
// Source position of output pixel i along an axis of `in` → `out` pixels:
//   align_corners:       i · (in − 1)/(out − 1)           (both; PyTorch align_corners=True)
//   half_pixel_centers:  (i + 0.5) · in/out − 0.5         (PyTorch bilinear align_corners=False)
//   neither:             i · in/out                       (TF1's legacy; PyTorch's "nearest")
// Bilinear clamps the two taps to the map and interpolates; nearest takes floor (round under
// align_corners; half-pixel centres drop the − 0.5, as TF and PyTorch's "nearest-exact").
#include <cmath>

#include "layers/common.h"

namespace mnet {
namespace {

// Far beyond any network's 2×, 8×, 16× or 32×; keeps the output size meaningful before the
// graph's own kMaxActivationElements check.
constexpr double kMaxUpsampleScale = 64;

enum class ResizeMode { bilinear, nearest };

// Where one output row or column reads: taps lo and hi, weight of hi.
struct Tap {
  int lo = 0, hi = 0;
  float frac = 0;
};

class Upsample : public Layer {
 public:
  ResizeMode mode = ResizeMode::bilinear;
  double scale = 0;           // > 0: output = ⌊input · scale⌋
  int height = 0, width = 0;  // > 0: a fixed output size
  bool align_corners = false, half_pixel_centers = true;

  std::string type() const override { return "upsample"; }
  std::string summary() const override {
    std::string s = mode == ResizeMode::bilinear ? "bilinear" : "nearest";
    if (scale > 0) s += " x" + format_number(scale);
    else if (height > 0) s += " " + std::to_string(height) + "x" + std::to_string(width);
    else s += " to input 2's size";
    if (align_corners) s += " align_corners";
    if (half_pixel_centers) s += " half_pixel";
    return s;
  }
  // Without `scale` or a size the output takes the size of a second input (torchvision's
  // F.interpolate(x, size=features.shape[-2:])), which is read for its shape only.
  int arity() const override { return scale > 0 || height > 0 ? 1 : 2; }
  Shape infer_shape(const std::vector<Shape>& in) const override {
    int h = height, w = width;
    if (scale > 0) {
      h = int(std::floor(in[0].h * scale));
      w = int(std::floor(in[0].w * scale));
      if (h < 1 || w < 1)
        throw LayerError("scale " + format_number(scale) + " leaves nothing of " + in[0].str());
    } else if (height <= 0) {
      h = in[1].h;
      w = in[1].w;
    }
    if (h > kMaxResolution || w > kMaxResolution)
      throw LayerError("output " + std::to_string(h) + "x" + std::to_string(w) + " exceeds kMaxResolution = " +
                       std::to_string(kMaxResolution));
    return Shape{in[0].c, h, w};
  }
  // The papers count resizing as nothing (V2 Table 7 counts convolutions); bilinear is one
  // interpolation per output value, counted with the element-wise operations; nearest a copy.
  LayerCost cost(const std::vector<Shape>&, const Shape& out) const override {
    LayerCost c;
    if (mode == ResizeMode::bilinear) c.elementwise_ops = out.elements();
    return c;
  }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;

  std::vector<Tap> taps(int in, int out) const {
    // TF's scale: (in − 1)/(out − 1) under align_corners (0 for one output pixel), else in/out.
    const double step = align_corners ? (out > 1 ? double(in - 1) / (out - 1) : 0.0) : double(in) / out;
    std::vector<Tap> t(static_cast<size_t>(out));
    for (int i = 0; i < out; ++i) {
      Tap& tap = t[size_t(i)];
      if (mode == ResizeMode::nearest) {
        const double at = half_pixel_centers ? (i + 0.5) * step : i * step;
        const int64_t k = align_corners ? int64_t(std::round(at)) : int64_t(std::floor(at));
        tap.lo = tap.hi = int(std::clamp<int64_t>(k, 0, in - 1));
        continue;
      }
      const double at = half_pixel_centers ? (i + 0.5) * step - 0.5 : i * step;
      const double floor_at = std::floor(at);
      // Clamped as TF does; below 0 both taps are pixel 0, so the weight does not matter.
      tap.lo = int(std::clamp<int64_t>(int64_t(floor_at), 0, in - 1));
      tap.hi = int(std::clamp<int64_t>(int64_t(std::ceil(at)), 0, in - 1));
      tap.frac = float(at - floor_at);
    }
    return t;
  }
};

class UpsampleOp : public Op {
 public:
  Shape x, y;
  bool bilinear = true;
  std::vector<Tap> rows, cols;
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    const float* src = in[0];
    const int64_t in_plane = int64_t(x.h) * x.w, out_plane = int64_t(y.h) * y.w;
    const int channels = y.c;
#pragma omp parallel for num_threads(ctx.threads) schedule(static) if (ctx.threads > 1 && channels > 1)
    for (int c = 0; c < channels; ++c) {
      const float* plane = src + c * in_plane;
      float* dst = out + c * out_plane;
      for (int oy = 0; oy < y.h; ++oy) {
        const Tap& r = rows[size_t(oy)];
        const float* top = plane + int64_t(r.lo) * x.w;
        const float* bottom = plane + int64_t(r.hi) * x.w;
        float* line = dst + int64_t(oy) * y.w;
        if (!bilinear) {
          for (int ox = 0; ox < y.w; ++ox) line[ox] = top[cols[size_t(ox)].lo];
          continue;
        }
        // TF's order: across each row, then between the rows.
        for (int ox = 0; ox < y.w; ++ox) {
          const Tap& t = cols[size_t(ox)];
          const float upper = top[t.lo] + (top[t.hi] - top[t.lo]) * t.frac;
          const float lower = bottom[t.lo] + (bottom[t.hi] - bottom[t.lo]) * t.frac;
          line[ox] = upper + (lower - upper) * r.frac;
        }
      }
    }
  }
};

std::unique_ptr<Op> Upsample::prepare(const PrepareArgs& args) const {
  auto op = std::make_unique<UpsampleOp>();
  op->x = args.in[0];
  op->y = args.out;
  op->bilinear = mode == ResizeMode::bilinear;
  op->rows = taps(op->x.h, op->y.h);
  op->cols = taps(op->x.w, op->y.w);
  return op;
}

}  // namespace

std::unique_ptr<Layer> make_upsample(Attrs& attrs) {
  auto l = std::make_unique<Upsample>();
  const std::string mode = attrs.get_string("mode", "bilinear");
  if (mode == "bilinear") l->mode = ResizeMode::bilinear;
  else if (mode == "nearest") l->mode = ResizeMode::nearest;
  else throw LayerError("mode must be \"bilinear\" or \"nearest\", got \"" + cut_for_message(mode) + "\"");
  if (attrs.has("scale") && (attrs.has("size") || attrs.has("height") || attrs.has("width")))
    throw LayerError("give either 'scale' or an output size, not both");
  if (attrs.has("scale")) {
    l->scale = attrs.require_number_in("scale", 0, kMaxUpsampleScale);
    if (!(l->scale > 0))
      throw LayerError("scale must be above 0 and at most kMaxUpsampleScale = " + format_number(kMaxUpsampleScale) +
                       ", got " + format_number(l->scale));
  } else if (attrs.has("size") || attrs.has("height") || attrs.has("width")) {
    // `size` for a square output, or `height` and `width`.
    if (attrs.has("size") && (attrs.has("height") || attrs.has("width")))
      throw LayerError("give either 'size' or 'height' and 'width', not both");
    if (attrs.has("size")) {
      l->height = l->width = attrs.require_int_in("size", 1, kMaxResolution);
    } else {
      if (!attrs.has("height") || !attrs.has("width")) throw LayerError("'height' and 'width' go together");
      l->height = attrs.require_int_in("height", 1, kMaxResolution);
      l->width = attrs.require_int_in("width", 1, kMaxResolution);
    }
  }
  l->align_corners = attrs.get_bool("align_corners", false);
  // Default: PyTorch's align_corners=False and TF2's tf.image.resize for bilinear (half-pixel
  // centres); PyTorch's "nearest" for nearest. TF1's legacy bilinear sets both false.
  l->half_pixel_centers = attrs.get_bool("half_pixel_centers", l->mode == ResizeMode::bilinear && !l->align_corners);
  if (l->align_corners && l->half_pixel_centers)
    throw LayerError("align_corners and half_pixel_centers cannot both be true (TensorFlow refuses it too)");
  return l;
}

}  // namespace mnet
