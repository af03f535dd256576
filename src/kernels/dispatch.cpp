// Kernel choice for every layer: the table of kernel names and instruction sets, and the
// measured preferences between kernels that suit the same shape.
#include "kernels/dispatch.h"

#include <iterator>

#include "kernels/depthwise_blocked.h"
#include "kernels/direct_conv.h"
#include "kernels/small_map_gemm.h"

namespace mnet {

namespace {

struct KernelRow {
  Kernel kernel;
  const char* name;
  SimdLevel needs;
};

// One row per Kernel, in the enum's order.
constexpr KernelRow kKernels[] = {
    {Kernel::depthwise_blocked_avx512, "depthwise_blocked_avx512", SimdLevel::avx512},
    {Kernel::depthwise_direct_avx512, "depthwise_direct_avx512", SimdLevel::avx512},
    {Kernel::depthwise_padded_avx512, "depthwise_padded_avx512", SimdLevel::avx512},
    {Kernel::depthwise_avx2, "depthwise_avx2", SimdLevel::avx2},
    {Kernel::depthwise_scalar, "depthwise_scalar", SimdLevel::scalar},
    {Kernel::gemm_small_map_avx512, "gemm_small_map_avx512", SimdLevel::avx512},
    {Kernel::gemm_packed_avx512, "gemm_packed_avx512", SimdLevel::avx512},
    {Kernel::gemm_openblas, "gemm_openblas", SimdLevel::scalar},
    {Kernel::direct_conv_avx512, "direct_conv_avx512", SimdLevel::avx512},
    {Kernel::im2col_gemm, "im2col_gemm", SimdLevel::scalar},
    {Kernel::gemv_streamed_avx512, "gemv_streamed_avx512", SimdLevel::avx512},
    {Kernel::gemv_openblas, "gemv_openblas", SimdLevel::scalar},
};

constexpr bool in_enum_order() {
  for (size_t i = 0; i < std::size(kKernels); ++i)
    if (static_cast<size_t>(kKernels[i].kernel) != i) return false;
  return true;
}
static_assert(in_enum_order() && std::size(kKernels) == static_cast<size_t>(Kernel::gemv_openblas) + 1,
              "kKernels: one row per Kernel, in the enum's order");

const KernelRow& row(Kernel kernel) { return kKernels[static_cast<int>(kernel)]; }

}  // namespace

const char* kernel_name(Kernel kernel) { return row(kernel).name; }

SimdLevel kernel_simd_level(Kernel kernel) { return row(kernel).needs; }

std::vector<Kernel> all_kernels() {
  std::vector<Kernel> kernels;
  for (const KernelRow& r : kKernels) kernels.push_back(r.kernel);
  return kernels;
}

bool is_depthwise(const ConvShape& s) { return s.groups == s.in_c && s.groups == s.out_c && s.groups > 1; }

bool is_pointwise(const ConvShape& s) {
  return s.kernel == 1 && s.stride == 1 && s.groups == 1 && s.pad_top == 0 && s.pad_left == 0 &&
         s.pad_bottom == 0 && s.pad_right == 0;
}

DepthwiseParams depthwise_params(const ConvShape& s) {
  DepthwiseParams p;
  p.channels = s.in_c;
  p.in_h = s.in_h;
  p.in_w = s.in_w;
  p.out_h = s.out_h;
  p.out_w = s.out_w;
  p.kernel = s.kernel;
  p.stride = s.stride;
  p.dilation = s.dilation;
  p.pad_top = s.pad_top;
  p.pad_left = s.pad_left;
  return p;
}

Kernel choose_conv(const ConvShape& s, SimdLevel level) {
  if (is_depthwise(s)) return choose_depthwise(depthwise_params(s), level);
  if (is_pointwise(s)) return choose_gemm(s.out_c, s.in_c, s.in_h * s.in_w, level);
  const DirectConvShape direct{s.in_c, s.in_h, s.in_w, s.out_c, s.out_h, s.out_w, s.kernel, s.stride, s.pad_top,
                               s.pad_left};
  // direct_conv does not dilate; at k = 1 dilation changes nothing.
  const bool undilated = s.dilation == 1 || s.kernel == 1;
  if (s.groups == 1 && undilated && level >= SimdLevel::avx512 && DirectConv::fits(direct))
    return Kernel::direct_conv_avx512;
  return Kernel::im2col_gemm;
}

Kernel depthwise_row_kernel(const DepthwiseParams& p, SimdLevel level) {
  if (level >= SimdLevel::avx512 && depthwise_rows_suit(p)) {
    // 5×5 stride 1 stays on the padded plane: measured 108 GFLOP/s there against 85 direct at
    // 120ch 28×28 (scripts/bench_kernels.cpp), where 3×3 gained at every size. Stride 2 reads
    // the input directly too: against the deinterleaved padded plane, in V2 and V3 (1 thread,
    // per layer) 56→28 0.073 → 0.056 ms, 28→14 0.034 → 0.018, 14→7 (which ran on AVX2) 0.045 →
    // 0.029; 112→56 0.28 → 0.32 with the layer alone, but no change in the whole model, where
    // V2's runs in bands.
    if (p.kernel == 5 && p.stride == 1 && depthwise_padded_avx512_suits(p)) return Kernel::depthwise_padded_avx512;
    return Kernel::depthwise_direct_avx512;
  }
  if (level >= SimdLevel::avx2 && depthwise_rows_suit(p)) return Kernel::depthwise_avx2;
  return Kernel::depthwise_scalar;
}

Kernel choose_depthwise(const DepthwiseParams& p, SimdLevel level) {
  if (level >= SimdLevel::avx512 && depthwise_blocked_fits(p)) return Kernel::depthwise_blocked_avx512;
  // At stride 1 a row of at most 8 outputs fills an AVX2 vector but not half an AVX-512 one (at
  // stride 2 AVX-512 reads the input directly and still wins there).
  if (level >= SimdLevel::avx512 && p.out_w <= 8 && p.stride == 1) level = SimdLevel::avx2;
  return depthwise_row_kernel(p, level);
}

Kernel choose_gemm(int M, int K, int N, SimdLevel level) {
  (void)M;  // every kernel takes any number of output channels
  if (level < SimdLevel::avx512) return Kernel::gemm_openblas;
  return SmallMapGemm::suits(N, K) ? Kernel::gemm_small_map_avx512 : Kernel::gemm_packed_avx512;
}

Kernel choose_fc(int M, int K, SimdLevel level) {
  (void)M, (void)K;  // streamed_gemv wins at every fully connected shape measured (streamed_gemv.h)
  return level >= SimdLevel::avx512 ? Kernel::gemv_streamed_avx512 : Kernel::gemv_openblas;
}

}  // namespace mnet
