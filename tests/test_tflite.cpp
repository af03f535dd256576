// tflite/: reading real and hand-built .tflite files, dequantization, metadata labels, hostile files.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/error.h"
#include "core/work_count.h"
#include "run/executor.h"
#include "testing.h"
#include "tflite/import.h"
#include "tflite/model.h"
#include "tflite_builder.h"

using Catch::Contains;
using mnet::testing::read_text;
using mnet::testing::TempDir;

namespace {

constexpr int kTruncationSteps = 50;

struct ModelFacts {
  const char* file;
  int size;  // input is [1, size, size, 3] uint8
  std::map<std::string, int> ops;
  double input_scale;
  int64_t input_zero_point;
  int output_elements;
  bool labels;
};

// The "Models" table of MNET_TESTDATA/README.md.
const std::vector<ModelFacts>& readme_models() {
  static const std::map<std::string, int> v1 = {{"CONV_2D", 15}, {"DEPTHWISE_CONV_2D", 13},
                                                {"AVERAGE_POOL_2D", 1}, {"RESHAPE", 1},
                                                {"SOFTMAX", 1}};
  static const std::vector<ModelFacts> models = {
      {"mobilenet_v1_0.25_128_quant", 128, v1, 1 / 128.0, 128, 1001, true},
      {"mobilenet_v1_0.5_160_quant", 160, v1, 1 / 128.0, 128, 1001, true},
      {"mobilenet_v1_0.75_192_quant", 192, v1, 1 / 128.0, 128, 1001, true},
      {"mobilenet_v2_1.0_224_quant", 224,
       {{"CONV_2D", 36}, {"DEPTHWISE_CONV_2D", 17}, {"ADD", 10}, {"AVERAGE_POOL_2D", 1},
        {"RESHAPE", 1}, {"SOFTMAX", 1}},
       1 / 128.0, 128, 1001, true},
      {"tf2_mobilenet_v2_1.0_224_ptq", 224,
       {{"QUANTIZE", 2}, {"CONV_2D", 36}, {"DEPTHWISE_CONV_2D", 17}, {"ADD", 10}, {"MEAN", 1},
        {"RESHAPE", 1}, {"SOFTMAX", 1}},
       1 / 127.5, 127, 1001, true},
      {"mobilenet_v3_small_1.0_224_quant", 224,
       {{"CONV_2D", 43}, {"DEPTHWISE_CONV_2D", 11}, {"HARD_SWISH", 19}, {"MUL", 18}, {"ADD", 15},
        {"AVERAGE_POOL_2D", 11}, {"RESHAPE", 1}, {"SOFTMAX", 1}},
       0.0078740157, 128, 1001, false},
      {"mobilenet_v1_1.0_224_quant_embedding_extractor", 224,
       {{"CONV_2D", 14}, {"DEPTHWISE_CONV_2D", 13}, {"AVERAGE_POOL_2D", 1}},
       1 / 128.0, 128, 1024, false},
  };
  return models;
}

std::string model_path(const std::string& testdata, const std::string& name) {
  return testdata + "/models/" + name + ".tflite";
}

// A tiny flatbuffer walker for building hostile files, written from the format description and
// independent of the reader under test. Positions are absolute byte offsets.
uint32_t u32(const std::string& b, size_t p) {
  uint32_t v;
  std::memcpy(&v, b.data() + p, 4);
  return v;
}
void put_u32(std::string* b, size_t p, uint32_t v) { std::memcpy(&(*b)[p], &v, 4); }
size_t field(const std::string& b, size_t table, int id) {
  const size_t vtable = size_t(int64_t(table) - int32_t(u32(b, table)));
  uint16_t vsize, off = 0;
  std::memcpy(&vsize, b.data() + vtable, 2);
  if (4 + 2 * size_t(id) < vsize) std::memcpy(&off, b.data() + vtable + 4 + 2 * id, 2);
  REQUIRE(off != 0);
  return table + off;
}
size_t deref(const std::string& b, size_t p) { return p + u32(b, p); }
size_t element(const std::string& b, size_t vec, size_t i) { return deref(b, vec + 4 + 4 * i); }

size_t root_table(const std::string& b) { return u32(b, 0); }
size_t subgraph0(const std::string& b) {
  return element(b, deref(b, field(b, root_table(b), 2)), 0);
}
size_t tensors_vector(const std::string& b) { return deref(b, field(b, subgraph0(b), 0)); }
size_t operators_vector(const std::string& b) { return deref(b, field(b, subgraph0(b), 3)); }

void require_input_error(const std::string& path, const std::string& fragment = "") {
  try {
    mnet::read_tflite(path);
    FAIL("no InputError for " << path);
  } catch (const mnet::InputError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK_THAT(what, Contains(path));
    if (!fragment.empty()) CHECK_THAT(what, Contains(fragment));
  }
}

int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n + (!text.empty() && text.back() != '\n');
}

}  // namespace

TEST_CASE("every test model reads with the operators, input quantization and labels in the README",
          "[tflite]") {
  const std::string data = mnet::testing::testdata();
  if (data.empty()) {
    WARN("MNET_TESTDATA not set: skipping the TFLite model checks");
    return;
  }
  const std::string labels_txt = read_text(data + "/imagenet_labels.txt");
  for (const ModelFacts& f : readme_models()) {
    INFO(f.file);
    const mnet::TfliteModel m = mnet::read_tflite(model_path(data, f.file));
    CHECK(m.version == 3);
    std::map<std::string, int> ops;
    for (const mnet::TfliteOperator& op : m.ops) ops[mnet::tflite_op_name(op.opcode)]++;
    CHECK(ops == f.ops);

    REQUIRE(m.inputs.size() == 1);
    const mnet::TfliteTensor& in = m.tensors[size_t(m.inputs[0])];
    CHECK(in.name == "input");
    CHECK(in.type == mnet::tflite_type::kUint8);
    CHECK(in.shape == std::vector<int32_t>{1, f.size, f.size, 3});
    REQUIRE(in.scale.size() == 1);
    CHECK(in.scale[0] == Approx(f.input_scale).epsilon(1e-6));
    CHECK(in.zero_point == std::vector<int64_t>{f.input_zero_point});

    REQUIRE(m.outputs.size() == 1);
    const mnet::TfliteTensor& out = m.tensors[size_t(m.outputs[0])];
    CHECK(out.type == mnet::tflite_type::kUint8);
    CHECK(out.elements() == f.output_elements);

    if (f.labels) {
      CHECK(m.labels_file == "imagenet_labels.txt");
      REQUIRE(m.labels.size() == 1001);
      CHECK(m.labels[0] == "background");
      CHECK(m.labels[286] == "Egyptian cat");
      CHECK(int(m.labels.size()) == count_lines(labels_txt));
    } else {
      CHECK(m.labels.empty());
    }
    CHECK(m.notes.empty());
  }
}

TEST_CASE("operator options decode to the strides, padding, activations and pool sizes in the file",
          "[tflite]") {
  const std::string data = mnet::testing::testdata();
  if (data.empty()) {
    WARN("MNET_TESTDATA not set: skipping the TFLite option checks");
    return;
  }
  const mnet::TfliteModel v1 = mnet::read_tflite(model_path(data, "mobilenet_v1_0.25_128_quant"));
  const mnet::TfliteOperator& conv0 = v1.ops.front();
  CHECK(conv0.opcode == mnet::tflite_op::kConv2d);
  CHECK(conv0.padding == mnet::TflitePadding::kSame);
  CHECK(conv0.stride_w == 2);
  CHECK(conv0.stride_h == 2);
  CHECK(conv0.dilation_w == 1);
  CHECK(conv0.activation == mnet::TfliteActivation::kRelu6);
  const mnet::TfliteOperator& dw1 = v1.ops[1];
  CHECK(dw1.opcode == mnet::tflite_op::kDepthwiseConv2d);
  CHECK(dw1.depth_multiplier == 1);
  CHECK(dw1.stride_w == 1);
  const mnet::TfliteOperator& pool = v1.ops[size_t(v1.ops.size() - 4)];
  REQUIRE(pool.opcode == mnet::tflite_op::kAveragePool2d);
  CHECK(pool.padding == mnet::TflitePadding::kValid);
  CHECK(pool.filter_width == 4);  // 128 / 32: a global pool
  CHECK(pool.filter_height == 4);
  CHECK(v1.ops.back().opcode == mnet::tflite_op::kSoftmax);
  CHECK(v1.ops.back().beta == 1.0f);

  const mnet::TfliteModel tf2 = mnet::read_tflite(model_path(data, "tf2_mobilenet_v2_1.0_224_ptq"));
  int means = 0;
  for (const mnet::TfliteOperator& op : tf2.ops) {
    if (op.opcode != mnet::tflite_op::kMean) continue;
    ++means;
    CHECK(op.keep_dims);
    REQUIRE(op.inputs.size() == 2);
    const std::string_view axes = tf2.tensor_data(op.inputs[1]);
    REQUIRE(axes.size() == 8);
    CHECK(u32(std::string(axes), 0) == 1);
    CHECK(u32(std::string(axes), 4) == 2);
  }
  CHECK(means == 1);

  const mnet::TfliteModel v3 =
      mnet::read_tflite(model_path(data, "mobilenet_v3_small_1.0_224_quant"));
  for (const mnet::TfliteOperator& op : v3.ops) {
    if (op.opcode == mnet::tflite_op::kReshape) {
      CHECK(op.has_new_shape);
      CHECK(op.new_shape == std::vector<int32_t>{1, 1001});
    }
    CHECK(op.activation == mnet::TfliteActivation::kNone);  // folded into quantized ranges
  }
}

TEST_CASE("a per-tensor UINT8 weight and its INT32 bias dequantize to the values in the file",
          "[tflite]") {
  const std::string data = mnet::testing::testdata();
  if (data.empty()) {
    WARN("MNET_TESTDATA not set: skipping the dequantization check");
    return;
  }
  // Values from tflite_inspect.py's reader: scale * (q - zero_point).
  const mnet::TfliteModel m = mnet::read_tflite(model_path(data, "mobilenet_v1_0.25_128_quant"));
  const mnet::TfliteOperator& conv0 = m.ops.front();
  const mnet::TensorData w = mnet::dequantize(m, conv0.inputs[1]);
  CHECK(w.shape == std::vector<int64_t>{8, 3, 3, 3});
  CHECK(w.data[0] == Approx(0.00888240989 * (160 - 157)).epsilon(1e-6));
  CHECK(w.data[100] == Approx(0.00888240989 * (164 - 157)).epsilon(1e-6));
  const mnet::TensorData b = mnet::dequantize(m, conv0.inputs[2]);
  CHECK(b.shape == std::vector<int64_t>{8});
  CHECK(b.data[3] == Approx(6.93938273e-05 * 65872).epsilon(1e-6));
}

TEST_CASE("per-channel INT8 weights and INT32 biases dequantize with their own channel's scale",
          "[tflite]") {
  const std::string data = mnet::testing::testdata();
  if (data.empty()) {
    WARN("MNET_TESTDATA not set: skipping the per-channel dequantization check");
    return;
  }
  const mnet::TfliteModel m = mnet::read_tflite(model_path(data, "tf2_mobilenet_v2_1.0_224_ptq"));
  const mnet::TfliteOperator& conv = m.ops[1];
  REQUIRE(conv.opcode == mnet::tflite_op::kConv2d);
  const mnet::TfliteTensor& wt = m.tensors[size_t(conv.inputs[1])];
  CHECK(wt.type == mnet::tflite_type::kInt8);
  CHECK(wt.scale.size() == 32);
  CHECK(wt.quantized_dimension == 0);
  // Element 139 of [32,3,3,3] is in output channel 5.
  CHECK(mnet::dequantize(m, conv.inputs[1]).data[139] == Approx(0.00503512938 * -10).epsilon(1e-6));
  const mnet::TensorData bias = mnet::dequantize(m, conv.inputs[2]);
  CHECK(bias.data[5] == Approx(3.94912131e-05 * 88218).epsilon(1e-6));
  CHECK(bias.data[7] == Approx(7.84313769e-09 * -324204896.0).epsilon(1e-6));

  const mnet::TfliteOperator& dw = m.ops[2];
  REQUIRE(dw.opcode == mnet::tflite_op::kDepthwiseConv2d);
  CHECK(m.tensors[size_t(dw.inputs[1])].quantized_dimension == 3);
  // Element 40 of [1,3,3,32] is in channel 40 % 32 = 8.
  CHECK(mnet::dequantize(m, dw.inputs[1]).data[40] == Approx(0.0132727306 * 48).epsilon(1e-6));
}

TEST_CASE("V3-small's squeeze-excite constants are rank-0 UINT8 scalars worth 3 and 1/6",
          "[tflite]") {
  const std::string data = mnet::testing::testdata();
  if (data.empty()) {
    WARN("MNET_TESTDATA not set: skipping the V3 scalar-constant check");
    return;
  }
  const mnet::TfliteModel m =
      mnet::read_tflite(model_path(data, "mobilenet_v3_small_1.0_224_quant"));
  int adds = 0, muls = 0;
  for (const mnet::TfliteOperator& op : m.ops) {
    if (op.opcode != mnet::tflite_op::kAdd && op.opcode != mnet::tflite_op::kMul) continue;
    const int second = op.inputs[1];
    if (!m.tensors[size_t(second)].shape.empty()) continue;
    const mnet::TensorData c = mnet::dequantize(m, second);
    CHECK(c.shape.empty());
    REQUIRE(c.data.size() == 1);
    if (op.opcode == mnet::tflite_op::kAdd) {
      ++adds;
      CHECK(c.data[0] == Approx(3.0).epsilon(1e-5));
    } else {
      ++muls;
      CHECK(c.data[0] == Approx(1.0 / 6).epsilon(1e-4));
    }
  }
  CHECK(adds == 9);
  CHECK(muls == 9);
}

TEST_CASE("dequantizing a tensor without constant data names the tensor", "[tflite]") {
  const std::string data = mnet::testing::testdata();
  if (data.empty()) {
    WARN("MNET_TESTDATA not set: skipping the dequantize error check");
    return;
  }
  const std::string path = model_path(data, "mobilenet_v1_0.25_128_quant");
  const mnet::TfliteModel m = mnet::read_tflite(path);
  CHECK_THROWS_WITH(mnet::dequantize(m, m.inputs[0]),
                    Contains(path) && Contains("'input'") && Contains("no constant data"));
  CHECK_THROWS_AS(mnet::dequantize(m, 100000), mnet::InputError);
}

TEST_CASE("hostile and damaged files give an InputError naming the file, never a crash",
          "[tflite]") {
  const std::string data = mnet::testing::testdata();
  if (data.empty()) {
    WARN("MNET_TESTDATA not set: skipping the hostile-file checks");
    return;
  }
  TempDir tmp;
  const std::string real = read_text(model_path(data, "mobilenet_v1_0.25_128_quant"));
  REQUIRE(real.size() > 1000);

  SECTION("empty and 7-byte files") {
    require_input_error(tmp.write("empty.tflite", ""), "shorter than");
    require_input_error(tmp.write("seven.tflite", real.substr(0, 7)), "shorter than");
  }
  SECTION("a wrong file identifier") {
    std::string b = real;
    b.replace(4, 4, "TFL2");
    require_input_error(tmp.write("ident.tflite", b),
                        "not a TensorFlow Lite model: file identifier (bytes 4..8) is 'TFL2'");
  }
  SECTION("a missing file") { require_input_error(tmp.file("missing.tflite"), "does not exist"); }
  SECTION("a root offset past the end") {
    std::string b = real;
    put_u32(&b, 0, uint32_t(b.size() + 16));
    require_input_error(tmp.write("root.tflite", b), "root table offset");
  }
  SECTION("a vtable offset pointing outside the file") {
    std::string b = real;
    put_u32(&b, root_table(b), 0x80000000u);
    require_input_error(tmp.write("vtable.tflite", b), "vtable offset");
  }
  SECTION("a vector length of 0x7fffffff") {
    std::string b = real;
    put_u32(&b, tensors_vector(b), 0x7fffffffu);
    require_input_error(tmp.write("vector.tflite", b), "runs past the end");
  }
  SECTION("a schema version other than 3") {
    std::string b = real;
    put_u32(&b, field(b, root_table(b), 0), 2);
    require_input_error(tmp.write("version.tflite", b), "schema version 2");
  }
  SECTION("a weight shape that does not match its buffer") {
    std::string b = real;
    const size_t conv0 = element(b, operators_vector(b), 0);
    const size_t weight = u32(b, deref(b, field(b, conv0, 1)) + 4 + 4);  // inputs[1]
    const size_t shape = deref(b, field(b, element(b, tensors_vector(b), weight), 0));
    REQUIRE(u32(b, shape + 4) == 8);
    put_u32(&b, shape + 4, 9);
    require_input_error(tmp.write("shape.tflite", b),
                        "holds 216 bytes, shape [9,3,3,3] of UINT8 needs 243");
  }
  SECTION("an operator input that refers to a missing tensor") {
    std::string b = real;
    const size_t conv0 = element(b, operators_vector(b), 0);
    put_u32(&b, deref(b, field(b, conv0, 1)) + 4, 9999);
    require_input_error(tmp.write("ref.tflite", b), "refers to tensor 9999");
  }
  SECTION("a labels file whose bytes do not match the zip's CRC") {
    std::string b = real;
    const size_t at = b.find("tench");
    REQUIRE(at != std::string::npos);
    b[at] = 'T';
    require_input_error(tmp.write("crc.tflite", b), "CRC-32");
  }
  SECTION("every model truncated at each 1/50th of its length") {
    for (const ModelFacts& f : readme_models()) {
      const std::string bytes = read_text(model_path(data, f.file));
      for (int k = 1; k < kTruncationSteps; ++k) {
        const size_t length = bytes.size() * size_t(k) / kTruncationSteps;
        const std::string path =
            tmp.write(std::string(f.file) + "-cut.tflite", bytes.substr(0, length));
        INFO(f.file << " cut at " << k << "/" << kTruncationSteps);
        require_input_error(path);
      }
    }
  }
}

TEST_CASE("random byte damage gives either a model or an InputError", "[tflite]") {
  const std::string data = mnet::testing::testdata();
  if (data.empty()) {
    WARN("MNET_TESTDATA not set: skipping the damage fuzz");
    return;
  }
  constexpr int kRounds = 60;
  constexpr int kFlipsPerRound = 4;
  TempDir tmp;
  const std::string source = model_path(data, "mobilenet_v1_0.25_128_quant");
  const std::string real = read_text(source);
  // Damage goes outside the buffers' data (weights), where it would mostly go unnoticed.
  const mnet::TfliteModel m = mnet::read_tflite(source);
  std::vector<bool> is_data(real.size(), false);
  for (size_t i = 0; i < m.buffer_count(); ++i) {
    const std::string_view d = m.buffer(int(i));
    const size_t begin = size_t(d.data() - m.file_bytes.data());
    for (size_t k = 0; k < d.size(); ++k) is_data[begin + k] = true;
  }
  std::vector<size_t> targets;
  for (size_t i = 0; i < real.size(); ++i) {
    if (!is_data[i]) targets.push_back(i);
  }
  REQUIRE(!targets.empty());
  std::mt19937 rng(12345);
  int errors = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::string b = real;
    for (int i = 0; i < kFlipsPerRound; ++i) {
      const size_t at = targets[rng() % targets.size()];
      b[at] = char(uint8_t(b[at]) ^ uint8_t(1u << (rng() % 8)));
    }
    const std::string path = tmp.write("fuzz.tflite", b);
    try {
      mnet::read_tflite(path);
    } catch (const mnet::InputError& e) {
      ++errors;
      CHECK_THAT(std::string(e.what()), Contains(path));
    }
  }
  CHECK(errors > 0);
}

// Issue 11: names, squeeze-excite, non-finite quantization and linear work in the importer, on
// models built by tests/tflite_builder.h.
namespace {

namespace tfl = mnet::testing::tfl;
using tfl::kB1, tfl::kB2, tfl::kB3, tfl::kW1, tfl::kW2, tfl::kW3, tfl::squeeze_excite_model, tfl::SqueezeExciteSpec;

// What that model computes, from the constants above: x · relu6(W2 relu(W1 mean(x) + b1) + b2 + 3) / 6,
// then W3 · that + b3; CHW in and out.
std::vector<float> squeeze_excite_reference(const std::vector<float>& x) {
  double mean[3] = {0, 0, 0}, hidden[2], gate[3];
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 16; ++p) mean[c] += x[size_t(c * 16 + p)] / 16.0;
  for (int o = 0; o < 2; ++o) {
    hidden[o] = kB1[o];
    for (int c = 0; c < 3; ++c) hidden[o] += kW1[size_t(o * 3 + c)] * mean[c];
    hidden[o] = std::max(hidden[o], 0.0);
  }
  for (int c = 0; c < 3; ++c) {
    double v = kB2[c] + 3;
    for (int i = 0; i < 2; ++i) v += kW2[size_t(c * 2 + i)] * hidden[i];
    gate[c] = std::min(std::max(v, 0.0), 6.0) / 6;
  }
  std::vector<float> y(2 * 16);
  for (int o = 0; o < 2; ++o)
    for (int p = 0; p < 16; ++p) {
      double v = kB3[o];
      for (int c = 0; c < 3; ++c) v += kW3[size_t(o * 3 + c)] * x[size_t(c * 16 + p)] * gate[c];
      y[size_t(o * 16 + p)] = float(v);
    }
  return y;
}

// Imports `model` written to `dir` and returns the InputError's message ("" if none).
std::string import_error(const TempDir& dir, const tfl::Model& model) {
  const std::string path = dir.write("m.tflite", model.bytes());
  try {
    mnet::import_tflite(path);
  } catch (const mnet::InputError& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Contains(path + ": tflite: "));
    return what;
  }
  return "";
}

}  // namespace

TEST_CASE("imported layers never share a weight name, and each layer runs on its own weights", "[tflite]") {
  TempDir tmp;
  const std::string path = tmp.write("collide.tflite", squeeze_excite_model({}).bytes());
  const mnet::ImportedModel imported = mnet::import_tflite(path);
  const mnet::Graph g = mnet::build_graph(imported.spec);
  REQUIRE(g.nodes.size() == 3);  // input, se, conv
  CHECK(g.nodes[1].layer->type() == "se");
  CHECK(g.nodes[1].name == "se");  // the scope is dropped
  CHECK(g.nodes[2].name == "se.fc1_2");  // "se.fc1.weight" belongs to the SE layer
  CHECK(imported.weights.size() == 6);
  CHECK(imported.weights.at("se.fc1.bias") == kB1);
  CHECK(imported.weights.at("se.fc1_2.bias") == kB3);

  std::vector<float> x(3 * 16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(0.7 * double(i)) * 2);
  mnet::Executor exec(g, imported.weights, mnet::ExecOptions{});
  const float* y = exec.run(x.data());
  CHECK(mnet::testing::mismatch(std::vector<float>(y, y + 32), squeeze_excite_reference(x), 1e-5f) == "");
}

TEST_CASE("a name that another layer's fake_quant or weights derive from is made unique too", "[tflite]") {
  // Tensor "a.q" first, then a RELU whose output is "a" with an 8-bit range: its fake_quant is "a.q".
  tfl::Model m;
  const int x = m.tensor({"input", {1, 4, 4, 3}});
  const int first = m.tensor({"a.q", {1, 4, 4, 3}});
  m.op(tfl::kRelu, {x}, {first});
  const int second = m.tensor({"a", {1, 4, 4, 3}, tfl::kUint8, "", {0.05f}, {0}});
  m.op(tfl::kRelu, {first}, {second});
  const int third = m.tensor({"input", {1, 4, 4, 3}});  // the graph's input node is "input"
  m.op(tfl::kRelu, {second}, {third});
  m.inputs = {x};
  m.outputs = {third};
  TempDir tmp;
  const std::string path = tmp.write("names.tflite", m.bytes());
  const mnet::Graph g = mnet::build_graph(mnet::import_tflite(path).spec);
  std::vector<std::string> names;
  for (const mnet::Node& n : g.nodes) names.push_back(n.name);
  CHECK(names == std::vector<std::string>{"input", "a.q", "a_2", "a_2.q", "input_2"});
}

TEST_CASE("squeeze-excite is recognised only with constants 3 and 1/6 and a 0 to 6 clamp", "[tflite]") {
  TempDir tmp;
  SECTION("the exact pattern, either operand order, becomes one se layer") {
    for (bool constant_first : {false, true}) {
      SqueezeExciteSpec spec;
      spec.constant_first = constant_first;
      CHECK(import_error(tmp, squeeze_excite_model(spec)) == "");
    }
  }
  SECTION("1/6 stored as a rounded float (within the 0.1 % tolerance) still matches") {
    SqueezeExciteSpec spec;
    spec.mul_constant = {0.16667f};
    CHECK(import_error(tmp, squeeze_excite_model(spec)) == "");
  }
  SECTION("an ADD whose operands are both computed") {
    SqueezeExciteSpec spec;
    spec.add_constant.clear();
    CHECK_THAT(import_error(tmp, squeeze_excite_model(spec)),
               Contains("MUL is only supported as the last step of squeeze-excite") &&
                   Contains("ADD (operator 3) has no constant operand"));
  }
  SECTION("a MUL constant of two values") {
    SqueezeExciteSpec spec;
    spec.mul_constant = {1.0f / 6, 1.0f / 6};
    CHECK_THAT(import_error(tmp, squeeze_excite_model(spec)),
               Contains("MUL (operator 4)'s constant tensor") && Contains("'sixth' holds 2 values, not one"));
  }
  SECTION("an ADD constant of 3.5") {
    SqueezeExciteSpec spec;
    spec.add_constant = {3.5f};
    CHECK_THAT(import_error(tmp, squeeze_excite_model(spec)), Contains("'three' is 3.5, not 3 (tolerance 0.1 %)"));
  }
  SECTION("a NaN constant") {
    SqueezeExciteSpec spec;
    spec.mul_constant = {std::nanf("")};
    CHECK_THAT(import_error(tmp, squeeze_excite_model(spec)), Contains("'sixth': element 0 (FLOAT32) is nan"));
  }
  SECTION("no clamp: (x + 3) / 6 is not h-sigmoid") {
    SqueezeExciteSpec spec;
    spec.add_activation = tfl::kNone;
    CHECK_THAT(import_error(tmp, squeeze_excite_model(spec)),
               Contains("the gate's ADD (operator 3) is not clamped to [0, 6] (activation none)"));
  }
}

TEST_CASE("weights, biases and scales that are not finite are refused at import, naming the tensor", "[tflite]") {
  // input → 1x1 CONV_2D with the weight tensor of each case → output.
  auto model = [](const tfl::Tensor& weight, const tfl::Tensor& output) {
    tfl::Model m;
    const int x = m.tensor({"input", {1, 4, 4, 3}});
    const int w = m.tensor(weight);
    const int y = m.tensor(output);
    m.conv(x, w, m.constant("bias", {2}, {0.0f, 0.0f}), y);
    m.inputs = {x};
    m.outputs = {y};
    return m;
  };
  const tfl::Tensor float_out{"out", {1, 4, 4, 2}};
  const std::string u8_weights(6, char(200));
  TempDir tmp;
  CHECK_THAT(import_error(tmp, model({"w", {2, 1, 1, 3}, tfl::kFloat32, tfl::f32({1, 2, INFINITY, 4, 5, 6})}, float_out)),
             Contains("tensor 1 'w': element 2 (FLOAT32) is inf, weights and biases must be finite floats"));
  CHECK_THAT(import_error(tmp, model({"w", {2, 1, 1, 3}, tfl::kUint8, u8_weights, {3e38f}, {0}}, float_out)),
             Contains("tensor 1 'w': element 0 (200 - zero point 0) * scale 3e+38 is inf"));
  CHECK_THAT(import_error(tmp, model({"w", {2, 1, 1, 3}, tfl::kUint8, u8_weights, {0.0f}, {0}}, float_out)),
             Contains("tensor 1 'w': quantization scale 0 is 0, dequantizing needs a finite positive scale"));
  const tfl::Tensor w_ok{"w", {2, 1, 1, 3}, tfl::kFloat32, tfl::f32({1, 2, 3, 4, 5, 6})};
  CHECK_THAT(import_error(tmp, model(w_ok, {"out", {1, 4, 4, 2}, tfl::kUint8, "", {3e38f}, {128}})),
             Contains("output tensor 2 'out': quantization scale 3e+38 must be positive with every 8-bit level a finite float"));
  CHECK_THAT(import_error(tmp, model(w_ok, {"out", {1, 4, 4, 2}, tfl::kUint8, "", {0.0f}, {128}})),
             Contains("output tensor 2 'out': quantization scale 0 must be positive"));
  CHECK(import_error(tmp, model(w_ok, {"out", {1, 4, 4, 2}, tfl::kUint8, "", {0.05f}, {128}})) == "");

  // The input's scale becomes the preprocessing's std = 1 / scale.
  tfl::Model tiny_input = model(w_ok, float_out);
  tiny_input.tensors[0] = {"input", {1, 4, 4, 3}, tfl::kUint8, "", {1e-45f}, {128}};
  CHECK_THAT(import_error(tmp, tiny_input),
             Contains("input tensor 0 'input': quantization scale 1.4013e-45 must be positive with a finite inverse"));
}

TEST_CASE("the importer's work grows linearly with hostile models of 10x the operators", "[tflite]") {
  constexpr int kSmall = 2000;
  constexpr double kMaxGrowth = 15;  // 10x the operators; quadratic work would be 100x
  // n RELUs whose outputs are all named "r" or "r_2" (each name search must not start over).
  auto same_names = [](int n) {
    tfl::Model m;
    int prev = m.tensor({"input", {1, 4, 4, 3}});
    m.inputs = {prev};
    for (int i = 0; i < n; ++i) {
      const int next = m.tensor({i % 3 == 2 ? "r_2" : "r", {1, 4, 4, 3}});
      m.op(tfl::kRelu, {prev}, {next});
      prev = next;
    }
    m.outputs = {prev};
    return m;
  };
  // n MULs by a vector nothing computes (each looks for the gate's producer among all operators).
  auto muls = [](int n) {
    tfl::Model m;
    int prev = m.tensor({"input", {1, 4, 4, 3}});
    const int gate = m.tensor({"gate", {1, 1, 1, 3}});
    m.inputs = {prev};
    for (int i = 0; i < n; ++i) {
      const int next = m.tensor({"m", {1, 4, 4, 3}});
      m.binary(tfl::kMul, prev, gate, next);
      prev = next;
    }
    m.outputs = {prev};
    return m;
  };
  TempDir tmp;
  auto steps = [&](const tfl::Model& model) {
    const std::string path = tmp.write("big.tflite", model.bytes());
    const uint64_t before = mnet::work_steps;
    try {
      mnet::import_tflite(path);
    } catch (const mnet::InputError&) {
      // The MULs are refused once every operator has been looked at; the work is what counts.
    }
    return double(mnet::work_steps - before);
  };
  for (auto& [what, make] : std::vector<std::pair<std::string, std::function<tfl::Model(int)>>>{
           {"same-named RELUs", same_names}, {"MULs by an uncomputed vector", muls}}) {
    const double small = steps(make(kSmall)), big = steps(make(10 * kSmall));
    INFO(what << ": " << small << " steps for " << kSmall << " operators, " << big << " for " << 10 * kSmall);
    CHECK(small >= kSmall);  // the counter counts
    CHECK(big <= kMaxGrowth * small);
  }
}
