// kernels/depthwise: every SIMD level's depthwise kernel against a plain reference.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "core/activation.h"
#include "kernels/depthwise.h"
#include "depthwise_cases.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

namespace {

// Every code path this CPU has, so the AVX2 path is tested on AVX-512 machines too.
std::vector<SimdLevel> simd_levels() {
  std::vector<SimdLevel> levels{SimdLevel::scalar};
  if (cpu_simd_level() >= SimdLevel::avx2) levels.push_back(SimdLevel::avx2);
  if (cpu_simd_level() >= SimdLevel::avx512) levels.push_back(SimdLevel::avx512);
  return levels;
}

// Every path of simd_levels() against the reference.
void check_against_reference(const DepthwiseParams& p) {
  std::vector<DepthwisePath> paths;
  for (SimdLevel level : simd_levels())
    paths.push_back({simd_level_name(level), [level](const DepthwiseParams& q, const float* in, const float* w,
                                                      const float* b, float* out, int threads) {
                       depthwise_conv_with(level, q, in, w, b, out, threads);
                     }});
  check_paths_against_reference(p, paths);
}

}  // namespace

TEST_CASE("the depthwise reference gives the hand-computed answer on a 3x3 input") {
  // in 1..9 row-major; weight picks the centre plus 10× the bottom-right neighbour, so a flipped
  // (convolution instead of correlation) or shifted kernel gives different numbers.
  const std::vector<float> in{1, 2, 3, 4, 5, 6, 7, 8, 9};       // [1, 3, 3]
  const std::vector<float> weight{0, 0, 0, 0, 1, 0, 0, 0, 10};  // [1, 3, 3]
  DepthwiseParams p = symmetric(1, 3, 3, 3, 1);

  std::vector<float> out(9);
  depthwise_conv_reference(p, in.data(), weight.data(), nullptr, out.data());
  CHECK(out == std::vector<float>{51, 62, 3, 84, 95, 6, 7, 8, 9});

  const float bias = -60.0f;
  p.act = Act::relu;
  depthwise_conv_reference(p, in.data(), weight.data(), &bias, out.data());
  CHECK(out == std::vector<float>{0, 2, 0, 24, 35, 0, 0, 0, 0});

  p = symmetric(1, 3, 3, 3, 2);
  REQUIRE((p.out_h == 2 && p.out_w == 2));
  out.assign(4, 0.0f);
  depthwise_conv_reference(p, in.data(), weight.data(), nullptr, out.data());
  CHECK(out == std::vector<float>{51, 3, 7, 9});

  for (SimdLevel level : simd_levels()) {
    INFO("path " << simd_level_name(level));
    out.assign(4, 0.0f);
    depthwise_conv_with(level, p, in.data(), weight.data(), nullptr, out.data(), 1);
    CHECK(out == std::vector<float>{51, 3, 7, 9});
  }
}

TEST_CASE("depthwise 3x3 stride 1 matches the reference kernel") {
  check_against_reference(symmetric(27, 15, 14, 3, 1));
}

TEST_CASE("depthwise 3x3 stride 2 on odd sizes matches the reference kernel") {
  check_against_reference(symmetric(27, 15, 13, 3, 2));
  check_against_reference(symmetric(5, 33, 35, 3, 2));
}

TEST_CASE("depthwise 5x5 stride 1 matches the reference kernel") {
  check_against_reference(symmetric(27, 15, 14, 5, 1));
}

TEST_CASE("depthwise 5x5 stride 2 on odd sizes matches the reference kernel") {
  check_against_reference(symmetric(27, 15, 13, 5, 2));
  check_against_reference(symmetric(5, 33, 35, 5, 2));
}

TEST_CASE("depthwise with TensorFlow SAME padding on even inputs matches the reference kernel") {
  for (int k : {3, 5}) {
    // Stride 2 on even input: k=3 pads 0 before and 1 after, k=5 pads 1 before and 2 after.
    const DepthwiseParams s2 = tf_same(27, 14, 16, k, 2);
    CHECK(s2.pad_top == (k == 3 ? 0 : 1));
    CHECK(s2.out_w == 8);
    check_against_reference(s2);
    check_against_reference(tf_same(6, 112, 34, k, 2));
    check_against_reference(tf_same(27, 15, 14, k, 1));
  }
}

TEST_CASE("depthwise rows narrower and wider than the vector width match the reference kernel") {
  for (int k : {3, 5})
    for (int out_w : {1, 2, 7, 8, 9, 15, 16, 17, 33}) {
      check_against_reference(symmetric(3, 6, out_w, k, 1));
      check_against_reference(symmetric(3, 9, 2 * out_w - 1, k, 2));  // odd input
      check_against_reference(tf_same(3, 10, 2 * out_w, k, 2));       // even input
    }
}

TEST_CASE("depthwise with unequal top and left padding matches the reference kernel") {
  for (int k : {3, 5})
    for (int stride : {1, 2}) {
      DepthwiseParams p = symmetric(4, 11, 19, k, stride);
      p.pad_top = 0;
      p.pad_left = k - 1;
      check_against_reference(p);
      p.pad_top = k - 1;
      p.pad_left = 0;
      check_against_reference(p);
    }
}

TEST_CASE("depthwise outputs that reach past the input on every side read zeros") {
  // Output larger than the input would allow: the extra rows and columns see only padding.
  for (int k : {3, 5})
    for (int stride : {1, 2}) {
      DepthwiseParams p = symmetric(2, 2, 3, k, stride);
      p.pad_top = p.pad_left = k;
      p.out_h = 5;
      p.out_w = 6;
      check_against_reference(p);
    }
}

TEST_CASE("depthwise kernels outside the fast path fall back to the reference kernel") {
  check_against_reference(symmetric(3, 15, 14, 7, 1));
  check_against_reference(symmetric(3, 15, 14, 3, 3));
  check_against_reference(symmetric(3, 15, 14, 1, 1));
}

TEST_CASE("depthwise gives bit-identical results with 1 and 2 threads") {
  // Both above the size where the work is split between threads: 3×3 stride 1 (direct from the
  // input) and stride 2, with odd channel counts.
  for (DepthwiseParams p : {symmetric(97, 56, 55, 3, 1), symmetric(145, 56, 57, 3, 2)}) {
    p.act = Act::hswish;
    const auto in = random_values(size_t(p.channels) * p.in_h * p.in_w, 2.0f, 31);
    const auto weight = random_values(size_t(p.channels) * 9, 1.0f, 32);
    const auto bias = random_values(size_t(p.channels), 1.0f, 33);
    std::vector<float> one(size_t(p.channels) * p.out_h * p.out_w);
    std::vector<float> two(one.size());
    depthwise_conv(p, in.data(), weight.data(), bias.data(), one.data(), 1);
    depthwise_conv(p, in.data(), weight.data(), bias.data(), two.data(), 2);
    CHECK(one == two);
  }
}
