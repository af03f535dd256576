#include "layers/conv_bands.h"

#include <algorithm>
#include <cstddef>

#include "layers/conv_ops.h"

namespace mnet {

namespace {

// A band's expanded rows (or, without an expansion, its depthwise output) take about this much:
// a third of a 1 MiB L2, leaving room for the depthwise output and the weights streaming by.
constexpr int64_t kBandBytes = 320 * 1024;
// Chains whose tensors between the convolutions are all smaller stay in L2 when run whole.
constexpr int64_t kMinIntermediateBytes = 1536 * 1024;

// Per-thread buffer that only grows: steady-state runs allocate nothing.
float* band_buffer(int which, size_t floats) {
  thread_local std::vector<float> buffers[2];
  std::vector<float>& b = buffers[which];
  if (b.size() < floats) b.resize(floats);
  return b.data();
}

class BandChainOp : public Op {
 public:
  std::vector<std::unique_ptr<Op>> owned;
  const PointwiseOp* expand = nullptr;   // may be null
  const DepthwiseOp* depthwise = nullptr;
  const PointwiseOp* project = nullptr;  // may be null
  Shape in;                              // the chain's input
  int band_rows = 1;                     // depthwise output rows per band

  int bands() const { return (depthwise->p.out_h + band_rows - 1) / band_rows; }

  void run(const std::vector<const float*>& inputs, float* out, RunContext& ctx) override {
    const int count = bands();
    // Bands are independent: each thread runs whole bands with single-threaded kernels.
#pragma omp parallel for num_threads(ctx.threads) schedule(static) if (ctx.threads > 1 && count > 1)
    for (int band = 0; band < count; ++band) run_band(inputs[0], out, band);
  }

 private:
  void run_band(const float* x, float* out, int band) const {
    const DepthwiseParams& d = depthwise->p;
    const int oy0 = band * band_rows, oy1 = std::min(d.out_h, oy0 + band_rows);
    // Input rows [first, last) feed these output rows; those outside the image are padding.
    const int first = oy0 * d.stride - d.pad_top, last = (oy1 - 1) * d.stride - d.pad_top + d.kernel;
    const int iy0 = std::max(0, first), iy1 = std::min(d.in_h, last);
    const size_t in_plane = size_t(in.h) * in.w;

    DepthwiseParams p = d;
    p.in_h = std::max(iy1 - iy0, 0);
    p.pad_top = iy0 - first;
    p.out_h = oy1 - oy0;
    const float* dw_in = x + size_t(iy0) * in.w;
    p.in_channel_stride = in_plane;
    if (expand) {
      const int n = p.in_h * d.in_w;
      float* expanded = band_buffer(0, size_t(d.channels) * n);
      expand->gemm.packed_gemm().run(n, dw_in, in_plane, expanded, size_t(n), data_or_null(expand->bias),
                                     expand->act, 1);
      dw_in = expanded;
      p.in_channel_stride = size_t(n);
    }
    const int n_out = p.out_h * d.out_w;
    const size_t out_plane = size_t(d.out_h) * d.out_w;
    if (!project) {
      p.out_channel_stride = out_plane;
      depthwise_conv(p, dw_in, depthwise->weight.data(), data_or_null(depthwise->bias),
                     out + size_t(oy0) * d.out_w, 1);
      return;
    }
    float* dw_out = band_buffer(1, size_t(d.channels) * n_out);
    p.out_channel_stride = size_t(n_out);
    depthwise_conv(p, dw_in, depthwise->weight.data(), data_or_null(depthwise->bias), dw_out, 1);
    project->gemm.packed_gemm().run(n_out, dw_out, size_t(n_out), out + size_t(oy0) * d.out_w, out_plane,
                                    data_or_null(project->bias), project->act, 1);
  }
};

}  // namespace

std::unique_ptr<Op> chain_in_bands(std::vector<std::unique_ptr<Op>>& ops, const Shape& in,
                                   const std::vector<Shape>& outs) {
  if (ops.size() < 2 || ops.size() > 3 || outs.size() != ops.size()) return nullptr;
  auto op = std::make_unique<BandChainOp>();
  size_t at = 0;
  op->expand = dynamic_cast<const PointwiseOp*>(ops[at].get());
  if (op->expand) ++at;
  op->depthwise = at < ops.size() ? dynamic_cast<const DepthwiseOp*>(ops[at].get()) : nullptr;
  if (!op->depthwise) return nullptr;
  const size_t dw_at = at++;
  op->project = at < ops.size() ? dynamic_cast<const PointwiseOp*>(ops[at].get()) : nullptr;
  if (op->project) ++at;
  if (at != ops.size() || (!op->expand && !op->project)) return nullptr;
  for (const PointwiseOp* pw : {op->expand, op->project})
    if (pw && !pw->gemm.packed()) return nullptr;

  // Fusing pays where a tensor between the convolutions would not stay in L2.
  int64_t largest = 0;
  for (size_t i = 0; i + 1 < outs.size(); ++i) largest = std::max(largest, outs[i].elements());
  if (largest * int64_t(sizeof(float)) < kMinIntermediateBytes) return nullptr;

  const DepthwiseParams& d = op->depthwise->p;
  const Shape& dw_in = dw_at == 0 ? in : outs[0];
  // Band height from the larger per-row footprint: expanded input rows, else depthwise output rows.
  const int64_t row_bytes = int64_t(sizeof(float)) * d.channels * (op->expand ? dw_in.w : d.out_w);
  const int rows = int(std::max<int64_t>(1, kBandBytes / row_bytes));
  op->band_rows = op->expand ? std::max(1, (rows - d.kernel) / d.stride + 1) : rows;
  op->band_rows = std::min(op->band_rows, d.out_h);
  op->in = in;
  for (auto& o : ops) op->owned.push_back(std::move(o));
  ops.clear();
  return op;
}

}  // namespace mnet
