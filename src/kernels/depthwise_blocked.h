// Depthwise convolution on small maps with 16 channels per AVX-512 vector.
#pragma once
#include "kernels/depthwise.h"

namespace mnet {

// Depthwise convolution with 16 channels per vector, for small maps, on AVX-512: each block of 16
// channel planes is transposed into a zero-padded [pixel][16 channels] buffer, every output pixel
// is then K² full-width FMAs whatever the map's width or the stride, and the block is transposed
// back. depthwise_conv's contract, for the shapes depthwise_blocked_fits() accepts: kernel 3 or 5,
// stride 1 or 2, input rows of at most 16 and at most 256 pixels. `parallel`: split the channel
// blocks between `threads` (depthwise_conv decides by the work).
// The shapes it computes, on any CPU: the fact kernels/dispatch.cpp reads.
bool depthwise_blocked_fits(const DepthwiseParams& p);
// Whether depthwise_conv runs p through this kernel here: the dispatcher's choice at simd_level().
bool depthwise_blocked_suits(const DepthwiseParams& p);
void depthwise_conv_blocked(const DepthwiseParams& p, const float* in, const float* weight, const float* bias,
                            float* out, int threads, bool parallel);

}  // namespace mnet
