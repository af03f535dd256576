// The window maxpool and avgpool share: reading kernel, stride, pad and ceil_mode with PyTorch's
// rules, and the output shape they give.
#pragma once
#include <string>

#include "kernels/pooling.h"
#include "layers/common.h"

namespace mnet {

struct PoolWindow {
  int kernel = 1, stride = 1, pad = 0;
  bool ceil_mode = false;

  static PoolWindow read(Attrs& attrs) {
    PoolWindow w;
    w.kernel = attrs.require_int_in("kernel", 1, kMaxKernel);
    w.stride = attrs.get_int_in("stride", w.kernel, 1, kMaxStride);  // PyTorch: stride defaults to kernel
    w.pad = attrs.get_int_in("pad", 0, 0, kMaxKernel / 2);
    // PyTorch's rule, so that no window lies in the padding alone.
    if (w.pad > w.kernel / 2)
      throw LayerError("pad must be at most half the kernel, got pad " + std::to_string(w.pad) + " for kernel " +
                       std::to_string(w.kernel));
    w.ceil_mode = attrs.get_bool("ceil_mode", false);
    return w;
  }

  std::string summary() const {
    return "k" + std::to_string(kernel) + " s" + std::to_string(stride) + " p" + std::to_string(pad) +
           (ceil_mode ? " ceil" : "");
  }

  Shape output(const Shape& x) const {
    if (kernel > x.h + 2 * pad || kernel > x.w + 2 * pad)
      throw LayerError("kernel " + std::to_string(kernel) + "x" + std::to_string(kernel) +
                       " larger than its padded input " + std::to_string(x.h + 2 * pad) + "x" +
                       std::to_string(x.w + 2 * pad));
    return Shape{x.c, pool_output_size(x.h, kernel, stride, pad, ceil_mode),
                 pool_output_size(x.w, kernel, stride, pad, ceil_mode)};
  }

  PoolGeometry geometry(const Shape& x, const Shape& y) const {
    return PoolGeometry{x.c, x.h, x.w, y.h, y.w, kernel, stride, pad};
  }

  // Both pools cost one element-wise operation per window value.
  LayerCost cost(const Shape& out) const {
    LayerCost c;
    c.elementwise_ops = out.elements() * kernel * kernel;
    return c;
  }
};

}  // namespace mnet
