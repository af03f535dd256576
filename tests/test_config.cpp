// config/: the papers' rows expand as the tables say, specs build and write back, and bad configs are refused.
#include <catch2/catch.hpp>

#include <cmath>

#include "config/config.h"
#include "config/write_config.h"
#include "core/error.h"
#include "core/work_count.h"
#include "layers/registry.h"
#include "testing.h"

using namespace mnet;
using Catch::Matchers::Contains;
using testing::read_text;
using testing::source_path;

namespace {

// A one-layer-at-a-time config around `layers`.
std::string config_with(const std::string& layers, const std::string& extra = "") {
  return R"({"name": "t", "resolution": 16, )" + extra + R"("layers": [)" + layers + "]}";
}

std::string error_of(const std::string& text, const ConfigOverrides& o = {}) {
  try {
    parse_config(text, "bad.json", o);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("make_divisible rounds to the nearest multiple of 8 and never drops below 90%") {
  CHECK(make_divisible(32 * 0.5, 8) == 16);
  CHECK(make_divisible(24 * 0.35, 8) == 8);  // 8.4 → 8
  CHECK(make_divisible(96 * 0.75, 8) == 72);
  CHECK(make_divisible(20, 8) == 24);  // 16 would be below 90% of 20
  CHECK(make_divisible(3, 8) == 8);
  CHECK(make_divisible(240 / 4, 8) == 64);  // SE squeeze of V3-Large's 240-channel expansions
  CHECK(round_channels("v1", 1024 * 0.25) == 256);
  CHECK(round_channels("v1", 32 * 0.1) == 8);  // TF-slim's min_depth
}

TEST_CASE("the V1 config expands Table 1 rows into depthwise and pointwise layers") {
  Graph g = load_config(source_path("configs/mobilenet_v1.json"));
  CHECK(g.name == "mobilenet_v1");
  CHECK(g.input().out == Shape{3, 224, 224});
  int dw = 0, pw = 0;
  for (const Node& n : g.nodes) {
    if (!n.layer) continue;
    if (n.layer->type() == "dwconv") ++dw;
    if (n.layer->type() == "conv" && n.in_shapes[0].h == n.out.h && n.name.find(".pw") != std::string::npos) ++pw;
  }
  CHECK(dw == 13);
  CHECK(pw == 13);
  CHECK(g.nodes[g.find("ds13.pw")].out == Shape{1024, 7, 7});
  CHECK(g.output().out == Shape{1000, 1, 1});
  CHECK(g.preprocess.crop == "central_fraction");
}

TEST_CASE("width and resolution overrides rescale channels and maps") {
  Graph g = load_config(source_path("configs/mobilenet_v1.json"), ConfigOverrides{0.5, 160});
  CHECK(g.input().out == Shape{3, 160, 160});
  CHECK(g.nodes[g.find("conv1")].out == Shape{16, 80, 80});
  CHECK(g.nodes[g.find("ds13.pw")].out == Shape{512, 5, 5});
  CHECK(g.nodes[g.find("fc")].out.c == 1000);  // classes never scale
}

TEST_CASE("V2 keeps the 1280-channel last convolution for widths below 1 and rounds to multiples of 8") {
  Graph half = load_config(source_path("configs/mobilenet_v2.json"), ConfigOverrides{0.5, {}});
  CHECK(half.nodes[half.find("conv_last")].out.c == 1280);
  CHECK(half.nodes[half.find("conv1")].out.c == 16);
  Graph wide = load_config(source_path("configs/mobilenet_v2.json"), ConfigOverrides{1.4, {}});
  CHECK(wide.nodes[wide.find("conv_last")].out.c == 1792);
  CHECK(wide.nodes[wide.find("conv1")].out.c == 48);  // 32 · 1.4 = 44.8 → 48
}

TEST_CASE("V2 rows add residual connections exactly where stride is 1 and channels match") {
  Graph g = load_config(source_path("configs/mobilenet_v2.json"));
  int adds = 0;
  for (const Node& n : g.nodes)
    if (n.layer && n.layer->type() == "add") ++adds;
  CHECK(adds == 10);  // as the TFLite V2 model's 10 ADD operators
  CHECK(g.find("block1.expand") < 0);  // t = 1: no expansion
  CHECK(g.nodes[g.find("block2.expand")].out == Shape{96, 112, 112});
}

TEST_CASE("V3 bneck rows get squeeze-excite, h-swish and 5x5 depthwise kernels from their columns") {
  Graph g = load_config(source_path("configs/mobilenet_v3_large.json"));
  const Node& se = g.nodes[g.find("bneck4.se")];
  CHECK(se.layer->summary() == "squeeze 24 relu/hsigmoid");  // make_divisible(72 / 4, 8)
  CHECK(g.nodes[g.find("bneck4.dw")].layer->summary().rfind("k5 s2", 0) == 0);
  CHECK(g.find("bneck1.expand") < 0);  // exp 16 == in 16: no expansion
  CHECK(g.nodes[g.find("bneck7.expand.act")].layer->type() == "hswish");
  CHECK(g.nodes[g.find("bneck1.dw.act")].layer->type() == "relu");
}

TEST_CASE("primitive layers with explicit inputs build a custom net") {
  Graph g = load_config(source_path("configs/tiny_custom.json"));
  const Node& add = g.nodes[g.find("residual")];
  REQUIRE(add.inputs.size() == 2);
  CHECK(g.nodes[add.inputs[0]].name == "stem_act");
  CHECK(g.nodes[add.inputs[1]].name == "project");
  CHECK(g.nodes[g.find("grouped")].out == Shape{32, 8, 8});
  CHECK(g.labels.empty());
}

TEST_CASE("labels are resolved against the config's folder") {
  Graph g = load_config(source_path("configs/mobilenet_v2.json"));
  CHECK(g.labels == source_path("configs/labels/imagenet1000.txt"));
}

TEST_CASE("malformed configs name the file, the JSON location, the layer and the rule") {
  CHECK_THAT(error_of("{\"name\": \"t\",\n  \"resolution\": 16,, }"), Contains("bad.json: line 2, column 20: invalid JSON"));
  CHECK_THAT(error_of("[1, 2]"), Contains("bad.json: /: a config must be a JSON object"));
  CHECK_THAT(error_of(config_with(R"({"type": "convolution", "out": 8, "kernel": 3})")),
             Contains("bad.json: /layers/0 (convolution): unknown layer type 'convolution'"));
  CHECK_THAT(error_of(config_with(R"({"type": "conv", "name": "c1", "out": 8, "kernel": 3, "strides": 2})")),
             Contains("bad.json: /layers/0 (conv 'c1'): unknown key 'strides'"));
  CHECK_THAT(error_of(config_with(R"({"type": "conv", "name": "c1", "out": 8})")),
             Contains("/layers/0 (conv 'c1'): missing field 'kernel'"));
  CHECK_THAT(error_of(config_with(R"({"type": "conv", "out": 8, "kernel": 3}, {"type": "conv", "name": "c2", "in": 16, "out": 8, "kernel": 1})")),
             Contains("/layers/1 (conv 'c2'): expects 16 input channels, its input has 8"));
  CHECK_THAT(error_of(config_with(R"({"type": "conv", "name": "c1", "out": 8, "kernel": 3, "stride": 0})")),
             Contains("/layers/0 (conv 'c1'): stride must be between 1 and 8, got 0"));
  CHECK_THAT(error_of(config_with(R"({"type": "dw_separable", "name": "ds", "out": 8, "stride": 0})")),
             Contains("/layers/0 (dw_separable 'ds'): stride must be 1 or 2, got 0"));
  CHECK_THAT(error_of(config_with(R"({"type": "conv", "name": "big", "out": 8, "kernel": 9, "pad": 0})", ""),
                      ConfigOverrides{{}, 4}),
             Contains("/layers/0 (conv 'big'): kernel 9x9 larger than its padded input 4x4"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})", R"("width": 0, )")),
             Contains("bad.json: /width: width must be in (0, 8], got 0"));
  CHECK_THAT(error_of(R"({"name": "t", "resolution": -224, "layers": [{"type": "gap"}]})"),
             Contains("bad.json: /resolution: resolution must be between 1 and 8192, got -224"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})"), ConfigOverrides{0.0, {}}),
             Contains("bad.json: --width: width must be in (0, 8], got 0"));
  CHECK_THAT(error_of(R"({"name": "t", "resolution": 16, "layerz": []})"), Contains("bad.json: /layerz: unknown key 'layerz'"));
  CHECK_THAT(error_of(R"({"resolution": 16, "layers": [{"type": "gap"}]})"), Contains("/name: missing field 'name'"));
}

TEST_CASE("inputs must name earlier layers, so cycles and dangling references are refused") {
  CHECK_THAT(error_of(config_with(R"({"type": "relu", "name": "a", "inputs": ["b"]}, {"type": "relu", "name": "b", "inputs": ["a"]})")),
             Contains("/layers/0 (relu 'a'): input 'b' is not an earlier layer"));
  CHECK_THAT(error_of(config_with(R"({"type": "relu", "name": "a", "inputs": ["nowhere"]})")),
             Contains("input 'nowhere' is not an earlier layer"));
  CHECK_THAT(error_of(config_with(R"({"type": "relu", "name": "a"}, {"type": "relu", "name": "a"})")),
             Contains("/layers/1 (relu 'a'): duplicate layer name 'a'"));
  CHECK_THAT(error_of(config_with(R"({"type": "conv", "name": "c", "out": 4, "kernel": 1}, {"type": "add", "name": "s", "inputs": ["input", "c"]})")),
             Contains("/layers/1 (add 's'): inputs must have the same shape, got [3,16,16] and [4,16,16]"));
}

TEST_CASE("values of the wrong kind and hostile nesting are refused") {
  CHECK_THAT(error_of(config_with(R"({"type": "conv", "name": "c", "out": "eight", "kernel": 3})")),
             Contains("(conv 'c'): 'out' must be an integer"));
  CHECK_THAT(error_of(config_with(R"({"type": "conv", "name": "c", "out": 8, "kernel": 3, "act": "gelu"})")),
             Contains("unknown activation 'gelu'"));
  CHECK_THAT(error_of(config_with(R"({"type": "conv", "name": "c", "out": 8, "kernel": 3, "pad": {"a": 1}})")),
             Contains("'pad' has an unsupported value"));
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK_THAT(error_of(deep), Contains("nested deeper than kMaxJsonDepth = 64"));
  CHECK_THAT(error_of(config_with(R"({"type": "dw_separable", "out": 8, "n": 100000})")),
             Contains("'n' must be between 1 and 1000"));
  CHECK_THAT(error_of(config_with(R"({"type": "inverted_residual", "t": 6, "c": 8, "n": 1000, "s": 1}, {"type": "inverted_residual", "t": 6, "c": 8, "n": 1000, "s": 1})")),
             Contains("too many layers (limit kMaxNodes = 10000)"));
  CHECK_THAT(error_of(config_with(R"({"type": "conv", "name": "c", "out": 65536, "kernel": 3}, {"type": "conv", "name": "d", "out": 65536, "kernel": 3})", ""),
                      ConfigOverrides{{}, 8192}),
             Contains("exceeds kMaxActivationElements"));
}

TEST_CASE("a missing config file and a folder are reported with their path") {
  testing::TempDir tmp;
  CHECK_THROWS_WITH(load_config(tmp.file("absent.json")), Contains("absent.json"));
  CHECK_THROWS_AS(load_config(tmp.path.string()), InputError);
}

// Issue 11: numbers, duplicate keys and weight names in configs.

TEST_CASE("two layers declaring the same weight name are refused, naming both layers") {
  // An SE layer 's' declares s.fc1.weight [8x16]; a conv named 's.fc1' declares s.fc1.weight too.
  // Loaded by name into one buffer, the SE product read past the smaller one (heap overflow).
  const std::string se_first = config_with(
      R"({"type": "conv", "name": "c", "out": 16, "kernel": 1}, {"type": "se", "name": "s", "squeeze": 8}, )"
      R"({"type": "conv", "name": "s.fc1", "out": 64, "kernel": 1})");
  CHECK_THAT(error_of(se_first), Contains("bad.json: /layers/2 (conv 's.fc1'): weight 's.fc1.weight' of layer "
                                          "'s.fc1' is also a weight of layer 's'"));
  const std::string conv_first = config_with(
      R"({"type": "conv", "name": "s.fc1", "out": 16, "kernel": 1}, {"type": "se", "name": "s", "squeeze": 8})");
  CHECK_THAT(error_of(conv_first),
             Contains("/layers/1 (se 's'): weight 's.fc1.weight' of layer 's' is also a weight of layer 's.fc1'"));
  // Names that only look alike stay apart.
  CHECK_NOTHROW(parse_config(config_with(R"({"type": "se", "name": "s", "squeeze": 8}, )"
                                         R"({"type": "conv", "name": "s.fc", "out": 8, "kernel": 1})"),
                             "ok.json"));
}

TEST_CASE("Graph::add checks weight names whoever builds the graph") {
  Graph g;
  g.set_input(Shape{16, 4, 4});
  Attrs se;
  se.set("squeeze", AttrValue::of_int(8));
  g.add("s", make_layer("se", se), {0}, "/0");
  Attrs conv;
  conv.set("out", AttrValue::of_int(16));
  conv.set("kernel", AttrValue::of_int(1));
  conv.set("bias", AttrValue::of_bool(true));
  CHECK_THROWS_WITH(g.add("s.fc2", make_layer("conv", conv), {1}, "/1"),
                    "weight 's.fc2.weight' of layer 's.fc2' is also a weight of layer 's' (weight names must be unique)");
  CHECK(g.nodes.size() == 2);  // the refused node is not added
  CHECK(g.find("s.fc2") < 0);
}

TEST_CASE("integer attributes are range-checked in 64 bits before they are narrowed") {
  struct Case {
    std::string layers, message;
  };
  // 4294967304 = 2^32 + 8 used to become 8; 4294967297 = 2^32 + 1 used to become 1.
  const std::vector<Case> cases{
      {R"({"type": "conv", "out": 4294967304, "kernel": 1})", "out must be between 1 and 65536, got 4294967304"},
      {R"({"type": "conv", "out": 8, "kernel": 4294967299})", "kernel must be between 1 and 15, got 4294967299"},
      {R"({"type": "conv", "out": 8, "kernel": 3, "stride": 4294967297})", "stride must be between 1 and 8, got 4294967297"},
      {R"({"type": "conv", "out": 8, "kernel": 3, "pad": 4294967297})", "pad must be between 0 and 2, got 4294967297"},
      {R"({"type": "conv", "out": 8, "kernel": 1, "groups": 4294967297})", "groups must be between 1 and 65536, got 4294967297"},
      {R"({"type": "conv", "out": 8, "kernel": 1, "in": 4294967299})", "in must be between 1 and 65536, got 4294967299"},
      {R"({"type": "dwconv", "kernel": 3, "stride": -4294967295})", "stride must be between 1 and 8, got -4294967295"},
      {R"({"type": "gap"}, {"type": "fc", "out": 4294967306})", "out must be between 1 and 65536, got 4294967306"},
      {R"({"type": "gap"}, {"type": "fc", "out": 10, "in": 4294967296000})", "in must be between 1 and 268435456, got 4294967296000"},
      {R"({"type": "se", "squeeze": 4294967304})", "squeeze must be between 1 and 65536, got 4294967304"},
      {R"({"type": "conv_bn", "out_ratio": 4294967298, "kernel": 1})", "out_ratio must be between 1 and 65536, got 4294967298"},
      // UBSan: 2147483647 × 3 input channels overflowed int; Release built 2147483645 → checked, or wrapped.
      {R"({"type": "conv_bn", "out_ratio": 2147483647, "kernel": 1})", "out_ratio must be between 1 and 65536, got 2147483647"},
      {R"({"type": "conv_bn", "out_ratio": 30000, "kernel": 1})", "'out_ratio' gives 90000 channels, outside 1..65536"},
      {R"({"type": "conv_bn", "out": 8, "kernel": 4294967297})", "kernel must be between 1 and 15, got 4294967297"},
      {R"({"type": "bneck", "kernel": 4294967299, "exp": 16, "out": 16})", "'kernel' must be 3, 5 or 7, got 4294967299"},
      {R"({"type": "dw_separable", "out": 8, "kernel": 4294967299})", "kernel must be between 1 and 15, got 4294967299"},
      {R"({"type": "fake_quant", "scale": 0.1, "zero_point": 4294967296})", "zero_point must be between -65536 and 65536, got 4294967296"},
      {R"({"type": "fake_quant", "scale": 0.1, "qmin": -4294967296})", "qmin must be between -65536 and 65536, got -4294967296"},
      {R"({"type": "fake_quant", "scale": 0.1, "qmax": 4294967551})", "qmax must be between -65536 and 65536, got 4294967551"},
      {R"({"type": "conv", "out": 18446744073709551615, "kernel": 1})", "out must be an integer within 64 bits, got 18446744073709551615"},
  };
  for (const Case& c : cases) {
    INFO(c.layers);
    CHECK_THAT(error_of(config_with(c.layers)), Contains("bad.json: /layers/") && Contains(c.message));
  }
  // The limits themselves are accepted.
  CHECK_NOTHROW(parse_config(config_with(R"({"type": "conv", "out": 8, "kernel": 15, "stride": 8, "pad": 14, "groups": 1})"), "ok.json"));
  CHECK_NOTHROW(parse_config(config_with(R"({"type": "fake_quant", "scale": 1e-30, "zero_point": -65536, "qmin": -65536, "qmax": 65536})"), "ok.json"));
}

TEST_CASE("top-level integers are range-checked without narrowing") {
  CHECK_THAT(error_of(R"({"name": "t", "resolution": 4294967520, "layers": [{"type": "gap"}]})"),
             Contains("bad.json: /resolution: resolution must be between 1 and 8192, got 4294967520"));
  CHECK_THAT(error_of(R"({"name": "t", "resolution": 18446744073709551615, "layers": [{"type": "gap"}]})"),
             Contains("/resolution: resolution must be between 1 and 8192, got 18446744073709551615"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})", R"("input_channels": 4294967299, )")),
             Contains("bad.json: /input_channels: must be an integer between 1 and 64, got 4294967299"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})", R"("preprocess": {"crop": "resize_center", "resize": 4294967552}, )")),
             Contains("bad.json: /preprocess/resize: must be an integer between 1 and 8192, got 4294967552"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})"), ConfigOverrides{{}, -5}),
             Contains("bad.json: --resolution: resolution must be between 1 and 8192, got -5"));
}

TEST_CASE("float attributes must be finite and within their range before they become floats") {
  // fake_quant scale 1e300 became an infinite float: every output NaN.
  CHECK_THAT(error_of(config_with(R"({"type": "fake_quant", "scale": 1e300})")),
             Contains("/layers/0 (fake_quant), layer 'fake_quant1': scale must be between 1e-30 and 1e+30, got 1e+300"));
  CHECK_THAT(error_of(config_with(R"({"type": "fake_quant", "scale": 1e-300})")),
             Contains("scale must be between 1e-30 and 1e+30, got 1e-300"));
  CHECK_THAT(error_of(config_with(R"({"type": "fake_quant", "scale": 0})")), Contains("scale must be between 1e-30 and 1e+30, got 0"));
  CHECK_THAT(error_of(config_with(R"({"type": "bn", "eps": 1e300})")), Contains("eps must be between 1e-12 and 1, got 1e+300"));
  CHECK_THAT(error_of(config_with(R"({"type": "bn", "eps": 1e-300})")), Contains("eps must be between 1e-12 and 1, got 1e-300"));
  CHECK_THAT(error_of(config_with(R"({"type": "bn", "eps": -0.001})")), Contains("eps must be between 1e-12 and 1, got -0.001"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})", R"("bn_eps": 1e300, )")),
             Contains("bad.json: /bn_eps: must be a number between 1e-12 and 1, got 1e+300"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})", R"("preprocess": {"mean": [0, 1e300, 0]}, )")),
             Contains("bad.json: /preprocess/mean/1: mean must be between -65536 and 65536, got 1e+300"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})", R"("preprocess": {"std": [1, 1, 1e-300]}, )")),
             Contains("bad.json: /preprocess/std/2: std must be between 1e-05 and 65536, got 1e-300"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})", R"("width": 1e300, )")),
             Contains("bad.json: /width: width must be in (0, 8], got 1e+300"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})"), ConfigOverrides{std::nan(""), {}}),
             Contains("bad.json: --width: width must be in (0, 8], got nan"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})"), ConfigOverrides{HUGE_VAL, {}}),
             Contains("bad.json: --width: width must be in (0, 8], got inf"));
  CHECK_THAT(error_of(config_with(R"({"type": "inverted_residual", "t": 1e300, "c": 8})")),
             Contains("'t' (expansion) must be between 1 and 64"));
  // What real configs and imports use stays accepted.
  CHECK_NOTHROW(parse_config(config_with(R"({"type": "bn", "eps": 0.001}, {"type": "fake_quant", "scale": 0.0078125, "zero_point": 128})",
                                         R"("bn_eps": 1e-12, "preprocess": {"mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375]}, )"),
                             "ok.json"));
}

TEST_CASE("a key repeated within one JSON object is an error naming the key and where it is") {
  CHECK_THAT(error_of(R"({"name": "t", "resolution": 16, "resolution": 224, "layers": [{"type": "gap"}]})"),
             Contains("bad.json: /resolution: duplicate key 'resolution' (a key may appear only once in an object)"));
  CHECK_THAT(error_of(config_with(R"({"type": "relu"}, {"type": "conv", "out": 8, "kernel": 3, "out": 16})")),
             Contains("bad.json: /layers/1/out: duplicate key 'out'"));
  CHECK_THAT(error_of(config_with(R"({"type": "gap"})", R"("preprocess": {"mean": [1, 2, 3], "std": [1, 2, 3], "mean": [4, 5, 6]}, )")),
             Contains("bad.json: /preprocess/mean: duplicate key 'mean'"));
  CHECK_THAT(error_of(config_with(R"([1, [2, {"a/b~": 1, "a/b~": 2}]])")), Contains("/layers/0/1/1/a~1b~0: duplicate key 'a/b~'"));
  // The same key in different objects is fine.
  CHECK_NOTHROW(parse_config(config_with(R"({"type": "relu", "name": "a"}, {"type": "relu", "name": "b"})"), "ok.json"));
}

namespace {

// The steps the config reader counts while reading `text` (which it must refuse or accept, either is fine).
uint64_t work_of(const std::string& text) {
  const uint64_t before = work_steps;
  try {
    parse_config(text, "hostile.json");
  } catch (const InputError&) {
  }
  return work_steps - before;
}

std::string repeated(const std::string& item, int n, const std::string& separator = ", ") {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? separator : "") + item;
  return s;
}

// A chain of n relu layers, each naming the one before it as its input.
std::string named_chain(int n) {
  std::string s = R"({"type": "relu", "name": "l0"})";
  for (int i = 1; i < n; ++i)
    s += R"(, {"type": "relu", "name": "l)" + std::to_string(i) + R"(", "inputs": ["l)" + std::to_string(i - 1) + R"("]})";
  return s;
}

}  // namespace

TEST_CASE("the config reader's work grows linearly with hostile inputs") {
  struct Hostile {
    std::string what;
    std::string (*make)(int n);
    int n;
  };
  const std::vector<Hostile> inputs{
      // 400k of these took 55 s: the JSON library's callback parser rescanned the layer list after each.
      {"empty layers", [](int n) { return config_with(repeated("{}", n)); }, 20000},
      {"layers beyond kMaxNodes", [](int n) { return config_with(repeated(R"({"type": "relu"})", n)); }, 20000},
      // 1.4M inputs took 93 s: every name was looked up by a scan over the nodes.
      {"an add naming the last of many layers over and over",
       [](int n) { return config_with(named_chain(900) + R"(, {"type": "add", "inputs": [)" + repeated(R"("l899")", n) + "]}"); },
       20000},
      {"a chain of layers each naming the one before", [](int n) { return config_with(named_chain(n)); }, 900},
      {"a layer with many keys", [](int n) {
         std::string keys;
         for (int i = 0; i < n; ++i) keys += R"(, "k)" + std::to_string(i) + R"(": 1)";
         return config_with(R"({"type": "relu")" + keys + R"(, "k0": 2})");
       }, 20000},
      {"many SE layers", [](int n) { return config_with(R"({"type": "conv", "out": 16, "kernel": 1}, )" + repeated(R"({"type": "se", "squeeze": 4})", n)); }, 900},
  };
  for (const Hostile& h : inputs) {
    INFO(h.what);
    const uint64_t small = work_of(h.make(h.n));
    const uint64_t large = work_of(h.make(10 * h.n));
    INFO("steps for n: " << small << ", for 10n: " << large);
    CHECK(small >= uint64_t(h.n));  // the steps are counted where the work is
    CHECK(large <= 15 * small);
  }
}

TEST_CASE("a top-level field of the wrong type is named as present, with its value quoted and cut") {
  const std::string layers = R"("layers": [{"type": "relu"}])";
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"name": "t", "resolution": 32.0, )" + layers + "}", "/resolution: 'resolution' must be an integer, got 32.0"},
      {R"({"name": "t", "resolution": 3.2e1, )" + layers + "}", "/resolution: 'resolution' must be an integer, got 32.0"},
      {R"({"name": "t", "resolution": true, )" + layers + "}", "/resolution: 'resolution' must be an integer, got true"},
      {R"({"name": "t", "resolution": 1e308, )" + layers + "}", "/resolution: 'resolution' must be an integer, got 1e+308"},
      {R"({"name": ["a", "b"], "resolution": 8, )" + layers + "}", "/name: 'name' must be a string, got [\"a\",\"b\"]"},
      {R"({"name": "t", "resolution": 8, "weights": 7, )" + layers + "}", "/weights: 'weights' must be a string, got 7"},
      {R"({"name": "t", "resolution": 8, "width": "wide", )" + layers + "}", "/width: 'width' must be a number, got \"wide\""},
      {R"({"name": "t", "resolution": 8, "layers": {}})", "/layers: 'layers' must be a non-empty list, got {}"},
  };
  for (const auto& [text, message] : cases) {
    INFO(text);
    const std::string e = error_of(text);
    CHECK_THAT(e, Contains(message));
    CHECK_THAT(e, !Contains("missing field"));
  }
  // 40 characters at most of a quoted value, a key or a name, "..." marking the cut.
  const std::string digits(5000, '7');
  for (const std::string& text :
       {R"({"name": "t", "resolution": )" + digits + ", " + layers + "}",                 // 7e4999: beyond double
        R"({"name": "t", "resolution": 8, "width": )" + digits + "x, " + layers + "}",  // invalid JSON
        R"({"name": "t", "resolution": ")" + digits + "\", " + layers + "}",
        R"({"name": "t", "resolution": 8, ")" + digits + "\": 1, " + layers + "}",
        R"({"name": "t", "resolution": 8, "layers": [{"type": "conv", "name": ")" + digits + "\", \"out\": 0}]}",
        R"({"name": "t", "resolution": 8, "input_channels": 1)" + digits + ", " + layers + "}"}) {
    const std::string e = error_of(text);
    INFO(e.substr(0, 300));
    CHECK(e.size() < 250);
    CHECK_THAT(e, Contains(std::string(40, '7').substr(0, 30)));
  }
  CHECK_THAT(error_of(R"({"name": "t", "resolution": ")" + digits + "\", " + layers + "}"),
             Contains("must be an integer, got \"" + std::string(39, '7') + "..."));
}

TEST_CASE("an unknown layer type is refused listing every row and layer type from their tables") {
  const std::string e = error_of(config_with(R"({"type": "bogus"})"));
  CHECK_THAT(e, Contains("bad.json: /layers/0 (bogus): unknown layer type 'bogus' (blocks: conv_bn, dw_separable, "
                         "inverted_residual, bneck, shufflenet_unit, separable_conv, ssd_head, aspp, lraspp; layers: conv, "
                         "dwconv, bn, relu, relu6, hswish, hsigmoid, sigmoid, add, concat, channel_shuffle, slice, pad, gap, "
                         "maxpool, avgpool, flatten, dropout, lrn, fc, se, softmax, fake_quant, "));
  REQUIRE(row_types().size() == 9);
  for (const std::string& row : row_types()) {
    INFO(row);
    // Each listed row is one the reader expands: without its fields it is refused for them, not as unknown.
    const std::string missing = error_of(config_with(R"({"type": ")" + row + R"(", "name": "r"})"));
    CHECK_THAT(missing, Contains("/layers/0 (" + row + " 'r'): missing field"));
    CHECK_THAT(e, Contains(row));
  }
  for (const std::string& type : layer_types()) CHECK_THAT(e, Contains(type));
}

namespace {

// conv 3x3 → relu → add(relu, input-sized conv) as a spec, with each kind of attribute value.
ModelSpec small_spec() {
  ModelSpec s;
  s.source = "spec.tflite";
  s.name = "small";
  s.resolution = 8;
  s.preprocess.mean = {128, 127, 126};
  s.preprocess.std = {1 / 0.0078125, 64.5, 0.1};
  auto layer = [&](const char* type, const char* name, std::vector<std::string> inputs, Attrs a) {
    s.layers.push_back(LayerSpec{type, name, std::move(inputs), std::move(a), "/layers/" + std::to_string(s.layers.size())});
  };
  Attrs conv;
  conv.set("out", AttrValue::of_int(3));
  conv.set("kernel", AttrValue::of_int(3));
  conv.set("pad", AttrValue::of_string("same"));
  conv.set("bias", AttrValue::of_bool(true));
  layer("conv", "c", {"input"}, conv);
  Attrs q;
  q.set("scale", AttrValue::of_number(double(0.0235294122f)));
  q.set("zero_point", AttrValue::of_int(0));
  layer("fake_quant", "c.q", {}, q);
  layer("relu", "r", {}, {});
  layer("add", "sum", {"r", "input"}, {});
  return s;
}

std::string build_error(const ModelSpec& s, const ConfigOverrides& o = {}) {
  try {
    build_graph(s, o);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a spec builds its graph and refuses what is wrong as a config would") {
  const ModelSpec s = small_spec();
  const Graph g = build_graph(s);
  REQUIRE(g.nodes.size() == 5);
  CHECK(g.nodes[1].origin == "/layers/0 (conv 'c')");
  CHECK(g.nodes[2].inputs == std::vector<int>{1});  // no inputs named: the layer above
  CHECK(g.nodes[4].inputs == std::vector<int>{3, 0});
  CHECK(g.output().out == Shape{3, 8, 8});
  CHECK(build_graph(s, ConfigOverrides{{}, 4}).output().out == Shape{3, 4, 4});

  ModelSpec bad = s;
  bad.layers[0].attrs.set("stride", AttrValue::of_int(0));
  CHECK(build_error(bad) == "spec.tflite: /layers/0 (conv 'c'): stride must be between 1 and 8, got 0");
  bad = s;
  bad.layers[0].attrs.set("strides", AttrValue::of_int(2));
  CHECK(build_error(bad) == "spec.tflite: /layers/0 (conv 'c'): unknown key 'strides'");
  bad = s;
  bad.layers[2].type = "relu7";
  CHECK_THAT(build_error(bad), Contains("spec.tflite: /layers/2 (relu7 'r'): unknown layer type 'relu7' (layers: conv, dwconv,"));
  bad = s;
  bad.layers[3].inputs = {"r", "later"};
  CHECK(build_error(bad) ==
        "spec.tflite: /layers/3 (add 'sum'): input 'later' is not an earlier layer (layers may only read layers above them)");
  bad = s;
  bad.layers[2].name = "c";
  CHECK(build_error(bad) == "spec.tflite: /layers/2 (relu 'c'): duplicate layer name 'c'");
  bad = s;
  bad.preprocess.std[1] = 1e9;
  CHECK(build_error(bad) == "spec.tflite: /preprocess/std/1: std must be between 1e-05 and 65536, got 1000000000");
  bad = s;
  bad.resolution = 10000;
  CHECK(build_error(bad) == "spec.tflite: /resolution: resolution must be between 1 and 8192, got 10000");
  CHECK(build_error(s, ConfigOverrides{{}, 0}) == "spec.tflite: --resolution: resolution must be between 1 and 8192, got 0");
  bad = s;
  bad.layers.clear();
  CHECK(build_error(bad) == "spec.tflite: /layers: a model needs at least one layer");
}

TEST_CASE("a spec written by write_config reads back into the same graph") {
  testing::TempDir tmp;
  ModelSpec s = small_spec();
  s.description = "a test \xff";  // not UTF-8: written as U+FFFD
  s.weights = "w.safetensors";
  s.labels = "labels.txt";
  const std::string path = tmp.write("config.json", write_config(s));
  const Graph read = load_config(path);
  s.source = path;
  const Graph built = build_graph(s);
  CHECK(read.name == built.name);
  CHECK(read.resolution == built.resolution);
  CHECK(read.preprocess.mean == built.preprocess.mean);
  CHECK(read.preprocess.std == built.preprocess.std);  // every double exactly
  CHECK(read.weights == tmp.file("w.safetensors"));
  CHECK(read.weights == built.weights);
  CHECK(read.labels == built.labels);
  REQUIRE(read.nodes.size() == built.nodes.size());
  for (size_t i = 1; i < read.nodes.size(); ++i) {
    INFO(built.nodes[i].name);
    CHECK(read.nodes[i].name == built.nodes[i].name);
    CHECK(read.nodes[i].origin == built.nodes[i].origin);
    CHECK(read.nodes[i].inputs == built.nodes[i].inputs);
    CHECK(read.nodes[i].out == built.nodes[i].out);
    CHECK(read.nodes[i].layer->summary() == built.nodes[i].layer->summary());
  }
  CHECK_THAT(read_text(path), Contains("\"description\": \"a test \xef\xbf\xbd\""));

  ModelSpec nan = small_spec();
  nan.layers[1].attrs.set("scale", AttrValue::of_number(std::nan("")));
  CHECK_THROWS_WITH(write_config(nan), "spec.tflite: /layers/1 (fake_quant 'c.q'): 'scale' is nan, which a JSON config cannot hold");
}

TEST_CASE("a long unknown type, key, activation or input name is quoted cut, so the error stays one short line") {
  const std::string huge(5000, 'x');
  for (const std::string& layer :
       {R"({"type": ")" + huge + R"("})", R"({"type": "relu", ")" + huge + R"(": 1})",
        R"({"type": "dw_separable", "out": 8, "act": ")" + huge + R"("})", R"({"type": "relu", "inputs": [")" + huge + R"("]})"}) {
    const std::string error = error_of(R"({"name": "t", "resolution": 16, "layers": [)" + layer + "]}");
    INFO(error.substr(0, 300));
    CHECK_THAT(error, Contains("xxx..."));
    CHECK(error.size() < 500);  // the unknown-type error also lists every row and layer type (~270 characters)
  }
}
