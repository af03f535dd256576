// JSON → Graph. Rows of the papers' tables (kRowTypes: conv_bn, dw_separable, ...) expand here
// into primitive layers; each primitive layer joins the graph through add_layer (config/build_graph.h).
#include "config/config.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "core/error.h"
#include "core/work_count.h"
#include "graph/registration.h"
#include "layers/registry.h"
#include "io/atomic_file.h"

namespace mnet {

using nlohmann::json;

int make_divisible(double value, int divisor) {
  int rounded = std::max(divisor, int(value + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

int round_channels(const std::string& rule, double channels) {
  if (rule == "divisible_by_8") return make_divisible(channels, 8);
  // c·α rounded down to a multiple of 24 = 2·4·g, at least 12: every bottleneck (out/4) stays a
  // multiple of g = 3, and the reference implementation's table (megvii ShuffleNet-Series, which V2's
  // Table 4 counts) comes out at 0.5×, 1×, 1.5×, 2×: stem 12, 24, 24, 48, stages 120·α, 240·α…
  // The 1e-6 keeps 240·0.7 = 167.99999999999997 at 168.
  if (rule == "shufflenet_g3") return std::max(int(channels / 24 + 1e-6) * 24, 12);
  return std::max(int(channels), 8);
}

namespace {

const char* const kRoundingRules[] = {"v1", "divisible_by_8", "shufflenet_g3"};

// Config errors quote many values and names; short for cut_for_message.
std::string cut(const std::string& s) { return cut_for_message(s); }
// A JSON value as the config wrote it, cut: 32.0, "abc", [1,2].
std::string quoted(const json& v) { return cut(v.dump()); }
// The JSON library's message with each '...' excerpt in it cut.
std::string cut_excerpts(const std::string& what) {
  std::string out;
  for (size_t at = 0; at < what.size();) {
    size_t open = what.find('\'', at), close = open == std::string::npos ? open : what.find('\'', open + 1);
    if (close == std::string::npos) return out + what.substr(at);
    out += what.substr(at, open + 1 - at) + cut(what.substr(open + 1, close - open - 1)) + "'";
    at = close + 1;
  }
  return out;
}

// One layer description being turned into nodes; knows where it came from for error messages.
struct Builder {
  Graph& graph;
  std::string file;
  std::string rounding = "v1";
  double bn_eps = 1e-5;  // of the BatchNorms that table rows expand into
  int last = 0;  // the node a layer without "inputs" reads

  std::string where;  // "/layers/7 (conv 'name')"

  [[noreturn]] void fail(const std::string& msg) const {
    throw InputError(file + ": " + where + ": " + msg);
  }

  int scaled(int channels, const std::string& scaling) const {
    if (scaling == "none") return channels;
    double alpha = graph.width;
    if (scaling == "width_at_least_1") alpha = std::max(alpha, 1.0);
    return round_channels(rounding, channels * alpha);
  }

  // Adds a primitive layer reading from `inputs`; returns its node.
  int add(const std::string& type, const std::string& name, Attrs attrs, std::vector<int> inputs) {
    return add_layer(graph, file, where, type, name, std::move(attrs), std::move(inputs));
  }
  int add(const std::string& type, const std::string& name, Attrs attrs) {
    last = add(type, name, std::move(attrs), {last});
    return last;
  }

  // conv (+ bn) (+ activation) as the papers draw them.
  void conv_bn_act(const std::string& name, bool depthwise, int out, int kernel, int stride, Act act,
                   bool bn = true, int64_t dilation = 1) {
    Attrs a;
    if (!depthwise) a.set("out", AttrValue::of_int(out));
    a.set("kernel", AttrValue::of_int(kernel));
    a.set("stride", AttrValue::of_int(stride));
    // The conv layer checks it (kMaxDilation); the default pad follows the dilated span.
    if (dilation != 1) a.set("dilation", AttrValue::of_int(dilation));
    if (!bn) a.set("bias", AttrValue::of_bool(true));
    add(depthwise ? "dwconv" : "conv", name, std::move(a));
    if (bn) {
      Attrs eps;
      eps.set("eps", AttrValue::of_number(bn_eps));
      add("bn", name + ".bn", std::move(eps));
    }
    if (act != Act::none) add(act_name(act), name + ".act", Attrs{});
  }
};

Act act_from(Builder& b, Attrs& attrs, const std::string& key, Act fallback) {
  if (!attrs.has(key)) return fallback;
  std::string name = attrs.require_string(key);
  // V3's table writes NL as RE (ReLU) or HS (h-swish).
  if (name == "RE") return Act::relu;
  if (name == "HS") return Act::hswish;
  Act a;
  if (!parse_act(name, &a)) b.fail("unknown activation '" + cut(name) + "' for '" + key + "'");
  return a;
}

int positive(Builder& b, Attrs& attrs, const std::string& key, int64_t fallback = -1) {
  int64_t v = fallback < 0 ? attrs.require_int(key) : attrs.get_int(key, fallback);
  if (v < 1 || v > kMaxChannels)
    b.fail("'" + key + "' must be between 1 and " + std::to_string(kMaxChannels) + ", got " +
           std::to_string(v));
  return int(v);
}

int stride_of(Builder& b, Attrs& attrs, const std::string& key) {
  int64_t s = attrs.get_int(key, 1);
  if (s != 1 && s != 2) b.fail("stride must be 1 or 2, got " + std::to_string(s));
  return int(s);
}

int repeats_of(Builder& b, Attrs& attrs) {
  int64_t n = attrs.get_int("n", 1);
  if (n < 1 || n > kMaxBlockRepeats)
    b.fail("'n' must be between 1 and " + std::to_string(kMaxBlockRepeats) + ", got " + std::to_string(n));
  return int(n);
}

// V1 Table 1 row: 3×3 depthwise conv + BN + act, then 1×1 conv + BN + act.
void dw_separable(Builder& b, Attrs& attrs, const std::string& name, int& counter) {
  int out = positive(b, attrs, "out");
  int stride = stride_of(b, attrs, "stride");
  int kernel = attrs.get_int_in("kernel", 3, 1, kMaxKernel);
  int n = repeats_of(b, attrs);
  Act act = act_from(b, attrs, "act", Act::relu6);
  std::string scaling = attrs.get_string("out_scaling", "width");
  attrs.check_all_read();
  for (int i = 0; i < n; ++i) {
    std::string block = name.empty() ? "ds" + std::to_string(++counter) : (n > 1 ? name + "." + std::to_string(i) : name);
    b.conv_bn_act(block + ".dw", true, 0, kernel, i == 0 ? stride : 1, act);
    b.conv_bn_act(block + ".pw", false, b.scaled(out, scaling), 1, 1, act);
  }
}

// V2 Table 2 row (t, c, n, s): n inverted residual blocks, the first with stride s.
void inverted_residual(Builder& b, Attrs& attrs, const std::string& name, int& counter) {
  double t = attrs.require_number("t");
  if (!(t >= 1 && t <= 64)) b.fail("'t' (expansion) must be between 1 and 64, got " + format_number(t));
  int c = positive(b, attrs, "c");
  int n = repeats_of(b, attrs);
  int s = stride_of(b, attrs, "s");
  Act act = act_from(b, attrs, "act", Act::relu6);
  // DeepLab's output stride 16 or 8: the last stages keep their map and dilate their depthwise.
  int64_t dilation = attrs.get_int("dilation", 1);
  attrs.check_all_read();
  int out = b.scaled(c, "width");
  for (int i = 0; i < n; ++i) {
    std::string block = name.empty() ? "block" + std::to_string(++counter) : (n > 1 ? name + "." + std::to_string(i) : name);
    int in_node = b.last;
    int in_c = b.graph.nodes[in_node].out.c;
    int stride = i == 0 ? s : 1;
    int hidden = int(std::lround(in_c * t));
    if (t != 1) b.conv_bn_act(block + ".expand", false, hidden, 1, 1, act);
    b.conv_bn_act(block + ".dw", true, 0, 3, stride, act, true, dilation);
    b.conv_bn_act(block + ".project", false, out, 1, 1, Act::none);
    if (stride == 1 && in_c == out) b.last = b.add("add", block + ".add", Attrs{}, {in_node, b.last});
  }
}

// V3 Tables 1/2 row: kernel, exp size, out, SE, NL, stride.
void bneck(Builder& b, Attrs& attrs, const std::string& name, int& counter) {
  int64_t kernel = attrs.require_int("kernel");
  if (kernel != 3 && kernel != 5 && kernel != 7) b.fail("'kernel' must be 3, 5 or 7, got " + std::to_string(kernel));
  int exp = b.scaled(positive(b, attrs, "exp"), "width");
  int out = b.scaled(positive(b, attrs, "out"), "width");
  bool se = attrs.get_bool("se", false);
  Act act = act_from(b, attrs, "nl", Act::relu);
  int stride = stride_of(b, attrs, "stride");
  // torchvision's dilated=True (DeepLabv3, LR-ASPP): the last stage at stride 1 with dilation 2.
  int64_t dilation = attrs.get_int("dilation", 1);
  attrs.check_all_read();
  std::string block = name.empty() ? "bneck" + std::to_string(++counter) : name;
  int in_node = b.last;
  int in_c = b.graph.nodes[in_node].out.c;
  if (exp != in_c) b.conv_bn_act(block + ".expand", false, exp, 1, 1, act);
  b.conv_bn_act(block + ".dw", true, 0, int(kernel), stride, act, true, dilation);
  if (se) {
    Attrs a;
    a.set("squeeze", AttrValue::of_int(make_divisible(exp / 4, 8)));
    b.add("se", block + ".se", std::move(a));
  }
  b.conv_bn_act(block + ".project", false, out, 1, 1, Act::none);
  if (stride == 1 && in_c == out) b.last = b.add("add", block + ".add", Attrs{}, {in_node, b.last});
}

// conv + BN + activation, channels scaled by the width multiplier.
void conv_bn(Builder& b, Attrs& attrs, const std::string& name, int& counter) {
  std::string scaling = attrs.get_string("out_scaling", "width");
  if (scaling != "width" && scaling != "none" && scaling != "width_at_least_1")
    b.fail("'out_scaling' must be \"width\", \"width_at_least_1\" or \"none\", got \"" + cut(scaling) + "\"");
  // "out_ratio": a multiple of the input's channels, as V3's last conv (6 × the last bneck's out).
  // Both factors are at most kMaxChannels, so their product is exact in 64 bits.
  int64_t out = attrs.has("out_ratio")
                    ? int64_t(attrs.require_int_in("out_ratio", 1, kMaxChannels)) * b.graph.nodes[b.last].out.c
                    : b.scaled(positive(b, attrs, "out"), scaling);
  if (out < 1 || out > kMaxChannels) b.fail("'out_ratio' gives " + std::to_string(out) + " channels, outside 1.." + std::to_string(kMaxChannels));
  int kernel = attrs.require_int_in("kernel", 1, kMaxKernel);
  int stride = stride_of(b, attrs, "stride");
  Act act = act_from(b, attrs, "act", Act::relu6);
  bool bn = attrs.get_bool("bn", true);
  attrs.check_all_read();
  b.conv_bn_act(name.empty() ? "conv" + std::to_string(++counter) : name, false, int(out), kernel, stride, act, bn);
}

// Xception's separable convolution (Keras' SeparableConv2D): a k×k depthwise (depth_multiplier M
// filters per channel) and a 1×1 to `out`, nothing between them; then BN and an activation if
// asked. `pre_act` comes before the depthwise, as Xception's relu → sepconv → bn. The depthwise
// pads "same" unless `pad` says otherwise.
void separable_conv(Builder& b, Attrs& attrs, const std::string& name, int& counter) {
  int out = b.scaled(positive(b, attrs, "out"), "width");
  int kernel = attrs.get_int_in("kernel", 3, 1, kMaxKernel);
  int stride = stride_of(b, attrs, "stride");
  int multiplier = positive(b, attrs, "depth_multiplier", 1);
  bool bias = attrs.get_bool("bias", false);
  bool bn = attrs.get_bool("bn", true);
  Act act = act_from(b, attrs, "act", Act::none);
  Act pre_act = act_from(b, attrs, "pre_act", Act::none);
  Attrs dw;
  dw.set("kernel", AttrValue::of_int(kernel));
  dw.set("stride", AttrValue::of_int(stride));
  // The conv layer checks dilation and pad (kMaxDilation, the kernel's span).
  if (attrs.has("dilation")) dw.set("dilation", AttrValue::of_int(attrs.require_int("dilation")));
  if (!attrs.has("pad")) dw.set("pad", AttrValue::of_string("same"));
  else if (attrs.is_string("pad")) dw.set("pad", AttrValue::of_string(attrs.require_string("pad")));
  else dw.set("pad", AttrValue::of_int(attrs.require_int("pad")));
  attrs.check_all_read();
  const std::string block = name.empty() ? "sepconv" + std::to_string(++counter) : name;
  if (pre_act != Act::none) b.add(act_name(pre_act), block + ".pre_act", Attrs{});
  const int in_c = b.graph.nodes[b.last].out.c;
  if (multiplier == 1) {
    b.add("dwconv", block + ".dw", std::move(dw));
  } else {
    // M filters per channel: a convolution with one group per input channel.
    if (int64_t(in_c) * multiplier > kMaxChannels)
      b.fail("depth_multiplier " + std::to_string(multiplier) + " on " + std::to_string(in_c) + " channels gives " +
             std::to_string(int64_t(in_c) * multiplier) + ", more than kMaxChannels = " + std::to_string(kMaxChannels));
    dw.set("out", AttrValue::of_int(int64_t(in_c) * multiplier));
    dw.set("groups", AttrValue::of_int(in_c));
    b.add("conv", block + ".dw", std::move(dw));
  }
  Attrs pw;
  pw.set("out", AttrValue::of_int(out));
  pw.set("kernel", AttrValue::of_int(1));
  if (bias) pw.set("bias", AttrValue::of_bool(true));
  b.add("conv", block + ".pw", std::move(pw));
  if (bn) {
    Attrs eps;
    eps.set("eps", AttrValue::of_number(b.bn_eps));
    b.add("bn", block + ".bn", std::move(eps));
  }
  if (act != Act::none) b.add(act_name(act), block + ".act", Attrs{});
}

// ShuffleNet v1 units (Zhang et al. 2017, Fig. 2 (b), (c)), n of them, the first with `stride`:
// 1×1 group conv to out/4 + BN + ReLU, channel shuffle, 3×3 depthwise + BN, 1×1 group conv + BN.
// A stride-1 unit adds its input, then ReLU; a stride-2 unit concatenates a 3×3 s2 average pool of
// its input with the branch, which therefore gives out − in channels, then ReLU. `group_first`
// false: stage 2's first unit, whose 24-channel input is too thin to group.
void shufflenet_unit(Builder& b, Attrs& attrs, const std::string& name, int& counter) {
  const int out = b.scaled(positive(b, attrs, "out"), "width");
  const int groups = positive(b, attrs, "groups", 1);
  const int n = repeats_of(b, attrs);
  const int s = stride_of(b, attrs, "stride");
  const bool group_first = attrs.get_bool("group_first", true);
  attrs.check_all_read();
  const int bottleneck = out / 4;
  if (out % 4 != 0 || bottleneck % groups != 0)
    b.fail("the bottleneck out/4 must be a whole multiple of groups " + std::to_string(groups) + ", got out " +
           std::to_string(out) + " (channel_rounding \"shufflenet_g3\" keeps it so for groups 3)");
  const auto conv = [&](const std::string& layer, int channels, int kernel, int stride, int conv_groups) {
    Attrs a;
    if (channels > 0) a.set("out", AttrValue::of_int(channels));
    a.set("kernel", AttrValue::of_int(kernel));
    a.set("stride", AttrValue::of_int(stride));
    if (conv_groups > 1) a.set("groups", AttrValue::of_int(conv_groups));
    b.add(channels > 0 ? "conv" : "dwconv", layer, std::move(a));
    Attrs eps;
    eps.set("eps", AttrValue::of_number(b.bn_eps));
    b.add("bn", layer + ".bn", std::move(eps));
  };
  for (int i = 0; i < n; ++i) {
    const std::string block =
        name.empty() ? "unit" + std::to_string(++counter) : (n > 1 ? name + "." + std::to_string(i) : name);
    const int in_node = b.last;
    const int in_c = b.graph.nodes[in_node].out.c;
    const int stride = i == 0 ? s : 1;
    const int branch = stride == 2 ? out - in_c : out;
    if (stride == 1 && in_c != out)
      b.fail("a stride-1 unit adds its input, so its " + std::to_string(in_c) + " input channels must equal out " +
             std::to_string(out));
    if (branch < 1 || branch % groups != 0)
      b.fail("a stride-2 unit's branch gives out - input channels = " + std::to_string(out) + " - " +
             std::to_string(in_c) + ", which must be a positive multiple of groups " + std::to_string(groups));
    conv(block + ".reduce", bottleneck, 1, 1, i == 0 && !group_first ? 1 : groups);
    b.add("relu", block + ".reduce.act", Attrs{});
    if (groups > 1) {
      Attrs g;
      g.set("groups", AttrValue::of_int(groups));
      b.add("channel_shuffle", block + ".shuffle", std::move(g));
    }
    conv(block + ".dw", 0, 3, stride, 1);
    conv(block + ".expand", branch, 1, 1, groups);
    if (stride == 2) {
      Attrs pool;
      pool.set("kernel", AttrValue::of_int(3));
      pool.set("stride", AttrValue::of_int(2));
      pool.set("pad", AttrValue::of_int(1));
      const int shortcut = b.add("avgpool", block + ".pool", std::move(pool), {in_node});
      b.last = b.add("concat", block + ".concat", Attrs{}, {shortcut, b.last});
    } else {
      b.last = b.add("add", block + ".add", Attrs{}, {in_node, b.last});
    }
    b.add("relu", block + ".act", Attrs{});
  }
}

// ---- Detection and segmentation heads (issue 18): SSD / SSDLite, DeepLabv3's ASPP, LR-ASPP.
// Their nodes come from a head row, which is how cost/cost_by_part.h tells the head from the
// backbone.

// SSD uses 6 maps, SSD512 7; more is a broken description.
constexpr int kMaxSsdFeatureMaps = 8;
// SSD's 4 or 6 and YOLOv2's 5 default boxes per cell; far more is a broken description.
constexpr int kMaxAnchorsPerCell = 32;
// The extra layers' thinnest depth at a small --width (torchvision's and TF OD API's min_depth).
constexpr int kSsdMinDepth = 16;
// DeepLabv3 uses 3 atrous rates.
constexpr int kMaxAsppRates = 8;

// A convolution (depthwise if out is 0) reading `input`, then BN (epsilon `eps`, or the config's
// bn_eps if 0) and `act` as asked; named NAME, NAME.bn, NAME.act. Returns the last node.
int head_conv(Builder& b, const std::string& name, int input, int out, int kernel, int stride, int pad,
              int64_t dilation, bool bn, bool bias, Act act, double eps = 0) {
  Attrs a;
  if (out > 0) a.set("out", AttrValue::of_int(out));
  a.set("kernel", AttrValue::of_int(kernel));
  a.set("stride", AttrValue::of_int(stride));
  a.set("pad", AttrValue::of_int(pad));
  if (dilation != 1) a.set("dilation", AttrValue::of_int(dilation));
  if (bias) a.set("bias", AttrValue::of_bool(true));
  int node = b.add(out > 0 ? "conv" : "dwconv", name, std::move(a), {input});
  if (bn) {
    Attrs bn_attrs;
    bn_attrs.set("eps", AttrValue::of_number(eps > 0 ? eps : b.bn_eps));
    node = b.add("bn", name + ".bn", std::move(bn_attrs), {node});
  }
  if (act != Act::none) node = b.add(act_name(act), name + ".act", Attrs{}, {node});
  return node;
}

int earlier_layer(Builder& b, const std::string& key, const std::string& layer) {
  const int node = b.graph.find(layer);
  if (node <= 0)
    b.fail("'" + key + "': '" + cut(layer) + "' is not an earlier layer (a head reads layers above it)");
  return node;
}

// A list of whole numbers in [lo, hi] under `key`: "extra": [512, 256, 256, 128].
std::vector<int> int_list(Builder& b, Attrs& attrs, const std::string& key, int64_t lo, int64_t hi) {
  std::vector<int> out;
  for (double v : attrs.require_numbers(key)) {
    if (!(v == std::floor(v) && v >= double(lo) && v <= double(hi)))
      b.fail("'" + key + "' must hold whole numbers between " + std::to_string(lo) + " and " + std::to_string(hi) +
             ", got " + format_number(v));
    out.push_back(int(v));
  }
  return out;
}

// SSD's prediction layers (Liu et al. 2016) and SSDLite's (V2 paper, section 6.2). `features` are
// the backbone's maps predicted from; `extra` appends maps of those depths after the last one,
// each a 1×1 to depth/2 and a 3×3 stride 2 (pad 1) to depth — SSDLite: 3×3 depthwise + 1×1 —,
// as TF OD API's SSD MobileNets and torchvision's SSDLite build them (`extra_strides` 1 with pad
// 0: SSD300's last two). On every map a k×k conv (bias) predicts anchors·classes class logits and
// anchors·4 box offsets — SSDLite: k×k depthwise + BN + act, then the 1×1 (bias). The class
// predictors come before the box predictors, as torchvision registers them; the graph's outputs
// are the box tensors NAME.box0.. then the class tensors NAME.cls0.. ([anchors·4 or anchors·classes,
// H, W] each; torchvision's view/permute/cat of them is the same numbers).
void ssd_head(Builder& b, Attrs& attrs, const std::string& name, int& counter) {
  const std::vector<std::string> features = attrs.require_strings("features");
  const std::vector<int> extra = attrs.has("extra") ? int_list(b, attrs, "extra", 2, kMaxChannels) : std::vector<int>{};
  std::vector<int> extra_strides = attrs.has("extra_strides") ? int_list(b, attrs, "extra_strides", 1, 2)
                                                              : std::vector<int>(extra.size(), 2);
  const size_t maps = features.size() + extra.size();
  if (features.empty() || maps > size_t(kMaxSsdFeatureMaps))
    b.fail("'features' and 'extra' must give 1 to kMaxSsdFeatureMaps = " + std::to_string(kMaxSsdFeatureMaps) +
           " maps, got " + std::to_string(features.size()) + " + " + std::to_string(extra.size()));
  if (extra_strides.size() != extra.size())
    b.fail("'extra_strides' must give one stride per 'extra' map (" + std::to_string(extra.size()) + "), got " +
           std::to_string(extra_strides.size()));
  std::vector<int> anchors;
  if (attrs.has("anchors") && attrs.values().at("anchors").kind == AttrValue::Kind::integer)
    anchors.assign(maps, attrs.require_int_in("anchors", 1, kMaxAnchorsPerCell));
  else
    anchors = int_list(b, attrs, "anchors", 1, kMaxAnchorsPerCell);
  if (anchors.size() != maps)
    b.fail("'anchors' must be one number or one per map (" + std::to_string(maps) + "), got " +
           std::to_string(anchors.size()));
  const int classes = positive(b, attrs, "classes");
  const bool lite = attrs.get_bool("lite", false);
  const int kernel = attrs.get_int_in("kernel", 3, 1, kMaxKernel);
  if (kernel % 2 == 0) b.fail("'kernel' must be odd (the predictors keep the map's size), got " + std::to_string(kernel));
  const bool bn = attrs.get_bool("bn", true);
  const Act act = act_from(b, attrs, "act", Act::relu6);
  const double eps = attrs.get_number_in("bn_eps", b.bn_eps, kMinBnEps, kMaxBnEps);
  attrs.check_all_read();
  for (int a : anchors)
    if (int64_t(a) * classes > kMaxChannels)
      b.fail("anchors " + std::to_string(a) + " x classes " + std::to_string(classes) + " exceeds kMaxChannels = " +
             std::to_string(kMaxChannels));
  const std::string head = name.empty() ? "ssd_head" + std::to_string(++counter) : name;

  std::vector<int> map_nodes;
  for (const std::string& f : features) map_nodes.push_back(earlier_layer(b, "features", f));
  for (size_t i = 0; i < extra.size(); ++i) {
    const std::string block = head + ".extra" + std::to_string(i + 1);
    const int depth = std::max(kSsdMinDepth, int(extra[i] * b.graph.width));
    const int stride = extra_strides[i], pad = stride == 2 ? 1 : 0;
    int node = head_conv(b, block + ".reduce", map_nodes.back(), depth / 2, 1, 1, 0, 1, bn, !bn, act, eps);
    if (lite) {
      node = head_conv(b, block + ".dw", node, 0, 3, stride, pad, 1, bn, !bn, act, eps);
      node = head_conv(b, block + ".expand", node, depth, 1, 1, 0, 1, bn, !bn, act, eps);
    } else {
      node = head_conv(b, block + ".conv", node, depth, 3, stride, pad, 1, bn, !bn, act, eps);
    }
    map_nodes.push_back(node);
  }
  std::vector<int> boxes, logits;
  for (const char* what : {"cls", "box"}) {
    for (size_t i = 0; i < maps; ++i) {
      const std::string pred = head + "." + what + std::to_string(i);
      const int out = anchors[i] * (what[0] == 'c' ? classes : 4);
      int node = map_nodes[i];
      if (lite) node = head_conv(b, pred + ".dw", node, 0, kernel, 1, kernel / 2, 1, true, false, act, eps);
      node = head_conv(b, pred, node, out, lite ? 1 : kernel, 1, lite ? 0 : kernel / 2, 1, false, true, Act::none);
      (what[0] == 'c' ? logits : boxes).push_back(node);
    }
  }
  for (int node : boxes) b.graph.outputs.push_back(node);
  for (int node : logits) b.graph.outputs.push_back(node);
  b.last = boxes.back();
}

// DeepLabv3's head (Chen et al. 2017; V2 paper, section 6.3): ASPP — a 1×1 branch, one 3×3 branch
// per atrous rate (`separable`: 3×3 depthwise + BN + act + 1×1, as TF DeepLab's MobileNet heads),
// an image-pooling branch (global pool, 1×1, upsampled back) —, their concatenation projected by a
// 1×1 to `out`, then as torchvision's DeepLabHead a 3×3 conv (`head_conv`), then the 1×1
// classifier (bias) and a bilinear upsample to the input's size (`upsample`). "rates": [] is V2
// Table 7's head without ASPP. Branch order as torchvision's ASPP registers them.
void aspp(Builder& b, Attrs& attrs, const std::string& name, int& counter) {
  const int out = positive(b, attrs, "out", 256);
  const std::vector<int> rates = int_list(b, attrs, "rates", 1, kMaxChannels);
  if (rates.size() > size_t(kMaxAsppRates))
    b.fail("'rates' holds at most kMaxAsppRates = " + std::to_string(kMaxAsppRates) + " rates, got " +
           std::to_string(rates.size()));
  const bool pooling = attrs.get_bool("pooling", true);
  const bool separable = attrs.get_bool("separable", false);
  const bool head_conv3x3 = attrs.get_bool("head_conv", false);
  const int classes = positive(b, attrs, "classes");
  const bool upsample = attrs.get_bool("upsample", true);
  const bool align_corners = attrs.get_bool("align_corners", false);
  const Act act = act_from(b, attrs, "act", Act::relu);
  // torchvision's heads keep nn.BatchNorm2d's 1e-5 where its MobileNetV3 backbone has 0.001.
  const double eps = attrs.get_number_in("bn_eps", b.bn_eps, kMinBnEps, kMaxBnEps);
  attrs.check_all_read();
  const std::string head = name.empty() ? "aspp" + std::to_string(++counter) : name;
  const int in = b.last;
  const auto resize = [&](const std::string& layer, int from, int like) {
    Attrs a;
    a.set("mode", AttrValue::of_string("bilinear"));
    a.set("align_corners", AttrValue::of_bool(align_corners));
    return b.add("upsample", layer, std::move(a), {from, like});
  };

  std::vector<int> branches{head_conv(b, head + ".b0", in, out, 1, 1, 0, 1, true, false, act, eps)};
  for (size_t i = 0; i < rates.size(); ++i) {
    const std::string branch = head + ".b" + std::to_string(i + 1);
    const int r = rates[i];
    if (separable) {
      const int dw = head_conv(b, branch + ".dw", in, 0, 3, 1, r, r, true, false, act, eps);
      branches.push_back(head_conv(b, branch + ".pw", dw, out, 1, 1, 0, 1, true, false, act, eps));
    } else {
      branches.push_back(head_conv(b, branch, in, out, 3, 1, r, r, true, false, act, eps));
    }
  }
  if (pooling) {
    const int pool = b.add("gap", head + ".pool", Attrs{}, {in});
    const int conv = head_conv(b, head + ".pool.conv", pool, out, 1, 1, 0, 1, true, false, act, eps);
    branches.push_back(resize(head + ".pool.up", conv, in));
  }
  int x = branches.size() > 1 ? b.add("concat", head + ".concat", Attrs{}, branches) : branches[0];
  x = head_conv(b, head + ".project", x, out, 1, 1, 0, 1, true, false, act, eps);
  if (head_conv3x3) x = head_conv(b, head + ".conv", x, out, 3, 1, 1, 1, true, false, act, eps);
  x = head_conv(b, head + ".classifier", x, classes, 1, 1, 0, 1, false, true, Act::none);
  if (upsample) x = resize(head + ".up", x, 0);
  b.last = x;
}

// LR-ASPP (V3 paper, section 6.4, Fig. 10) as torchvision's LRASPPHead: on the input (the
// high-level map) a 1×1 to `inter` + BN + ReLU, gated by sigmoid(1×1(global pool)), upsampled to
// the `low` map's size; 1×1 classifiers (bias) on both, added; then a bilinear upsample to the
// input's size (`upsample`). torchvision's global pool stands for the paper's 49×49 stride (16, 20)
// average pool, which at Cityscapes' 1024×2048 is nearly global.
void lraspp(Builder& b, Attrs& attrs, const std::string& name, int& counter) {
  const int low = earlier_layer(b, "low", attrs.require_string("low"));
  const int inter = positive(b, attrs, "inter", 128);
  const int classes = positive(b, attrs, "classes");
  const bool upsample = attrs.get_bool("upsample", true);
  const bool align_corners = attrs.get_bool("align_corners", false);
  const double eps = attrs.get_number_in("bn_eps", b.bn_eps, kMinBnEps, kMaxBnEps);
  attrs.check_all_read();
  const std::string head = name.empty() ? "lraspp" + std::to_string(++counter) : name;
  const int high = b.last;
  const auto resize = [&](const std::string& layer, int from, int like) {
    Attrs a;
    a.set("mode", AttrValue::of_string("bilinear"));
    a.set("align_corners", AttrValue::of_bool(align_corners));
    return b.add("upsample", layer, std::move(a), {from, like});
  };
  const int cbr = head_conv(b, head + ".cbr", high, inter, 1, 1, 0, 1, true, false, Act::relu, eps);
  const int pool = b.add("gap", head + ".scale.pool", Attrs{}, {high});
  const int gate = head_conv(b, head + ".scale", pool, inter, 1, 1, 0, 1, false, false, Act::sigmoid);
  const int gated = b.add("mul", head + ".mul", Attrs{}, {cbr, gate});
  const int up = resize(head + ".mul.up", gated, low);
  const int low_logits = head_conv(b, head + ".low_classifier", low, classes, 1, 1, 0, 1, false, true, Act::none);
  const int high_logits = head_conv(b, head + ".high_classifier", up, classes, 1, 1, 0, 1, false, true, Act::none);
  int x = b.add("add", head + ".add", Attrs{}, {low_logits, high_logits});
  if (upsample) x = resize(head + ".up", x, 0);
  b.last = x;
}

// The rows of the papers' tables, each expanding into primitive layers.
using RowFunction = void (*)(Builder& b, Attrs& attrs, const std::string& name, int& counter);
constexpr Registration<RowFunction> kRowTypes[] = {
    {"conv_bn", conv_bn},
    {"dw_separable", dw_separable},
    {"inverted_residual", inverted_residual},
    {"bneck", bneck},
    {"shufflenet_unit", shufflenet_unit},
    {"separable_conv", separable_conv},
    {"ssd_head", ssd_head},
    {"aspp", aspp},
    {"lraspp", lraspp},
};

AttrValue to_attr(Builder& b, const std::string& key, const json& v) {
  switch (v.type()) {
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX))
        b.fail(key + " must be an integer within 64 bits, got " + std::to_string(v.get<uint64_t>()));
      return AttrValue::of_int(v.get<int64_t>());
    case json::value_t::number_float:
      return AttrValue::of_number(v.get<double>());
    case json::value_t::string:
      return AttrValue::of_string(v.get<std::string>());
    case json::value_t::boolean:
      return AttrValue::of_bool(v.get<bool>());
    case json::value_t::array: {
      AttrValue a;
      bool numbers = std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_number(); });
      bool strings = std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); });
      if (numbers) {
        a.kind = AttrValue::Kind::numbers;
        for (const auto& e : v) a.numbers.push_back(e.get<double>());
        return a;
      }
      if (strings) {
        a.kind = AttrValue::Kind::strings;
        for (const auto& e : v) a.strings.push_back(e.get<std::string>());
        return a;
      }
      break;
    }
    default:
      break;
  }
  b.fail("'" + cut(key) + "' has an unsupported value " + quoted(v));
}

void parse_layer(Builder& b, const json& entry, size_t index, std::map<std::string, int>& counters) {
  count_work();
  const std::string origin = "/layers/" + std::to_string(index);
  b.where = origin;
  if (!entry.is_object()) b.fail("a layer must be a JSON object");
  auto type_it = entry.find("type");
  if (type_it == entry.end() || !type_it->is_string()) b.fail("missing field 'type' (a string)");
  std::string type = type_it->get<std::string>();
  std::string name;
  if (auto it = entry.find("name"); it != entry.end()) {
    if (!it->is_string() || it->get<std::string>().empty()) b.fail("'name' must be a non-empty string");
    name = it->get<std::string>();
  }
  b.where = layer_location(origin, type, name);

  if (auto it = entry.find("inputs"); it != entry.end()) {
    if (!it->is_array() || it->empty()) b.fail("'inputs' must be a non-empty list of layer names");
    // A block reads one input; a layer's own count (add 2, concat 2 or more) is checked by Graph::add.
    if (it->size() > 1 && find_registered(kRowTypes, type))
      b.fail("'" + cut(type) + "' is a block and takes 1 input, got " + std::to_string(it->size()));
    std::vector<int> inputs;
    for (const auto& in : *it) {
      if (!in.is_string()) b.fail("'inputs' must be a list of layer names");
      int node = b.graph.find(in.get<std::string>());
      if (node < 0)
        b.fail("input '" + cut(in.get<std::string>()) + "' is not an earlier layer (layers may only read layers above them)");
      inputs.push_back(node);
    }
    if (inputs.size() == 1) b.last = inputs[0];
    else {
      Attrs attrs;
      for (auto kv = entry.begin(); kv != entry.end(); ++kv)
        if (kv.key() != "type" && kv.key() != "name" && kv.key() != "inputs")
          attrs.set(kv.key(), to_attr(b, kv.key(), kv.value()));
      b.last = b.add(type, name.empty() ? type + std::to_string(b.graph.nodes.size()) : name,
                     std::move(attrs), inputs);
      return;
    }
  }

  Attrs attrs;
  for (auto kv = entry.begin(); kv != entry.end(); ++kv)
    if (kv.key() != "type" && kv.key() != "name" && kv.key() != "inputs")
      attrs.set(kv.key(), to_attr(b, kv.key(), kv.value()));
  int& counter = counters[type];
  if (RowFunction row = find_registered(kRowTypes, type)) {
    try {
      return row(b, attrs, name, counter);
    } catch (const LayerError& e) {
      b.fail(e.what());
    }
  }
  std::string node_name = name.empty() ? type + std::to_string(++counter) : name;
  if (attrs.has("out_scaling") && attrs.has("out")) {
    std::string scaling;
    int64_t out = 0;
    try {
      scaling = attrs.get_string("out_scaling", "none");
      out = attrs.require_int("out");
    } catch (const LayerError& e) {
      b.fail(e.what());
    }
    if (scaling != "width" && scaling != "none" && scaling != "width_at_least_1")
      b.fail("'out_scaling' must be \"width\", \"width_at_least_1\" or \"none\", got \"" + cut(scaling) + "\"");
    if (out < 1 || out > kMaxChannels) b.fail("'out' must be between 1 and " + std::to_string(kMaxChannels));
    attrs.set("out", AttrValue::of_int(b.scaled(int(out), scaling)));
  }
  std::vector<std::string> types = layer_types();
  if (std::find(types.begin(), types.end(), type) == types.end())
    b.fail("unknown layer type '" + cut(type) + "' (blocks: " + join_names(row_types()) + "; layers: " + join_names(types) + ")");
  b.add(type, node_name, std::move(attrs));
}

}  // namespace

std::vector<std::string> row_types() { return registered_names(kRowTypes); }

namespace {

[[noreturn]] void fail_at(const std::string& file, const std::string& where, const std::string& msg) {
  throw InputError(file + ": " + where + ": " + msg);
}

// Whether v is an integer within [lo, hi], read without narrowing: an unsigned above INT64_MAX
// would wrap to a negative int64.
bool is_int_in(const json& v, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) return false;
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) return false;
  int64_t i = v.get<int64_t>();
  return i >= lo && i <= hi;
}

// A JSON Pointer token (RFC 6901): '~' and '/' inside a key are escaped.
std::string pointer_token(const std::string& key) {
  std::string t;
  for (char c : key) t += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return t;
}

// Builds the document as json::parse does, adding what that parser cannot give in linear time:
// with a callback, nlohmann 3.11 rescans the parent array after every element it closes (quadratic
// in the number of layers: 40k empty layers took 0.32 s, 80k 0.99 s). Here the depth bound is
// checked before each container opens, and a key repeated within one object is an error instead
// of silently keeping the last value.
class ConfigSax {
 public:
  ConfigSax(json& root, const std::string& file) : dom_(root, true), file_(file) {}

  bool null() { return scalar(), dom_.null(); }
  bool boolean(bool v) { return scalar(), dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return scalar(), dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return scalar(), dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) { return scalar(), dom_.number_float(v, s); }
  bool string(json::string_t& v) { return scalar(), dom_.string(v); }
  bool binary(json::binary_t& v) { return scalar(), dom_.binary(v); }

  bool start_object(std::size_t n) { return open(false), dom_.start_object(n); }
  bool start_array(std::size_t n) { return open(true), dom_.start_array(n); }
  bool end_object() { return close(), dom_.end_object(); }
  bool end_array() { return close(), dom_.end_array(); }

  bool key(json::string_t& k) {
    count_work();
    Frame& object = frames_.back();
    object.key = k;
    if (!object.keys.insert(k).second)
      throw InputError(file_ + ": " + location() + ": duplicate key '" + cut(k) +
                       "' (a key may appear only once in an object)");
    return dom_.key(k);
  }

  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& e) {
    return dom_.parse_error(position, token, e);  // throws e
  }

 private:
  struct Frame {
    bool array = false;
    size_t index = 0;  // of the element being read, in an array
    std::string key;   // being read, in an object
    std::unordered_set<std::string> keys;
  };

  void open(bool array) {
    count_work();
    if (frames_.size() >= size_t(kMaxJsonDepth))
      throw InputError(file_ + ": JSON nested deeper than kMaxJsonDepth = " + std::to_string(kMaxJsonDepth));
    frames_.push_back(Frame{array, 0, {}, {}});
  }
  void close() {
    frames_.pop_back();
    element_done();
  }
  void scalar() {
    count_work();
    element_done();
  }
  void element_done() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  // Where the parser is, as a JSON Pointer: "/layers/3/out".
  std::string location() const {
    std::string where;
    for (const Frame& f : frames_) where += "/" + (f.array ? std::to_string(f.index) : cut(pointer_token(f.key)));
    return where;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::string file_;
  std::vector<Frame> frames_;
};

// Only these top-level keys exist; anything else is a typo.
const char* const kTopLevelKeys[] = {"name",  "description",      "reference", "input_channels", "resolution",
                                     "width", "channel_rounding", "bn_eps",    "preprocess",     "labels",
                                     "weights", "layers",      "outputs"};

Preprocess parse_preprocess(const std::string& file, const json& j) {
  Preprocess p;
  if (!j.is_object()) fail_at(file, "/preprocess", "must be a JSON object, got " + quoted(j));
  for (auto kv = j.begin(); kv != j.end(); ++kv) {
    const std::string& k = kv.key();
    const json& v = kv.value();
    std::string where = "/preprocess/" + cut(pointer_token(k));
    if (k == "crop") {
      if (!v.is_string() || (v != "central_fraction" && v != "resize_center"))
        fail_at(file, where, "must be \"central_fraction\" (TF-slim) or \"resize_center\" (torchvision)");
      p.crop = v.get<std::string>();
    } else if (k == "central_fraction") {
      if (!v.is_number() || !(v.get<double>() > 0 && v.get<double>() <= 1))
        fail_at(file, where, "must be a number in (0, 1]");
      p.central_fraction = v.get<double>();
    } else if (k == "resize") {
      if (!is_int_in(v, 1, kMaxResolution))
        fail_at(file, where, "must be an integer between 1 and " + std::to_string(kMaxResolution) + ", got " + quoted(v));
      p.resize = int(v.get<int64_t>());
    } else if (k == "mean" || k == "std") {
      if (!v.is_array() || v.size() != 3 ||
          !std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_number(); }))
        fail_at(file, where, "must be a list of 3 numbers (R, G, B, in pixel units 0..255)");
      auto& dst = k == "mean" ? p.mean : p.std;
      for (int c = 0; c < 3; ++c) dst[c] = v[c].get<double>();
      check_preprocess_channels(file, k, dst);
    } else {
      fail_at(file, where, "unknown key '" + cut(k) + "' (crop, central_fraction, resize, mean, std)");
    }
  }
  if (p.crop == "resize_center" && p.resize == 0)
    fail_at(file, "/preprocess", "crop \"resize_center\" needs 'resize' (the shorter side before cropping)");
  return p;
}

}  // namespace

Graph parse_config(const std::string& text, const std::string& path, const ConfigOverrides& overrides) {
  json root;
  try {
    ConfigSax sax(root, path);
    json::sax_parse(text, &sax);
  } catch (const json::parse_error& e) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string what = e.what();
    size_t colon = what.rfind(": ");
    throw InputError(path + ": line " + std::to_string(line) + ", column " + std::to_string(column) +
                     ": invalid JSON (" + cut_excerpts(colon == std::string::npos ? what : what.substr(colon + 2)) + ")");
  } catch (const json::out_of_range& e) {
    // A number beyond double's range ("1e999") is out_of_range, not parse_error; it names the number.
    std::string what = e.what();
    size_t bracket = what.find("] ");
    throw InputError(path + ": invalid JSON (" + cut_excerpts(bracket == std::string::npos ? what : what.substr(bracket + 2)) + ")");
  }
  if (!root.is_object()) fail_at(path, "/", "a config must be a JSON object");
  for (auto kv = root.begin(); kv != root.end(); ++kv)
    if (std::find_if(std::begin(kTopLevelKeys), std::end(kTopLevelKeys),
                     [&](const char* k) { return kv.key() == k; }) == std::end(kTopLevelKeys))
      fail_at(path, "/" + cut(pointer_token(kv.key())), "unknown key '" + cut(kv.key()) + "'");

  Graph g;
  g.source = path;
  auto name = root.find("name");
  if (name == root.end()) fail_at(path, "/name", "missing field 'name' (a string)");
  if (!name->is_string()) fail_at(path, "/name", "'name' must be a string, got " + quoted(*name));
  g.name = name->get<std::string>();
  for (const char* k : {"description", "reference", "labels", "weights"})
    if (root.contains(k) && !root[k].is_string()) fail_at(path, std::string("/") + k, std::string("'") + k + "' must be a string, got " + quoted(root[k]));

  auto res = root.find("resolution");
  if (res == root.end()) fail_at(path, "/resolution", "missing field 'resolution' (an integer)");
  if (!res->is_number_integer()) fail_at(path, "/resolution", "'resolution' must be an integer, got " + quoted(*res));
  if (overrides.resolution) {
    check_resolution(path, "--resolution", *overrides.resolution);
    g.resolution = *overrides.resolution;
  } else {
    if (!is_int_in(*res, 1, kMaxResolution))
      fail_at(path, "/resolution", "resolution must be between 1 and " + std::to_string(kMaxResolution) + ", got " + quoted(*res));
    g.resolution = int(res->get<int64_t>());
  }

  double width = 1.0;
  if (auto w = root.find("width"); w != root.end()) {
    if (!w->is_number()) fail_at(path, "/width", "'width' must be a number, got " + quoted(*w));
    width = w->get<double>();
  }
  if (overrides.width) width = *overrides.width;
  check_width(path, overrides.width ? "--width" : "/width", width);
  g.width = width;

  int64_t in_c = 3;
  if (auto c = root.find("input_channels"); c != root.end()) {
    if (!is_int_in(*c, 1, kMaxInputChannels))
      fail_at(path, "/input_channels", "must be an integer between 1 and " + std::to_string(kMaxInputChannels) + ", got " + quoted(*c));
    in_c = c->get<int64_t>();
  }

  Builder b{g, path, "v1", 1e-5, 0, ""};
  if (auto r = root.find("channel_rounding"); r != root.end()) {
    if (!r->is_string() || std::find(std::begin(kRoundingRules), std::end(kRoundingRules), r->get<std::string>()) ==
                               std::end(kRoundingRules))
      fail_at(path, "/channel_rounding", "must be \"v1\", \"divisible_by_8\" or \"shufflenet_g3\", got " + quoted(*r));
    b.rounding = r->get<std::string>();
  }
  if (auto e = root.find("bn_eps"); e != root.end()) {
    // The same range as a bn layer's eps, so that the rows' BatchNorms never fail on it.
    if (!e->is_number() || !(e->get<double>() >= kMinBnEps && e->get<double>() <= kMaxBnEps))
      fail_at(path, "/bn_eps", "must be a number between " + format_number(kMinBnEps) + " and " +
                                   format_number(kMaxBnEps) + ", got " + quoted(*e));
    b.bn_eps = e->get<double>();
  }
  if (root.contains("preprocess")) g.preprocess = parse_preprocess(path, root["preprocess"]);
  if (root.contains("labels")) g.labels = file_beside(path, root["labels"].get<std::string>());
  if (root.contains("weights")) g.weights = file_beside(path, root["weights"].get<std::string>());

  auto layers = root.find("layers");
  if (layers == root.end()) fail_at(path, "/layers", "missing field 'layers' (a non-empty list)");
  if (!layers->is_array() || layers->empty())
    fail_at(path, "/layers", "'layers' must be a non-empty list, got " + quoted(*layers));
  if (layers->size() > size_t(kMaxNodes))
    fail_at(path, "/layers", "too many layers (limit kMaxNodes = " + std::to_string(kMaxNodes) + ")");
  g.set_input(Shape{int(in_c), g.resolution, g.resolution});
  std::map<std::string, int> counters;
  for (size_t i = 0; i < layers->size(); ++i) parse_layer(b, (*layers)[i], i, counters);
  // "outputs": the layers a run returns (a detector's box and class tensors); default the last.
  if (auto outputs = root.find("outputs"); outputs != root.end()) {
    if (!outputs->is_array() || outputs->empty() ||
        !std::all_of(outputs->begin(), outputs->end(), [](const json& e) { return e.is_string(); }))
      fail_at(path, "/outputs", "'outputs' must be a non-empty list of layer names, got " + quoted(*outputs));
    try {
      g.set_outputs(outputs->get<std::vector<std::string>>());
    } catch (const LayerError& e) {
      fail_at(path, "/outputs", e.what());
    }
  }
  return g;
}

Graph load_config(const std::string& path, const ConfigOverrides& overrides) {
  return parse_config(read_file_bytes(path, kMaxConfigBytes), path, overrides);
}

}  // namespace mnet
