// TFLite graph → mnet model spec + weights. Operators map one to one onto primitive layers, except
// V3's squeeze-excite (AVERAGE_POOL_2D → CONV_2D → CONV_2D → ADD 3 → MUL 1/6 → MUL), which becomes
// one `se` layer, the edge operators (QUANTIZE to the same grid, DEQUANTIZE, RESHAPE of a vector)
// that only rename a tensor, and the detectors' and segmenters' last steps
// (TFLite_Detection_PostProcess, ARG_MAX), which mnet runs after the graph on its outputs.
#include "tflite/import.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "core/work_count.h"
#include "tflite/flexbuffer.h"
#include "tflite/model.h"

namespace mnet {

namespace {

// The gate's constants may differ from 3 and 1/6 by this fraction of their value: V3-small's uint8
// constants are 3 exactly and 0.16667 (2e-5 off); anything further is another function.
constexpr double kGateConstantTolerance = 1e-3;

// A float as "%g" writes it (std::to_string writes 1e-30 as 0.000000).
std::string real(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Names derived from a layer's name: its weights and the fake_quant layer that may follow it.
const std::vector<std::string> kNoWeights = {".q"};
const std::vector<std::string> kWeightAndBias = {".q", ".weight", ".bias"};
const std::vector<std::string> kSqueezeExciteWeights = {".q", ".fc1.weight", ".fc1.bias", ".fc2.weight", ".fc2.bias"};

struct Importer {
  Importer(const TfliteModel& model, bool round_activations) : m(model), fake_quant(round_activations) {}

  const TfliteModel& m;
  bool fake_quant;
  ImportedModel out;
  std::vector<LayerSpec>& layers = out.spec.layers;
  std::map<int, std::string> node_of;  // tensor index → mnet node producing it
  // Every name the imported model uses, layers' and weights' alike, so that no two layers share
  // a name or declare the same weight ("s.fc1.weight" of SE layer "s" and of conv "s.fc1").
  // "input" is the graph's input node.
  std::unordered_set<std::string> taken{"input"};
  std::unordered_map<std::string, int> next_suffix;  // base name → the next "_k" to try
  std::vector<int> producer;  // tensor index → the first operator writing it, or -1
  struct SqueezeExcitePattern {
    int x, fc1, fc2;  // the scaled tensor and the two 1x1 CONV_2D operators
  };
  std::set<int> absorbed;                       // operators folded into a squeeze-excite
  std::map<int, SqueezeExcitePattern> se_at;    // keyed by the final MUL operator
  std::map<int, std::string> mismatch_at;       // ADDs and MULs shaped like squeeze-excite that are not, and why
  // Nodes holding an SSD map's rows ([rows, 1, k], NHWC order: to_rows and concat of them), by row width k.
  std::map<std::string, int64_t> row_width;
  std::set<int> postprocessed;  // tensors the post-processing computes (detections, the class map)

  [[noreturn]] void fail(int op, const std::string& msg) const {
    throw InputError(m.path + ": tflite: operator " + std::to_string(op) + " (" + tflite_op_name(m.ops[op].opcode) +
                     "): " + msg);
  }

  const TfliteTensor& tensor(int i) const { return m.tensors[size_t(i)]; }
  bool constant(int i) const { return i >= 0 && !m.tensor_data(i).empty(); }
  // Indexed once: scanning all operators per lookup made 65,535 MULs take 24 s.
  void index_producers() {
    producer.assign(m.tensors.size(), -1);
    for (size_t k = 0; k < m.ops.size(); ++k)
      for (int o : m.ops[k].outputs) {
        count_work();
        if (o >= 0 && producer[size_t(o)] < 0) producer[size_t(o)] = int(k);
      }
  }
  int producer_of(int t) const {
    count_work();
    return t >= 0 && size_t(t) < producer.size() ? producer[size_t(t)] : -1;
  }

  // NHWC tensor shape → (C, H, W); rank 2 [1, C] is a vector.
  static bool is_vector_like(const TfliteTensor& t) {
    if (t.shape.size() == 2) return t.shape[0] == 1;
    return t.shape.size() == 4 && t.shape[1] == 1 && t.shape[2] == 1;
  }

  // "MobilenetV1/MobilenetV1/Conv2d_3_pointwise/Relu6;..." → "Conv2d_3_pointwise": the first of the
  // ';'-joined names, without the model's scope and the op-level leaf names; unique.
  std::string name_for(int op, int tensor_index, const std::vector<std::string>& derived) {
    static const std::set<std::string> kLeaf = {"Relu6",     "Relu", "relu6",    "add_fold",         "BiasAdd", "mul",
                                                "mul_1",     "act_quant", "Identity", "FusedBatchNormV3", "FusedBatchNorm",
                                                "batch_norm", "Conv2D", "depthwise_Fold", "Conv2D_Fold"};
    std::string full = tensor(tensor_index).name;
    full = full.substr(0, full.find(';'));
    // Names come from the file: keep them printable ASCII (found by tests/fuzz/fuzz_tflite: invalid
    // UTF-8 made the saved config's JSON dump throw). Weights, graph and config then agree on every name.
    for (char& ch : full)
      if (uint8_t(ch) < 0x20 || uint8_t(ch) > 0x7e) ch = '_';
    std::vector<std::string> parts;
    for (size_t start = 0; start <= full.size();) {
      size_t slash = std::min(full.find('/', start), full.size());
      if (slash > start) parts.push_back(full.substr(start, slash - start));
      start = slash + 1;
    }
    while (parts.size() > 1 && (kLeaf.count(parts.back()) || parts.back() == parts[parts.size() - 2])) parts.pop_back();
    size_t first = 0;
    while (parts.size() - first > 1 && (first == 0 || parts[first] == parts[first - 1])) ++first;
    std::string best;
    for (size_t k = first; k < parts.size(); ++k) best += (best.empty() ? "" : "/") + parts[k];
    if (best.empty()) best = tflite_op_name(m.ops[op].opcode) + "_" + std::to_string(op);
    return unique_name(best, derived);
  }

  bool is_free(const std::string& name, const std::vector<std::string>& derived) const {
    count_work();
    if (taken.count(name)) return false;
    for (const std::string& suffix : derived) {
      count_work();
      if (taken.count(name + suffix)) return false;
    }
    return true;
  }

  // `base`, else base_2, base_3, ... such that neither the name nor a name derived from it is
  // taken. Each base remembers where its search stopped (9,999 RELUs of one name took 16 s when
  // every search began at _2); a "base_k" is tried at most once, so the work stays linear.
  std::string unique_name(const std::string& base, const std::vector<std::string>& derived) {
    std::string name = base;
    if (!is_free(name, derived)) {
      int& k = next_suffix.try_emplace(base, 2).first->second;
      do name = base + "_" + std::to_string(k++);
      while (!is_free(name, derived));
    }
    taken.insert(name);
    for (const std::string& suffix : derived) taken.insert(name + suffix);
    return name;
  }

  std::string input_node(int op, int t) const {
    auto it = node_of.find(t);
    if (it == node_of.end()) fail(op, "reads tensor " + std::to_string(t) + " '" + tensor(t).name + "', which nothing produced");
    return it->second;
  }

  // ReLU / ReLU6 that TOCO folded into a uint8 output range (the runtime clamps to it).
  std::string act_from_range(int t) const {
    const TfliteTensor& x = tensor(t);
    if (x.type != tflite_type::kUint8 || x.scale.size() != 1 || x.zero_point[0] != 0) return "none";
    double top = 255.0 * x.scale[0];
    return std::abs(top - 6.0) < 0.06 ? "relu6" : "relu";
  }

  std::string act_of(int op) const {
    const TfliteOperator& o = m.ops[op];
    switch (o.activation) {
      case TfliteActivation::kNone: return act_from_range(o.outputs[0]);
      case TfliteActivation::kRelu: return "relu";
      case TfliteActivation::kRelu6: return "relu6";
      default: fail(op, std::string("fused activation ") + tflite_activation_name(o.activation) + " is not supported");
    }
  }

  static LayerSpec layer_of(const char* type, Attrs attrs = {}) {
    LayerSpec l;
    l.type = type;
    l.attrs = std::move(attrs);
    return l;
  }
  // Appends `layer`, located as a config's "/layers/N" so that its errors read as they would there.
  void append(LayerSpec layer) {
    layer.origin = "/layers/" + std::to_string(layers.size());
    layers.push_back(std::move(layer));
  }

  // Returns the layer's name (a fake_quant after it takes over the tensor).
  std::string add_layer(int op, LayerSpec layer, int out_tensor, const std::vector<int>& in_tensors,
                        const std::vector<std::string>& derived = kNoWeights) {
    count_work();
    std::string name = name_for(op, out_tensor, derived);
    layer.name = name;
    for (int t : in_tensors) layer.inputs.push_back(input_node(op, t));
    bool probabilities = layer.type == "softmax";
    append(std::move(layer));
    node_of[out_tensor] = name;
    // Kept in float: the classifier's probabilities, whose 1/256 steps would only hide detail.
    const TfliteTensor& t = tensor(out_tensor);
    if (!fake_quant || probabilities || t.scale.size() != 1) return name;
    bool u8 = t.type == tflite_type::kUint8, s8 = t.type == tflite_type::kInt8;
    if (!u8 && !s8) return name;
    check_activation_scale(op, out_tensor, u8 ? 0 : -128, u8 ? 255 : 127);
    Attrs grid;
    grid.set("scale", AttrValue::of_number(t.scale[0]));
    grid.set("zero_point", AttrValue::of_int(t.zero_point[0]));
    grid.set("qmin", AttrValue::of_int(u8 ? 0 : -128));
    grid.set("qmax", AttrValue::of_int(u8 ? 255 : 127));
    LayerSpec q = layer_of("fake_quant", std::move(grid));
    q.name = name + ".q";
    q.inputs = {name};
    append(std::move(q));
    node_of[out_tensor] = name + ".q";
    return name;
  }

  // unique_name reserved every weight name with its layer, so none is written twice.
  void put_weight(int op, const std::string& name, std::vector<float> values) {
    if (!out.weights.emplace(name, std::move(values)).second) fail(op, "weight name '" + name + "' is used twice");
  }

  // The 8-bit grid fake_quant rounds an activation to: a finite positive scale whose every level
  // is a finite float (a scale of 3e38 made every output NaN).
  void check_activation_scale(int op, int t, int qmin, int qmax) const {
    const TfliteTensor& x = tensor(t);
    const double scale = x.scale[0];
    const double reach = std::max(std::abs(double(qmin - x.zero_point[0])), std::abs(double(qmax - x.zero_point[0])));
    if (!(scale > 0) || !std::isfinite(float(scale * reach)))
      fail(op, "output tensor " + std::to_string(t) + " '" + x.name + "': quantization scale " + real(scale) +
                   " must be positive with every 8-bit level a finite float (" + real(reach) + " steps from the zero point)");
  }

  // OHWI filter → OIHW.
  static std::vector<float> ohwi_to_oihw(const TensorData& f) {
    int64_t o = f.shape[0], h = f.shape[1], w = f.shape[2], i = f.shape[3];
    std::vector<float> v(f.data.size());
    for (int64_t a = 0; a < o; ++a)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          for (int64_t c = 0; c < i; ++c) v[((a * i + c) * h + y) * w + x] = f.data[((a * h + y) * w + x) * i + c];
    return v;
  }

  void conv(int op, bool depthwise) {
    const TfliteOperator& o = m.ops[op];
    if (o.inputs.size() < 2 || !constant(o.inputs[1])) fail(op, "needs a constant filter");
    TensorData f = dequantize(m, o.inputs[1]);
    if (f.shape.size() != 4) fail(op, "filter must have rank 4, got " + shape_to_string(f.shape));
    if (f.shape[1] != f.shape[2]) fail(op, "only square kernels are supported, got " + shape_to_string(f.shape));
    if (o.stride_h != o.stride_w) fail(op, "only equal strides are supported");
    if (o.dilation_h != o.dilation_w)
      fail(op, "only equal dilations are supported, got dilation_h_factor " + std::to_string(o.dilation_h) +
                   " and dilation_w_factor " + std::to_string(o.dilation_w));
    LayerSpec layer = layer_of(depthwise ? "dwconv" : "conv");
    Attrs& a = layer.attrs;
    a.set("kernel", AttrValue::of_int(f.shape[1]));
    a.set("stride", AttrValue::of_int(o.stride_h));
    // The layer checks it against kMaxDilation.
    if (o.dilation_h != 1) a.set("dilation", AttrValue::of_int(o.dilation_h));
    a.set("bias", AttrValue::of_bool(true));
    a.set("act", AttrValue::of_string(act_of(op)));
    a.set("pad", o.padding == TflitePadding::kSame ? AttrValue::of_string("same") : AttrValue::of_int(0));
    std::vector<float> weight;
    int64_t out_c;
    if (depthwise) {
      if (o.depth_multiplier != 1 || f.shape[0] != 1) fail(op, "only depth multiplier 1 is supported");
      // [1, kh, kw, C] → [C, 1, kh, kw]
      int64_t k = f.shape[1], c = f.shape[3];
      out_c = c;
      weight.resize(f.data.size());
      for (int64_t y = 0; y < k; ++y)
        for (int64_t x = 0; x < k; ++x)
          for (int64_t ch = 0; ch < c; ++ch) weight[(ch * k + y) * k + x] = f.data[(y * k + x) * c + ch];
    } else {
      out_c = f.shape[0];
      a.set("out", AttrValue::of_int(out_c));
      weight = ohwi_to_oihw(f);
    }
    std::vector<float> bias(size_t(out_c), 0.0f);
    if (o.inputs.size() >= 3 && o.inputs[2] >= 0) {
      TensorData b = dequantize(m, o.inputs[2]);
      if (b.elements() != out_c) fail(op, "bias has " + std::to_string(b.elements()) + " values for " + std::to_string(out_c) + " channels");
      bias = b.data;
    }
    std::string name = add_layer(op, layer, o.outputs[0], {o.inputs[0]}, kWeightAndBias);
    put_weight(op, name + ".weight", std::move(weight));
    put_weight(op, name + ".bias", std::move(bias));
  }

  // Checks that operator `op` is a step of the h-sigmoid gate, y + 3 or y · 1/6: exactly one
  // operand is a constant, holding one finite value within kGateConstantTolerance of `want`; the
  // other operand goes to *other. Returns what differs, or "" if it matches.
  std::string gate_step_problem(int op, double want, int* other) const {
    const TfliteOperator& o = m.ops[op];
    const std::string what = tflite_op_name(o.opcode) + " (operator " + std::to_string(op) + ")";
    if (o.inputs.size() != 2) return what + " has " + std::to_string(o.inputs.size()) + " inputs";
    const bool first = constant(o.inputs[0]), second = constant(o.inputs[1]);
    if (first == second) return what + (first ? " has two constant operands" : " has no constant operand");
    const int c = first ? o.inputs[0] : o.inputs[1];
    *other = first ? o.inputs[1] : o.inputs[0];
    const std::string name = "constant tensor " + std::to_string(c) + " '" + tensor(c).name + "'";
    if (tensor(c).elements() != 1)
      return what + "'s " + name + " holds " + std::to_string(tensor(c).elements()) + " values, not one";
    const double v = dequantize(m, c).data[0];
    if (!std::isfinite(v) || std::abs(v - want) > kGateConstantTolerance * want)
      return what + "'s " + name + " is " + real(v) + ", not " + real(want) + " (tolerance " +
             real(kGateConstantTolerance * 100) + " %)";
    return "";
  }

  // Finds V3's squeeze-excite: MUL(x, gate) with gate = MUL(ADD(CONV(CONV(AVGPOOL(x))), 3), 1/6),
  // the ADD clamped to [0, 6] (fused RELU6 or its uint8 range). A MUL that has the shape of that
  // pattern but differs in a step gets the difference in mismatch_at, for its error message.
  void find_squeeze_excite() {
    for (size_t k = 0; k < m.ops.size(); ++k) {
      count_work();
      const TfliteOperator& mul = m.ops[k];
      if (mul.opcode != tflite_op::kMul || mul.inputs.size() != 2) continue;
      for (int side = 0; side < 2; ++side) {
        int x = mul.inputs[side], gate = mul.inputs[1 - side];
        if (!is_vector_like(tensor(gate)) || is_vector_like(tensor(x))) continue;
        int scale_op = producer_of(gate);
        if (scale_op < 0 || m.ops[scale_op].opcode != tflite_op::kMul) continue;
        int add_in = -1, fc2_out = -1;
        std::string problem = gate_step_problem(scale_op, 1.0 / 6.0, &add_in);
        const int add_op = add_in >= 0 ? producer_of(add_in) : -1;
        if (problem.empty() && (add_op < 0 || m.ops[add_op].opcode != tflite_op::kAdd))
          problem = "the gate's MUL (operator " + std::to_string(scale_op) + ") does not scale an ADD's output";
        if (problem.empty()) problem = gate_step_problem(add_op, 3.0, &fc2_out);
        if (problem.empty() && act_of(add_op) != "relu6")
          problem = "the gate's ADD (operator " + std::to_string(add_op) + ") is not clamped to [0, 6] (activation " +
                    act_of(add_op) + ")";
        if (problem.empty() && (mul.activation != TfliteActivation::kNone ||
                                m.ops[scale_op].activation != TfliteActivation::kNone))
          problem = "a MUL of the gate has a fused activation";
        const int fc2 = problem.empty() ? producer_of(fc2_out) : -1;
        const int fc1 = fc2 >= 0 && m.ops[fc2].opcode == tflite_op::kConv2d ? producer_of(m.ops[fc2].inputs[0]) : -1;
        const int pool = fc1 >= 0 && m.ops[fc1].opcode == tflite_op::kConv2d ? producer_of(m.ops[fc1].inputs[0]) : -1;
        if (problem.empty() &&
            (pool < 0 || (m.ops[pool].opcode != tflite_op::kAveragePool2d && m.ops[pool].opcode != tflite_op::kMean) ||
             m.ops[pool].inputs[0] != x))
          problem = "the gate is not computed by CONV_2D(CONV_2D(AVERAGE_POOL_2D or MEAN of the scaled tensor))";
        if (!problem.empty()) {
          // Said by whichever of these operators the import reaches first.
          for (int op : {int(k), scale_op, add_op})
            if (op >= 0) mismatch_at.try_emplace(op, problem);
          continue;
        }
        for (int absorbed_op : {pool, fc1, fc2, add_op, scale_op}) absorbed.insert(absorbed_op);
        se_at[int(k)] = SqueezeExcitePattern{x, fc1, fc2};
        mismatch_at.erase(int(k));
        break;
      }
    }
  }

  std::vector<float> fc_weight(int op, int conv_op, int64_t* rows, int64_t* cols) {
    const TfliteOperator& c = m.ops[conv_op];
    TensorData f = dequantize(m, c.inputs[1]);
    if (f.shape.size() != 4 || f.shape[1] != 1 || f.shape[2] != 1)
      fail(op, "squeeze-excite convolution must be 1x1, got filter " + shape_to_string(f.shape));
    *rows = f.shape[0];
    *cols = f.shape[3];
    return f.data;  // [O, 1, 1, I] is already [O, I]
  }

  void squeeze_excite(int op) {
    const TfliteOperator& mul = m.ops[op];
    const auto [x, fc1, fc2] = se_at.at(op);
    int64_t sq, c, c2, sq2;
    std::vector<float> w1 = fc_weight(op, fc1, &sq, &c);
    std::vector<float> w2 = fc_weight(op, fc2, &c2, &sq2);
    if (sq2 != sq || c2 != c) fail(op, "squeeze-excite convolutions do not chain");
    std::string act = act_of(fc1);
    if (act == "none") act = "relu";  // the reference V3 uses ReLU between the two FCs
    Attrs a;
    a.set("squeeze", AttrValue::of_int(sq));
    a.set("act", AttrValue::of_string(act));
    a.set("gate", AttrValue::of_string("hsigmoid"));
    LayerSpec layer = layer_of("se", std::move(a));
    std::string name = add_layer(op, layer, mul.outputs[0], {x}, kSqueezeExciteWeights);
    auto bias = [&](int conv_op) {
      if (m.ops[conv_op].inputs.size() < 3) fail(op, "squeeze-excite convolution has no bias");
      return dequantize(m, m.ops[conv_op].inputs[2]).data;
    };
    put_weight(op, name + ".fc1.weight", std::move(w1));
    put_weight(op, name + ".fc1.bias", bias(fc1));
    put_weight(op, name + ".fc2.weight", std::move(w2));
    put_weight(op, name + ".fc2.bias", bias(fc2));
  }

  std::string why_not_squeeze_excite(int op) const {
    auto why = mismatch_at.find(op);
    return ", x * relu6(y + 3) / 6" + (why == mismatch_at.end() ? std::string() : ": " + why->second);
  }

  void global_pool(int op) {
    const TfliteOperator& o = m.ops[op];
    const TfliteTensor& in = tensor(o.inputs[0]);
    if (in.shape.size() != 4) fail(op, "input must be NHWC");
    if (o.opcode == tflite_op::kAveragePool2d &&
        (o.filter_height != in.shape[1] || o.filter_width != in.shape[2]))
      fail(op, "only global average pooling is supported (filter " + std::to_string(o.filter_height) + "x" +
                   std::to_string(o.filter_width) + " on a " + std::to_string(in.shape[1]) + "x" +
                   std::to_string(in.shape[2]) + " map)");
    if (o.opcode == tflite_op::kMean) {
      if (o.inputs.size() < 2 || !constant(o.inputs[1])) fail(op, "needs constant axes");
      TensorData axes = dequantize_axes(op, o.inputs[1]);
      std::vector<float> hw{1, 2};
      if (axes.data != hw) fail(op, "only the mean over height and width is supported");
    }
    add_layer(op, layer_of("gap"), o.outputs[0], {o.inputs[0]});
  }

  TensorData dequantize_axes(int op, int t) const {
    std::string_view raw = m.tensor_data(t);
    if (tensor(t).type != tflite_type::kInt32 || raw.size() % 4 != 0) fail(op, "axes must be INT32");
    TensorData d;
    d.shape = {int64_t(raw.size() / 4)};
    for (size_t k = 0; k < raw.size(); k += 4) {
      int32_t v;
      std::memcpy(&v, raw.data() + k, 4);
      d.data.push_back(float(v));
    }
    return d;
  }

  void alias(int op) {
    const TfliteOperator& o = m.ops[op];
    node_of[o.outputs[0]] = input_node(op, o.inputs[0]);
  }

  // The reader allows any number of operator inputs and -1 for an omitted one, while the code
  // here reads them by position: check first (found by tests/fuzz/fuzz_tflite: tensor(-1)).
  void check_arity() const {
    for (size_t k = 0; k < m.ops.size(); ++k) {
      const TfliteOperator& o = m.ops[k];
      const bool binary = o.opcode == tflite_op::kConv2d || o.opcode == tflite_op::kDepthwiseConv2d ||
                          o.opcode == tflite_op::kFullyConnected || o.opcode == tflite_op::kAdd ||
                          o.opcode == tflite_op::kMul || o.opcode == tflite_op::kMean ||
                          o.opcode == tflite_op::kResizeBilinear || o.opcode == tflite_op::kArgMax;
      const size_t need = binary ? 2 : 1;  // a bias (3rd input) stays optional
      if (o.inputs.size() < need)
        fail(int(k), "has " + std::to_string(o.inputs.size()) + " inputs, needs " + std::to_string(need));
      for (size_t i = 0; i < need; ++i)
        if (o.inputs[i] < 0) fail(int(k), "input " + std::to_string(i) + " is omitted");
    }
  }

  void run() {
    if (m.inputs.size() != 1) throw InputError(m.path + ": tflite: expected one input tensor, the model has " + std::to_string(m.inputs.size()));
    const TfliteTensor& in = tensor(m.inputs[0]);
    if (in.shape.size() != 4 || in.shape[0] != 1 || in.shape[1] != in.shape[2] || in.shape[3] != 3)
      throw InputError(m.path + ": tflite: input must be [1, S, S, 3], got " +
                       shape_to_string(std::vector<int64_t>(in.shape.begin(), in.shape.end())));
    // The input's quantization becomes the preprocessing's std = 1 / scale.
    if (in.quantized() && (!(in.scale[0] > 0) || !std::isfinite(1.0f / in.scale[0])))
      throw InputError(m.path + ": tflite: input tensor " + std::to_string(m.inputs[0]) + " '" + in.name +
                       "': quantization scale " + real(in.scale[0]) + " must be positive with a finite inverse");
    node_of[m.inputs[0]] = "input";
    check_arity();
    index_producers();
    find_squeeze_excite();
    for (size_t k = 0; k < m.ops.size(); ++k) {
      count_work();
      int op = int(k);
      if (absorbed.count(op)) continue;
      const TfliteOperator& o = m.ops[k];
      if (o.opcode == tflite_op::kCustom) {
        detection_postprocess(op);
        continue;
      }
      if (o.outputs.size() != 1) fail(op, "expected one output");
      switch (o.opcode) {
        case tflite_op::kConv2d: conv(op, false); break;
        case tflite_op::kDepthwiseConv2d: conv(op, true); break;
        case tflite_op::kAveragePool2d:
        case tflite_op::kMean: global_pool(op); break;
        case tflite_op::kQuantize: requantize(op); break;
        case tflite_op::kDequantize: alias(op); break;
        case tflite_op::kReshape:
        case tflite_op::kSqueeze: reshape(op); break;
        case tflite_op::kConcatenation: concatenation(op); break;
        case tflite_op::kResizeBilinear: resize_bilinear(op); break;
        case tflite_op::kArgMax: arg_max(op); break;
        case tflite_op::kSoftmax:
          if (o.beta != 1.0f) fail(op, "only beta 1 is supported");
          add_layer(op, layer_of("softmax"), o.outputs[0], {o.inputs[0]});
          break;
        case tflite_op::kHardSwish: add_layer(op, layer_of("hswish"), o.outputs[0], {o.inputs[0]}); break;
        case tflite_op::kLogistic: {
          const std::string name = add_layer(op, layer_of("sigmoid"), o.outputs[0], {o.inputs[0]});
          // Element-wise: the SSD's class scores stay rows.
          auto rows = row_width.find(input_node(op, o.inputs[0]));
          if (rows != row_width.end()) row_width[name] = row_width[node_of[o.outputs[0]]] = rows->second;
          break;
        }
        case tflite_op::kRelu: add_layer(op, layer_of("relu"), o.outputs[0], {o.inputs[0]}); break;
        case tflite_op::kRelu6: add_layer(op, layer_of("relu6"), o.outputs[0], {o.inputs[0]}); break;
        case tflite_op::kAdd: residual_add(op); break;
        case tflite_op::kMul:
          if (!se_at.count(op))
            fail(op, "MUL is only supported as the last step of squeeze-excite" + why_not_squeeze_excite(op));
          squeeze_excite(op);
          break;
        case tflite_op::kFullyConnected: fully_connected(op); break;
        default: fail(op, "operator not supported by mnet's importer");
      }
    }
    if (layers.empty()) throw InputError(m.path + ": tflite: the model computes nothing mnet runs");
    if (!out.detection.anchors.empty()) {
      // The detector's graph ends at the post-process's two inputs; its outputs are computed after.
      for (int t : m.outputs)
        if (!postprocessed.count(t))
          throw InputError(m.path + ": tflite: output tensor " + std::to_string(t) + " '" + tensor(t).name +
                           "' is not an output of TFLite_Detection_PostProcess (a detector's outputs must all be)");
      out.spec.outputs = {out.detection.boxes_output, out.detection.scores_output};
      return;
    }
    if (m.outputs.size() != 1)
      throw InputError(m.path + ": tflite: expected one output tensor, the model has " + std::to_string(m.outputs.size()));
    const int output = m.outputs[0];
    if (out.argmax_classes && !postprocessed.count(output))
      throw InputError(m.path + ": tflite: ARG_MAX is supported only as the model's last step");
    auto last = node_of.find(output);
    if (!out.argmax_classes && last == node_of.end())
      throw InputError(m.path + ": tflite: the output tensor is never computed");
    // ARG_MAX's input, or the output itself, must be the last layer: the graph's output.
    const std::string& produced = out.argmax_classes ? argmax_input_node : last->second;
    if (layers.back().name != produced)
      throw InputError(m.path + ": tflite: the output tensor is not produced by the last operator");
  }

  // The TFLite tensor's shape as [rows, k] when it is a row tensor [1, rows, k] or [1, rows, 1, k]
  // (an SSD's box and class tensors); false otherwise.
  bool rows_shape(int t, int64_t* rows, int64_t* k) const {
    const std::vector<int32_t>& s = tensor(t).shape;
    if (s.size() == 3 && s[0] == 1) {
      *rows = s[1], *k = s[2];
      return true;
    }
    if (s.size() == 4 && s[0] == 1 && s[2] == 1) {
      *rows = s[1], *k = s[3];
      return true;
    }
    return false;
  }

  // RESHAPE and SQUEEZE: a [1,1,1,C] vector renamed (the classifiers); a feature map cut into
  // rows of k, NHWC order kept (`to_rows`); rows renamed as rows of the same width.
  void reshape(int op) {
    const TfliteOperator& o = m.ops[op];
    const int in = o.inputs[0], result = o.outputs[0];
    const std::string& source = input_node(op, in);
    int64_t rows = 0, k = 0;
    const bool to_rows = rows_shape(result, &rows, &k) && tensor(result).shape.size() >= 3;
    auto width = row_width.find(source);
    if (width != row_width.end()) {
      if (!to_rows || k != width->second)
        fail(op, "rows of " + std::to_string(width->second) + " can only be renamed as rows of the same width, got " +
                     shape_to_string(std::vector<int64_t>(tensor(result).shape.begin(), tensor(result).shape.end())));
      alias(op);
      return;
    }
    const TfliteTensor& x = tensor(in);
    if (to_rows && x.shape.size() == 4 && x.shape[0] == 1 && k > 0 && rows * k == x.elements()) {
      Attrs a;
      a.set("row", AttrValue::of_int(k));
      const std::string name = add_layer(op, layer_of("to_rows", std::move(a)), result, {in});
      row_width[node_of[result]] = k;
      row_width[name] = k;
      return;
    }
    if (!is_vector_like(x) && x.shape.size() != 2)
      fail(op, "only reshapes of a [1,1,1,C] vector or of a [1,H,W,C] map into rows [1,N,K] or [1,N,1,K] are supported");
    alias(op);
  }

  // CONCATENATION: NHWC maps on axis 3 (channels) or rows on axis 1, both mnet's `concat`. Each
  // input's requantization to the output's grid is the fake_quant after it (rounding commutes
  // with the copy).
  void concatenation(int op) {
    const TfliteOperator& o = m.ops[op];
    if (o.inputs.empty()) fail(op, "has no inputs");
    if (o.activation != TfliteActivation::kNone)
      fail(op, std::string("fused activation ") + tflite_activation_name(o.activation) + " is not supported");
    const bool rows = row_width.count(input_node(op, o.inputs[0])) != 0;
    for (int t : o.inputs)
      if ((row_width.count(input_node(op, t)) != 0) != rows) fail(op, "joins rows with feature maps");
    const int rank = int(tensor(o.outputs[0]).shape.size());
    const int axis = o.axis < 0 ? o.axis + rank : o.axis;
    if (rows ? axis != 1 : (rank != 4 || axis != 3))
      fail(op, "axis " + std::to_string(o.axis) + " is not supported: only channels (axis 3) of [1,H,W,C] maps, or axis 1 of rows [1,N,K]");
    if (o.inputs.size() == 1) {
      alias(op);
      return;
    }
    const std::string name = add_layer(op, layer_of("concat"), o.outputs[0], o.inputs);
    if (rows) {
      const int64_t k = row_width.at(input_node(op, o.inputs[0]));
      row_width[name] = k;
      row_width[node_of[o.outputs[0]]] = k;
    }
  }

  // QUANTIZE: to the same grid (uint8 zero point z ↔ int8 z − 128 at one scale) it renames the
  // tensor; to another (DeepLab's uint8 → uint8 before its concatenation) it rounds to the new one.
  void requantize(int op) {
    const TfliteOperator& o = m.ops[op];
    const TfliteTensor& a = tensor(o.inputs[0]);
    const TfliteTensor& b = tensor(o.outputs[0]);
    const auto low = [](const TfliteTensor& t) { return t.type == tflite_type::kInt8 ? -128 : 0; };
    const bool same_grid = a.scale.size() == 1 && b.scale.size() == 1 && a.scale[0] == b.scale[0] &&
                           low(a) - a.zero_point[0] == low(b) - b.zero_point[0];
    if (same_grid || !fake_quant || !a.quantized() || b.scale.size() != 1) {
      alias(op);
      return;
    }
    const bool u8 = b.type == tflite_type::kUint8;
    if (!u8 && b.type != tflite_type::kInt8) fail(op, "only QUANTIZE to uint8 or int8 is supported");
    check_activation_scale(op, o.outputs[0], u8 ? 0 : -128, u8 ? 255 : 127);
    Attrs grid;
    grid.set("scale", AttrValue::of_number(b.scale[0]));
    grid.set("zero_point", AttrValue::of_int(b.zero_point[0]));
    grid.set("qmin", AttrValue::of_int(u8 ? 0 : -128));
    grid.set("qmax", AttrValue::of_int(u8 ? 255 : 127));
    LayerSpec q = layer_of("fake_quant", std::move(grid));
    q.name = name_for(op, o.outputs[0], kNoWeights);
    q.inputs = {input_node(op, o.inputs[0])};
    node_of[o.outputs[0]] = q.name;
    append(std::move(q));
  }

  // RESIZE_BILINEAR to a constant size, TF's align_corners / half_pixel_centers: `upsample`.
  void resize_bilinear(int op) {
    const TfliteOperator& o = m.ops[op];
    if (!constant(o.inputs[1])) fail(op, "needs a constant output size");
    const TensorData size = dequantize_axes(op, o.inputs[1]);
    if (size.data.size() != 2) fail(op, "the size must hold 2 values (height, width)");
    if (o.align_corners && o.half_pixel_centers) fail(op, "align_corners and half_pixel_centers are both set");
    Attrs a;
    a.set("mode", AttrValue::of_string("bilinear"));
    a.set("height", AttrValue::of_int(int64_t(size.data[0])));
    a.set("width", AttrValue::of_int(int64_t(size.data[1])));
    a.set("align_corners", AttrValue::of_bool(o.align_corners));
    a.set("half_pixel_centers", AttrValue::of_bool(o.half_pixel_centers));
    add_layer(op, layer_of("upsample", std::move(a)), o.outputs[0], {o.inputs[0]});
  }

  // ARG_MAX over the channels of the model's [1,H,W,C] output: the class map, taken after the graph.
  void arg_max(int op) {
    const TfliteOperator& o = m.ops[op];
    if (!constant(o.inputs[1])) fail(op, "needs a constant axis");
    const TensorData axis = dequantize_axes(op, o.inputs[1]);
    if (tensor(o.inputs[0]).shape.size() != 4 || axis.data.size() != 1 || (axis.data[0] != 3 && axis.data[0] != -1))
      fail(op, "only the arg max over the channels (axis 3) of a [1,H,W,C] map is supported");
    if (out.argmax_classes) fail(op, "a second ARG_MAX is not supported");
    out.argmax_classes = true;
    argmax_input_node = input_node(op, o.inputs[0]);
    postprocessed.insert(o.outputs[0]);
  }
  std::string argmax_input_node;

  // TFLite_Detection_PostProcess: its options and anchors kept for postprocess/detection.h; the
  // graph's outputs become its box encodings and class scores.
  void detection_postprocess(int op) {
    const TfliteOperator& o = m.ops[op];
    if (o.custom_code != "TFLite_Detection_PostProcess")
      fail(op, "custom operator '" + cut_for_message(o.custom_code) + "' is not supported (mnet runs TFLite_Detection_PostProcess only)");
    if (!out.detection.anchors.empty()) fail(op, "a second TFLite_Detection_PostProcess is not supported");
    if (o.inputs.size() != 3 || o.outputs.size() != 4)
      fail(op, "takes box encodings, class scores and anchors and gives 4 outputs, got " + std::to_string(o.inputs.size()) +
                   " inputs and " + std::to_string(o.outputs.size()) + " outputs");
    if (!constant(o.inputs[2])) fail(op, "needs constant anchors");
    const std::string where = m.path + ": tflite: operator " + std::to_string(op) + " (TFLite_Detection_PostProcess)";
    const std::map<std::string, FlexScalar> options = read_flexbuffer_map(o.custom_options, where);
    const auto number = [&](const char* key, double lo, double hi, bool required, double fallback) {
      auto it = options.find(key);
      if (it == options.end()) {
        if (required) fail(op, std::string("option '") + key + "' is missing");
        return fallback;
      }
      const double v = it->second.value;
      if (it->second.kind == FlexScalar::Kind::other || !(v >= lo && v <= hi))
        fail(op, std::string("option '") + key + "' must be a number between " + real(lo) + " and " + real(hi) +
                     (it->second.kind == FlexScalar::Kind::other ? "" : ", got " + real(v)));
      return v;
    };
    if (number("use_regular_nms", 0, 1, false, 0) != 0)
      fail(op, "use_regular_nms=true (per-class NMS) is not supported; mnet runs the fast NMS (use_regular_nms=false)");
    if (number("max_classes_per_detection", 1, 1, false, 1) != 1)
      fail(op, "only max_classes_per_detection 1 is supported");
    DetectionOptions& d = out.detection.options;
    d.max_detections = int(number("max_detections", 1, kMaxDetections, true, 0));
    d.num_classes = int(number("num_classes", 1, kMaxChannels - 1, true, 0));
    d.nms_score_threshold = float(number("nms_score_threshold", -1e30, 1e30, true, 0));
    d.nms_iou_threshold = float(number("nms_iou_threshold", 0, 1, true, 0));
    // The scales divide the encodings: finite and positive.
    d.y_scale = float(number("y_scale", 1e-6, 1e6, true, 0));
    d.x_scale = float(number("x_scale", 1e-6, 1e6, true, 0));
    d.h_scale = float(number("h_scale", 1e-6, 1e6, true, 0));
    d.w_scale = float(number("w_scale", 1e-6, 1e6, true, 0));
    TensorData anchors = dequantize(m, o.inputs[2]);
    if (anchors.shape.size() != 2 || anchors.shape[1] != 4 || anchors.shape[0] < 1 || anchors.shape[0] > kMaxAnchors)
      fail(op, "anchors must be [n, 4] with n between 1 and kMaxAnchors = " + std::to_string(kMaxAnchors) + ", got " +
                   shape_to_string(anchors.shape));
    const int64_t n = anchors.shape[0];
    for (float v : anchors.data)
      if (!std::isfinite(v)) fail(op, "anchors hold a value that is not finite");
    // Both inputs must be rows of one anchor each: [n, 4] encodings and [n, num_classes + 1] scores.
    const std::string boxes = input_node(op, o.inputs[0]), scores = input_node(op, o.inputs[1]);
    int64_t rows = 0, k = 0;
    if (!row_width.count(boxes) || !rows_shape(o.inputs[0], &rows, &k) || rows != n || k != 4)
      fail(op, "box encodings must be the rows [1, " + std::to_string(n) + ", 4] of the predictor maps");
    if (!row_width.count(scores) || !rows_shape(o.inputs[1], &rows, &k) || rows != n || k != d.num_classes + 1)
      fail(op, "class scores must be the rows [1, " + std::to_string(n) + ", " + std::to_string(d.num_classes + 1) +
                   "] of the predictor maps (num_classes + background)");
    out.detection.anchors = std::move(anchors.data);
    out.detection.boxes_output = boxes;
    out.detection.scores_output = scores;
    for (int t : o.outputs) postprocessed.insert(t);
  }

  void residual_add(int op) {
    const TfliteOperator& o = m.ops[op];
    if (constant(o.inputs[0]) || constant(o.inputs[1]))
      fail(op, "adding a constant is only supported inside squeeze-excite" + why_not_squeeze_excite(op));
    Attrs a;
    a.set("act", AttrValue::of_string(act_of(op)));
    add_layer(op, layer_of("add", std::move(a)), o.outputs[0], {o.inputs[0], o.inputs[1]});
  }

  void fully_connected(int op) {
    const TfliteOperator& o = m.ops[op];
    if (o.inputs.size() < 2 || !constant(o.inputs[1])) fail(op, "needs constant weights");
    TensorData w = dequantize(m, o.inputs[1]);
    if (w.shape.size() != 2) fail(op, "weights must be [out, in]");
    Attrs a;
    a.set("out", AttrValue::of_int(w.shape[0]));
    a.set("bias", AttrValue::of_bool(true));
    a.set("act", AttrValue::of_string(act_of(op)));
    LayerSpec layer = layer_of("fc", std::move(a));
    std::vector<float> bias(size_t(w.shape[0]), 0.0f);
    if (o.inputs.size() >= 3 && o.inputs[2] >= 0) bias = dequantize(m, o.inputs[2]).data;
    std::string name = add_layer(op, layer, o.outputs[0], {o.inputs[0]}, kWeightAndBias);
    put_weight(op, name + ".weight", w.data);
    put_weight(op, name + ".bias", std::move(bias));
  }

  // The model's own fields around the layers run() appended.
  void describe_model() {
    const TfliteTensor& in = tensor(m.inputs[0]);
    double mean = 127.5, stdev = 127.5;
    if (in.quantized()) {
      // uint8 input q means (q - zero_point) · scale: that is (pixel - mean) / std.
      mean = double(in.zero_point[0]);
      stdev = 1.0 / double(in.scale[0]);
    }
    ModelSpec& spec = out.spec;
    spec.source = m.path;
    spec.name = std::filesystem::path(m.path).stem().string();
    spec.description = "imported by mnet from " + std::filesystem::path(m.path).filename().string() +
                       (m.description.empty() ? "" : " (" + m.description + ")");
    spec.resolution = in.shape[1];
    spec.preprocess.crop = "central_fraction";
    spec.preprocess.central_fraction = 0.875;
    spec.preprocess.mean = {mean, mean, mean};
    spec.preprocess.std = {stdev, stdev, stdev};
  }
};

}  // namespace

ImportedModel import_tflite(const std::string& path, const ImportOptions& options) {
  TfliteModel model = read_tflite(path);
  Importer imp(model, options.fake_quant);
  imp.run();
  imp.describe_model();
  imp.out.labels = model.labels;
  imp.out.labels_file = model.labels_file;
  imp.out.notes = model.notes;
  if (!imp.out.detection.anchors.empty())
    imp.out.notes.push_back("TFLite_Detection_PostProcess runs in mnet after the graph (mnet detect)");
  if (imp.out.argmax_classes) imp.out.notes.push_back("ARG_MAX runs in mnet after the graph (mnet segment)");
  return std::move(imp.out);
}

}  // namespace mnet
