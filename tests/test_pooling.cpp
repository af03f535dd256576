// Pooling and pass-through layers (maxpool, avgpool, flatten, dropout, lrn): shapes with PyTorch's
// ceil-mode rule, hand-computed outputs, a naive loop on random data at 1 and 2 threads, cost,
// refused attributes, and a config using all of them through `mnet run`, checked against PyTorch.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>

#include "io/npy.h"
#include "layers/registry.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;

namespace {

struct Attr {
  std::string key;
  AttrValue value;
};
Attr I(const std::string& k, int64_t v) { return {k, AttrValue::of_int(v)}; }
Attr F(const std::string& k, double v) { return {k, AttrValue::of_number(v)}; }
Attr B(const std::string& k, bool v) { return {k, AttrValue::of_bool(v)}; }

// A layer built as the config parser builds it, unknown keys refused.
std::unique_ptr<Layer> layer(const std::string& type, std::initializer_list<Attr> attrs) {
  Attrs a;
  for (const Attr& kv : attrs) a.set(kv.key, kv.value);
  auto l = make_layer(type, a);
  REQUIRE(l);
  a.check_all_read();
  return l;
}

std::vector<float> run_layer(const Layer& l, const Shape& x, const std::vector<float>& in, int threads = 1) {
  REQUIRE(int64_t(in.size()) == x.elements());
  PrepareArgs args;
  args.in = {x};
  args.out = l.infer_shape({x});
  auto op = l.prepare(args);
  std::vector<float> out(size_t(args.out.elements()), std::numeric_limits<float>::quiet_NaN());
  RunContext ctx;
  ctx.threads = threads;
  op->run({in.data()}, out.data(), ctx);
  return out;
}

std::vector<float> random_values(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-2, 2);
  std::vector<float> v(size_t(n), 0.0f);
  for (float& x : v) x = dist(rng);
  return v;
}

struct Window {
  int kernel, stride, pad;
  bool ceil_mode;
};

// PyTorch's output size, written out as its pooling_output_shape does.
int naive_out(int in, const Window& w) {
  int span = in + 2 * w.pad - w.kernel;
  int out = (w.ceil_mode ? int(std::ceil(double(span) / w.stride)) : span / w.stride) + 1;
  if (w.ceil_mode && (out - 1) * w.stride >= in + w.pad) --out;
  return out;
}

// Pooling by visiting every window position one by one: `avg` with the divisor PyTorch uses.
std::vector<float> naive_pool(const std::vector<float>& x, const Shape& s, const Window& w, bool avg,
                              bool count_include_pad) {
  const int oh = naive_out(s.h, w), ow = naive_out(s.w, w);
  std::vector<float> y;
  for (int c = 0; c < s.c; ++c)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox) {
        float best = -std::numeric_limits<float>::infinity(), sum = 0;
        int in_input = 0, in_padded = 0;
        for (int ky = 0; ky < w.kernel; ++ky)
          for (int kx = 0; kx < w.kernel; ++kx) {
            const int y0 = oy * w.stride - w.pad + ky, x0 = ox * w.stride - w.pad + kx;
            if (y0 < s.h + w.pad && x0 < s.w + w.pad) ++in_padded;
            if (y0 < 0 || y0 >= s.h || x0 < 0 || x0 >= s.w) continue;
            const float v = x[(size_t(c) * s.h + y0) * s.w + x0];
            best = std::max(best, v);
            sum += v;
            ++in_input;
          }
        y.push_back(!avg ? best : sum / float(count_include_pad ? in_padded : in_input));
      }
  return y;
}

std::vector<float> naive_lrn(const std::vector<float>& x, const Shape& s, int size, float alpha, float beta,
                             float k) {
  const int64_t plane = int64_t(s.h) * s.w;
  std::vector<float> y(x.size());
  for (int c = 0; c < s.c; ++c)
    for (int64_t i = 0; i < plane; ++i) {
      float sum = 0;
      for (int n = c - size / 2; n <= c + (size - 1) / 2; ++n)
        if (n >= 0 && n < s.c) sum += x[size_t(n * plane + i)] * x[size_t(n * plane + i)];
      y[size_t(c * plane + i)] = x[size_t(c * plane + i)] / std::pow(k + alpha * sum / float(size), beta);
    }
  return y;
}

// Every value within `tolerance`, absolute or relative; the first that is not is reported.
void check_close(const std::vector<float>& got, const std::vector<float>& want, double tolerance) {
  REQUIRE(got.size() == want.size());
  size_t first_bad = got.size();
  for (size_t i = 0; i < got.size() && first_bad == got.size(); ++i)
    if (!(std::abs(double(got[i]) - want[i]) <= tolerance * std::max(1.0, std::abs(double(want[i]))))) first_bad = i;
  INFO("first difference at " << first_bad << ": got " << (first_bad < got.size() ? got[first_bad] : 0.0f)
                              << ", want " << (first_bad < want.size() ? want[first_bad] : 0.0f));
  CHECK(first_bad == got.size());
}

}  // namespace

TEST_CASE("maxpool and avgpool output sizes follow PyTorch's rule, ceil_mode included", "[pooling]") {
  struct Case {
    int in, kernel, stride, pad;
    bool ceil_mode;
    int out;
  };
  const Case cases[] = {
      {7, 3, 2, 0, false, 3},    {8, 3, 2, 0, false, 3},   {8, 3, 2, 0, true, 4},
      {112, 3, 2, 0, true, 56},  // GoogLeNet's first pool (torchvision: ceil_mode=True)
      {55, 3, 2, 0, false, 27},  // AlexNet's first pool
      {112, 3, 2, 1, false, 56},  // ResNet's stem
      {5, 3, 3, 1, true, 2},     // ceil would give 3: the last window would start in the right padding
      {6, 2, 2, 1, true, 4},     {4, 2, 2, 0, true, 2},   {1, 1, 1, 0, true, 1},
  };
  for (const Case& c : cases) {
    INFO("in " << c.in << " k" << c.kernel << " s" << c.stride << " p" << c.pad << (c.ceil_mode ? " ceil" : ""));
    for (const char* type : {"maxpool", "avgpool"}) {
      auto l = layer(type, {I("kernel", c.kernel), I("stride", c.stride), I("pad", c.pad), B("ceil_mode", c.ceil_mode)});
      CHECK(l->infer_shape({Shape{16, c.in, c.in}}) == Shape{16, c.out, c.out});
    }
  }
  // The stride defaults to the kernel, as in PyTorch.
  CHECK(layer("maxpool", {I("kernel", 2)})->infer_shape({Shape{4, 8, 6}}) == Shape{4, 4, 3});
  CHECK(layer("maxpool", {I("kernel", 3), I("stride", 2), B("ceil_mode", true)})->summary() == "k3 s2 p0 ceil");
  CHECK(layer("avgpool", {I("kernel", 3), I("pad", 1), B("count_include_pad", false)})->summary() ==
        "k3 s3 p1 exclude_pad");
}

TEST_CASE("maxpool: hand-computed, padding never wins a max", "[pooling]") {
  // All negative: a zero from the padding would win every window if it took part.
  const std::vector<float> x = {-1, -2, -3,  //
                                -4, -5, -6,  //
                                -7, -8, -9};
  auto l = layer("maxpool", {I("kernel", 3), I("stride", 2), I("pad", 1)});
  CHECK(run_layer(*l, Shape{1, 3, 3}, x) == std::vector<float>{-1, -2, -4, -5});
  // A NaN in the window is the result, as in PyTorch.
  std::vector<float> with_nan = x;
  with_nan[4] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> y = run_layer(*l, Shape{1, 3, 3}, with_nan);
  for (float v : y) CHECK(std::isnan(v));
}

TEST_CASE("avgpool: hand-computed divisors with and without the padding", "[pooling]") {
  const std::vector<float> x = {1, 2, 3,  //
                                4, 5, 6,  //
                                7, 8, 9};
  CHECK(run_layer(*layer("avgpool", {I("kernel", 2), I("stride", 2), I("pad", 1)}), Shape{1, 3, 3}, x) ==
        std::vector<float>{0.25f, 1.25f, 2.75f, 7.0f});
  CHECK(run_layer(*layer("avgpool", {I("kernel", 2), I("stride", 2), I("pad", 1), B("count_include_pad", false)}),
                  Shape{1, 3, 3}, x) == std::vector<float>{1.0f, 2.5f, 5.5f, 7.0f});

  // ceil_mode's last window runs past the input (and there is no padding): both divisors count
  // the one column left, PyTorch's rule.
  std::vector<float> five(25);
  for (int i = 0; i < 25; ++i) five[size_t(i)] = float(i);
  for (bool include : {true, false}) {
    auto l = layer("avgpool", {I("kernel", 2), B("ceil_mode", true), B("count_include_pad", include)});
    std::vector<float> y = run_layer(*l, Shape{1, 5, 5}, five);
    REQUIRE(y.size() == 9);
    CHECK(y[2] == (4.0f + 9.0f) / 2);   // rows 0-1, column 4
    CHECK(y[8] == 24.0f);               // row 4, column 4
    CHECK(y[0] == (0 + 1 + 5 + 6) / 4.0f);
  }
}

TEST_CASE("lrn: hand-computed across channels", "[pooling]") {
  // size 2: channel c sums the squares of c-1 and c.
  auto l = layer("lrn", {I("size", 2), F("alpha", 1), F("beta", 1), F("k", 1)});
  std::vector<float> y = run_layer(*l, Shape{3, 1, 1}, {1, 2, 3});
  check_close(y, {1 / 1.5f, 2 / 3.5f, 3 / 7.5f}, 1e-6);
  CHECK(l->summary() == "size 2 alpha 1 beta 1 k 1");
  CHECK(layer("lrn", {I("size", 5)})->summary() == "size 5 alpha 0.0001 beta 0.75 k 1");  // PyTorch's defaults
}

TEST_CASE("pooling and lrn match a naive loop on random data at 1 and 2 threads", "[pooling]") {
  unsigned seed = 1;
  for (int kernel : {1, 2, 3, 5})
    for (int stride : {1, 2, 3})
      for (int pad = 0; pad <= kernel / 2; ++pad)
        for (bool ceil_mode : {false, true}) {
          const Window w{kernel, stride, pad, ceil_mode};
          const Shape x{3, 9, 7};
          const std::vector<float> in = random_values(x.elements(), seed++);
          INFO("k" << kernel << " s" << stride << " p" << pad << (ceil_mode ? " ceil" : ""));
          auto attrs = {I("kernel", kernel), I("stride", stride), I("pad", pad), B("ceil_mode", ceil_mode)};
          CHECK(run_layer(*layer("maxpool", attrs), x, in) == naive_pool(in, x, w, false, false));
          check_close(run_layer(*layer("avgpool", attrs), x, in), naive_pool(in, x, w, true, true), 1e-6);
          auto exclude = layer("avgpool", {I("kernel", kernel), I("stride", stride), I("pad", pad),
                                           B("ceil_mode", ceil_mode), B("count_include_pad", false)});
          check_close(run_layer(*exclude, x, in), naive_pool(in, x, w, true, false), 1e-6);
        }
  // Large enough for the channel split to start, so 2 threads really run two.
  const Shape big{32, 41, 41};
  const std::vector<float> in = random_values(big.elements(), 99);
  const Window w{3, 1, 1, true};
  auto attrs = {I("kernel", 3), I("stride", 1), I("pad", 1), B("ceil_mode", true)};
  const std::vector<float> max_want = naive_pool(in, big, w, false, false);
  const std::vector<float> avg_want = naive_pool(in, big, w, true, true);
  const std::vector<float> lrn_want = naive_lrn(in, big, 5, 0.3f, 0.75f, 2.0f);
  auto lrn = layer("lrn", {I("size", 5), F("alpha", 0.3), F("beta", 0.75), F("k", 2)});
  for (int threads : {1, 2}) {
    INFO(threads << " threads");
    CHECK(run_layer(*layer("maxpool", attrs), big, in, threads) == max_want);
    check_close(run_layer(*layer("avgpool", attrs), big, in, threads), avg_want, 1e-6);
    check_close(run_layer(*lrn, big, in, threads), lrn_want, 1e-5);
  }
  for (int size : {1, 2, 3, 4, 7, 40}) {
    INFO("lrn size " << size);
    const Shape x{6, 3, 4};
    const std::vector<float> v = random_values(x.elements(), seed++);
    check_close(run_layer(*layer("lrn", {I("size", size), F("alpha", 0.5)}), x, v), naive_lrn(v, x, size, 0.5f, 0.75f, 1), 1e-5);
  }
}

TEST_CASE("flatten and dropout copy their input — dropout shows p", "[pooling]") {
  const Shape x{3, 2, 2};
  const std::vector<float> in = random_values(x.elements(), 7);
  auto flatten = layer("flatten", {});
  CHECK(flatten->infer_shape({x}) == Shape{12, 1, 1});
  CHECK(run_layer(*flatten, x, in) == in);
  auto dropout = layer("dropout", {F("p", 0.2)});
  CHECK(dropout->infer_shape({x}) == x);
  CHECK(run_layer(*dropout, x, in) == in);
  CHECK(dropout->summary() == "p 0.2");
  CHECK(layer("dropout", {})->summary() == "p 0.5");  // PyTorch's default
  CHECK(layer("dropout", {I("p", 0)})->summary() == "p 0");
}

TEST_CASE("pooling layers' cost: element-wise ops per window value, none for flatten and dropout", "[pooling]") {
  const Shape x{64, 112, 112};
  auto max = layer("maxpool", {I("kernel", 3), I("stride", 2), I("pad", 1)});
  const Shape y = max->infer_shape({x});
  REQUIRE(y == Shape{64, 56, 56});
  LayerCost c = max->cost({x}, y);
  CHECK(c.madds == 0);
  CHECK(c.elementwise_ops == int64_t(64) * 56 * 56 * 9);
  CHECK(layer("avgpool", {I("kernel", 5), I("stride", 3)})->cost({Shape{528, 14, 14}}, Shape{528, 4, 4}).elementwise_ops ==
        int64_t(528) * 4 * 4 * 25);  // GoogLeNet's auxiliary classifier pool
  CHECK(layer("lrn", {I("size", 5)})->cost({x}, x).elementwise_ops == x.elements() * 5);
  for (const char* type : {"flatten", "dropout"}) {
    LayerCost none = layer(type, {})->cost({x}, x);
    CHECK(none.madds == 0);
    CHECK(none.elementwise_ops == 0);
  }
}

TEST_CASE("pooling layers refuse bad attributes with the rule and the value", "[pooling]") {
  struct Bad {
    std::string type;
    std::vector<Attr> attrs;
    std::string message;
  };
  const std::vector<Bad> cases = {
      {"maxpool", {}, "missing field 'kernel' (an integer)"},
      {"maxpool", {I("kernel", 0)}, "kernel must be between 1 and 15, got 0"},
      {"avgpool", {I("kernel", 16)}, "kernel must be between 1 and 15, got 16"},
      {"maxpool", {I("kernel", 3), I("stride", 9)}, "stride must be between 1 and 8, got 9"},
      {"maxpool", {I("kernel", 3), I("stride", 4294967298)}, "stride must be between 1 and 8, got 4294967298"},
      {"avgpool", {I("kernel", 3), I("pad", -1)}, "pad must be between 0 and 7, got -1"},
      {"maxpool", {I("kernel", 3), I("pad", 2)}, "pad must be at most half the kernel, got pad 2 for kernel 3"},
      {"maxpool", {I("kernel", 3), I("ceil_mode", 1)}, "'ceil_mode' must be true or false"},
      {"avgpool", {I("kernel", 3), I("count_include_pad", 0)}, "'count_include_pad' must be true or false"},
      {"dropout", {F("p", 1)}, "p must be below 1 (a dropout that drops everything), got 1"},
      {"dropout", {F("p", -0.1)}, "p must be between 0 and 1, got -0.1"},
      {"lrn", {}, "missing field 'size' (an integer)"},
      {"lrn", {I("size", 0)}, "size must be between 1 and 64, got 0"},
      {"lrn", {I("size", 5), F("k", 0)}, "k must be between 1e-06 and 1000000, got 0"},
      {"lrn", {I("size", 5), F("alpha", -1)}, "alpha must be between 0 and 1000, got -1"},
      {"lrn", {I("size", 5), F("beta", 17)}, "beta must be between 0 and 16, got 17"},
  };
  for (const Bad& c : cases) {
    INFO(c.type << ": " << c.message);
    Attrs a;
    for (const Attr& kv : c.attrs) a.set(kv.key, kv.value);
    CHECK_THROWS_WITH(make_layer(c.type, a), c.message);
  }
  // An unknown key is refused by the parser's check: "strides" never becomes the default.
  Attrs typo;
  typo.set("kernel", AttrValue::of_int(3));
  typo.set("strides", AttrValue::of_int(2));
  REQUIRE(make_layer("maxpool", typo));
  CHECK_THROWS_WITH(typo.check_all_read(), "unknown key 'strides'");
  // A window larger than the padded input.
  CHECK_THROWS_WITH(layer("maxpool", {I("kernel", 5), I("pad", 1)})->infer_shape({Shape{8, 2, 9}}),
                    "kernel 5x5 larger than its padded input 4x11");
  CHECK_THROWS_WITH(layer("avgpool", {I("kernel", 3)})->infer_shape({Shape{8, 9, 2}}),
                    "kernel 3x3 larger than its padded input 9x2");
}

TEST_CASE("a config with every pooling layer is refused cleanly when a window does not fit", "[pooling]") {
  TempDir tmp;
  const std::string config = tmp.write("bad.json", R"({"name": "p", "resolution": 4, "layers": [
      {"type": "maxpool", "name": "pool", "kernel": 7, "pad": 1}]})");
  CommandResult r = run_mnet("info " + shell_quote(config));
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Contains(config + ": /layers/0"));
  CHECK_THAT(r.err, Contains("kernel 7x7 larger than its padded input 6x6"));
}

TEST_CASE("mnet run executes every pooling layer — outputs match the naive loops and PyTorch", "[pooling]") {
  TempDir tmp;
  // 16 → 8 (ceil: floor would give 7) → lrn → 5 (ceil: floor would give 4, divisor without the
  // padding) → dropout → flatten [8·5·5].
  const std::string config = tmp.write("pools.json", R"({"name": "pools", "resolution": 16, "input_channels": 8,
  "layers": [
    {"type": "maxpool", "name": "pool1", "kernel": 3, "stride": 2, "ceil_mode": true},
    {"type": "lrn", "name": "norm1", "size": 5, "alpha": 0.5, "beta": 0.75, "k": 2},
    {"type": "avgpool", "name": "pool2", "kernel": 3, "stride": 2, "pad": 1, "ceil_mode": true, "count_include_pad": false},
    {"type": "dropout", "name": "drop", "p": 0.5},
    {"type": "flatten", "name": "flat"}
  ]})");
  const Shape x{8, 16, 16};
  const std::vector<float> in = random_values(x.elements(), 2024);
  write_npy(tmp.file("x.npy"), TensorData{{1, 8, 16, 16}, in});
  CommandResult r = run_mnet("run " + shell_quote(config) + " --threads 2 --input " + shell_quote(tmp.file("x.npy")) +
                             " --output " + shell_quote(tmp.file("y.npy")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  TensorData y = read_npy(tmp.file("y.npy"));
  REQUIRE(y.shape == std::vector<int64_t>{1, 200, 1, 1});

  const std::vector<float> p1 = naive_pool(in, x, Window{3, 2, 0, true}, false, false);
  const std::vector<float> n1 = naive_lrn(p1, Shape{8, 8, 8}, 5, 0.5f, 0.75f, 2.0f);
  const std::vector<float> want = naive_pool(n1, Shape{8, 8, 8}, Window{3, 2, 1, true}, true, false);
  check_close(y.data, want, 1e-5);

  CommandResult torch = run_command("/usr/bin/python3 -c 'import torch'");
  if (torch.exit_code != 0) {
    WARN("skipped the PyTorch comparison: /usr/bin/python3 cannot import torch");
    return;
  }
  const std::string script = tmp.write("ref.py", R"(import sys
import numpy as np
import torch
import torch.nn.functional as F
x = torch.from_numpy(np.load(sys.argv[1]))
x = F.max_pool2d(x, 3, 2, 0, ceil_mode=True)
x = F.local_response_norm(x, 5, alpha=0.5, beta=0.75, k=2.0)
x = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
x = F.dropout(x, 0.5, training=False)
np.save(sys.argv[2], torch.flatten(x, 1).reshape(1, -1, 1, 1).numpy())
)");
  CommandResult ref = run_command("/usr/bin/python3 " + shell_quote(script) + " " + shell_quote(tmp.file("x.npy")) +
                                  " " + shell_quote(tmp.file("torch.npy")));
  INFO(ref.err);
  REQUIRE(ref.exit_code == 0);
  TensorData t = read_npy(tmp.file("torch.npy"));
  REQUIRE(t.shape == y.shape);
  check_close(y.data, t.data, 1e-5);
}
