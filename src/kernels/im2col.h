// im2col: unfolding a k×k convolution's input so that it becomes one GEMM.
#pragma once

namespace mnet {

// Unfolds in [C, H, W] into col [C·k·k, out_h·out_w] (row index = (c·k + ky)·k + kx) so that a
// k×k convolution becomes one GEMM with the weights [out_c, C·k·k]. Tap (ky, kx) of output (y, x)
// reads input (y·stride − pad_top + ky·dilation, x·stride − pad_left + kx·dilation); out-of-image
// taps are zero.
void im2col(const float* in, int channels, int in_h, int in_w, int kernel, int stride, int pad_top,
            int pad_left, int out_h, int out_w, float* col, int dilation = 1);

}  // namespace mnet
