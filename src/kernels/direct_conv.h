// A direct AVX-512 k×k convolution for few input channels (a network's first layer).
#pragma once
#include <vector>

#include "core/activation.h"

namespace mnet {

// A k×k convolution over few input channels (a network's first layer, on RGB) computed directly
// with AVX-512: 16 output pixels per vector, 3 vectors × 8 output channels at a time, every tap one load from
// a zero-padded copy of the input (stride 2: its even and odd columns apart). im2col + GEMM spent
// most of its time writing and reading the 27-row column matrix.
struct DirectConvShape {
  int in_c = 0, in_h = 0, in_w = 0;
  int out_c = 0, out_h = 0, out_w = 0;
  int kernel = 3, stride = 1, pad_top = 0, pad_left = 0;
};

class DirectConv {
 public:
  // Whether the shape is one this kernel is for, on this CPU.
  static bool suits(const DirectConvShape& s);
  // The shapes it computes, on any CPU: the fact kernels/dispatch.cpp reads.
  static bool fits(const DirectConvShape& s);

  DirectConv() = default;
  // weight [out_c, in_c, k, k], bias [out_c] or empty.
  DirectConv(const DirectConvShape& shape, const std::vector<float>& weight, std::vector<float> bias, Act act);
  // in [in_c, in_h, in_w] → out [out_c, out_h, out_w]; parallel over output rows.
  void run(const float* in, float* out, int threads) const;

 private:
  DirectConvShape s_;
  Act act_ = Act::none;
  std::vector<float> taps_weight_;  // [in_c·k·k][out_c]: one tap's weights for every channel
  std::vector<float> bias_;         // [out_c], zeros where none
  int padded_rows_ = 0, row_pitch_ = 0, odd_offset_ = 0;
  std::vector<int> tap_offset_;     // per tap: its offset in the padded input from a pixel's first
};

}  // namespace mnet
