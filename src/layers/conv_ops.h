#pragma once
// The executable forms of the 1×1 and depthwise convolutions, shared by conv.cpp, which prepares
// them, and conv_bands.cpp, which chains them.
#include <vector>

#include "graph/layer.h"
#include "kernels/depthwise.h"
#include "kernels/conv_gemm.h"
#include "layers/common.h"

namespace mnet {

class PointwiseOp : public Op {
 public:
  ConvGemm gemm;            // weight [out_c, in_c], N = H·W
  std::vector<float> bias;  // [out_c] or empty
  Act act = Act::none;
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    // 1x1 stride 1: the CHW input already is the GEMM's [in_c, H·W] operand, no im2col needed.
    gemm.run(in[0], out, data_or_null(bias), act, ctx.threads);
  }
};

class DepthwiseOp : public Op {
 public:
  DepthwiseParams p;
  std::vector<float> weight;  // [C, k, k]
  std::vector<float> bias;    // [C] or empty
  void run(const std::vector<const float*>& in, float* out, RunContext& ctx) override {
    depthwise_conv(p, in[0], weight.data(), data_or_null(bias), out, ctx.threads);
  }
};

}  // namespace mnet
