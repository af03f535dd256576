// The detection and segmentation head rows of configs (config/config.cpp): ssd_head (SSD and
// SSDLite), aspp (DeepLabv3) and lraspp (LR-ASPP): the layers they expand into, their shapes and
// outputs, and the descriptions they refuse.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cost/cost.h"
#include "graph_testing.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;

namespace {

// A 32-channel stride-8 map and a 64-channel stride-16 one from a 64×64 input.
const char* const kBackbone = R"({"type": "conv_bn", "name": "c1", "out": 16, "kernel": 3, "stride": 2},
    {"type": "conv_bn", "name": "c2", "out": 16, "kernel": 3, "stride": 2},
    {"type": "conv_bn", "name": "c3", "out": 32, "kernel": 3, "stride": 2},
    {"type": "conv_bn", "name": "c4", "out": 64, "kernel": 3, "stride": 2})";

Graph head_net(const std::string& head) { return parse_config(net(3, 64, std::string(kBackbone) + ",\n" + head), "t.json"); }

const Node& node(const Graph& g, const std::string& name) {
  const int i = g.find(name);
  INFO(name);
  REQUIRE(i > 0);
  return g.nodes[size_t(i)];
}

std::vector<std::string> output_names(const Graph& g) {
  std::vector<std::string> names;
  for (int o : g.output_nodes()) names.push_back(g.nodes[size_t(o)].name);
  return names;
}

}  // namespace

TEST_CASE("ssd_head: extra maps, class then box predictors on every map, boxes and classes as the outputs") {
  Graph g = head_net(R"({"type": "ssd_head", "name": "h", "features": ["c3.act", "c4.act"], "extra": [32, 16],
                         "anchors": [3, 6, 6, 6], "classes": 5})");
  // Extra maps: 1×1 to depth/2, 3×3 stride 2 (pad 1) to depth: 4×4 → 2×2 → 1×1.
  CHECK(node(g, "h.extra1.reduce").out == (Shape{16, 4, 4}));
  CHECK(node(g, "h.extra1.conv").out == (Shape{32, 2, 2}));
  CHECK(node(g, "h.extra2.conv.act").out == (Shape{16, 1, 1}));
  CHECK(node(g, "h.cls0").out == (Shape{3 * 5, 8, 8}));
  CHECK(node(g, "h.cls1").out == (Shape{6 * 5, 4, 4}));
  CHECK(node(g, "h.box3").out == (Shape{6 * 4, 1, 1}));
  CHECK(node(g, "h.box0").layer->summary() == "k3 s1 p1 bias");
  CHECK(output_names(g) == std::vector<std::string>{"h.box0", "h.box1", "h.box2", "h.box3", "h.cls0", "h.cls1", "h.cls2", "h.cls3"});
  // torchvision registers the classification head first: its weights come first.
  CHECK(g.find("h.cls3") < g.find("h.box0"));
  CostReport r = analyze_cost(g);
  int64_t cls0 = 0;
  for (const auto& l : r.layers)
    if (l.name == "h.cls0") cls0 = l.madds;
  CHECK(cls0 == int64_t(8) * 8 * 15 * 32 * 9);
}

TEST_CASE("ssd_head lite: depthwise separable extra layers and predictors") {
  Graph g = head_net(R"({"type": "ssd_head", "name": "h", "features": ["c3.act", "c4.act"], "extra": [32],
                         "anchors": 4, "classes": 5, "lite": true})");
  CHECK(node(g, "h.extra1.dw").layer->type() == "dwconv");
  CHECK(node(g, "h.extra1.dw").layer->summary() == "k3 s2 p1");
  CHECK(node(g, "h.extra1.expand.act").out == (Shape{32, 2, 2}));
  CHECK(node(g, "h.cls0.dw").layer->type() == "dwconv");
  CHECK(node(g, "h.cls0.dw.act").layer->type() == "relu6");
  CHECK(node(g, "h.cls0").layer->summary() == "k1 s1 p0 bias");
  CHECK(node(g, "h.cls0").out == (Shape{20, 8, 8}));
  CHECK(node(g, "h.box2").out == (Shape{16, 2, 2}));
  CHECK(g.output_nodes().size() == 6);
}

TEST_CASE("ssd_head: SSD300's unpadded stride-1 extras, no BatchNorm and ReLU") {
  Graph g = head_net(R"({"type": "ssd_head", "name": "h", "features": ["c2.act"], "extra": [32, 32], "extra_strides": [1, 1],
                         "anchors": 4, "classes": 3, "bn": false, "act": "relu"})");
  CHECK(node(g, "h.extra1.conv").out == (Shape{32, 14, 14}));
  CHECK(node(g, "h.extra2.conv").out == (Shape{32, 12, 12}));
  CHECK(node(g, "h.extra2.conv").layer->summary() == "k3 s1 p0 bias");
  CHECK(node(g, "h.extra2.conv.act").layer->type() == "relu");
  CHECK(g.find("h.extra2.conv.bn") < 0);
  // Extra depths have a floor of 16 (kSsdMinDepth, torchvision's and TF's min_depth).
  Graph thin = head_net(R"({"type": "ssd_head", "name": "h", "features": ["c4.act"], "extra": [8], "anchors": 4, "classes": 3})");
  CHECK(node(thin, "h.extra1.conv").out == (Shape{16, 2, 2}));
}

TEST_CASE("ssd_head refuses what cannot be an SSD head, naming the rule") {
  const auto err = [](const std::string& head) {
    return error_of(net(3, 64, std::string(kBackbone) + ",\n" + head));
  };
  CHECK_THAT(err(R"({"type": "ssd_head", "features": ["nope"], "anchors": 4, "classes": 3})"),
             Contains("'features': 'nope' is not an earlier layer"));
  CHECK_THAT(err(R"({"type": "ssd_head", "features": ["c3.act", "c4.act"], "anchors": [4], "classes": 3})"),
             Contains("'anchors' must be one number or one per map (2), got 1"));
  CHECK_THAT(err(R"({"type": "ssd_head", "features": ["c4.act"], "extra": [8, 8], "extra_strides": [2], "anchors": 4, "classes": 3})"),
             Contains("'extra_strides' must give one stride per 'extra' map (2), got 1"));
  CHECK_THAT(err(R"({"type": "ssd_head", "features": ["c4.act"], "extra": [8, 8, 8, 8, 8, 8, 8, 8], "anchors": 4, "classes": 3})"),
             Contains("1 to kMaxSsdFeatureMaps = 8 maps, got 1 + 8"));
  CHECK_THAT(err(R"({"type": "ssd_head", "features": ["c4.act"], "anchors": 33, "classes": 3})"),
             Contains("anchors must be between 1 and 32, got 33"));
  CHECK_THAT(err(R"({"type": "ssd_head", "features": ["c4.act"], "anchors": [2.5], "classes": 3})"),
             Contains("'anchors' must hold whole numbers between 1 and 32, got 2.5"));
  CHECK_THAT(err(R"({"type": "ssd_head", "features": ["c4.act"], "anchors": 4, "classes": 3, "kernel": 2})"),
             Contains("'kernel' must be odd"));
  CHECK_THAT(err(R"({"type": "ssd_head", "features": ["c4.act"], "anchors": 32, "classes": 4000})"),
             Contains("anchors 32 x classes 4000 exceeds kMaxChannels = 65536"));
  CHECK_THAT(err(R"({"type": "ssd_head", "features": "c4.act", "anchors": 4, "classes": 3})"),
             Contains("'features' must be a list of strings"));
  CHECK_THAT(err(R"({"type": "ssd_head", "features": ["c4.act"], "anchors": 4, "classes": 3, "lite": 1})"),
             Contains("'lite' must be true or false"));
}

TEST_CASE("aspp: 1x1, atrous and image-pooling branches concatenated, projected, classified and upsampled to the input") {
  Graph g = head_net(R"({"type": "aspp", "name": "a", "out": 8, "rates": [2, 3], "head_conv": true, "classes": 5})");
  CHECK(node(g, "a.b0").out == (Shape{8, 4, 4}));
  CHECK(node(g, "a.b1").layer->summary() == "k3 s1 d2 p2");
  CHECK(node(g, "a.b2").layer->summary() == "k3 s1 d3 p3");
  CHECK(node(g, "a.pool").out == (Shape{64, 1, 1}));
  CHECK(node(g, "a.pool.up").out == (Shape{8, 4, 4}));
  CHECK(node(g, "a.concat").out == (Shape{32, 4, 4}));
  CHECK(node(g, "a.conv").layer->summary() == "k3 s1 p1");
  CHECK(node(g, "a.classifier").out == (Shape{5, 4, 4}));
  CHECK(g.output().name == "a.up");
  CHECK(g.output().out == (Shape{5, 64, 64}));

  // V2 Table 7's head without ASPP: the 1×1 branch and image pooling only; TF's align_corners.
  Graph mobile = head_net(R"({"type": "aspp", "name": "a", "rates": [], "classes": 21, "align_corners": true})");
  CHECK(node(mobile, "a.concat").out == (Shape{512, 4, 4}));
  CHECK(mobile.find("a.b1") < 0);
  CHECK(mobile.find("a.conv") < 0);
  CHECK(node(mobile, "a.up").layer->summary() == "bilinear to input 2's size align_corners");

  // TF DeepLab's separable atrous branches; no pooling and no rates: no concat.
  Graph sep = head_net(R"({"type": "aspp", "name": "a", "out": 8, "rates": [2], "separable": true, "classes": 3, "upsample": false})");
  CHECK(node(sep, "a.b1.dw").layer->summary() == "k3 s1 d2 p2");
  CHECK(node(sep, "a.b1.pw").out == (Shape{8, 4, 4}));
  CHECK(sep.output().out == (Shape{3, 4, 4}));
  Graph single = head_net(R"({"type": "aspp", "name": "a", "out": 8, "rates": [], "pooling": false, "classes": 3})");
  CHECK(single.find("a.concat") < 0);
  CHECK(node(single, "a.project").in_shapes[0] == (Shape{8, 4, 4}));
  CHECK_THAT(error_of(net(3, 64, std::string(kBackbone) + R"(, {"type": "aspp", "rates": [1,2,3,4,5,6,7,8,9], "classes": 3})")),
             Contains("'rates' holds at most kMaxAsppRates = 8 rates, got 9"));
  CHECK_THAT(error_of(net(3, 64, std::string(kBackbone) + R"(, {"type": "aspp", "rates": [65], "classes": 3})")),
             Contains("dilation must be between 1 and kMaxDilation = 64, got 65"));
  CHECK_THAT(error_of(net(3, 64, std::string(kBackbone) + R"(, {"type": "aspp", "rates": [6]})")),
             Contains("missing field 'classes'"));
}

TEST_CASE("lraspp: the gated high branch upsampled to the low map, two classifiers added, upsampled to the input") {
  Graph g = head_net(R"({"type": "lraspp", "name": "h", "low": "c2.act", "inter": 8, "classes": 5})");
  CHECK(node(g, "h.cbr.act").out == (Shape{8, 4, 4}));
  CHECK(node(g, "h.scale.act").out == (Shape{8, 1, 1}));
  CHECK(node(g, "h.scale.act").layer->type() == "sigmoid");
  CHECK(node(g, "h.mul").out == (Shape{8, 4, 4}));
  CHECK(node(g, "h.mul.up").out == (Shape{8, 16, 16}));
  CHECK(node(g, "h.low_classifier").out == (Shape{5, 16, 16}));
  CHECK(node(g, "h.add").out == (Shape{5, 16, 16}));
  CHECK(g.output().out == (Shape{5, 64, 64}));
  // Weights in torchvision's order: cbr, scale, low_classifier, high_classifier.
  CHECK(g.find("h.scale") < g.find("h.low_classifier"));
  CHECK(g.find("h.low_classifier") < g.find("h.high_classifier"));
  CHECK_THAT(error_of(net(3, 64, std::string(kBackbone) + R"(, {"type": "lraspp", "low": "c9", "classes": 3})")),
             Contains("'low': 'c9' is not an earlier layer"));
}

TEST_CASE("inverted_residual and bneck rows dilate their depthwise convolution when asked") {
  Graph g = parse_config(net(16, 8, R"({"type": "inverted_residual", "name": "ir", "t": 6, "c": 16, "s": 1, "dilation": 2},
                                      {"type": "bneck", "name": "bn", "kernel": 5, "exp": 32, "out": 16, "stride": 1, "dilation": 2})"),
                         "t.json");
  CHECK(node(g, "ir.dw").layer->summary() == "k3 s1 d2 p2");
  CHECK(node(g, "bn.dw").layer->summary() == "k5 s1 d2 p4");
  CHECK(g.output().out == (Shape{16, 8, 8}));
  CHECK_THAT(error_of(net(16, 8, R"({"type": "bneck", "kernel": 3, "exp": 32, "out": 16, "dilation": 0})")),
             Contains("dilation must be between 1 and kMaxDilation = 64, got 0"));
}

TEST_CASE("mnet refuses a broken head row with one error line naming the file, the row and the rule") {
  TempDir tmp;
  const std::string config = tmp.write(
      "bad_head.json", net(3, 64, std::string(kBackbone) +
                                      R"(, {"type": "ssd_head", "name": "head", "features": ["c3.act", "c4"], "anchors": [4, 6, 6], "classes": 3})"));
  const CommandResult r = run_mnet("profile " + shell_quote(config) + " --cost-only");
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err == "mnet: error: " + config + ": /layers/4 (ssd_head 'head'): 'anchors' must be one number or one per map (2), got 3\n");
  CHECK(r.out.empty());
}
