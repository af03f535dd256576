// Convolution with groups: full k×k (im2col + GEMM), pointwise 1×1 (one GEMM on the input as it
// is) and depthwise (groups = channels, direct kernels).
#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "kernels/direct_conv.h"
#include "kernels/dispatch.h"
#include "kernels/im2col.h"
#include "layers/common.h"
#include "layers/conv_ops.h"

namespace mnet {
namespace {

struct Padding {
  int top = 0, left = 0, bottom = 0, right = 0;
};

// TensorFlow's SAME: output = ceil(input / stride), the odd pixel of padding goes after.
// `extent`: the kernel's span d·(k − 1) + 1.
void same_padding(int in, int extent, int s, int* before, int* after) {
  int out = (in + s - 1) / s;
  int total = std::max((out - 1) * s + extent - in, 0);
  *before = total / 2;
  *after = total - *before;
}

class Conv : public Layer {
 public:
  bool depthwise = false;
  int out_c = 0;  // for depthwise: equal to the input's channels
  int expect_in = 0;  // "in": input channels the description expects, 0 = whatever arrives
  int kernel = 1;
  int stride = 1;
  int dilation = 1;  // taps `dilation` pixels apart
  int groups = 1;
  bool same = false;  // TensorFlow SAME padding instead of `pad` on every side
  int pad = 0;
  bool bias = false;
  Act act = Act::none;

  std::string type() const override { return depthwise ? "dwconv" : "conv"; }
  std::string summary() const override {
    std::string s = "k" + std::to_string(kernel) + " s" + std::to_string(stride);
    if (dilation > 1) s += " d" + std::to_string(dilation);
    if (!depthwise && groups > 1) s += " g" + std::to_string(groups);
    s += same ? " same" : " p" + std::to_string(pad);
    if (bias) s += " bias";
    if (act != Act::none) s += std::string(" ") + act_name(act);
    return s;
  }

  int groups_for(const Shape& in) const { return depthwise ? in.c : groups; }
  int out_for(const Shape& in) const { return depthwise ? in.c : out_c; }
  // Rows (and columns) of input one output reads.
  int extent() const { return dilation * (kernel - 1) + 1; }

  Padding padding_for(const Shape& in) const {
    Padding p;
    if (same) {
      same_padding(in.h, extent(), stride, &p.top, &p.bottom);
      same_padding(in.w, extent(), stride, &p.left, &p.right);
    } else {
      p.top = p.left = p.bottom = p.right = pad;
    }
    return p;
  }

  Shape infer_shape(const std::vector<Shape>& in) const override {
    const Shape& x = in[0];
    if (expect_in && x.c != expect_in)
      throw LayerError("expects " + std::to_string(expect_in) + " input channels, its input has " +
                       std::to_string(x.c));
    int g = groups_for(x);
    if (x.c % g != 0)
      throw LayerError("input channels " + std::to_string(x.c) + " not divisible by groups " +
                       std::to_string(g));
    if (out_for(x) % g != 0)
      throw LayerError("output channels " + std::to_string(out_for(x)) +
                       " not divisible by groups " + std::to_string(g));
    Padding p = padding_for(x);
    const int span = extent();
    if (span > x.h + p.top + p.bottom || span > x.w + p.left + p.right)
      throw LayerError("kernel " + std::to_string(kernel) + "x" + std::to_string(kernel) +
                       (dilation > 1 ? " dilated " + std::to_string(dilation) + " (spanning " +
                                           std::to_string(span) + ")" : std::string()) +
                       " larger than its padded input " + std::to_string(x.h + p.top + p.bottom) +
                       "x" + std::to_string(x.w + p.left + p.right));
    return Shape{out_for(x), (x.h + p.top + p.bottom - span) / stride + 1,
                 (x.w + p.left + p.right - span) / stride + 1};
  }

  std::vector<WeightDecl> weights(const std::vector<Shape>& in, const Shape& out) const override {
    std::vector<WeightDecl> w{{"weight", {out.c, in[0].c / groups_for(in[0]), kernel, kernel}}};
    if (bias) w.push_back({"bias", {out.c}});
    return w;
  }

  LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override {
    LayerCost c;
    int g = groups_for(in[0]);
    c.madds = int64_t(out.h) * out.w * out.c * (in[0].c / g) * kernel * kernel;
    c.elementwise_ops = act == Act::none ? 0 : out.elements();
    bool is_depthwise = g == in[0].c && g == out.c && g > 1;
    c.category = CostCategory{is_depthwise ? CostKind::depthwise : CostKind::conv, kernel};
    return c;
  }

  bool accepts_bn() const override { return true; }
  bool accepts_act() const override { return act == Act::none; }
  std::unique_ptr<Op> prepare(const PrepareArgs& args) const override;
};

class Im2colOp : public Op {
 public:
  std::vector<ConvGemm> gemms;  // per group: weight [out_c/groups, in_c/groups · k · k]
  std::vector<float> bias;      // [out_c] or empty
  Shape x, y;
  int groups = 1, kernel = 1, stride = 1, dilation = 1;
  Padding pad;
  Act act = Act::none;
  int64_t scratch_floats() const override {
    return int64_t(x.c / groups) * kernel * kernel * y.h * y.w;
  }
  std::string kernel_name() const override {
    return std::string(mnet::kernel_name(Kernel::im2col_gemm)) + "/" + mnet::kernel_name(gemms.at(0).kernel());
  }
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    int in_g = x.c / groups, out_g = y.c / groups;
    int spatial = y.h * y.w;
    for (int g = 0; g < groups; ++g) {
      im2col(in[0] + int64_t(g) * in_g * x.h * x.w, in_g, x.h, x.w, kernel, stride, pad.top, pad.left,
             y.h, y.w, ctx.scratch, dilation);
      gemms[g].run(ctx.scratch, out + int64_t(g) * out_g * spatial,
                   bias.empty() ? nullptr : bias.data() + int64_t(g) * out_g, act, ctx.threads);
    }
  }
};

class DirectConvOp : public Op {
 public:
  DirectConv conv;
  std::string kernel_name() const override { return mnet::kernel_name(Kernel::direct_conv_avx512); }
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    conv.run(in[0], out, ctx.threads);
  }
};

// Each row of `row` values `times` times over, in order: [a, b] → [a, a, b, b] for times 2.
std::vector<float> repeat_rows(const std::vector<float>& values, size_t row, int times) {
  std::vector<float> repeated;
  repeated.reserve(values.size() * size_t(times));
  for (size_t r = 0; r + row <= values.size(); r += row)
    for (int t = 0; t < times; ++t) repeated.insert(repeated.end(), values.begin() + long(r), values.begin() + long(r + row));
  return repeated;
}

std::unique_ptr<Op> Conv::prepare(const PrepareArgs& args) const {
  const Shape& x = args.in[0];
  const Shape& y = args.out;
  Act a = act != Act::none ? act : args.fused_act;
  int g = groups_for(x);
  Padding p = padding_for(x);
  const ConvShape shape{x.c, x.h, x.w, y.c, y.h, y.w, kernel, stride, g, p.top, p.left, p.bottom, p.right, dilation};
  const Kernel chosen = choose_conv(shape, simd_level());
  switch (chosen) {
    case Kernel::depthwise_blocked_avx512:
    case Kernel::depthwise_direct_avx512:
    case Kernel::depthwise_padded_avx512:
    case Kernel::depthwise_avx2:
    case Kernel::depthwise_scalar: {
      // depthwise_conv asks the dispatcher again for each call: a band of rows may take another kernel.
      std::unique_ptr<DepthwiseOp> op =
          dilation > 1 ? std::make_unique<DepthwiseOp>() : std::make_unique<BandedDepthwiseOp>();
      op->p = depthwise_params(shape);
      op->p.act = a;
      op->weight = take_weight(args, "weight");
      op->bias = take_weight(args, "bias");
      if (args.batch > 1) {
        // In the batch layout channel c of image n is plane c·N + n: a depthwise convolution of
        // C·N channels, each channel's kernel and bias repeated for its N planes.
        op->p.channels *= args.batch;
        op->weight = repeat_rows(op->weight, size_t(kernel) * kernel, args.batch);
        op->bias = repeat_rows(op->bias, 1, args.batch);
        op->batch_run = BatchRun::batch_layout;
      }
      return op;
    }
    case Kernel::gemm_small_map_avx512:
    case Kernel::gemm_packed_avx512:
    case Kernel::gemm_openblas: {
      auto op = std::make_unique<PointwiseOp>();
      // In the batch layout the N images' maps lie side by side in each channel's row: one GEMM
      // N times wider, whose kernel is chosen for that width.
      if (args.batch > 1)
        op->gemm = ConvGemm(y.c, x.c, take_weight(args, "weight"), args.batch * x.h * x.w);
      else
        op->gemm = ConvGemm(chosen, y.c, x.c, take_weight(args, "weight"), x.h * x.w);
      if (args.batch > 1) op->batch_run = BatchRun::batch_layout;
      op->act = a;
      op->bias = take_weight(args, "bias");
      return op;
    }
    case Kernel::direct_conv_avx512: {
      auto op = std::make_unique<DirectConvOp>();
      const DirectConvShape direct{x.c, x.h, x.w, y.c, y.h, y.w, kernel, stride, p.top, p.left};
      op->conv = DirectConv(direct, take_weight(args, "weight"), take_weight(args, "bias"), a);
      return op;
    }
    case Kernel::im2col_gemm:
      break;
    default:
      throw RunError(std::string("conv: the dispatcher named ") + kernel_name(chosen) + ", not a convolution kernel");
  }
  auto op = std::make_unique<Im2colOp>();
  op->x = x;
  op->y = y;
  op->groups = g;
  op->kernel = kernel;
  op->stride = stride;
  op->dilation = dilation;
  op->pad = p;
  op->act = a;
  const std::vector<float> weight = take_weight(args, "weight");
  const int out_g = y.c / g, rows = x.c / g * kernel * kernel;
  const Kernel gemm = choose_gemm(out_g, rows, y.h * y.w, simd_level());
  for (int group = 0; group < g; ++group) {
    const float* w = weight.data() + int64_t(group) * out_g * rows;
    op->gemms.emplace_back(gemm, out_g, rows, std::vector<float>(w, w + int64_t(out_g) * rows), y.h * y.w);
  }
  op->bias = take_weight(args, "bias");
  return op;
}

void read_common(Conv& c, Attrs& attrs) {
  c.expect_in = attrs.get_int_in("in", 0, 1, kMaxChannels);  // 0: not checked
  c.kernel = attrs.require_int_in("kernel", 1, kMaxKernel);
  c.stride = attrs.get_int_in("stride", 1, 1, kMaxStride);
  if (attrs.has("dilation")) {
    const int64_t d = attrs.require_int("dilation");
    if (d < 1 || d > kMaxDilation)
      throw LayerError("dilation must be between 1 and kMaxDilation = " + std::to_string(kMaxDilation) + ", got " +
                       std::to_string(d));
    c.dilation = int(d);
  }
  if (attrs.is_string("pad")) {
    std::string mode = attrs.require_string("pad");
    if (mode != "same") throw LayerError("pad must be an integer or \"same\", got \"" + mode + "\"");
    c.same = true;
  } else {
    // By default half the span: the size is kept at stride 1 (for an odd kernel).
    c.pad = attrs.get_int_in("pad", c.extent() / 2, 0, c.extent() - 1);
  }
  c.bias = attrs.get_bool("bias", false);
  c.act = read_act(attrs, "act", Act::none);
}

}  // namespace

std::unique_ptr<Layer> make_conv(Attrs& attrs) {
  auto c = std::make_unique<Conv>();
  c->out_c = attrs.require_int_in("out", 1, kMaxChannels);
  c->groups = attrs.get_int_in("groups", 1, 1, kMaxChannels);
  read_common(*c, attrs);
  return c;
}

std::unique_ptr<Layer> make_dwconv(Attrs& attrs) {
  auto c = std::make_unique<Conv>();
  c->depthwise = true;
  read_common(*c, attrs);
  return c;
}

}  // namespace mnet
