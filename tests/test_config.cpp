#include <catch2/catch.hpp>

#include "config/config.h"
#include "core/error.h"
#include "testing.h"

using namespace mnet;
using Catch::Matchers::Contains;
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
