#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "testing.h"
#include "tflite/model.h"

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
