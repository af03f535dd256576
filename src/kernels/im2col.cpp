// im2col with zero padding.
#include "kernels/im2col.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace mnet {

namespace {

// Smallest o >= 0 with o·stride + offset >= 0 (stride > 0).
int first_inside(int offset, int stride) {
  return offset >= 0 ? 0 : (-offset + stride - 1) / stride;
}

// One past the largest o with o·stride + offset < size, or 0 if there is none.
int end_inside(int offset, int stride, int size) {
  return offset >= size ? 0 : (size - 1 - offset) / stride + 1;
}

}  // namespace

void im2col(const float* in, int channels, int in_h, int in_w, int kernel, int stride, int pad_top,
            int pad_left, int out_h, int out_w, float* col, int dilation) {
  const size_t out_plane = size_t(out_h) * out_w;
  for (int c = 0; c < channels; ++c) {
    const float* plane = in + size_t(c) * in_h * in_w;  // [in_h, in_w]
    for (int ky = 0; ky < kernel; ++ky) {
      for (int kx = 0; kx < kernel; ++kx) {
        float* dst = col + (size_t(c * kernel + ky) * kernel + kx) * out_plane;  // [out_h, out_w]
        // Input column of output x is x·stride + x_offset; only [x_begin, x_end) lands inside.
        const int x_offset = kx * dilation - pad_left;
        const int x_begin = std::min(first_inside(x_offset, stride), out_w);
        const int x_end = std::max(std::min(end_inside(x_offset, stride, in_w), out_w), x_begin);
        for (int oy = 0; oy < out_h; ++oy, dst += out_w) {
          const int iy = oy * stride - pad_top + ky * dilation;
          if (iy < 0 || iy >= in_h) {
            std::fill(dst, dst + out_w, 0.0f);
            continue;
          }
          const float* src = plane + size_t(iy) * in_w;  // [in_w]
          std::fill(dst, dst + x_begin, 0.0f);
          if (stride == 1) {
            std::memcpy(dst + x_begin, src + x_begin + x_offset, sizeof(float) * (x_end - x_begin));
          } else {
            for (int ox = x_begin; ox < x_end; ++ox) dst[ox] = src[ox * stride + x_offset];
          }
          std::fill(dst + x_end, dst + out_w, 0.0f);
        }
      }
    }
  }
}

}  // namespace mnet
