// kernels/im2col: im2col + GEMM equals a direct convolution, every padding and dilation.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/im2col.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

namespace {

struct ConvCase {
  int in_c, in_h, in_w, out_c, kernel, stride, pad_top, pad_left, out_h, out_w;
  int dilation = 1;
};

// in [in_c, in_h, in_w], weight [out_c, in_c, k, k] → out [out_c, out_h, out_w]; out-of-image taps
// skipped.
std::vector<float> direct_conv(const ConvCase& c, const std::vector<float>& in,
                               const std::vector<float>& weight) {
  std::vector<float> out(size_t(c.out_c) * c.out_h * c.out_w);
  for (int oc = 0; oc < c.out_c; ++oc)
    for (int oy = 0; oy < c.out_h; ++oy)
      for (int ox = 0; ox < c.out_w; ++ox) {
        double sum = 0.0;
        for (int ic = 0; ic < c.in_c; ++ic)
          for (int ky = 0; ky < c.kernel; ++ky)
            for (int kx = 0; kx < c.kernel; ++kx) {
              const int iy = oy * c.stride - c.pad_top + ky * c.dilation;
              const int ix = ox * c.stride - c.pad_left + kx * c.dilation;
              if (iy < 0 || iy >= c.in_h || ix < 0 || ix >= c.in_w) continue;
              sum += double(weight[((size_t(oc) * c.in_c + ic) * c.kernel + ky) * c.kernel + kx]) *
                     in[(size_t(ic) * c.in_h + iy) * c.in_w + ix];
            }
        out[(size_t(oc) * c.out_h + oy) * c.out_w + ox] = float(sum);
      }
  return out;
}

// weight [M, K] · col [K, N], summed in double.
std::vector<float> naive_matmul(int M, int N, int K, const std::vector<float>& A,
                                const std::vector<float>& B) {
  std::vector<float> C(size_t(M) * N);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double sum = 0.0;
      for (int k = 0; k < K; ++k) sum += double(A[size_t(m) * K + k]) * B[size_t(k) * N + n];
      C[size_t(m) * N + n] = float(sum);
    }
  return C;
}

void check_im2col(const ConvCase& c) {
  const auto in = random_values(size_t(c.in_c) * c.in_h * c.in_w, 1.0f, 41);
  const auto weight = random_values(size_t(c.out_c) * c.in_c * c.kernel * c.kernel, 1.0f, 42);
  const int K = c.in_c * c.kernel * c.kernel;
  const int N = c.out_h * c.out_w;
  std::vector<float> col(size_t(K) * N, std::nanf(""));
  im2col(in.data(), c.in_c, c.in_h, c.in_w, c.kernel, c.stride, c.pad_top, c.pad_left, c.out_h,
         c.out_w, col.data(), c.dilation);
  const auto expected = direct_conv(c, in, weight);
  const auto via_naive = naive_matmul(c.out_c, N, K, weight, col);
  std::vector<float> via_blas(expected.size());
  gemm_bias_act(c.out_c, N, K, weight.data(), col.data(), via_blas.data(), nullptr, Act::none, 1);
  // Both sides sum in double; only the final float rounding and BLAS's float sums differ:
  // 1e-5·K·max|w|·max|x| with |w|, |x| <= 1.
  const float tol = 1e-5f * float(K);
  INFO("in " << c.in_c << "x" << c.in_h << "x" << c.in_w << " k" << c.kernel << " s" << c.stride << " d" << c.dilation
             << " pad(" << c.pad_top << "," << c.pad_left << ") out " << c.out_h << "x" << c.out_w);
  CHECK(mismatch(via_naive, expected, tol) == "");
  CHECK(mismatch(via_blas, expected, tol) == "");
}

}  // namespace

TEST_CASE("im2col then GEMM equals direct convolution with stride 1 and symmetric padding") {
  check_im2col({3, 15, 14, 5, 3, 1, 1, 1, 15, 14});
  check_im2col({2, 7, 9, 4, 5, 1, 2, 2, 7, 9});
  check_im2col({4, 5, 6, 3, 1, 1, 0, 0, 5, 6});
}

TEST_CASE("im2col then GEMM equals direct convolution with stride 2 on odd sizes") {
  check_im2col({3, 15, 13, 8, 3, 2, 1, 1, 8, 7});
  check_im2col({3, 17, 11, 2, 5, 2, 2, 2, 9, 6});
}

TEST_CASE("im2col then GEMM equals direct convolution with asymmetric (TensorFlow SAME) padding") {
  // Stride 2 on even input: k=3 pads 0 before and 1 after.
  check_im2col({3, 16, 14, 8, 3, 2, 0, 0, 8, 7});
  check_im2col({2, 10, 12, 3, 5, 2, 1, 1, 5, 6});
  // Unequal top and left padding, and an output reaching past the input on the far side.
  check_im2col({2, 9, 8, 3, 3, 1, 0, 2, 10, 9});
  check_im2col({2, 9, 8, 3, 3, 2, 2, 0, 6, 5});
}

TEST_CASE("im2col then GEMM equals direct convolution with dilation, every padding and stride") {
  // out = (in + pads − d(k−1) − 1) / s + 1; past the far side counts as padding.
  check_im2col({3, 15, 13, 4, 3, 1, 0, 0, 11, 9, 2});  // valid
  check_im2col({3, 15, 13, 4, 3, 1, 2, 2, 15, 13, 2});  // size kept
  check_im2col({2, 17, 19, 3, 5, 2, 4, 4, 9, 10, 2});   // stride 2
  check_im2col({2, 21, 21, 3, 5, 1, 0, 0, 5, 5, 4});    // span 17
  check_im2col({2, 11, 12, 3, 3, 2, 4, 3, 6, 6, 4});    // TensorFlow SAME: rows 4 | 4, columns 3 | 4
  check_im2col({1, 9, 9, 2, 3, 3, 1, 0, 3, 3, 3});      // stride 3, unequal sides, reaching past the far side
}

TEST_CASE("im2col lays rows out as (channel, ky, kx) with zeros outside the image") {
  const std::vector<float> in{1, 2, 3, 4};  // [1, 2, 2]
  std::vector<float> col(9 * 4, -1.0f);     // [1·3·3, 2·2]
  im2col(in.data(), 1, 2, 2, 3, 1, 1, 1, 2, 2, col.data());
  // Row ky=0,kx=0 reads the top-left neighbour of each output: only output (1,1) has one.
  CHECK(std::vector<float>(col.begin(), col.begin() + 4) == std::vector<float>{0, 0, 0, 1});
  // Centre tap row (ky=1,kx=1) is the image itself.
  CHECK(std::vector<float>(col.begin() + 16, col.begin() + 20) == std::vector<float>{1, 2, 3, 4});
  // Row ky=2,kx=1 reads the neighbour below.
  CHECK(std::vector<float>(col.begin() + 28, col.begin() + 32) == std::vector<float>{3, 4, 0, 0});
}
