// Depthwise test shapes and the comparison against depthwise_conv_reference that the row kernels'
// tests (test_depthwise.cpp) and the 16-channel kernel's (test_depthwise_blocked.cpp) share.
#pragma once
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/activation.h"
#include "kernels/depthwise.h"
#include "testing.h"

namespace mnet::testing {

// The fields both padding conventions below share; out_h, out_w and the padding are theirs to set.
inline DepthwiseParams input_and_kernel(int channels, int in_h, int in_w, int k, int stride) {
  DepthwiseParams p;
  p.channels = channels;
  p.in_h = in_h;
  p.in_w = in_w;
  p.kernel = k;
  p.stride = stride;
  return p;
}

// Output size for symmetric padding pad = k/2: floor((in + 2·pad - k) / stride) + 1.
inline DepthwiseParams symmetric(int channels, int in_h, int in_w, int k, int stride) {
  DepthwiseParams p = input_and_kernel(channels, in_h, in_w, k, stride);
  p.pad_top = p.pad_left = k / 2;
  p.out_h = (in_h + 2 * p.pad_top - k) / stride + 1;
  p.out_w = (in_w + 2 * p.pad_left - k) / stride + 1;
  return p;
}

// TensorFlow SAME: out = ceil(in / stride); the smaller half of the total padding goes first.
inline DepthwiseParams tf_same(int channels, int in_h, int in_w, int k, int stride) {
  DepthwiseParams p = input_and_kernel(channels, in_h, in_w, k, stride);
  p.out_h = (in_h + stride - 1) / stride;
  p.out_w = (in_w + stride - 1) / stride;
  p.pad_top = std::max((p.out_h - 1) * stride + k - in_h, 0) / 2;
  p.pad_left = std::max((p.out_w - 1) * stride + k - in_w, 0) / 2;
  return p;
}

inline std::string describe(const DepthwiseParams& p) {
  std::ostringstream s;
  s << p.channels << "ch " << p.in_h << "x" << p.in_w << " -> " << p.out_h << "x" << p.out_w << " k"
    << p.kernel << " s" << p.stride << " pad(top " << p.pad_top << ", left " << p.pad_left << ") "
    << act_name(p.act);
  return s.str();
}

// One way of running a depthwise convolution: in, weight, bias (or null), out, threads.
struct DepthwisePath {
  std::string name;
  std::function<void(const DepthwiseParams&, const float*, const float*, const float*, float*, int)> run;
};

// Runs every path, both thread counts, bias null and non-null, every activation, and compares
// with depthwise_conv_reference. Rounding differs only in summation order: the tolerance is
// 1e-5·(k²·max|w|·max|x| + max|b|), times 1.5 for hswish's steepest slope.
inline void check_paths_against_reference(DepthwiseParams p, const std::vector<DepthwisePath>& paths) {
  const size_t in_size = size_t(p.channels) * p.in_h * p.in_w;
  const size_t out_size = size_t(p.channels) * p.out_h * p.out_w;
  const auto in = random_values(in_size, 2.0f, 7u + unsigned(in_size));
  const auto weight = random_values(size_t(p.channels) * p.kernel * p.kernel, 1.0f, 8u + p.kernel);
  const auto bias = random_values(size_t(p.channels), 3.0f, 9u);
  for (Act act : kAllActs) {
    p.act = act;
    for (bool with_bias : {false, true}) {
      const float* bias_ptr = with_bias ? bias.data() : nullptr;
      std::vector<float> expected(out_size);
      depthwise_conv_reference(p, in.data(), weight.data(), bias_ptr, expected.data());
      const float tol =
          1.5f * 1e-5f *
          (float(p.kernel * p.kernel) * max_abs(weight) * max_abs(in) + max_abs(bias));
      for (const DepthwisePath& path : paths)
        for (int threads : {1, 2}) {
          std::vector<float> out(out_size, std::nanf(""));
          path.run(p, in.data(), weight.data(), bias_ptr, out.data(), threads);
          INFO(describe(p) << " bias=" << with_bias << " path=" << path.name << " threads=" << threads);
          REQUIRE(mismatch(out, expected, tol) == "");
        }
    }
  }
}

}  // namespace mnet::testing
