// What an op offers so that a chain of convolutions can run band of rows by band (run/chain_bands.h)
// without knowing the op's class or kernel: a 1×1 that computes some pixels, a depthwise some rows.
#pragma once
#include <algorithm>
#include <cstddef>

namespace mnet {

// A 1×1 convolution: out[o][j] = f(Σ_c w[o][c] · in[c][j] + b[o]) over the [C, pixels] planes.
class PointwiseBands {
 public:
  virtual ~PointwiseBands() = default;
  // Whether run_pixels works on this op: false where its kernel needs dense planes (OpenBLAS), and
  // then chains leave it alone.
  virtual bool runs_pixels() const = 0;
  // The same output as the whole op for `n` consecutive pixels, on one thread: a channel's n pixels
  // are contiguous, channels are `in_stride` (input) and `out_stride` (output) floats apart.
  virtual void run_pixels(int n, const float* in, size_t in_stride, float* out, size_t out_stride) const = 0;
};

// A depthwise convolution's geometry, as a band of output rows needs it.
struct RowWindow {
  int channels = 0;
  int in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int kernel = 1, stride = 1, pad_top = 0;

  // The input rows [first, last) that output rows [y0, y1) read, clipped to the image.
  int first_input_row(int y0) const { return std::max(0, y0 * stride - pad_top); }
  int end_input_row(int y1) const { return std::min(in_h, (y1 - 1) * stride - pad_top + kernel); }
};

// A depthwise convolution that computes output rows [y0, y1) of every channel from their input rows.
class DepthwiseBands {
 public:
  virtual ~DepthwiseBands() = default;
  virtual RowWindow window() const = 0;
  // On one thread, the same output rows as the whole op. `in` holds input rows
  // [window().first_input_row(y0), window().end_input_row(y1)) of each channel, channels `in_stride`
  // floats apart; `out` receives rows [y0, y1), channels `out_stride` floats apart.
  virtual void run_rows(int y0, int y1, const float* in, size_t in_stride, float* out, size_t out_stride) const = 0;
};

}  // namespace mnet
