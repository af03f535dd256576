// Element-wise kernels: activations, adds, pooling, per-channel scaling, fake quantization, softmax.
#pragma once
#include <cstdint>

#include "core/activation.h"

namespace mnet {

// out[i] = act(in[i]); in and out may alias.
void activation_forward(const float* in, float* out, int64_t n, Act act);
// out[i] = act(a[i] + b[i]). Split between `threads` from 2^15 elements up: after a layer that
// ran on two cores, one thread alone would fetch half of its inputs from the other core's L2.
void add_forward(const float* a, const float* b, float* out, int64_t n, Act act, int threads = 1);
// in [C, H·W] → out [C]: the mean of each channel (split by channels as add_forward).
void global_avgpool_forward(const float* in, int channels, int64_t spatial, float* out, int threads = 1);
// out[c, i] = in[c, i] · scale[c] (squeeze-excite's gating; split by channels as add_forward).
void channel_scale_forward(const float* in, const float* scale, int channels, int64_t spatial, float* out,
                           int threads = 1);
// out[c, i] = in[c, i] · scale[c] + shift[c] (an unfolded BatchNorm).
void channel_affine_forward(const float* in, const float* scale, const float* shift, int channels,
                            int64_t spatial, float* out);
// The value grid of an 8-bit quantized tensor: real = (q - zero_point) · scale, q in [qmin, qmax].
struct QuantGrid {
  float scale = 1, zero_point = 0, qmin = 0, qmax = 255;
};
// out[i] = the grid value nearest in[i] (ties to even, as XNNPACK requantizes), clamped to the grid.
void round_to_grid(const float* in, float* out, int64_t n, const QuantGrid& grid);

// Numerically stable softmax over n values.
void softmax_forward(const float* in, float* out, int64_t n);

}  // namespace mnet
