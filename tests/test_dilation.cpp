// Dilation on conv and dwconv: shapes and cost, refused descriptions, the dilated depthwise kernel
// against the reference, band chains leaving a dilated depthwise alone, and parity with PyTorch at
// the SIMD level the suite runs (CI re-runs it with MNET_SIMD=avx2 and scalar).
#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "config/build_graph.h"
#include "config/config.h"
#include "core/error.h"
#include "cost/cost.h"
#include "io/npy.h"
#include "kernels/depthwise.h"
#include "kernels/dispatch.h"
#include "kernels/packed_gemm.h"
#include "run/executor.h"
#include "graph_testing.h"
#include "testing.h"
#include "tflite/import.h"
#include "tflite_builder.h"
#include "weights/weights.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// One layer of the PyTorch parity test.
struct DilatedCase {
  bool depthwise;
  int kernel, dilation, stride;
  std::string pad;  // "0", another integer, or "same"
  int size;         // odd, square
  int groups = 1;   // of a conv
};

std::string layer_json(const DilatedCase& c) {
  std::string s = std::string(R"({"type": ")") + (c.depthwise ? "dwconv" : "conv") + R"(", "name": "l", "kernel": )" +
                  std::to_string(c.kernel) + R"(, "dilation": )" + std::to_string(c.dilation) + R"(, "stride": )" +
                  std::to_string(c.stride) + R"(, "bias": true, "pad": )" + (c.pad == "same" ? "\"same\"" : c.pad);
  if (!c.depthwise) s += R"(, "out": 4, "groups": )" + std::to_string(c.groups);
  return s + "}";
}

}  // namespace

TEST_CASE("dilation: out = floor((H + 2p - d(k-1) - 1)/s) + 1, same = ceil(H/s), cost as undilated", "[dilation]") {
  Graph g = parse_config(net(3, 19, R"({"type": "conv", "name": "valid", "out": 4, "kernel": 3, "dilation": 2, "pad": 0, "inputs": ["input"]},
      {"type": "conv", "name": "valid_s2", "out": 4, "kernel": 3, "dilation": 2, "stride": 2, "pad": 0, "inputs": ["input"]},
      {"type": "conv", "name": "pad3", "out": 4, "kernel": 5, "dilation": 2, "stride": 2, "pad": 3, "inputs": ["input"]},
      {"type": "conv", "name": "default_pad", "out": 4, "kernel": 3, "dilation": 2, "inputs": ["input"]},
      {"type": "conv", "name": "undilated", "out": 4, "kernel": 3, "inputs": ["input"]},
      {"type": "dwconv", "name": "same_s2", "kernel": 5, "dilation": 4, "stride": 2, "pad": "same", "inputs": ["input"]},
      {"type": "dwconv", "name": "same_s1", "kernel": 3, "dilation": 4, "pad": "same", "inputs": ["input"]},
      {"type": "dwconv", "name": "span_all", "kernel": 5, "dilation": 4, "pad": 1, "inputs": ["input"]})"),
                         "t.json");
  auto out = [&](const char* name) { return g.nodes[size_t(g.find(name))].out; };
  CHECK(out("valid") == (Shape{4, 15, 15}));        // 19 - 2·2 - 1 + 1
  CHECK(out("valid_s2") == (Shape{4, 8, 8}));       // (19 - 5) / 2 + 1
  CHECK(out("pad3") == (Shape{4, 9, 9}));           // (19 + 6 - 9) / 2 + 1
  CHECK(out("default_pad") == (Shape{4, 19, 19}));  // pad d(k-1)/2 = 2 keeps the size
  CHECK(out("same_s2") == (Shape{3, 10, 10}));      // ceil(19 / 2)
  CHECK(out("same_s1") == (Shape{3, 19, 19}));
  CHECK(out("span_all") == (Shape{3, 5, 5}));       // 19 + 2 - 17 + 1
  const CostReport r = analyze_cost(g);
  auto row = [&](const char* name) {
    for (const LayerCostRow& l : r.layers)
      if (l.name == name) return l;
    FAIL("no row " << name);
    return LayerCostRow{};
  };
  // The same multiply-adds per output and the same weights as undilated.
  CHECK(row("default_pad").madds == row("undilated").madds);
  CHECK(row("default_pad").madds == int64_t(19) * 19 * 4 * 3 * 9);
  CHECK(row("default_pad").params == row("undilated").params);
  CHECK(row("same_s2").madds == int64_t(10) * 10 * 3 * 25);
  CHECK(row("same_s2").category == "dw5x5");
  CHECK(row("valid").summary == "k3 s1 d2 p0");
  CHECK(row("undilated").summary == "k3 s1 p1");
}

TEST_CASE("dilation: out of range, a span over the input and padding over the span are refused", "[dilation]") {
  CHECK_THAT(error_of(net(3, 9, R"({"type": "conv", "name": "c", "out": 4, "kernel": 3, "dilation": 0})")),
             Contains("dilation must be between 1 and kMaxDilation = 64, got 0"));
  CHECK_THAT(error_of(net(3, 9, R"({"type": "dwconv", "name": "c", "kernel": 3, "dilation": 65})")),
             Contains("dilation must be between 1 and kMaxDilation = 64, got 65"));
  CHECK_THAT(error_of(net(3, 9, R"({"type": "dwconv", "name": "c", "kernel": 3, "dilation": 1.5})")),
             Contains("dilation"));
  CHECK_THAT(error_of(net(3, 9, R"({"type": "dwconv", "name": "c", "kernel": 5, "dilation": 4, "pad": 0})")),
             Contains("kernel 5x5 dilated 4 (spanning 17) larger than its padded input 9x9"));
  // Padding up to the span minus one is accepted (a dilated 3×3 at d = 4 pads 4 in PyTorch).
  CHECK(error_of(net(3, 9, R"({"type": "dwconv", "name": "c", "kernel": 3, "dilation": 4, "pad": 8})")) == "(accepted)");
  CHECK_THAT(error_of(net(3, 9, R"({"type": "dwconv", "name": "c", "kernel": 3, "dilation": 4, "pad": 9})")),
             Contains("pad must be between 0 and 8, got 9"));
}

TEST_CASE("mnet rejects a dilation over kMaxDilation with one error line naming the file and the limit", "[dilation]") {
  TempDir tmp;
  const std::string config =
      tmp.write("d.json", net(3, 16, R"({"type": "conv", "name": "c", "out": 4, "kernel": 3, "dilation": 70})"));
  const CommandResult r = run_mnet("info " + shell_quote(config));
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, StartsWith("mnet: error: " + config + ": /layers/0 (conv 'c'): "));
  CHECK_THAT(r.err, Contains("dilation must be between 1 and kMaxDilation = 64, got 70"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.out.empty());
}

TEST_CASE("the dilated depthwise kernel equals the reference, whatever level is asked", "[dilation]") {
  for (int kernel : {3, 5})
    for (int dilation : {2, 3})
      for (int stride : {1, 2})
        for (int pad : {0, 1, dilation * (kernel - 1) / 2}) {
          DepthwiseParams p;
          p.channels = 5;
          p.in_h = 23, p.in_w = 19;
          p.kernel = kernel, p.dilation = dilation, p.stride = stride;
          p.pad_top = pad, p.pad_left = pad;
          const int span = dilation * (kernel - 1) + 1;
          p.out_h = (p.in_h + 2 * pad - span) / stride + 1;
          p.out_w = (p.in_w + 2 * pad - span) / stride + 1;
          p.act = Act::relu6;
          INFO("k" << kernel << " d" << dilation << " s" << stride << " p" << pad);
          const auto in = random_values(size_t(p.channels) * p.in_h * p.in_w, 2.0f, 7);
          const auto weight = random_values(size_t(p.channels) * kernel * kernel, 1.0f, 8);
          const auto bias = random_values(size_t(p.channels), 1.0f, 9);
          std::vector<float> expected(size_t(p.channels) * p.out_h * p.out_w);
          depthwise_conv_reference(p, in.data(), weight.data(), bias.data(), expected.data());
          for (SimdLevel level : {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512}) {
            INFO("level " << simd_level_name(level));
            CHECK(depthwise_row_kernel(p, level) == Kernel::depthwise_scalar);
            std::vector<float> got(expected.size(), -1.0f);
            depthwise_conv_with(level, p, in.data(), weight.data(), bias.data(), got.data(), 2);
            CHECK(got == expected);  // the taps summed in the reference's order
          }
          std::vector<float> got(expected.size(), -1.0f);
          depthwise_conv(p, in.data(), weight.data(), bias.data(), got.data(), 2);
          CHECK(got == expected);
          // The fast kernels refuse a dilated shape instead of computing the undilated one.
          for (Kernel k : {Kernel::depthwise_direct_avx512, Kernel::depthwise_blocked_avx512, Kernel::depthwise_avx2})
            CHECK_THROWS_AS(depthwise_conv_as(k, p, in.data(), weight.data(), bias.data(), got.data(), 1), RunError);
        }
}

TEST_CASE("band chains leave a dilated depthwise alone and give the same output", "[dilation]") {
  // A V2 block at 112×112, where the undilated depthwise chains (tests/test_chain_bands.cpp).
  auto block = [](int dilation) {
    return parse_config(net(16, 112, R"({"type": "conv", "name": "expand", "out": 96, "kernel": 1},
        {"type": "bn", "name": "expand.bn"}, {"type": "relu6", "name": "expand.act"},
        {"type": "dwconv", "name": "dw", "kernel": 3, "dilation": )" + std::to_string(dilation) + R"(},
        {"type": "bn", "name": "dw.bn"}, {"type": "relu6", "name": "dw.act"},
        {"type": "conv", "name": "project", "out": 24, "kernel": 1})"),
                        "block.json");
  };
  for (int dilation : {1, 2}) {
    INFO("dilation " << dilation);
    const Graph g = block(dilation);
    const WeightMap w = random_weights(g, 3);
    const std::vector<float> x = random_values(size_t(g.input().out.elements()), 1.0f, 4);
    ExecOptions banded{2}, layers{2};
    layers.bands = false;
    Executor a(g, w, banded);
    // Convolutions that run inside another's step: expand and dw inside project's chain.
    int chained = 0;
    for (size_t i = 1; i < g.nodes.size(); ++i) {
      const std::string type = g.nodes[i].layer->type();
      chained += (type == "conv" || type == "dwconv") && a.runs_in()[i] != int(i);
    }
    // Without PackedGemm (below AVX-512) nothing chains.
    CHECK(chained == (dilation == 1 && PackedGemm::available() ? 2 : 0));
    const float* y = a.run(x.data());
    CHECK(std::vector<float>(y, y + g.output().out.elements()) == run(g, w, x, layers));
  }
}

TEST_CASE("dilated conv and depthwise match PyTorch: k 3/5, d 2/4, stride 1/2, pad 0/explicit/same", "[dilation]") {
  if (run_command("/usr/bin/python3 -c 'import torch'").exit_code != 0) {
    WARN("skipped: /usr/bin/python3 cannot import torch");
    return;
  }
  std::vector<DilatedCase> cases;
  for (bool depthwise : {false, true})
    for (int kernel : {3, 5})
      for (int dilation : {2, 4})
        for (int stride : {1, 2})
          for (const char* pad : {"0", "explicit", "same"}) {
            const int size = kernel == 5 && dilation == 4 ? 21 : 13;  // the span is 17 there
            const std::string p = std::string(pad) == "explicit" ? std::to_string(dilation * (kernel - 1) / 2 - 1) : pad;
            cases.push_back({depthwise, kernel, dilation, stride, p, size});
          }
  cases.push_back({false, 3, 2, 1, "same", 15, 2});  // grouped: im2col per group
  cases.push_back({false, 5, 3, 2, "2", 17, 2});
  TempDir tmp;
  std::string list;  // one line per case: index kind kernel dilation stride pad groups
  for (size_t i = 0; i < cases.size(); ++i) {
    const DilatedCase& c = cases[i];
    const int channels = c.depthwise ? 6 : 4;
    const Graph g = parse_config(net(channels, c.size, layer_json(c)), "t.json");
    const WeightMap w = random_weights(g, uint64_t(i) + 1);
    const std::vector<float> x = random_values(size_t(g.input().out.elements()), 1.0f, unsigned(i) + 100);
    const std::vector<float> y = run(g, w, x);
    const Shape& o = g.output().out;
    const std::string n = std::to_string(i);
    write_npy(tmp.file("x" + n + ".npy"), TensorData{{1, channels, c.size, c.size}, x});
    const std::vector<int64_t> ws = g.nodes[1].layer->weights(g.nodes[1].in_shapes, o)[0].shape;
    write_npy(tmp.file("w" + n + ".npy"), TensorData{ws, w.at("l.weight")});
    write_npy(tmp.file("b" + n + ".npy"), TensorData{{o.c}, w.at("l.bias")});
    write_npy(tmp.file("y" + n + ".npy"), TensorData{{1, o.c, o.h, o.w}, y});
    list += n + " " + (c.depthwise ? "dw" : "conv") + " " + std::to_string(c.kernel) + " " + std::to_string(c.dilation) +
            " " + std::to_string(c.stride) + " " + c.pad + " " + std::to_string(c.depthwise ? channels : c.groups) + "\n";
  }
  tmp.write("cases.txt", list);
  // TensorFlow's SAME written out here on its own: ceil(H/s) outputs, the odd pixel after.
  const std::string script = tmp.write("ref.py", R"(import sys, os, numpy as np, torch
import torch.nn.functional as F
d = sys.argv[1]
for line in open(os.path.join(d, "cases.txt")):
    i, kind, k, dil, s, pad, groups = line.split()
    k, dil, s, groups = int(k), int(dil), int(s), int(groups)
    x = torch.from_numpy(np.load(os.path.join(d, "x%s.npy" % i))).double()
    w = torch.from_numpy(np.load(os.path.join(d, "w%s.npy" % i))).double()
    b = torch.from_numpy(np.load(os.path.join(d, "b%s.npy" % i))).double()
    if pad == "same":
        h = x.shape[2]
        out = (h + s - 1) // s
        total = max((out - 1) * s + dil * (k - 1) + 1 - h, 0)
        x = F.pad(x, (total // 2, total - total // 2, total // 2, total - total // 2))
        p = 0
    else:
        p = int(pad)
    y = F.conv2d(x, w, b, stride=s, padding=p, dilation=dil, groups=groups)
    np.save(os.path.join(d, "ref%s.npy" % i), y.float().numpy())
)");
  const CommandResult py = run_command("/usr/bin/python3 " + shell_quote(script) + " " + shell_quote(tmp.path.string()));
  INFO("python: " << py.err);
  REQUIRE(py.exit_code == 0);
  for (size_t i = 0; i < cases.size(); ++i) {
    const DilatedCase& c = cases[i];
    INFO((c.depthwise ? "dwconv" : "conv") << " k" << c.kernel << " d" << c.dilation << " s" << c.stride << " pad "
                                            << c.pad << " groups " << c.groups << " on " << c.size << "x" << c.size
                                            << " at " << simd_level_name(simd_level()));
    const TensorData y = read_npy(tmp.file("y" + std::to_string(i) + ".npy"));
    const TensorData ref = read_npy(tmp.file("ref" + std::to_string(i) + ".npy"));
    REQUIRE(y.shape == ref.shape);
    CHECK(max_abs(ref.data) > 0);
    CHECK(mismatch(y.data, ref.data, 1e-5f * max_abs(ref.data)) == "");
  }
}

namespace {

namespace tfl = mnet::testing::tfl;
constexpr int kTfliteDepthwise = 4;                     // DEPTHWISE_CONV_2D
constexpr uint8_t kTfliteDepthwiseOptions = 2;          // DepthwiseConv2DOptions
constexpr int8_t kTfliteSame = 0, kTfliteValid = 1;     // Padding

// CONV_2D 3 → 4 channels, 3×3, dilation (dh, dw), VALID, then DEPTHWISE_CONV_2D 3×3, dilation 2,
// stride 2, SAME: on an 11×11 NHWC input. Weights as TFLite stores them: OHWI and 1HWC.
struct DilatedTflite {
  std::vector<float> conv_w = random_values(4 * 3 * 3 * 3, 1.0f, 21), conv_b = random_values(4, 1.0f, 22);
  std::vector<float> dw_w = random_values(3 * 3 * 4, 1.0f, 23), dw_b = random_values(4, 1.0f, 24);

  tfl::Model model(int dilation_h, int dilation_w) const {
    tfl::Model m;
    const int x = m.tensor({"input", {1, 11, 11, 3}});
    const int cw = m.constant("conv.w", {4, 3, 3, 3}, conv_w), cb = m.constant("conv.b", {4}, conv_b);
    const int mid = m.tensor({"conv", {1, 7, 7, 4}});
    auto co = tfl::table();
    co->scalar<int8_t>(0, kTfliteValid).scalar<int32_t>(1, 1).scalar<int32_t>(2, 1).scalar<int8_t>(3, tfl::kNone);
    co->scalar<int32_t>(4, dilation_w).scalar<int32_t>(5, dilation_h);
    m.op(tfl::kConv, {x, cw, cb}, {mid}, tfl::kConvOptions, co);
    const int dw = m.constant("dw.w", {1, 3, 3, 4}, dw_w), db = m.constant("dw.b", {4}, dw_b);
    const int y = m.tensor({"dw", {1, 4, 4, 4}});
    auto o = tfl::table();
    o->scalar<int8_t>(0, kTfliteSame).scalar<int32_t>(1, 2).scalar<int32_t>(2, 2).scalar<int32_t>(3, 1);
    o->scalar<int8_t>(4, tfl::kActRelu).scalar<int32_t>(5, 2).scalar<int32_t>(6, 2);
    m.op(kTfliteDepthwise, {mid, dw, db}, {y}, kTfliteDepthwiseOptions, o);
    m.inputs = {x};
    m.outputs = {y};
    return m;
  }

  // The model's output for a CHW input, straight from TFLite's definitions, in CHW.
  std::vector<float> reference(const std::vector<float>& x) const {
    std::vector<double> mid(4 * 7 * 7);
    for (int o = 0; o < 4; ++o)
      for (int oy = 0; oy < 7; ++oy)
        for (int ox = 0; ox < 7; ++ox) {
          double sum = conv_b[size_t(o)];
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx)
              for (int i = 0; i < 3; ++i)
                sum += double(conv_w[size_t(((o * 3 + ky) * 3 + kx) * 3 + i)]) *
                       x[size_t((i * 11 + oy + 2 * ky) * 11 + ox + 2 * kx)];
          mid[size_t((o * 7 + oy) * 7 + ox)] = sum;
        }
    // SAME at stride 2 on 7: 4 outputs, span 5, total padding 3·2 + 5 − 7 = 4, 2 before.
    std::vector<float> y(4 * 4 * 4);
    for (int c = 0; c < 4; ++c)
      for (int oy = 0; oy < 4; ++oy)
        for (int ox = 0; ox < 4; ++ox) {
          double sum = dw_b[size_t(c)];
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = oy * 2 - 2 + 2 * ky, ix = ox * 2 - 2 + 2 * kx;
              if (iy < 0 || iy >= 7 || ix < 0 || ix >= 7) continue;
              sum += double(dw_w[size_t((ky * 3 + kx) * 4 + c)]) * mid[size_t((c * 7 + iy) * 7 + ix)];
            }
          y[size_t((c * 4 + oy) * 4 + ox)] = float(std::max(sum, 0.0));
        }
    return y;
  }
};

}  // namespace

TEST_CASE("TFLite dilation imports onto conv and dwconv and runs as TFLite defines it", "[dilation][tflite]") {
  TempDir tmp;
  const DilatedTflite net;
  const std::string path = tmp.write("dilated.tflite", net.model(2, 2).bytes());
  const ImportedModel imported = import_tflite(path);
  const Graph g = build_graph(imported.spec);
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[1].layer->summary().find(" d2") != std::string::npos);
  CHECK(g.nodes[2].layer->type() == "dwconv");
  CHECK(g.nodes[2].layer->summary().find(" d2") != std::string::npos);
  CHECK(g.output().out == (Shape{4, 4, 4}));
  const std::vector<float> x = random_values(3 * 11 * 11, 1.0f, 25);
  const std::vector<float> expected = net.reference(x);
  CHECK(max_abs(expected) > 0);
  CHECK(mismatch(run(g, imported.weights, x), expected, 1e-5f * max_abs(expected)) == "");
}

TEST_CASE("TFLite unequal dilations are refused, naming both factors", "[dilation][tflite]") {
  TempDir tmp;
  const std::string path = tmp.write("uneven.tflite", DilatedTflite().model(2, 1).bytes());
  try {
    import_tflite(path);
    FAIL("imported");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), StartsWith(path + ": tflite: "));
    CHECK_THAT(e.what(), Contains("only equal dilations are supported, got dilation_h_factor 2 and dilation_w_factor 1"));
  }
}
