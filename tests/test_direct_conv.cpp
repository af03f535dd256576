// kernels/direct_conv: the first-layer direct convolution against plain loops.
#include <catch2/catch.hpp>
#include <vector>

#include "kernels/direct_conv.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

namespace {

// Plain loops: out[o, y, x] = act(bias[o] + Σ w[o, c, ky, kx] · in[c, y·s - pad_top + ky, x·s - pad_left + kx]),
// zero outside the input.
std::vector<float> naive_conv(const DirectConvShape& s, const std::vector<float>& in, const std::vector<float>& w,
                              const std::vector<float>& bias, Act act) {
  const int k = s.kernel;
  std::vector<float> out(size_t(s.out_c) * s.out_h * s.out_w);
  for (int o = 0; o < s.out_c; ++o)
    for (int y = 0; y < s.out_h; ++y)
      for (int x = 0; x < s.out_w; ++x) {
        double sum = bias.empty() ? 0.0 : bias[o];
        for (int c = 0; c < s.in_c; ++c)
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int iy = y * s.stride - s.pad_top + ky, ix = x * s.stride - s.pad_left + kx;
              if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) continue;
              sum += double(w[((size_t(o) * s.in_c + c) * k + ky) * k + kx]) * in[(size_t(c) * s.in_h + iy) * s.in_w + ix];
            }
        out[(size_t(o) * s.out_h + y) * s.out_w + x] = apply_act(act, float(sum));
      }
  return out;
}

void check(const DirectConvShape& s, bool with_bias, Act act, int threads) {
  REQUIRE(DirectConv::suits(s));
  const auto in = random_values(size_t(s.in_c) * s.in_h * s.in_w, 2.0f, 61u + s.in_h);
  const auto w = random_values(size_t(s.out_c) * s.in_c * s.kernel * s.kernel, 1.0f, 62u + s.kernel);
  const auto bias = with_bias ? random_values(size_t(s.out_c), 2.0f, 63) : std::vector<float>{};
  std::vector<float> out(size_t(s.out_c) * s.out_h * s.out_w + 5, 123.0f);
  DirectConv(s, w, bias, act).run(in.data(), out.data(), threads);
  INFO("in " << s.in_c << "x" << s.in_h << "x" << s.in_w << " out " << s.out_c << "x" << s.out_h << "x" << s.out_w
             << " k" << s.kernel << " s" << s.stride << " pad " << s.pad_top << "," << s.pad_left << " act "
             << act_name(act) << " bias " << with_bias << " threads " << threads);
  for (size_t i = out.size() - 5; i < out.size(); ++i) REQUIRE(out[i] == 123.0f);
  out.resize(out.size() - 5);
  REQUIRE(mismatch(out, naive_conv(s, in, w, bias, act), 1e-4f * s.in_c * s.kernel * s.kernel) == "");
}

}  // namespace

TEST_CASE("DirectConv matches plain loops on first-layer shapes, paddings and activations") {
  if (!DirectConv::suits({3, 8, 8, 16, 8, 8, 3, 1, 1, 1})) {
    WARN("skipped: this CPU has no AVX-512F, so first layers run as im2col + GEMM");
    return;
  }
  // {in_c, in_h, in_w, out_c, out_h, out_w, k, s, pad_top, pad_left}
  const DirectConvShape shapes[] = {
      {3, 224, 224, 32, 112, 112, 3, 2, 1, 1},  // MobileNet's first layer, symmetric padding
      {3, 224, 224, 16, 112, 112, 3, 2, 0, 0},  // TensorFlow SAME on even input: pad after only
      {3, 17, 23, 16, 9, 12, 3, 2, 1, 1},       // odd sizes, a partial vector
      {1, 5, 40, 32, 5, 40, 3, 1, 1, 1},        // stride 1, rows wider than two vectors
      {4, 12, 12, 16, 6, 6, 5, 2, 2, 2},        // 5×5, four channels
      {2, 9, 9, 16, 3, 3, 7, 2, 0, 0},          // 7×7 without padding
      {3, 6, 6, 16, 4, 4, 3, 2, 1, 2},          // outputs reaching past the input on the right
      {3, 10, 136, 24, 5, 68, 3, 2, 1, 1},      // rows of 5 vectors (blocks of 3 and 2), 3 groups of 8
      {1, 4, 20, 8, 4, 20, 3, 1, 1, 1},         // one group of 8 outputs, a block of 2 vectors
  };
  for (const auto& s : shapes)
    for (int i = 0; i < 2; ++i) check(s, i == 0, kAllActs[(s.in_w + i) % std::size(kAllActs)], 1);
  for (Act act : kAllActs) check(shapes[2], true, act, 1);
  check(shapes[0], true, Act::relu6, 2);
}

TEST_CASE("DirectConv is for few input channels and whole groups of 8 outputs") {
  if (!DirectConv::suits({3, 8, 8, 16, 8, 8, 3, 1, 1, 1})) {
    WARN("skipped: this CPU has no AVX-512F");
    return;
  }
  CHECK_FALSE(DirectConv::suits({8, 8, 8, 16, 8, 8, 3, 1, 1, 1}));   // 8 input channels: im2col + GEMM
  CHECK(DirectConv::suits({3, 8, 8, 24, 8, 8, 3, 1, 1, 1}));         // 24 outputs: three groups
  CHECK_FALSE(DirectConv::suits({3, 8, 8, 20, 8, 8, 3, 1, 1, 1}));   // 20 outputs
  CHECK_FALSE(DirectConv::suits({3, 8, 8, 16, 3, 3, 3, 3, 0, 0}));   // stride 3
}
