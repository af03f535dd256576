// Depthwise convolution: its parameters and the kernels for each instruction set.
#pragma once
#include "core/activation.h"
#include "kernels/simd_level.h"

namespace mnet {

enum class Kernel;  // kernels/dispatch.h

// Depthwise convolution (one k×k filter per channel, depth multiplier 1) on a CHW tensor.
// Padding: pad_top/pad_left zeros before the first row/column; rows/columns past the input's end
// read as zero too, so asymmetric (TensorFlow SAME) padding is expressed through out_h/out_w.
struct DepthwiseParams {
  int channels = 0;
  int in_h = 0, in_w = 0;
  int out_h = 0, out_w = 0;
  int kernel = 3;  // 3 or 5 on the fast path; any k on the reference path
  int stride = 1;  // 1 or 2 on the fast path
  int dilation = 1;  // taps d apart (input rows/columns ky·d, kx·d); only the scalar path takes d > 1
  int pad_top = 0, pad_left = 0;
  Act act = Act::none;
  // Floats from one channel's plane to the next; 0: the planes are dense (in_h·in_w, out_h·out_w).
  // Larger strides let a band of rows inside taller planes be read or written in place.
  size_t in_channel_stride = 0, out_channel_stride = 0;

  size_t in_stride() const { return in_channel_stride ? in_channel_stride : size_t(in_h) * in_w; }
  size_t out_stride() const { return out_channel_stride ? out_channel_stride : size_t(out_h) * out_w; }
};

// in [C, in_h, in_w], weight [C, k, k], bias [C] or null, out [C, out_h, out_w].
// Vectorised, parallel over channels, through the kernel choose_depthwise (kernels/dispatch.h)
// names for p at simd_level().
void depthwise_conv(const DepthwiseParams& p, const float* in, const float* weight, const float* bias,
                    float* out, int threads);

// Plain loops, the numerical reference for tests.
void depthwise_conv_reference(const DepthwiseParams& p, const float* in, const float* weight,
                              const float* bias, float* out);

// depthwise_conv forced onto one instruction set's row kernel (kernels/dispatch.h:
// depthwise_row_kernel), so tests can check every path on one machine. A level above simd_level()
// is lowered to it.
void depthwise_conv_with(SimdLevel level, const DepthwiseParams& p, const float* in,
                         const float* weight, const float* bias, float* out, int threads);

// depthwise_conv through the named kernel (a depthwise_* Kernel of kernels/dispatch.h). Throws
// RunError for a kernel that is not a depthwise one, needs more than simd_level(), or does not
// suit p.
void depthwise_conv_as(Kernel kernel, const DepthwiseParams& p, const float* in, const float* weight,
                       const float* bias, float* out, int threads);

// The shapes the row kernels compute (the dispatcher reads these; any CPU): the AVX2 and AVX-512
// direct ones take kernel 3 or 5 at stride 1 or 2; the AVX-512 one on a padded plane, stride 1.
// None of them dilates: a dilated depthwise runs on depthwise_scalar.
bool depthwise_rows_suit(const DepthwiseParams& p);
bool depthwise_padded_avx512_suits(const DepthwiseParams& p);

}  // namespace mnet
