// weights/safetensors: round trips, dtypes, and strict refusal of malformed files.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/error.h"
#include "core/work_count.h"
#include "weights/safetensors.h"
#include "weights/weights.h"
#include "testing.h"

namespace fs = std::filesystem;
using Catch::Contains;
using namespace mnet::testing;

namespace {

// A safetensors file from a literal JSON header and data buffer.
std::string st_file(const std::string& header, const std::string& buffer) {
  return le_bytes(header.size(), 8) + header + buffer;
}

// One F32 tensor "w" of shape [2] with the given extra JSON for the entry.
std::string one_tensor(const std::string& entry, const std::string& buffer = f32_bytes({1, 2})) {
  return st_file("{\"w\":" + entry + "}", buffer);
}

}  // namespace

TEST_CASE("safetensors files round-trip tensors, shapes and metadata", "[io][safetensors]") {
  TempDir tmp;
  mnet::TensorData a{{2, 3}, {1, 2, 3, 4, 5, 6}};
  mnet::TensorData scalar{{}, {-7.5f}};
  mnet::TensorData empty{{0, 4}, {}};
  mnet::TensorData b{{1, 1, 1, 2}, {std::numeric_limits<float>::infinity(), -0.0f}};
  const std::string path = tmp.file("w.safetensors");
  mnet::write_safetensors(path,
                          {{"conv.weight", &a}, {"scalar", &scalar}, {"empty", &empty}, {"b", &b}},
                          {{"format", "pt"}, {"source", "unit test"}});

  const mnet::SafetensorsFile f = mnet::read_safetensors(path);
  REQUIRE(f.tensors.size() == 4);
  // The writer lays tensors out in the order given; the reader returns them in offset order.
  // The empty tensor sits at the same offset as "b" and, being shorter, sorts before it.
  CHECK(f.tensors[0].first == "conv.weight");
  CHECK(f.tensors[1].first == "scalar");
  CHECK(f.tensors[2].first == "empty");
  CHECK(f.tensors[3].first == "b");
  CHECK(f.metadata ==
        std::map<std::string, std::string>{{"format", "pt"}, {"source", "unit test"}});

  REQUIRE(f.find("conv.weight") != nullptr);
  CHECK(f.find("conv.weight")->shape == a.shape);
  CHECK(f.find("conv.weight")->data == a.data);
  CHECK(f.find("scalar")->shape.empty());
  CHECK(f.find("scalar")->elements() == 1);
  CHECK(f.find("scalar")->data == scalar.data);
  CHECK(f.find("empty")->shape == empty.shape);
  CHECK(f.find("empty")->data.empty());
  CHECK(std::isinf(f.find("b")->data[0]));
  CHECK(std::signbit(f.find("b")->data[1]));
  CHECK(f.find("missing") == nullptr);
}

TEST_CASE("an empty safetensors file with no tensors round-trips", "[io][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.file("empty.safetensors");
  mnet::write_safetensors(path, {});
  const mnet::SafetensorsFile f = mnet::read_safetensors(path);
  CHECK(f.tensors.empty());
  CHECK(f.metadata.empty());
}

TEST_CASE("the safetensors writer pads the header with spaces to a multiple of 8 bytes",
          "[io][safetensors]") {
  TempDir tmp;
  mnet::TensorData a{{3}, {1, 2, 3}};
  const std::string path = tmp.file("w.safetensors");
  mnet::write_safetensors(path, {{"a", &a}});
  const std::string bytes = read_bytes(path);
  REQUIRE(bytes.size() >= 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(bytes[i]);
  CHECK(n % 8 == 0);
  REQUIRE(bytes.size() == 8 + n + 12);
  const std::string header = bytes.substr(8, n);
  CHECK(header.front() == '{');
  const size_t close = header.rfind('}');
  CHECK(header.find_first_not_of(' ', close + 1) == std::string::npos);
  const auto j = nlohmann::json::parse(header);
  CHECK(j["a"]["dtype"] == "F32");
  CHECK(j["a"]["shape"] == nlohmann::json::array({3}));
  CHECK(j["a"]["data_offsets"] == nlohmann::json::array({0, 12}));
  CHECK(bytes.substr(8 + n) == f32_bytes({1, 2, 3}));
}

TEST_CASE("F16, BF16 and F64 tensors are converted to float", "[io][safetensors]") {
  TempDir tmp;
  // F16: 1.0, -2.0, +inf, smallest subnormal 2^-24. BF16: 1.0, -5.0. F64: 1.5, -0.25.
  const std::string buffer = le_bytes(0x3c00, 2) + le_bytes(0xc000, 2) + le_bytes(0x7c00, 2) +
                             le_bytes(0x0001, 2) + le_bytes(0x3f80, 2) + le_bytes(0xc0a0, 2) +
                             f64_bytes({1.5, -0.25});
  const std::string header = R"({"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},)"
                             R"("d":{"dtype":"F64","shape":[2,1],"data_offsets":[12,28]}})";
  const mnet::SafetensorsFile f =
      mnet::read_safetensors(tmp.write("t.safetensors", st_file(header, buffer)));
  REQUIRE(f.find("h") != nullptr);
  CHECK(f.find("h")->data[0] == 1.0f);
  CHECK(f.find("h")->data[1] == -2.0f);
  CHECK(std::isinf(f.find("h")->data[2]));
  CHECK(f.find("h")->data[3] == std::ldexp(1.0f, -24));
  CHECK(f.find("b")->data == std::vector<float>{1.0f, -5.0f});
  CHECK(f.find("d")->shape == std::vector<int64_t>{2, 1});
  CHECK(f.find("d")->data == std::vector<float>{1.5f, -0.25f});
}

TEST_CASE("an F64 value outside the float range is rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.write(
      "t.safetensors",
      one_tensor(R"({"dtype":"F64","shape":[2],"data_offsets":[0,16]})", f64_bytes({1, 1e300})));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(path),
                      path +
                          ": tensor 'w': F64 value 1.0000000000000001e+300 at element 1 is outside "
                          "the float32 range");
}

TEST_CASE("a safetensors file shorter than the 8-byte length field is rejected",
          "[io][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.write("t.safetensors", "abc");
  REQUIRE_INPUT_ERROR(
      mnet::read_safetensors(path),
      path + ": header: file is 3 bytes, shorter than the 8-byte header length field");
}

TEST_CASE("a header length larger than the file is rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.write("t.safetensors", le_bytes(100, 8) + "{}");
  REQUIRE_INPUT_ERROR(
      mnet::read_safetensors(path),
      path + ": header: length 100 is larger than the 2 bytes after the length field");
}

TEST_CASE("a header length above the header limit is rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.write("t.safetensors", le_bytes(uint64_t(1) << 62, 8) + "{}");
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(path),
                      path + ": header: length 4611686018427387904 exceeds the limit of " +
                          std::to_string(mnet::kMaxSafetensorsHeaderBytes) + " bytes");
}

TEST_CASE("a header that is not valid JSON is rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.write("t.safetensors", st_file("{\"w\": ", ""));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(path), path + ": header: not valid JSON (parse error");
  const std::string zero_length = tmp.write("zero.safetensors", le_bytes(0, 8));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(zero_length),
                      zero_length + ": header: not valid JSON");
}

TEST_CASE("a header that is not a JSON object is rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.write("t.safetensors", st_file("[1, 2]", ""));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(path),
                      path + ": header: not a JSON object (found array)");
}

TEST_CASE("a tensor entry that is not an object is rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.write("t.safetensors", one_tensor("[0, 8]"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(path),
                      path + ": tensor 'w': entry is not a JSON object");
}

TEST_CASE("a tensor entry missing dtype, shape or data_offsets is rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string no_dtype = tmp.write("a", one_tensor(R"({"shape":[2],"data_offsets":[0,8]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(no_dtype), no_dtype + ": tensor 'w': missing 'dtype'");
  const std::string no_shape =
      tmp.write("b", one_tensor(R"({"dtype":"F32","data_offsets":[0,8]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(no_shape), no_shape + ": tensor 'w': missing 'shape'");
  const std::string no_offsets = tmp.write("c", one_tensor(R"({"dtype":"F32","shape":[2]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(no_offsets),
                      no_offsets + ": tensor 'w': missing 'data_offsets'");
}

TEST_CASE("a tensor entry with an extra key is rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string path =
      tmp.write("t.safetensors",
                one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"order":"C"})"));
  REQUIRE_INPUT_ERROR(
      mnet::read_safetensors(path),
      path + ": tensor 'w': unexpected key 'order' (allowed: dtype, shape, data_offsets)");
}

TEST_CASE("an unsupported dtype is rejected naming the tensor and the dtype", "[io][safetensors]") {
  TempDir tmp;
  const std::string path =
      tmp.write("t.safetensors", one_tensor(R"({"dtype":"I32","shape":[2],"data_offsets":[0,8]})"));
  REQUIRE_INPUT_ERROR(
      mnet::read_safetensors(path),
      path + ": tensor 'w': unsupported dtype 'I32' (supported: F32, F16, BF16, F64)");
  const std::string number =
      tmp.write("n", one_tensor(R"({"dtype":32,"shape":[2],"data_offsets":[0,8]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(number),
                      number + ": tensor 'w': dtype is not a string");
}

TEST_CASE("a negative or non-integer dimension is rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string negative =
      tmp.write("a", one_tensor(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(negative),
                      negative + ": tensor 'w': shape dimension 0 is negative (-2)");
  const std::string fraction =
      tmp.write("b", one_tensor(R"({"dtype":"F32","shape":[1,2.5],"data_offsets":[0,8]})"));
  REQUIRE_INPUT_ERROR(
      mnet::read_safetensors(fraction),
      fraction + ": tensor 'w': shape dimension 1 is 2.5, must be a non-negative integer");
  const std::string not_array =
      tmp.write("c", one_tensor(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(not_array),
                      not_array + ": tensor 'w': shape is not a JSON array");
}

TEST_CASE("an element count above the limit is rejected without overflowing", "[io][safetensors]") {
  TempDir tmp;
  const std::string product =
      tmp.write("a", one_tensor(R"({"dtype":"F32","shape":[65536,65536],"data_offsets":[0,8]})"));
  REQUIRE_INPUT_ERROR(
      mnet::read_safetensors(product),
      product + ": tensor 'w': shape [65536, 65536] has more than 2147483648 elements");
  // 2^32 * 2^32 wraps to 0 in uint64 arithmetic; it must not look like an empty tensor.
  const std::string wrap = tmp.write(
      "b",
      one_tensor(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]})", ""));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(wrap),
                      wrap +
                          ": tensor 'w': shape dimension 0 is 4294967296, more than the limit of "
                          "2147483648 elements");
  const std::string huge = tmp.write(
      "c", one_tensor(R"({"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(huge),
                      huge +
                          ": tensor 'w': shape dimension 0 is "
                          "18446744073709551615, more than the limit");
}

TEST_CASE("data_offsets that do not match shape and dtype are rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string path =
      tmp.write("t.safetensors", one_tensor(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"));
  REQUIRE_INPUT_ERROR(
      mnet::read_safetensors(path),
      path + ": tensor 'w': data_offsets [0, 8] span 8 bytes, but shape [3] of F32 needs 12 bytes");
}

TEST_CASE("malformed data_offsets are rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string one =
      tmp.write("a", one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[8]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(one),
                      one + ": tensor 'w': data_offsets is not an array [begin, end]");
  const std::string negative =
      tmp.write("b", one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(negative),
                      negative + ": tensor 'w': data_offsets begin is negative (-8)");
  const std::string reversed =
      tmp.write("c", one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(reversed),
                      reversed + ": tensor 'w': data_offsets [8, 0]: begin is after end");
}

TEST_CASE("data_offsets outside the data buffer are rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.write(
      "t.safetensors", one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[4,12]})"));
  REQUIRE_INPUT_ERROR(
      mnet::read_safetensors(path),
      path + ": tensor 'w': data_offsets [4, 12] reach past the end of the 8-byte data buffer");
  const std::string max = "18446744073709551615";  // 2^64 - 1
  const std::string far = tmp.write(
      "far",
      one_tensor(R"({"dtype":"F32","shape":[0],"data_offsets":[)" + max + "," + max + "]}", ""));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(far),
                      far + ": tensor 'w': data_offsets [" + max + ", " + max + "] reach past");
}

TEST_CASE("overlapping tensors are rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  const std::string path = tmp.write("t.safetensors", st_file(header, f32_bytes({1, 2, 3})));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(path),
                      path + ": tensor 'b': data_offsets [4, 12] overlap tensor 'a' at [0, 8]");
  const std::string same = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string path2 = tmp.write("same", st_file(same, f32_bytes({1, 2})));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(path2),
                      path2 + ": tensor 'b': data_offsets [0, 8] overlap tensor 'a' at [0, 8]");
}

TEST_CASE("buffer bytes not covered by any tensor are rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string gap = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                          R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  const std::string path = tmp.write("gap", st_file(gap, f32_bytes({1, 2, 3})));
  REQUIRE_INPUT_ERROR(
      mnet::read_safetensors(path),
      path +
          ": tensor 'b': data_offsets [8, 12] leave bytes [4, 8) of the data buffer "
          "not covered by any tensor");
  const std::string start =
      tmp.write("start", one_tensor(R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(start),
                      start + ": tensor 'w': data_offsets [4, 8] leave bytes [0, 4)");
  const std::string trailing = tmp.write(
      "trailing",
      one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", f32_bytes({1, 2}) + "xy"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(trailing),
                      trailing +
                          ": header: the data buffer is 10 bytes but the tensors cover only 8 "
                          "(trailing bytes not covered by any tensor)");
}

TEST_CASE("duplicate tensor names and duplicate keys are rejected", "[io][safetensors]") {
  TempDir tmp;
  const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  const std::string path = tmp.write("t.safetensors", st_file(header, f32_bytes({1, 2})));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(path),
                      path + ": tensor 'w': appears more than once in the header");
  const std::string key = tmp.write(
      "key", one_tensor(R"({"dtype":"F32","shape":[2],"dtype":"F32","data_offsets":[0,8]})"));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(key),
                      key + ": tensor 'w': key 'dtype' appears more than once");
}

TEST_CASE("__metadata__ must map strings to strings", "[io][safetensors]") {
  TempDir tmp;
  const std::string number = tmp.write("a", st_file(R"({"__metadata__":{"epochs":3}})", ""));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(number),
                      number + ": header: __metadata__: value of 'epochs' is not a string");
  const std::string list = tmp.write("b", st_file(R"({"__metadata__":["x"]})", ""));
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(list),
                      list + ": header: __metadata__ is not a JSON object");
}

TEST_CASE("reading a missing safetensors file names the file", "[io][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.file("missing.safetensors");
  REQUIRE_INPUT_ERROR(mnet::read_safetensors(path), path + ": cannot read: file does not exist");
}

TEST_CASE("writing safetensors to an unwritable path throws RunError and leaves nothing",
          "[io][safetensors]") {
  TempDir tmp;
  mnet::TensorData a{{1}, {1}};
  const std::string missing_dir = tmp.file("nope/w.safetensors");
  REQUIRE_THROWS_AS(mnet::write_safetensors(missing_dir, {{"a", &a}}), mnet::RunError);
  REQUIRE_THROWS_WITH(mnet::write_safetensors(missing_dir, {{"a", &a}}),
                      Contains(missing_dir + ": cannot write"));
  const std::string dir = tmp.file("dir");
  fs::create_directory(dir);
  REQUIRE_THROWS_AS(mnet::write_safetensors(dir, {{"a", &a}}), mnet::RunError);
  CHECK(std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator()) == 1);
  CHECK(fs::is_empty(dir));
}

TEST_CASE("the safetensors writer refuses inconsistent tensors and names", "[io][safetensors]") {
  TempDir tmp;
  const std::string path = tmp.file("w.safetensors");
  mnet::TensorData bad{{2, 2}, {1, 2, 3}};
  mnet::TensorData ok{{1}, {1}};
  CHECK_THROWS_AS(mnet::write_safetensors(path, {{"bad", &bad}}), std::invalid_argument);
  CHECK_THROWS_AS(mnet::write_safetensors(path, {{"a", &ok}, {"a", &ok}}), std::invalid_argument);
  CHECK_THROWS_AS(mnet::write_safetensors(path, {{"__metadata__", &ok}}), std::invalid_argument);
  CHECK_THROWS_AS(mnet::write_safetensors(path, {{"a", nullptr}}), std::invalid_argument);
  CHECK_FALSE(fs::exists(path));
}

namespace {

// n one-element F32 tensors t0, t1, ... laid out one after the other; `entry(i)` may replace an
// entry's JSON, `tail` is appended inside the header object.
std::string many_tensors(int n, const std::function<std::string(int)>& entry = nullptr, const std::string& tail = "") {
  std::string header = "{";
  for (int i = 0; i < n; ++i) {
    header += (i ? "," : "") + std::string("\"t") + std::to_string(i) + "\":";
    header += entry ? entry(i)
                    : R"({"dtype":"F32","shape":[1],"data_offsets":[)" + std::to_string(4 * i) + "," +
                          std::to_string(4 * i + 4) + "]}";
  }
  return st_file(header + tail + "}", std::string(4 * size_t(n), '\0'));
}

// Steps the reader counted while `read` ran (mnet::count_work), whether or not it threw.
uint64_t work_of(const std::function<void()>& read) {
  const uint64_t before = mnet::work_steps;
  try {
    read();
  } catch (const mnet::InputError&) {
  }
  return mnet::work_steps - before;
}

}  // namespace

TEST_CASE("safetensors reading work grows linearly with the tensors of hostile files", "[io][safetensors]") {
  // Before: 50k tensors took 26-37 s (a parse callback rescanning the header object at the end of
  // every entry, and a linear search per looked-up name). Counted steps, not time: n vs 10n.
  TempDir tmp;
  const mnet::Graph g = mnet::load_config(source_path("configs/tiny_custom.json"));
  struct Hostile {
    const char* what;
    std::function<void(int n)> read;
  };
  const std::vector<Hostile> cases{
      {"n tensors, each then looked up by name",
       [](int n) {
         const mnet::SafetensorsFile f = mnet::parse_safetensors(many_tensors(n), "many.safetensors");
         for (int i = 0; i < n; ++i) REQUIRE(f.find("t" + std::to_string(i)) != nullptr);
       }},
      {"n tensors, then one named twice",
       [](int n) { mnet::parse_safetensors(many_tensors(n, nullptr, R"(,"t0":{})"), "dup.safetensors"); }},
      {"n tensors all at the same offsets",
       [](int n) {
         const std::string same = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
         mnet::parse_safetensors(many_tensors(n, [&](int) { return same; }), "overlap.safetensors");
       }},
      {"n tensors given as weights to a model that declares none of them",
       [&](int n) { mnet::load_weights(g, tmp.write("w.safetensors", many_tensors(n))); }},
  };
  for (const Hostile& c : cases) {
    const uint64_t small = work_of([&] { c.read(2000); }), large = work_of([&] { c.read(20000); });
    INFO(c.what << ": " << small << " steps for 2000 tensors, " << large << " for 20000");
    CHECK(small >= 2000);
    CHECK(large <= 15 * small);
  }
}

TEST_CASE("NaN or inf weights of every safetensors dtype are refused naming the file, tensor and element",
          "[io][safetensors]") {
  TempDir tmp;
  const mnet::Graph g = mnet::parse_config(R"({"name": "one", "resolution": 2, "input_channels": 1,
      "layers": [{"type": "conv", "name": "c", "out": 1, "kernel": 1, "bias": true}]})", "one.json");
  // c.weight [1, 1, 1, 1] = 1, then c.bias [1] non-finite, in each dtype.
  auto file = [](const std::string& dtype, int bytes, const std::string& buffer) {
    return st_file(R"({"c.weight":{"dtype":")" + dtype + R"(","shape":[1,1,1,1],"data_offsets":[0,)" +
                       std::to_string(bytes) + R"(]},"c.bias":{"dtype":")" + dtype + R"(","shape":[1],"data_offsets":[)" +
                       std::to_string(bytes) + "," + std::to_string(2 * bytes) + "]}}",
                   buffer);
  };
  const struct {
    const char* dtype;
    std::string bytes;
    const char* value;
  } cases[] = {
      {"F32", f32_bytes({1, -std::numeric_limits<float>::infinity()}), "-inf"},
      {"F16", le_bytes(0x3c00, 2) + le_bytes(0x7c00, 2), "inf"},
      {"BF16", le_bytes(0x3f80, 2) + le_bytes(0x7fc0, 2), "NaN"},
      {"F64", f64_bytes({1.0, std::numeric_limits<double>::quiet_NaN()}), "NaN"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.dtype) {
      const int width = int(c.bytes.size() / 2);
      const std::string path = tmp.write("w.safetensors", file(c.dtype, width, c.bytes));
      REQUIRE_INPUT_ERROR(mnet::load_weights(g, path),
                          path + ": tensor 'c.bias' (layer 'c' (conv)): element 0 is " + c.value +
                              "; weights must be finite (--allow-nonfinite runs anyway)");
      const mnet::WeightMap w = mnet::load_weights(g, path, mnet::NonFinite::warn);
      CHECK(w.at("c.weight") == std::vector<float>{1.0f});
      CHECK_FALSE(std::isfinite(w.at("c.bias")[0]));
    }
  }
}

TEST_CASE("a weights file larger than the model's declared tensors can be is refused before it is read",
          "[io][safetensors]") {
  TempDir tmp;
  const mnet::Graph g = mnet::parse_config(R"({"name": "one", "resolution": 2, "input_channels": 1,
      "layers": [{"type": "conv", "name": "c", "out": 1, "kernel": 1}]})", "one.json");
  // One declared value: at most 8 + header limit + 8 bytes.
  const std::string path = tmp.write("big.safetensors", std::string(size_t(mnet::kMaxSafetensorsHeaderBytes) + 17, ' '));
  REQUIRE_INPUT_ERROR(mnet::load_weights(g, path),
                      path + ": file is " + std::to_string(mnet::kMaxSafetensorsHeaderBytes + 17) + " bytes, more than the " +
                          std::to_string(mnet::kMaxSafetensorsHeaderBytes + 16) + " bytes that one's 1 declared weights");
}

