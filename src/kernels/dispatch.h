// The one place that decides which kernel runs a layer: pure functions from a shape and a SimdLevel
// to a named Kernel. The kernels only state which shapes they compute (their suits/fits facts).
#pragma once
#include <vector>

#include "kernels/depthwise.h"
#include "kernels/simd_level.h"

namespace mnet {

// Every kernel the dispatcher can name. Adding one for a new instruction set: a value here, its
// row in dispatch.cpp's table, its place in the choose_* functions, and the kernel itself.
enum class Kernel {
  depthwise_blocked_avx512,  // 16 channels per vector, small maps (depthwise_blocked.h)
  depthwise_direct_avx512,   // rows straight from the input, masked loads
  depthwise_padded_avx512,   // rows from a zero-padded copy of each plane, stride 1
  depthwise_avx2,            // rows from a zero-padded copy, 8 lanes
  depthwise_scalar,          // plain loops: any kernel size and stride
  gemm_small_map_avx512,     // SmallMapGemm: vectors along the output channels, 7×7 maps
  gemm_packed_avx512,        // PackedGemm: 12×32 tiles over packed weights
  gemm_openblas,             // cblas_sgemm, then one bias/activation pass
  direct_conv_avx512,        // DirectConv: k×k on few input channels (a first layer)
  im2col_gemm,               // im2col, then per group the GEMM choose_gemm names
  gemv_streamed_avx512,      // streamed_gemv: fully connected rows streamed from memory
  gemv_openblas,             // cblas_sgemv, then bias and activation
};

// "gemm_packed_avx512": the kernel's name as `mnet profile` may show it.
const char* kernel_name(Kernel kernel);
// The instruction set the kernel needs; the dispatcher never names a kernel above the level asked.
SimdLevel kernel_simd_level(Kernel kernel);
// Every Kernel, in the order of the enum (for tests and listings).
std::vector<Kernel> all_kernels();

// A convolution as the layer sees it: CHW input and output, square kernel, padding per side.
// Dilation d spreads the taps d pixels apart; only im2col_gemm and depthwise_scalar take d > 1
// (and the 1×1 GEMMs, where a single tap makes d meaningless).
struct ConvShape {
  int in_c = 0, in_h = 0, in_w = 0;
  int out_c = 0, out_h = 0, out_w = 0;
  int kernel = 1, stride = 1, groups = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int dilation = 1;
};

// One filter per channel (groups = channels, depth multiplier 1).
bool is_depthwise(const ConvShape& s);
// 1×1, stride 1, one group, no padding: the input as it is is the GEMM's right operand.
bool is_pointwise(const ConvShape& s);
// The depthwise kernels' description of a depthwise ConvShape (activation none, dense planes).
DepthwiseParams depthwise_params(const ConvShape& s);

// The kernel for a convolution: a depthwise_*, for a pointwise one the gemm_* of choose_gemm,
// direct_conv_avx512, or im2col_gemm.
Kernel choose_conv(const ConvShape& s, SimdLevel level);
// The kernel for a depthwise convolution (also each band of a band chain).
Kernel choose_depthwise(const DepthwiseParams& p, SimdLevel level);
// The row kernel (not the 16-channel one) for exactly `level`, with no preference for AVX2 on
// narrow rows: what tests and benchmarks use to run each instruction set's code on one machine.
Kernel depthwise_row_kernel(const DepthwiseParams& p, SimdLevel level);
// C[M,N] = A[M,K]·B[K,N] with constant weights A (a 1×1 convolution, or one group of im2col).
Kernel choose_gemm(int M, int K, int N, SimdLevel level);
// y[M] = A[M,K]·x[K]: a fully connected layer.
Kernel choose_fc(int M, int K, SimdLevel level);

}  // namespace mnet
