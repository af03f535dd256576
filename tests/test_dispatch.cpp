// kernels/dispatch: the kernel chosen for MobileNet's shapes at each instruction set, never one
// above the level asked for, and every depthwise kernel it can name computing the reference.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "depthwise_cases.h"
#include "layers/registry.h"
#include "kernels/depthwise_blocked.h"
#include "kernels/dispatch.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

namespace {

constexpr SimdLevel kLevels[] = {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512};

// A convolution with padding `pad` on every side; out_h/out_w follow from it.
ConvShape conv_shape(int in_c, int in_hw, int out_c, int k, int stride, int groups, int pad) {
  ConvShape s;
  s.in_c = in_c, s.in_h = s.in_w = in_hw;
  s.out_c = out_c, s.out_h = s.out_w = (in_hw + 2 * pad - k) / stride + 1;
  s.kernel = k, s.stride = stride, s.groups = groups;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = pad;
  return s;
}

ConvShape depthwise(int channels, int in_hw, int k, int stride) {
  return conv_shape(channels, in_hw, channels, k, stride, channels, k / 2);
}

ConvShape pointwise(int in_c, int hw, int out_c) { return conv_shape(in_c, hw, out_c, 1, 1, 1, 0); }

struct Expected {
  const char* what;
  ConvShape shape;
  Kernel scalar, avx2, avx512;
};

Kernel at(const Expected& e, SimdLevel level) {
  return level == SimdLevel::avx512 ? e.avx512 : level == SimdLevel::avx2 ? e.avx2 : e.scalar;
}

}  // namespace

TEST_CASE("every kernel has one name, and a name that says its instruction set", "[dispatch]") {
  std::set<std::string> names;
  for (Kernel k : all_kernels()) {
    const std::string name = kernel_name(k);
    INFO(name);
    CHECK(names.insert(name).second);
    const auto ends_with = [&](const std::string& suffix) {
      return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    CHECK(ends_with("_avx512") == (kernel_simd_level(k) == SimdLevel::avx512));
    CHECK(ends_with("_avx2") == (kernel_simd_level(k) == SimdLevel::avx2));
  }
  CHECK(names.size() == 12);
  CHECK(std::string(kernel_name(Kernel::gemm_packed_avx512)) == "gemm_packed_avx512");
}

TEST_CASE("MobileNet's layers get the expected kernel at each instruction set", "[dispatch]") {
  using K = Kernel;
  const Expected cases[] = {
      {"V1 first conv 3→32 224→112 s2", conv_shape(3, 224, 32, 3, 2, 1, 1), K::im2col_gemm, K::im2col_gemm,
       K::direct_conv_avx512},
      {"1×1 1024→1024 on 7×7", pointwise(1024, 7, 1024), K::gemm_openblas, K::gemm_openblas,
       K::gemm_small_map_avx512},
      {"1×1 32→64 on 112×112", pointwise(32, 112, 64), K::gemm_openblas, K::gemm_openblas, K::gemm_packed_avx512},
      {"1×1 512→512 on 14×14", pointwise(512, 14, 512), K::gemm_openblas, K::gemm_openblas, K::gemm_packed_avx512},
      {"1×1 96→576 on 7×7 (K < 128)", pointwise(96, 7, 576), K::gemm_openblas, K::gemm_openblas,
       K::gemm_packed_avx512},
      {"dw 3×3 s1 32ch 112×112", depthwise(32, 112, 3, 1), K::depthwise_scalar, K::depthwise_avx2,
       K::depthwise_direct_avx512},
      {"dw 3×3 s2 64ch 112→56", depthwise(64, 112, 3, 2), K::depthwise_scalar, K::depthwise_avx2,
       K::depthwise_direct_avx512},
      {"dw 3×3 s1 1024ch 7×7", depthwise(1024, 7, 3, 1), K::depthwise_scalar, K::depthwise_avx2,
       K::depthwise_blocked_avx512},
      {"dw 3×3 s2 512ch 14→7", depthwise(512, 14, 3, 2), K::depthwise_scalar, K::depthwise_avx2,
       K::depthwise_blocked_avx512},
      {"dw 3×3 s2 256ch 28→14", depthwise(256, 28, 3, 2), K::depthwise_scalar, K::depthwise_avx2,
       K::depthwise_direct_avx512},
      {"dw 5×5 s1 120ch 28×28", depthwise(120, 28, 5, 1), K::depthwise_scalar, K::depthwise_avx2,
       K::depthwise_padded_avx512},
      {"dw 5×5 s2 72ch 56→28", depthwise(72, 56, 5, 2), K::depthwise_scalar, K::depthwise_avx2,
       K::depthwise_direct_avx512},
      {"dw 5×5 s2 672ch 14→7", depthwise(672, 14, 5, 2), K::depthwise_scalar, K::depthwise_avx2,
       K::depthwise_blocked_avx512},
      {"dw 5×5 s1 960ch 7×7", depthwise(960, 7, 5, 1), K::depthwise_scalar, K::depthwise_avx2,
       K::depthwise_blocked_avx512},
      // 8 columns but 320 pixels: too many for the 16-channel kernel, too few columns for AVX-512 rows.
      {"dw 3×3 s1 64ch 40×8", [] {
         ConvShape s = depthwise(64, 8, 3, 1);
         s.in_h = s.out_h = 40;
         return s;
       }(),
       K::depthwise_scalar, K::depthwise_avx2, K::depthwise_avx2},
      {"dw 7×7: no vector kernel", depthwise(64, 14, 7, 1), K::depthwise_scalar, K::depthwise_scalar,
       K::depthwise_scalar},
      {"grouped 3×3 g2", conv_shape(4, 16, 16, 3, 1, 2, 1), K::im2col_gemm, K::im2col_gemm, K::im2col_gemm},
      {"3×3 on 32 channels", conv_shape(32, 56, 64, 3, 1, 1, 1), K::im2col_gemm, K::im2col_gemm, K::im2col_gemm},
  };
  for (const Expected& e : cases)
    for (SimdLevel level : kLevels) {
      INFO(e.what << " at " << simd_level_name(level));
      CHECK(std::string(kernel_name(choose_conv(e.shape, level))) == kernel_name(at(e, level)));
    }
  for (SimdLevel level : kLevels) {
    INFO("fc 1024→1000 at " << simd_level_name(level));
    CHECK(choose_fc(1000, 1024, level) ==
          (level == SimdLevel::avx512 ? Kernel::gemv_streamed_avx512 : Kernel::gemv_openblas));
  }
  // The forced-level row kernel keeps AVX-512 on narrow rows and never takes the 16-channel one.
  CHECK(depthwise_row_kernel(depthwise_params(depthwise(1024, 7, 3, 1)), SimdLevel::avx512) ==
        Kernel::depthwise_direct_avx512);
  CHECK(depthwise_row_kernel(depthwise_params(depthwise(960, 7, 5, 1)), SimdLevel::avx512) ==
        Kernel::depthwise_padded_avx512);
}

TEST_CASE("the dispatcher never names a kernel above the level asked for", "[dispatch]") {
  int checked = 0;
  for (SimdLevel level : kLevels) {
    for (int k : {1, 3, 5, 7})
      for (int stride : {1, 2, 3})
        for (int hw : {1, 4, 7, 8, 14, 16, 17, 28, 112})
          for (int in_c : {1, 3, 4, 8, 32}) {
            if (k > hw + 2 * (k / 2)) continue;
            for (int groups : {1, in_c}) {
              for (int out_c : {in_c, 16, 24}) {
                if (out_c % groups != 0) continue;
                for (int pad : {0, k / 2}) {
                  const ConvShape s = conv_shape(in_c, hw, out_c, k, stride, groups, pad);
                  if (s.out_h < 1) continue;
                  const Kernel chosen = choose_conv(s, level);
                  INFO(kernel_name(chosen) << " at " << simd_level_name(level) << ": in " << in_c << "x" << hw
                                           << " out " << out_c << " k" << k << " s" << stride << " g" << groups);
                  REQUIRE(kernel_simd_level(chosen) <= level);
                  ++checked;
                }
              }
            }
          }
    for (int n : {1, 49, 64, 196, 12544})
      for (int depth : {3, 96, 128, 1024}) REQUIRE(kernel_simd_level(choose_gemm(64, depth, n, level)) <= level);
    REQUIRE(kernel_simd_level(choose_fc(1000, 1280, level)) <= level);
  }
  CHECK(checked > 1000);
}

TEST_CASE("no dilated convolution gets a kernel that cannot dilate", "[dispatch]") {
  // Only im2col_gemm and depthwise_scalar take dilation; a 1×1 (one tap: dilation changes nothing)
  // may take the GEMMs. Every shape below would get a fast kernel undilated.
  int checked = 0, fast_undilated = 0;
  for (SimdLevel level : kLevels)
    for (int k : {1, 3, 5, 7})
      for (int stride : {1, 2})
        for (int hw : {7, 8, 14, 17, 28, 56, 112})
          for (int in_c : {1, 3, 4, 16, 64})
            for (int groups : {1, in_c})
              for (int out_c : {in_c, 16, 32}) {
                if (out_c % groups != 0) continue;
                for (int dilation : {2, 3, 4}) {
                  const int span = dilation * (k - 1) + 1;
                  ConvShape s = conv_shape(in_c, hw, out_c, k, stride, groups, span / 2);
                  s.out_h = s.out_w = (hw + 2 * (span / 2) - span) / stride + 1;
                  s.dilation = dilation;
                  if (s.out_h < 1) continue;
                  const Kernel chosen = choose_conv(s, level);
                  ConvShape undilated = s;
                  undilated.dilation = 1;
                  const Kernel fast = choose_conv(undilated, level);
                  fast_undilated += fast != Kernel::im2col_gemm && fast != Kernel::depthwise_scalar && k > 1;
                  INFO(kernel_name(chosen) << " at " << simd_level_name(level) << ": in " << in_c << "x" << hw
                                           << " out " << out_c << " k" << k << " s" << stride << " g" << groups
                                           << " d" << dilation);
                  if (k == 1) {
                    CHECK(chosen == fast);
                  } else if (is_depthwise(s)) {
                    CHECK(chosen == Kernel::depthwise_scalar);
                    CHECK(choose_depthwise(depthwise_params(s), level) == Kernel::depthwise_scalar);
                    CHECK(depthwise_params(s).dilation == dilation);
                  } else {
                    CHECK(chosen == Kernel::im2col_gemm);
                  }
                  ++checked;
                }
              }
  CHECK(checked > 1000);
  // The shapes include ones that undilated take the vector depthwise kernels and direct_conv.
  CHECK(fast_undilated > 100);
  // The kernels' own facts say the same.
  DepthwiseParams p = depthwise_params(depthwise(64, 14, 3, 1));
  p.dilation = 2;
  CHECK_FALSE(depthwise_rows_suit(p));
  CHECK_FALSE(depthwise_padded_avx512_suits(p));
  CHECK_FALSE(depthwise_blocked_fits(p));
}

TEST_CASE("every depthwise kernel the dispatcher names matches the reference on shapes it suits", "[dispatch]") {
  const DepthwiseParams shapes[] = {symmetric(19, 7, 7, 3, 1),  symmetric(17, 14, 14, 5, 2), symmetric(3, 12, 40, 3, 1),
                                    symmetric(5, 11, 37, 5, 1), symmetric(4, 13, 33, 3, 2),  tf_same(18, 9, 15, 5, 2)};
  const Kernel depthwise_kernels[] = {Kernel::depthwise_blocked_avx512, Kernel::depthwise_direct_avx512,
                                      Kernel::depthwise_padded_avx512, Kernel::depthwise_avx2, Kernel::depthwise_scalar};
  int ran = 0;
  for (const DepthwiseParams& p : shapes) {
    std::vector<DepthwisePath> paths;
    for (Kernel k : depthwise_kernels) {
      if (kernel_simd_level(k) > simd_level()) continue;
      const bool suits = k == Kernel::depthwise_scalar || (k == Kernel::depthwise_padded_avx512
                                                               ? depthwise_padded_avx512_suits(p)
                                                           : k == Kernel::depthwise_blocked_avx512
                                                               ? depthwise_blocked_fits(p)
                                                               : depthwise_rows_suit(p));
      if (!suits) {
        CHECK_THROWS_AS(depthwise_conv_as(k, p, nullptr, nullptr, nullptr, nullptr, 1), RunError);
        continue;
      }
      paths.push_back({kernel_name(k), [k](const DepthwiseParams& q, const float* in, const float* w, const float* b,
                                           float* out, int threads) { depthwise_conv_as(k, q, in, w, b, out, threads); }});
      ++ran;
    }
    check_paths_against_reference(p, paths);
  }
  if (simd_level() < SimdLevel::avx512) WARN("AVX-512 not in use: its depthwise kernels are not run");
  CHECK(ran >= int(std::size(shapes)));
  // A kernel of another kind is refused with its name.
  CHECK_THROWS_WITH(depthwise_conv_as(Kernel::gemm_openblas, shapes[0], nullptr, nullptr, nullptr, nullptr, 1),
                    Catch::Matchers::Contains("gemm_openblas"));
}

TEST_CASE("prepared layers run the kernel the dispatcher names and say which", "[dispatch]") {
  const auto prepared = [](const char* type, Attrs attrs, const Shape& in) {
    std::unique_ptr<Layer> layer = make_layer(type, attrs);
    REQUIRE(layer);
    PrepareArgs args;
    args.in = {in};
    args.out = layer->infer_shape(args.in);
    for (const WeightDecl& w : layer->weights(args.in, args.out))
      args.weights[w.name] = std::vector<float>(size_t(w.elements()), 0.25f);
    return layer->prepare(args)->kernel_name();
  };
  const auto conv = [](int out, int k, int stride) {
    Attrs a;
    a.set("out", AttrValue::of_int(out));
    a.set("kernel", AttrValue::of_int(k));
    a.set("stride", AttrValue::of_int(stride));
    return a;
  };
  const SimdLevel level = simd_level();
  // im2col names the GEMM it runs too.
  const Kernel first = choose_conv(conv_shape(3, 224, 32, 3, 2, 1, 1), level);
  CHECK(prepared("conv", conv(32, 3, 2), Shape{3, 224, 224}) ==
        (first == Kernel::im2col_gemm ? std::string("im2col_gemm/") + kernel_name(choose_gemm(32, 27, 112 * 112, level))
                                      : std::string(kernel_name(first))));
  CHECK(prepared("conv", conv(1024, 1, 1), Shape{1024, 7, 7}) == kernel_name(choose_conv(pointwise(1024, 7, 1024), level)));
  CHECK(prepared("conv", conv(64, 3, 1), Shape{32, 28, 28}) ==
        std::string("im2col_gemm/") + kernel_name(choose_gemm(64, 32 * 9, 28 * 28, level)));
  Attrs dw;
  dw.set("kernel", AttrValue::of_int(5));
  dw.set("stride", AttrValue::of_int(2));
  CHECK(prepared("dwconv", dw, Shape{672, 14, 14}) == kernel_name(choose_conv(depthwise(672, 14, 5, 2), level)));
  Attrs fc;
  fc.set("out", AttrValue::of_int(1000));
  CHECK(prepared("fc", fc, Shape{1024, 1, 1}) == kernel_name(choose_fc(1000, 1024, level)));
  Attrs relu;
  CHECK(prepared("relu", relu, Shape{8, 4, 4}).empty());
}
