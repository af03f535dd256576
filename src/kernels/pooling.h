// Windowed kernels on [C, H, W] maps: max and average pooling with PyTorch's padding and ceil-mode
// rules, and local response normalisation across channels (AlexNet, GoogLeNet).
#pragma once
#include <cstdint>

namespace mnet {

// One square pooling window sliding over a map, with `pad` on every side.
struct PoolGeometry {
  int channels = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int kernel = 1, stride = 1, pad = 0;
};

// PyTorch's output size: floor (or ceil) of (in + 2·pad - kernel) / stride, plus 1; with ceil_mode
// the last window is dropped when it would start in the right padding. Needs kernel ≤ in + 2·pad.
int pool_output_size(int in, int kernel, int stride, int pad, bool ceil_mode);

// out[c, y, x] = the largest input value in the window; padding never wins (PyTorch pads with
// -inf) and a NaN in the window is the result, as in PyTorch. Split by channels over `threads`.
void maxpool_forward(const float* in, const PoolGeometry& g, float* out, int threads = 1);
// out[c, y, x] = the window's mean. The divisor is the window clipped to the padded map with
// count_include_pad (PyTorch's default), else the input values it covers.
void avgpool_forward(const float* in, const PoolGeometry& g, bool count_include_pad, float* out,
                     int threads = 1);

// PyTorch's LocalResponseNorm: out = in / (k + alpha / size · Σ in²)^beta, the sum over channels
// c - size/2 … c + (size-1)/2 that exist.
struct LrnParams {
  int size = 5;
  float alpha = 1e-4f, beta = 0.75f, k = 1.0f;
};
void lrn_forward(const float* in, int channels, int64_t spatial, const LrnParams& p, float* out,
                 int threads = 1);

}  // namespace mnet
