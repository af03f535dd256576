// kernels/depthwise_blocked: the 16-channel depthwise kernel against the reference.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "core/activation.h"
#include "kernels/depthwise.h"
#include "kernels/depthwise_blocked.h"
#include "depthwise_cases.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

namespace {

bool have_avx512() {
  if (simd_level() >= SimdLevel::avx512) return true;
  WARN("AVX-512 not in use (none on this CPU, or MNET_SIMD below it): the 16-channel depthwise kernel is not run");
  return false;
}

void check_against_reference(const DepthwiseParams& p) {
  check_paths_against_reference(p, {{"16-channel", [](const DepthwiseParams& q, const float* in, const float* w,
                                                      const float* b, float* out, int threads) {
                                       depthwise_conv_blocked(q, in, w, b, out, threads, true);
                                     }}});
}

}  // namespace

TEST_CASE("the 16-channel depthwise kernel takes narrow maps only") {
  if (simd_level() < SimdLevel::avx512) {
    // No AVX-512, or MNET_SIMD holds the kernels below it: nothing goes this way.
    CHECK_FALSE(depthwise_blocked_suits(symmetric(960, 7, 7, 5, 1)));
    return;
  }
  CHECK(depthwise_blocked_suits(symmetric(960, 7, 7, 5, 1)));
  CHECK(depthwise_blocked_suits(symmetric(576, 14, 14, 3, 2)));
  CHECK(depthwise_blocked_suits(symmetric(16, 16, 16, 3, 1)));
  CHECK_FALSE(depthwise_blocked_suits(symmetric(16, 16, 17, 3, 1)));  // rows wider than a vector
  CHECK_FALSE(depthwise_blocked_suits(symmetric(16, 28, 28, 3, 2)));
  CHECK_FALSE(depthwise_blocked_suits(symmetric(16, 17, 16, 3, 1)));  // more pixels than 16 x 16
  CHECK_FALSE(depthwise_blocked_suits(symmetric(16, 7, 7, 7, 1)));
  CHECK_FALSE(depthwise_blocked_suits(symmetric(16, 7, 7, 3, 3)));
}

TEST_CASE("16-channel depthwise matches the reference for whole and partial channel blocks") {
  if (!have_avx512()) return;
  for (int channels : {1, 15, 16, 17, 40})
    for (int k : {3, 5})
      for (int stride : {1, 2}) {
        check_against_reference(symmetric(channels, 7, 7, k, stride));
        check_against_reference(symmetric(channels, 14, 14, k, stride));
      }
}

TEST_CASE("16-channel depthwise matches the reference on odd, tiny and non-square maps") {
  if (!have_avx512()) return;
  for (int k : {3, 5})
    for (int stride : {1, 2})
      for (auto hw : {std::pair{1, 1}, {2, 3}, {9, 13}, {16, 16}, {13, 5}, {3, 16}})
        check_against_reference(symmetric(19, hw.first, hw.second, k, stride));
}

TEST_CASE("16-channel depthwise handles TensorFlow SAME, unequal and oversized padding") {
  if (!have_avx512()) return;
  for (int k : {3, 5}) {
    // TensorFlow SAME at stride 2 on an even input: the smaller half of the padding first.
    DepthwiseParams p = symmetric(18, 14, 14, k, 2);
    p.out_h = p.out_w = 7;
    p.pad_top = p.pad_left = (6 * 2 + k - 14) / 2;
    check_against_reference(p);
    for (int stride : {1, 2}) {
      p = symmetric(18, 11, 12, k, stride);
      p.pad_top = 0;
      p.pad_left = k - 1;
      check_against_reference(p);
      // Outputs reaching past the input on every side read only zeros there.
      p = symmetric(18, 2, 3, k, stride);
      p.pad_top = p.pad_left = k;
      p.out_h = 5;
      p.out_w = 6;
      check_against_reference(p);
    }
  }
}

TEST_CASE("16-channel depthwise reads and writes planes with channel strides, leaving the gaps alone") {
  if (!have_avx512()) return;
  DepthwiseParams p = symmetric(21, 7, 9, 3, 1);
  const size_t in_plane = 7 * 9, out_plane = 7 * 9;
  p.in_channel_stride = in_plane + 5;
  p.out_channel_stride = out_plane + 3;
  p.act = Act::relu6;
  const auto in = random_values(p.in_channel_stride * p.channels, 2.0f, 21);
  const auto weight = random_values(size_t(p.channels) * 9, 1.0f, 22);
  const auto bias = random_values(size_t(p.channels), 1.0f, 23);
  std::vector<float> out(p.out_channel_stride * p.channels, -7.0f);
  depthwise_conv_blocked(p, in.data(), weight.data(), bias.data(), out.data(), 2, true);
  // The reference on dense copies of the same planes.
  DepthwiseParams dense = p;
  dense.in_channel_stride = dense.out_channel_stride = 0;
  std::vector<float> dense_in(in_plane * p.channels), expected(out_plane * p.channels);
  for (int c = 0; c < p.channels; ++c)
    std::copy_n(in.begin() + long(c * p.in_channel_stride), in_plane, dense_in.begin() + long(c * in_plane));
  depthwise_conv_reference(dense, dense_in.data(), weight.data(), bias.data(), expected.data());
  for (int c = 0; c < p.channels; ++c) {
    INFO("channel " << c);
    const auto plane = out.begin() + long(c * p.out_channel_stride);
    CHECK(mismatch(std::vector<float>(plane, plane + long(out_plane)),
                   std::vector<float>(expected.begin() + long(c * out_plane),
                                      expected.begin() + long((c + 1) * out_plane)),
                   1e-4f) == "");
    CHECK(std::all_of(plane + long(out_plane), plane + long(p.out_channel_stride), [](float v) { return v == -7.0f; }));
  }
}

TEST_CASE("16-channel depthwise gives bit-identical results with 1 and 2 threads") {
  if (!have_avx512()) return;
  for (DepthwiseParams p : {symmetric(97, 14, 14, 5, 1), symmetric(145, 14, 13, 3, 2)}) {
    p.act = Act::hswish;
    const auto in = random_values(size_t(p.channels) * p.in_h * p.in_w, 2.0f, 41);
    const auto weight = random_values(size_t(p.channels) * p.kernel * p.kernel, 1.0f, 42);
    const auto bias = random_values(size_t(p.channels), 1.0f, 43);
    std::vector<float> one(size_t(p.channels) * p.out_h * p.out_w), two(one.size());
    depthwise_conv_blocked(p, in.data(), weight.data(), bias.data(), one.data(), 1, true);
    depthwise_conv_blocked(p, in.data(), weight.data(), bias.data(), two.data(), 2, true);
    CHECK(one == two);
  }
}

TEST_CASE("depthwise_conv sends narrow maps through the 16-channel kernel with the same results") {
  if (!have_avx512()) return;
  DepthwiseParams p = symmetric(40, 7, 7, 5, 1);
  p.act = Act::relu;
  REQUIRE(depthwise_blocked_suits(p));
  const auto in = random_values(size_t(p.channels) * 49, 2.0f, 51);
  const auto weight = random_values(size_t(p.channels) * 25, 1.0f, 52);
  std::vector<float> via_dispatch(size_t(p.channels) * 49), blocked(via_dispatch.size());
  depthwise_conv(p, in.data(), weight.data(), nullptr, via_dispatch.data(), 1);
  depthwise_conv_blocked(p, in.data(), weight.data(), nullptr, blocked.data(), 1, false);
  CHECK(via_dispatch == blocked);
}
