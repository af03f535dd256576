// The executable forms of the 1×1 and depthwise convolutions, prepared by conv.cpp; both offer to
// run a band of rows (graph/row_bands.h), which is how run/chain_bands.h chains them.
#pragma once
#include <vector>

#include "graph/layer.h"
#include "graph/row_bands.h"
#include "kernels/conv_gemm.h"
#include "kernels/depthwise.h"
#include "layers/common.h"

namespace mnet {

// A conv's or dwconv's `dilation`: 1..kMaxDilation (DeepLab's atrous rates reach 36: torchvision's
// DeepLabHead and TF DeepLab at output stride 8 use 12, 24, 36).
constexpr int kMaxDilation = 64;

class PointwiseOp : public Op, public PointwiseBands {
 public:
  ConvGemm gemm;            // weight [out_c, in_c], N = H·W
  std::vector<float> bias;  // [out_c] or empty
  Act act = Act::none;
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    // 1x1 stride 1: the CHW input already is the GEMM's [in_c, H·W] operand, no im2col needed.
    gemm.run(in[0], out, data_or_null(bias), act, ctx.threads);
  }
  bool runs_pixels() const override { return gemm.packed(); }
  std::string kernel_name() const override { return mnet::kernel_name(gemm.kernel()); }
  void run_pixels(int n, const float* in, size_t in_stride, float* out, size_t out_stride) const override {
    gemm.run_strided(n, in, in_stride, out, out_stride, data_or_null(bias), act, 1);
  }
};

// A depthwise convolution over the whole map. A dilated one stays this: band chains size their
// buffers, and the memory estimate bounds them, from the undilated kernel's rows.
class DepthwiseOp : public Op {
 public:
  DepthwiseParams p;
  std::vector<float> weight;  // [C, k, k]
  std::vector<float> bias;    // [C] or empty
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    depthwise_conv(p, in[0], weight.data(), data_or_null(bias), out, ctx.threads);
  }
  // Of the whole layer: a band of rows may take another (depthwise_conv asks for each call).
  std::string kernel_name() const override { return mnet::kernel_name(choose_depthwise(p, simd_level())); }
};

// An undilated depthwise, which band chains may also run a band of output rows at a time.
class BandedDepthwiseOp : public DepthwiseOp, public DepthwiseBands {
 public:
  RowWindow window() const override {
    return RowWindow{p.channels, p.in_h, p.in_w, p.out_h, p.out_w, p.kernel, p.stride, p.pad_top};
  }
  void run_rows(int y0, int y1, const float* in, size_t in_stride, float* out, size_t out_stride) const override {
    // The band as a convolution of its own: its input rows, with as much padding above them as
    // the whole image has there (none below the top); past the image's last row it reads zeros.
    const RowWindow rows = window();
    const int first = y0 * p.stride - p.pad_top, iy0 = rows.first_input_row(y0);
    DepthwiseParams band = p;
    band.in_h = std::max(rows.end_input_row(y1) - iy0, 0);
    band.pad_top = iy0 - first;
    band.out_h = y1 - y0;
    band.in_channel_stride = in_stride;
    band.out_channel_stride = out_stride;
    depthwise_conv(band, in, weight.data(), data_or_null(bias), out, 1);
  }
};

}  // namespace mnet
