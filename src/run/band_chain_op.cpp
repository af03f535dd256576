// The band chain op (run/band_chain_op.h): a 1×1 → depthwise → 1×1 chain run band of rows by band.
#include "run/band_chain_op.h"

#include <algorithm>
#include <cstddef>
#include <string>

#include "graph/row_bands.h"
#include "kernels/scratch.h"

namespace mnet {

namespace {

class BandChainOp : public Op {
 public:
  std::vector<std::unique_ptr<Op>> owned;
  const PointwiseBands* expand = nullptr;  // may be null
  const DepthwiseBands* depthwise = nullptr;
  const PointwiseBands* project = nullptr;  // may be null
  RowWindow d;                              // the depthwise's geometry
  Shape in;                                 // the chain's input
  int band_rows = 1;                        // depthwise output rows per band

  int bands() const { return (d.out_h + band_rows - 1) / band_rows; }

  // "bands of 8 rows: gemm_packed_avx512 > depthwise_direct_avx512 > gemm_packed_avx512".
  std::string kernel_name() const override {
    std::string names;
    for (const auto& op : owned) names += (names.empty() ? "" : " > ") + op->kernel_name();
    return "bands of " + std::to_string(band_rows) + " rows: " + names;
  }

  void run(const std::vector<const float*>& inputs, float* out, RunContext& ctx) override {
    const int count = bands();
#pragma omp parallel for num_threads(ctx.threads) schedule(static) if (ctx.threads > 1 && count > 1)
    for (int band = 0; band < count; ++band) run_band(inputs[0], out, band);
  }

 private:
  void run_band(const float* x, float* out, int band) const {
    const int oy0 = band * band_rows, oy1 = std::min(d.out_h, oy0 + band_rows);
    const int iy0 = d.first_input_row(oy0), rows_in = std::max(d.end_input_row(oy1) - iy0, 0);
    const size_t in_plane = size_t(in.h) * in.w;
    const float* dw_in = x + size_t(iy0) * in.w;
    size_t dw_in_stride = in_plane;
    if (expand) {
      const int n = rows_in * d.in_w;
      float* expanded = thread_scratch(size_t(d.channels) * n, ScratchSlot::band_input);
      expand->run_pixels(n, dw_in, in_plane, expanded, size_t(n));
      dw_in = expanded;
      dw_in_stride = size_t(n);
    }
    const size_t out_plane = size_t(d.out_h) * d.out_w;
    if (!project) {
      depthwise->run_rows(oy0, oy1, dw_in, dw_in_stride, out + size_t(oy0) * d.out_w, out_plane);
      return;
    }
    const int n_out = (oy1 - oy0) * d.out_w;
    float* dw_out = thread_scratch(size_t(d.channels) * n_out, ScratchSlot::band_output);
    depthwise->run_rows(oy0, oy1, dw_in, dw_in_stride, dw_out, size_t(n_out));
    project->run_pixels(n_out, dw_out, size_t(n_out), out + size_t(oy0) * d.out_w, out_plane);
  }
};

}  // namespace

std::unique_ptr<Op> chain_in_bands(std::vector<std::unique_ptr<Op>>& ops, const Shape& in,
                                   const std::vector<Shape>& outs) {
  if (ops.size() < 2 || ops.size() > 3 || outs.size() != ops.size()) return nullptr;
  auto op = std::make_unique<BandChainOp>();
  size_t at = 0;
  op->expand = dynamic_cast<const PointwiseBands*>(ops[at].get());
  if (op->expand) ++at;
  op->depthwise = at < ops.size() ? dynamic_cast<const DepthwiseBands*>(ops[at].get()) : nullptr;
  if (!op->depthwise) return nullptr;
  const size_t dw_at = at++;
  op->project = at < ops.size() ? dynamic_cast<const PointwiseBands*>(ops[at].get()) : nullptr;
  if (op->project) ++at;
  if (at != ops.size() || (!op->expand && !op->project)) return nullptr;
  for (const PointwiseBands* pw : {op->expand, op->project})
    if (pw && !pw->runs_pixels()) return nullptr;

  // Chaining pays where a tensor between the convolutions would not stay in L2.
  int64_t largest = 0;
  for (size_t i = 0; i + 1 < outs.size(); ++i) largest = std::max(largest, outs[i].elements());
  if (largest * int64_t(sizeof(float)) < kMinIntermediateBytes) return nullptr;

  const RowWindow& d = op->d = op->depthwise->window();
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
