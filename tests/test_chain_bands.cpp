// The band chaining pass (run/chain_bands.h) and the band chain op (run/band_chain_op.h), on real
// convolutions and on hand-made ops that offer graph/row_bands.h's interfaces.
#include <catch2/catch.hpp>
#include <memory>

#include "config/config.h"
#include "graph/row_bands.h"
#include "kernels/packed_gemm.h"
#include "run/band_chain_op.h"
#include "run/chain_bands.h"
#include "run/fuse.h"
#include "run/prepare_ops.h"
#include "testing.h"
#include "weights/weights.h"

using namespace mnet;

namespace {

// out[o][j] = Σ_c (o + 2c + 1) / 8 · in[c][j], in plain loops.
class FakePointwise : public Op, public PointwiseBands {
 public:
  FakePointwise(int in_c, int out_c, int pixels, bool strided) : in_c(in_c), out_c(out_c), pixels(pixels), strided(strided) {}
  int in_c, out_c, pixels;
  bool strided;
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    run_pixels(pixels, in[0], size_t(pixels), out, size_t(pixels));
  }
  bool runs_pixels() const override { return strided; }
  void run_pixels(int n, const float* in, size_t in_stride, float* out, size_t out_stride) const override {
    for (int o = 0; o < out_c; ++o)
      for (int j = 0; j < n; ++j) {
        float sum = 0;
        for (int c = 0; c < in_c; ++c) sum += float(o + 2 * c + 1) / 8 * in[c * in_stride + j];
        out[o * out_stride + j] = sum;
      }
  }
};

// A k×k depthwise convolution with tap t weighted (t + 1) / 16, padding k/2 on every side; it
// counts reads of input rows its caller did not give it.
class FakeDepthwise : public Op, public DepthwiseBands {
 public:
  RowWindow w;
  int pad_left = 0;
  mutable int rows_missing = 0;
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    run_rows(0, w.out_h, in[0], size_t(w.in_h) * w.in_w, out, size_t(w.out_h) * w.out_w);
  }
  RowWindow window() const override { return w; }
  void run_rows(int y0, int y1, const float* in, size_t in_stride, float* out, size_t out_stride) const override {
    const int first = w.first_input_row(y0), end = w.end_input_row(y1);
    for (int c = 0; c < w.channels; ++c)
      for (int y = y0; y < y1; ++y)
        for (int x = 0; x < w.out_w; ++x) {
          float sum = 0;
          for (int ky = 0; ky < w.kernel; ++ky)
            for (int kx = 0; kx < w.kernel; ++kx) {
              const int iy = y * w.stride - w.pad_top + ky, ix = x * w.stride - pad_left + kx;
              if (iy < 0 || iy >= w.in_h || ix < 0 || ix >= w.in_w) continue;
              if (iy < first || iy >= end) {
                ++rows_missing;
                continue;
              }
              sum += float(ky * w.kernel + kx + 1) / 16 * in[c * in_stride + size_t(iy - first) * w.in_w + ix];
            }
          out[c * out_stride + size_t(y - y0) * w.out_w + x] = sum;
        }
  }
};

// Nodes 1, 2, 3: a 1×1 expansion of 4 channels to 32 on a 115×115 map (1.7 MB, above
// kMinIntermediateBytes), a 3×3 stride-2 depthwise, a 1×1 projection to 6 channels.
struct HandMadeChain {
  Shape in{4, 115, 115}, mid{32, 115, 115}, dw_out{32, 58, 58}, out{6, 58, 58};
  FakePointwise* expand;
  FakeDepthwise* depthwise;
  FakePointwise* project;
  Plan plan;

  explicit HandMadeChain(bool expand_strided = true, bool project_strided = true) {
    auto e = std::make_unique<FakePointwise>(in.c, mid.c, in.h * in.w, expand_strided);
    auto d = std::make_unique<FakeDepthwise>();
    d->w = RowWindow{mid.c, mid.h, mid.w, dw_out.h, dw_out.w, 3, 2, 1};
    d->pad_left = 1;
    auto p = std::make_unique<FakePointwise>(mid.c, out.c, dw_out.h * dw_out.w, project_strided);
    expand = e.get(), depthwise = d.get(), project = p.get();
    plan.runs_in = {0, 1, 2, 3};
    plan.output = 3;
    add_step(1, {0}, in, mid, std::move(e));
    add_step(2, {1}, mid, dw_out, std::move(d));
    add_step(3, {2}, dw_out, out, std::move(p));
  }
  void add_step(int node, std::vector<int> inputs, const Shape& from, const Shape& to, std::unique_ptr<Op> op) {
    PlanStep step;
    step.first = step.last = node;
    step.inputs = std::move(inputs);
    step.in = from;
    step.out = to;
    step.op = std::move(op);
    plan.steps.push_back(std::move(step));
  }
  // The three ops one after another on whole tensors.
  std::vector<float> layer_by_layer(const std::vector<float>& x) {
    RunContext ctx;
    std::vector<float> a(size_t(mid.elements())), b(size_t(dw_out.elements())), y(size_t(out.elements()));
    expand->run({x.data()}, a.data(), ctx);
    depthwise->run({a.data()}, b.data(), ctx);
    project->run({b.data()}, y.data(), ctx);
    return y;
  }
};

std::vector<float> run_op(Op& op, const std::vector<float>& x, int64_t out_elements, int threads) {
  std::vector<float> y(size_t(out_elements), -1.0f);
  RunContext ctx;
  ctx.threads = threads;
  op.run({x.data()}, y.data(), ctx);
  return y;
}

Graph v2_block(int resolution) {
  return parse_config(R"({"name": "t", "resolution": )" + std::to_string(resolution) +
                          R"(, "input_channels": 16, "layers": [
      {"type": "conv", "name": "expand", "out": 96, "kernel": 1}, {"type": "bn", "name": "bn1"},
      {"type": "relu6", "name": "act1"},
      {"type": "dwconv", "name": "dw", "kernel": 3, "stride": 1}, {"type": "bn", "name": "bn2"},
      {"type": "relu6", "name": "act2"},
      {"type": "conv", "name": "project", "out": 24, "kernel": 1}, {"type": "bn", "name": "bn3"}]})",
                      "block.json");
}

}  // namespace

TEST_CASE("chain_bands: a V2 block's expand, depthwise and project chain on a 112x112 map, not on 14x14") {
  for (int resolution : {112, 14}) {
    INFO("resolution " << resolution);
    Graph g = v2_block(resolution);
    Plan plan = fuse(g, true);
    prepare_ops(plan, g, random_weights(g, 2));
    REQUIRE(plan.steps.size() == 3);
    std::string kernels;  // what the chain says it runs: its three ops' kernels, in order
    for (const PlanStep& step : plan.steps) kernels += (kernels.empty() ? "" : " > ") + step.op->kernel_name();
    const std::vector<float> x = testing::random_values(size_t(g.input().out.elements()), 1, 4);
    // Layer by layer first: chaining takes the ops.
    std::vector<std::vector<float>> values{x};
    for (PlanStep& step : plan.steps)
      values.push_back(run_op(*step.op, values.back(), step.out.elements(), 1));

    const bool chains = resolution == 112 && PackedGemm::available();  // else the 1×1s run on OpenBLAS
    const int project = g.find("project");
    CHECK(chain_bands(plan) == (chains ? 1 : 0));
    if (!chains) {
      REQUIRE(plan.steps.size() == 3);
      for (const PlanStep& step : plan.steps) CHECK(step.op);
      CHECK(plan.runs_in[g.find("expand")] == g.find("expand"));
      continue;
    }
    REQUIRE(plan.steps.size() == 1);
    CHECK(plan.steps[0].first == g.find("expand"));
    CHECK(plan.steps[0].last == project);
    CHECK(plan.steps[0].out == g.output().out);
    for (size_t i = 1; i < g.nodes.size(); ++i) CHECK(plan.runs_in[i] == project);
    const std::string name = plan.steps[0].op->kernel_name();
    CHECK_THAT(name, Catch::Matchers::StartsWith("bands of "));
    CHECK_THAT(name, Catch::Matchers::EndsWith(" rows: " + kernels));
    for (int threads : {1, 2})  // the same kernels summing in the same order: identical results
      CHECK(run_op(*plan.steps[0].op, x, g.output().out.elements(), threads) == values.back());
  }
}

TEST_CASE("chain_bands: a chain through the row-band interfaces gives the layer-by-layer output, each input row read") {
  HandMadeChain chain;
  const std::vector<float> x = testing::random_values(size_t(chain.in.elements()), 1, 9);
  const std::vector<float> expected = chain.layer_by_layer(x);
  REQUIRE(chain_bands(chain.plan) == 1);
  REQUIRE(chain.plan.steps.size() == 1);
  CHECK(chain.plan.runs_in == std::vector<int>{0, 3, 3, 3});
  for (int threads : {1, 2}) {
    INFO(threads << " thread(s)");
    CHECK(run_op(*chain.plan.steps[0].op, x, chain.out.elements(), threads) == expected);
  }
  CHECK(chain.depthwise->rows_missing == 0);
}

TEST_CASE("chain_bands: a 1x1 that cannot run a band of pixels stays out of the chain") {
  SECTION("the projection: the expansion and the depthwise still chain") {
    HandMadeChain chain(true, false);
    const std::vector<float> x = testing::random_values(size_t(chain.in.elements()), 1, 9);
    const std::vector<float> expected = chain.layer_by_layer(x);
    REQUIRE(chain_bands(chain.plan) == 1);
    REQUIRE(chain.plan.steps.size() == 2);
    CHECK(chain.plan.steps[0].last == 2);
    CHECK(chain.plan.steps[1].op.get() == chain.project);
    CHECK(chain.plan.runs_in == std::vector<int>{0, 2, 2, 3});
    std::vector<float> mid = run_op(*chain.plan.steps[0].op, x, chain.dw_out.elements(), 2);
    CHECK(run_op(*chain.plan.steps[1].op, mid, chain.out.elements(), 1) == expected);
  }
  SECTION("both: nothing chains and every op stays where it was") {
    HandMadeChain chain(false, false);
    CHECK(chain_bands(chain.plan) == 0);
    REQUIRE(chain.plan.steps.size() == 3);
    CHECK(chain.plan.steps[0].op.get() == chain.expand);
    CHECK(chain.plan.steps[1].op.get() == chain.depthwise);
    CHECK(chain.plan.steps[2].op.get() == chain.project);
    CHECK(chain.plan.runs_in == std::vector<int>{0, 1, 2, 3});
  }
}

TEST_CASE("chain_bands: a link whose value has another reader, or is the graph's output, ends the chain") {
  SECTION("a fourth step reads the depthwise's output") {
    HandMadeChain chain;
    chain.add_step(4, {2}, chain.dw_out, chain.dw_out, std::make_unique<FakePointwise>(32, 32, 58 * 58, true));
    chain.plan.runs_in.push_back(4);
    chain.plan.output = 4;
    REQUIRE(chain_bands(chain.plan) == 1);
    REQUIRE(chain.plan.steps.size() == 3);
    CHECK(chain.plan.steps[0].first == 1);
    CHECK(chain.plan.steps[0].last == 2);
    CHECK(chain.plan.steps[1].op.get() == chain.project);
    CHECK(chain.plan.runs_in == std::vector<int>{0, 2, 2, 3, 4});
  }
  SECTION("the depthwise's output is the graph's output") {
    HandMadeChain chain;
    chain.plan.output = 2;
    REQUIRE(chain_bands(chain.plan) == 1);
    REQUIRE(chain.plan.steps.size() == 2);
    CHECK(chain.plan.steps[0].last == 2);
  }
  SECTION("the tensors between the convolutions would stay in cache") {
    HandMadeChain chain;
    for (PlanStep& step : chain.plan.steps) step.out.h = step.out.w = 8;  // 32×8×8 floats in between
    CHECK(chain_bands(chain.plan) == 0);
    CHECK(chain.plan.steps.size() == 3);
  }
}
