// The MobileNet paper's worked example (Section 3.1) for any sizes: a standard k×k convolution
// against its depthwise separable replacement, counted by the layers' own cost functions.
#pragma once
#include <cstdint>

namespace mnet {

// One layer's count.
struct LayerCount {
  int64_t madds = 0;
  int64_t params = 0;  // weights; the layers here have no bias
};

// A Dk×Dk convolution from M to N channels on a Df×Df map, stride 1, "same" padding.
struct ConvComparison {
  int in_channels = 0, out_channels = 0, kernel = 0, size = 0;  // M, N, Dk, Df
  LayerCount standard;   // Dk·Dk·M·N·Df·Df
  LayerCount depthwise;  // Dk·Dk·M·Df·Df
  LayerCount pointwise;  // M·N·Df·Df
  int64_t separable_madds() const { return depthwise.madds + pointwise.madds; }
  int64_t separable_params() const { return depthwise.params + pointwise.params; }
  // separable / standard, which the paper shows equals 1/N + 1/Dk².
  double ratio() const { return double(separable_madds()) / double(standard.madds); }
};

// The largest Dk·Dk·M·N·Df·Df compare_conv takes: every count then fits in 63 bits.
constexpr int64_t kMaxExplainedMadds = int64_t(1) << 62;

// Counts both through the registry's conv and dwconv layers (the cost model the rest of mnet
// uses, not a second copy of the formulas). Throws InputError for sizes outside the layers'
// limits or a count above kMaxExplainedMadds.
ConvComparison compare_conv(int in_channels, int out_channels, int kernel, int size);

}  // namespace mnet
