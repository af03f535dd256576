// End-to-end: hostile and malformed files given to the built mnet binary. Every one must end in
// exit code 3 (bad input) or 1 (a failure while writing), one error line on stderr that names the
// file and the problem, and no output file left behind.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <tuple>
#include <nlohmann/json.hpp>
#include <vector>

#include "config/config.h"
#include "io/npy.h"
#include "weights/safetensors.h"
#include "run/executor.h"
#include "weights/weights.h"
#include "testing.h"
#include "tflite_builder.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 3;

// One malformed file: what it is (the section name), its bytes, and a fragment of the error.
struct BadFile {
  std::string what;
  std::string bytes;
  std::string message;
};

std::string quote(const std::string& s) { return "'" + s + "'"; }


std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = char((v >> (8 * i)) & 0xff);
  return s;
}

// A safetensors file from its header text and data buffer, as the format lays them out.
std::string safetensors(const std::string& header, const std::string& data) {
  return le64(header.size()) + header + data;
}

// A .npy file, format 1.0, from its header dict text and data bytes.
std::string npy(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string s = "\x93NUMPY";
  s += '\x01';
  s += '\x00';
  s += char(header.size() & 0xff);
  s += char(header.size() >> 8);
  return s + header + data;
}

uint32_t crc32(const std::string& bytes) {
  uint32_t c = 0xffffffff;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320 & (0u - (c & 1)));
  }
  return ~c;
}

std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

std::string png_chunk(const std::string& type, const std::string& data) {
  return be32(uint32_t(data.size())) + type + data + be32(crc32(type + data));
}

// A well-formed PNG header declaring width x height 8-bit RGB pixels, with no pixel data.
std::string png_header_only(uint32_t width, uint32_t height) {
  const std::string ihdr = be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IEND", "");
}

// A small valid TFLite model, one of the fuzz seeds tests/fuzz/make_tflite_seeds.py writes.
std::string seed_tflite() { return read_text(generated_seed("tflite", "float_conv_dw_mean_fc.tflite")); }

// Everything `mnet run configs/tiny_custom.json` needs, valid, in a temp folder: weights written
// by the project's own writer, an input of the right shape, and an empty folder for outputs.
struct RunFixture {
  TempDir tmp;
  std::string config = source_path("configs/tiny_custom.json");
  Graph graph = load_config(config);
  std::vector<std::pair<std::string, TensorData>> tensors;  // graph order
  std::string weights, input;
  fs::path out_dir;

  RunFixture() {
    const WeightMap w = random_weights(graph, 7);
    for (int i = 0; i < int(graph.nodes.size()); ++i)
      for (const WeightDecl& d : graph.weights_of(i)) tensors.push_back({d.name, TensorData{d.shape, w.at(d.name)}});
    weights = tmp.file("w.safetensors");
    save_weights(graph, w, weights);
    input = tmp.file("x.npy");
    write_npy(input, TensorData{{1, 3, 32, 32}, std::vector<float>(3 * 32 * 32, 0.25f)});
    out_dir = tmp.path / "out";
    fs::create_directories(out_dir);
  }
  std::string output() const { return (out_dir / "y.npy").string(); }
  CommandResult run(const std::string& weights_path, const std::string& input_path) const {
    return run_mnet("run " + quote(config) + " --weights " + quote(weights_path) + " --input " + quote(input_path) +
                    " --output " + quote(output()));
  }
  // The weights file rewritten with `edit` applied to the tensor list.
  template <typename Edit>
  std::string weights_with(const std::string& name, Edit edit) const {
    std::vector<std::pair<std::string, TensorData>> copy = tensors;
    edit(copy);
    std::vector<std::pair<std::string, const TensorData*>> refs;
    for (const auto& [n, t] : copy) refs.push_back({n, &t});
    write_safetensors(tmp.file(name), refs);
    return tmp.file(name);
  }
};

}  // namespace

TEST_CASE("the fixture's weights and input run cleanly, so every rejection below is the bad file's doing") {
  RunFixture f;
  CommandResult r = f.run(f.weights, f.input);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(fs::exists(f.output()));
}

TEST_CASE("malformed configs are rejected with exit code 3 and the file and rule named") {
  const std::string ok_head = R"({"name": "x", "resolution": 32, "layers": )";
  const std::string tiny = read_text(source_path("configs/tiny_custom.json"));
  std::vector<BadFile> cases{
      {"a truncated config", tiny.substr(0, tiny.size() / 2), "invalid JSON"},
      {"an empty config", "", "line 1, column 1: invalid JSON"},
      {"a config that is not JSON", R"({"name": "x",, })", "line 1, column 14: invalid JSON"},
      {"an unknown layer type", ok_head + R"([{"type": "conv3d", "out": 8}]})", "unknown layer type 'conv3d'"},
      {"an unknown top-level key", R"({"name": "x", "resolution": 32, "strides": 2, "layers": [{"type": "relu"}]})",
       "/strides: unknown key 'strides'"},
      {"an unknown layer key", ok_head + R"([{"type": "conv", "out": 8, "kernel": 3, "strides": 2}]})",
       "/layers/0 (conv), layer 'conv1': unknown key 'strides'"},
      {"a missing resolution", R"({"name": "x", "layers": [{"type": "relu"}]})", "/resolution: missing field 'resolution'"},
      {"a layer without a type", ok_head + R"([{"name": "a", "out": 8}]})", "/layers/0: missing field 'type'"},
      {"stride 0", ok_head + R"([{"type": "conv", "out": 8, "kernel": 3, "stride": 0}]})", "stride must be between 1 and 8, got 0"},
      {"a kernel larger than its input", R"({"name": "x", "resolution": 4, "layers": [{"type": "conv", "out": 8, "kernel": 7, "pad": 0}]})",
       "kernel 7x7 larger than its padded input 4x4"},
      {"a negative resolution", R"({"name": "x", "resolution": -224, "layers": [{"type": "relu"}]})",
       "resolution must be between 1 and 8192, got -224"},
      {"width 0", R"({"name": "x", "resolution": 32, "width": 0, "layers": [{"type": "relu"}]})", "/width: width must be in (0, 8]"},
      {"a cycle through inputs", ok_head + R"([{"type": "relu", "name": "a", "inputs": ["b"]}, {"type": "relu", "name": "b", "inputs": ["a"]}]})",
       "/layers/0 (relu 'a'): input 'b' is not an earlier layer"},
      {"a layer reading itself", ok_head + R"([{"type": "relu", "name": "a", "inputs": ["a"]}]})", "input 'a' is not an earlier layer"},
      {"a dangling input", ok_head + R"([{"type": "relu", "name": "a", "inputs": ["nowhere"]}]})", "input 'nowhere' is not an earlier layer"},
      {"an add of mismatched shapes",
       ok_head + R"([{"type": "conv", "name": "a", "out": 8, "kernel": 1}, {"type": "conv", "name": "b", "out": 16, "kernel": 1}, )" +
           R"({"type": "add", "inputs": ["a", "b"]}]})",
       "inputs must have the same shape, got [8,32,32] and [16,32,32]"},
      {"JSON nested 100000 deep", ok_head + std::string(100000, '[') + std::string(100000, ']') + "}", "JSON nested deeper than kMaxJsonDepth"},
      {"10^6 layers through a repeat count", ok_head + R"([{"type": "dw_separable", "out": 8, "n": 1000000}]})",
       "'n' must be between 1 and 1000, got 1000000"},
      {"more layers than kMaxNodes through several repeats",
       ok_head + R"([{"type": "dw_separable", "out": 8, "n": 1000}, {"type": "dw_separable", "out": 8, "n": 1000}, )" +
           R"({"type": "dw_separable", "out": 8, "n": 1000}, {"type": "dw_separable", "out": 8, "n": 1000}]})",
       "too many layers (limit kMaxNodes = 10000)"},
      // Found by tests/fuzz/fuzz_config: the JSON library reports this as out_of_range, which
      // escaped as an unnamed exit-1 error.
      {"a number beyond the range of a double", R"({"name": "x", "resolution": 32, "width": 1e999, "layers": [{"type": "relu"}]})",
       "invalid JSON (number overflow parsing '1e999')"},
      // Found by tests/fuzz/fuzz_config: the attribute's type error escaped without the file name.
      {"an out_scaling that is not a string", ok_head + R"([{"type": "conv", "out": 8, "kernel": 3, "out_scaling": false}]})",
       "/layers/0 (conv): 'out_scaling' must be a string"},
      // A key holding a newline or a NUL must neither split the error line nor cut it short.
      {"an unknown key holding a newline", ok_head + R"([{"type": "conv", "out": 8, "kernel": 3, "str\nides": 2}]})",
       "unknown key 'str\\nides'"},
      {"an unknown key holding a NUL", ok_head + R"([{"type": "conv", "out": 8, "kernel": 3, "a\u0000b": 2}]})",
       "unknown key 'a\\x00b'"},
      {"an activation larger than kMaxActivationElements",
       R"({"name": "x", "resolution": 8192, "layers": [{"type": "conv", "out": 65536, "kernel": 1}]})", "exceeds kMaxActivationElements"},
  };
  for (const BadFile& c : cases) {
    DYNAMIC_SECTION(c.what) {
      TempDir tmp;
      const std::string config = tmp.write("bad.json", c.bytes);
      fs::create_directories(tmp.path / "out");
      CommandResult r = run_mnet("profile " + quote(config) + " --cost-only -o " + quote(tmp.file("out/p.txt")));
      require_clean_rejection(r, kExitBadInput, config + ": ", c.message, tmp.path / "out");
    }
  }
}

TEST_CASE("a directory given as the config is rejected as bad input") {
  TempDir tmp;
  fs::create_directories(tmp.path / "model.json");
  fs::create_directories(tmp.path / "out");
  CommandResult r = run_mnet("profile " + quote(tmp.file("model.json")) + " --cost-only -o " + quote(tmp.file("out/p.txt")));
  require_clean_rejection(r, kExitBadInput, tmp.file("model.json"), "config.json", tmp.path / "out");
}

TEST_CASE("a named pipe given as the config is rejected at once, not waited on") {
  TempDir tmp;
  const std::string fifo = tmp.file("model.json");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  fs::create_directories(tmp.path / "out");
  CommandResult r = run_mnet("profile " + quote(fifo) + " --cost-only -o " + quote(tmp.file("out/p.txt")));
  require_clean_rejection(r, kExitBadInput, fifo + ": ", "cannot read: not a regular file", tmp.path / "out");
}

TEST_CASE("malformed safetensors weights are rejected by mnet run with the file and tensor named") {
  RunFixture f;
  const std::string stem = f.tmp.file("st_");
  const std::string good = read_text(f.weights);
  const std::string one_f32 = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  std::vector<BadFile> cases{
      {"an empty file", "", "shorter than the 8-byte header length field"},
      {"a 7-byte file", std::string(7, '\x01'), "file is 7 bytes, shorter than the 8-byte header length field"},
      {"a header length larger than the file", le64(1000) + "{}", "length 1000 is larger than the 2 bytes after the length field"},
      {"a header length of 2^63", le64(uint64_t(1) << 63) + "{}", "exceeds the limit of"},
      {"a header that is not JSON", safetensors("{not json}", ""), "header: not valid JSON"},
      {"a header that is a JSON array", safetensors("[1, 2]", ""), "header: not a JSON object (found array)"},
      {"a header nested 100000 deep", safetensors(R"({"a":)" + std::string(100000, '[') + std::string(100000, ']') + "}", ""),
       "tensor 'a': entry is not a JSON object"},
      // The config fuzzer's finding, in the other JSON reader.
      {"a header number beyond the range of a double", safetensors(R"({"a":{"dtype":"F32","shape":[1e999],"data_offsets":[0,4]}})", ""),
       "header: not valid JSON (number overflow parsing '1e999')"},
      {"an I64 tensor", safetensors(R"({"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0')),
       "tensor 'a': unsupported dtype 'I64'"},
      {"overlapping data offsets",
       safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                   std::string(12, '\0')),
       "tensor 'b': data_offsets [4, 12] overlap tensor 'a' at [0, 8]"},
      {"data offsets past the buffer", safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(4, '\0')),
       "tensor 'a': data_offsets [0, 8] reach past the end of the 4-byte data buffer"},
      {"trailing bytes after the last tensor", good + std::string(4, '\0'), "trailing bytes not covered by any tensor"},
      {"trailing bytes in a one-tensor file", safetensors(one_f32, std::string(6, '\0')), "the data buffer is 6 bytes but the tensors cover only 4"},
      {"a negative dimension", safetensors(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", std::string(4, '\0')),
       "tensor 'a': shape dimension 0"},
      {"a shape whose element count overflows int64",
       safetensors(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}})", std::string(4, '\0')),
       "tensor 'a': shape dimension 0 is 4294967296, more than the limit of"},
      {"a shape whose product exceeds the element limit",
       safetensors(R"({"a":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,4]}})", std::string(4, '\0')),
       "tensor 'a': shape [65536, 65536] has more than"},
      {"a tensor named twice",
       safetensors(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                   std::string(8, '\0')),
       "tensor 'a': appears more than once in the header"},
  };
  for (const BadFile& c : cases) {
    DYNAMIC_SECTION(c.what) {
      const std::string path = f.tmp.write("bad.safetensors", c.bytes);
      require_clean_rejection(f.run(path, f.input), kExitBadInput, path + ": ", c.message, f.out_dir);
    }
  }

  SECTION("a weight whose shape differs from the config's declaration") {
    const std::string path = f.weights_with("shape.safetensors", [](auto& t) { t[0].second.shape = {16, 3, 9}; });
    require_clean_rejection(f.run(path, f.input), kExitBadInput, path + ": ", "tensor 'stem.weight' has shape [16, 3, 9]", f.out_dir);
  }
  SECTION("a declared weight that is missing") {
    const std::string path = f.weights_with("missing.safetensors", [](auto& t) { t.erase(t.begin() + 1); });
    require_clean_rejection(f.run(path, f.input), kExitBadInput, path + ": ", "tensor 'stem_bn.weight' is missing", f.out_dir);
  }
  SECTION("an extra tensor no layer declares") {
    const std::string path = f.weights_with("extra.safetensors", [](auto& t) { t.push_back({"fc.scale", TensorData{{1}, {1.0f}}}); });
    require_clean_rejection(f.run(path, f.input), kExitBadInput, path + ": ", "tensor 'fc.scale' is not declared by any layer", f.out_dir);
  }
}

TEST_CASE("malformed .npy inputs are rejected by mnet run with the file and rule named") {
  RunFixture f;
  const std::string good = read_text(f.input);
  std::string bad_magic = good;
  bad_magic[1] = 'P';
  std::string version9 = good;
  version9[6] = '\x09';
  std::string past_eof = good.substr(0, 10);
  past_eof[8] = '\xff';
  past_eof[9] = '\x7f';
  std::vector<BadFile> cases{
      {"an empty file", "", "not a .npy file"},
      {"a file with the wrong magic", bad_magic, "not a .npy file"},
      {"an unsupported format version", version9, "unsupported .npy format version 9.0"},
      {"truncated data", good.substr(0, good.size() - 5), "(file truncated)"},
      {"trailing data", good + "junk", "(trailing bytes)"},
      {"Fortran order", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 32, 32), }", std::string(3 * 32 * 32 * 4, '\0')),
       "fortran_order is True"},
      {"an int32 '<i4' array", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3, 32, 32), }", std::string(3 * 32 * 32 * 4, '\0')),
       "unsupported dtype '<i4'"},
      {"a big-endian '>f4' array", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (3, 32, 32), }", std::string(3 * 32 * 32 * 4, '\0')),
       "unsupported dtype '>f4'"},
      {"the wrong shape for the model", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 31), }", std::string(3 * 32 * 31 * 4, '\0')),
       "input has shape [1, 3, 32, 31], tiny_custom takes [1, 3, 32, 32]"},
      {"a header length past the end of the file", past_eof, "header: length 32767 is larger than the 0 bytes after the preamble"},
      {"a header that is not a dict", npy("('<f4', False, (3, 32, 32))", ""), "header: expected '{'"},
      {"a shape with a negative dimension", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 32, 32), }", ""),
       "shape dimension 0 is negative"},
      {"a shape whose element count overflows", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648, 2147483648, 4), }", ""),
       "has more than 2147483648 elements"},
  };
  for (const BadFile& c : cases) {
    DYNAMIC_SECTION(c.what) {
      const std::string path = f.tmp.write("bad.npy", c.bytes);
      require_clean_rejection(f.run(f.weights, path), kExitBadInput, path + ": ", c.message, f.out_dir);
    }
  }
}

TEST_CASE("an output path that cannot be written fails with exit code 1 and leaves nothing behind") {
  RunFixture f;
  SECTION("mnet run --output into a folder that does not exist") {
    const std::string out = (f.out_dir / "missing" / "y.npy").string();
    CommandResult r = run_mnet("run " + quote(f.config) + " --weights " + quote(f.weights) + " --input " + quote(f.input) +
                               " --output " + quote(out));
    require_clean_rejection(r, kExitFailure, out + ": ", "cannot write", f.out_dir);
  }
  SECTION("mnet profile -o into a folder that does not exist") {
    const std::string out = (f.out_dir / "missing" / "p.txt").string();
    CommandResult r = run_mnet("profile " + quote(f.config) + " --cost-only -o " + quote(out));
    require_clean_rejection(r, kExitFailure, out + ": ", "cannot write", f.out_dir);
  }
  SECTION("mnet run --output naming an existing folder") {
    fs::create_directories(f.out_dir / "y.npy");
    CommandResult r = run_mnet("run " + quote(f.config) + " --weights " + quote(f.weights) + " --input " + quote(f.input) +
                               " --output " + quote(f.output()));
    INFO(r.err);
    CHECK(r.exit_code == kExitFailure);
    CHECK_THAT(r.err, StartsWith("mnet: error: " + f.output() + ": cannot write"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(fs::is_empty(f.out_dir / "y.npy"));  // the folder is untouched
    CHECK(std::distance(fs::directory_iterator(f.out_dir), fs::directory_iterator()) == 1);  // no temp file
  }
}

TEST_CASE("a folder where mnet run expects a file is rejected as bad input") {
  RunFixture f;
  fs::create_directories(f.tmp.path / "dir.npy");
  fs::create_directories(f.tmp.path / "dir.safetensors");
  SECTION("the input") {
    require_clean_rejection(f.run(f.weights, f.tmp.file("dir.npy")), kExitBadInput, f.tmp.file("dir.npy") + ": ",
                            "is a directory", f.out_dir);
  }
  SECTION("the weights") {
    require_clean_rejection(f.run(f.tmp.file("dir.safetensors"), f.input), kExitBadInput, f.tmp.file("dir.safetensors") + ": ",
                            "is a directory", f.out_dir);
  }
}

TEST_CASE("malformed .tflite models are rejected by mnet import, which leaves no folder behind") {
  const std::string good = seed_tflite();
  REQUIRE(good.size() > 1000);
  std::string ident = good;
  ident.replace(4, 4, "XXXX");
  std::vector<BadFile> cases{
      {"an empty file", "", "file is 0 bytes, shorter than the 8-byte flatbuffer header"},
      {"a 3-byte file", "abc", "file is 3 bytes, shorter than the 8-byte flatbuffer header"},
      {"a truncated model", good.substr(0, good.size() / 2), "points outside the"},
      {"a model with the wrong file identifier", ident, "file identifier (bytes 4..8) is 'XXXX', expected 'TFL3'"},
      {"a root offset past the end", std::string("\xe8\x03\x00\x00TFL3", 8) + std::string(8, '\0'),
       "root table offset 1000 points outside the 16-byte buffer"},
  };
  for (const BadFile& c : cases) {
    DYNAMIC_SECTION(c.what) {
      TempDir tmp;
      const std::string model = tmp.write("bad.tflite", c.bytes);
      fs::create_directories(tmp.path / "out");
      CommandResult r = run_mnet("import " + quote(model) + " --out " + quote(tmp.file("out/model")));
      require_clean_rejection(r, kExitBadInput, model + ": tflite: ", c.message, tmp.path / "out");
    }
  }
}

// Found by tests/fuzz/fuzz_tflite: the importer took any tensor as a fully connected layer's bias,
// and the kernel read as many values as the layer has outputs (past the end of a shorter one).
TEST_CASE("a .tflite whose fully connected bias does not match its outputs is rejected before running") {
  RunFixture f;
  std::string model = seed_tflite();
  const std::string fc_inputs = le_bytes(8, 4) + le_bytes(9, 4) + le_bytes(10, 4);  // features, weights [3, 4], bias [3]
  const size_t at = model.find(fc_inputs);
  REQUIRE(at != std::string::npos);
  model.replace(at + 8, 4, le_bytes(5, 4));  // the depthwise bias, [4]
  const std::string path = f.tmp.write("fc_bias.tflite", model);
  const std::string input = f.tmp.file("x8.npy");
  write_npy(input, TensorData{{1, 3, 8, 8}, std::vector<float>(3 * 8 * 8, 0.5f)});
  CommandResult r = run_mnet("run " + quote(path) + " --input " + quote(input) + " --output " + quote(f.output()));
  require_clean_rejection(r, kExitBadInput, path + ": tflite: ", "tensor 'fc.bias' has 4 values, layer 'fc' (fc) declares [3]",
                          f.out_dir);
  fs::create_directories(f.tmp.path / "imports");
  CommandResult imported = run_mnet("import " + quote(path) + " --out " + quote(f.tmp.file("imports/m")));
  require_clean_rejection(imported, kExitBadInput, path + ": tensor 'fc.bias' has 4 values", "declares [3]", f.tmp.path / "imports");
}

// Found by tests/fuzz/fuzz_tflite: a tensor name that is not UTF-8 made writing the imported
// config throw a JSON library exception (exit 1, no file named).
TEST_CASE("a .tflite whose tensor names are not UTF-8 imports with printable layer names") {
  TempDir tmp;
  std::string model = seed_tflite();
  const std::string name = le_bytes(4, 4) + std::string("conv", 5);  // flatbuffer string: length, bytes, NUL
  const size_t at = model.find(name);
  REQUIRE(at != std::string::npos);
  model[at + 5] = '\xff';  // "c\xffnv"
  const std::string path = tmp.write("latin1.tflite", model);
  CommandResult r = run_mnet("import " + quote(path) + " --out " + quote(tmp.file("m")));
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(read_text(tmp.file("m/config.json")), Contains("\"c_nv\""));
}

// Found by tests/fuzz/fuzz_tflite: the importer read operator inputs by position, and tensor(-1)
// for an omitted one.
TEST_CASE("a .tflite operator with an omitted required input is rejected naming the operator") {
  TempDir tmp;
  const std::string path = generated_seed("tflite", "regression_omitted_input.tflite");
  fs::create_directories(tmp.path / "out");
  CommandResult r = run_mnet("import " + quote(path) + " --out " + quote(tmp.file("out/m")));
  require_clean_rejection(r, kExitBadInput, path + ": tflite: ", "operator 5 (HARD_SWISH): input 0 is omitted", tmp.path / "out");
}

// Found by tests/fuzz/fuzz_tflite: dequantizing computed q - zero_point in int64 with INT64_MIN.
TEST_CASE("a .tflite INT32 zero point outside the int32 range is rejected") {
  TempDir tmp;
  const std::string path = generated_seed("tflite", "regression_int32_zero_point_int64_min.tflite");
  fs::create_directories(tmp.path / "out");
  CommandResult r = run_mnet("import " + quote(path) + " --out " + quote(tmp.file("out/m")));
  require_clean_rejection(r, kExitBadInput, path + ": tflite: ", "zero point -9223372036854775808 is outside the range of INT32",
                          tmp.path / "out");
}

TEST_CASE("mnet classify rejects a malformed .tflite model before reading any image") {
  TempDir tmp;
  const std::string model = tmp.write("bad.tflite", seed_tflite().substr(0, 100));
  const std::string image = tmp.write("ok.png", png_header_only(4, 4));
  fs::create_directories(tmp.path / "out");
  CommandResult r = run_mnet("classify " + quote(model) + " " + quote(image) + " -o " + quote(tmp.file("out/c.txt")));
  require_clean_rejection(r, kExitBadInput, model + ": tflite: ", "points outside the", tmp.path / "out");
}

TEST_CASE("mnet classify reports each bad image on one line and exits 1") {
  RunFixture f;
  std::vector<BadFile> cases{
      {"a PNG claiming 100000x100000 pixels", png_header_only(100000, 100000),
       "image declares 100000x100000 pixels, over kMaxImagePixels"},
      {"an empty image", "", "file is empty, not a JPEG, PNG or BMP image"},
      {"a text file", "hello, I am not a picture\n", "not a JPEG, PNG or BMP image"},
      {"a PNG whose header is cut short", png_header_only(4, 4).substr(0, 20), "truncated: the file ends inside its PNG header"},
  };
  for (const BadFile& c : cases) {
    DYNAMIC_SECTION(c.what) {
      const std::string image = f.tmp.write("bad.png", c.bytes);
      CommandResult r = run_mnet("classify " + quote(f.config) + " --weights " + quote(f.weights) + " " + quote(image));
      INFO("stderr: " << r.err);
      CHECK(r.exit_code == kExitFailure);  // the work failed for some images; the model was fine
      CHECK_THAT(r.err, StartsWith("mnet: error: " + image + ": "));
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      CHECK_THAT(r.err, Contains(c.message));
    }
  }
}

// Found by tests/fuzz/fuzz_image: stb_image 2.27 decoded this scan with AC Huffman table 1, which
// the file never defines, straight from uninitialised memory. Filling fresh allocations with 0xff
// (honoured by the sanitizer build only) makes the old out-of-bounds read certain.
TEST_CASE("a progressive JPEG scan using a Huffman table the file never defines decodes from zeroed tables") {
  RunFixture f;
  const std::string image = f.tmp.write("undefined_huffman.jpg", std::string("\xff\xd8\xff\xc2\x00\x11\x08\x08\x11\x00\x09\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xda\x00\x08\x01\x02\x01\x01\x3f\x10\x9b\xcc\xff\xd9", 35));
  const char* old = std::getenv("ASAN_OPTIONS");
  const std::string saved = old ? old : "";
  setenv("ASAN_OPTIONS", (saved + (saved.empty() ? "" : ":") + "malloc_fill_byte=255:max_malloc_fill_size=1073741824").c_str(), 1);
  CommandResult r = run_mnet("classify " + quote(f.config) + " --weights " + quote(f.weights) + " " + quote(image));
  if (old) setenv("ASAN_OPTIONS", saved.c_str(), 1);
  else unsetenv("ASAN_OPTIONS");
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("undefined_huffman.jpg"));
}

// Issue 11: OpenBLAS under an address-space limit (ulimit -v)

namespace {

// `args` run under `ulimit -v KIB` with the calibration cache in `cache_dir`, stopped after 120 s
// so that a hang fails the test instead of stalling it (timeout's exit status 124).
// MNET_TEST_DISTURBED=0: what these check is the memory limit, not whether a busy machine lets
// calibrate cache its figures (it refuses, exit 1).
CommandResult run_mnet_with_address_limit(long kib, const std::string& args, const std::string& cache_dir) {
  return run_command("MNET_TEST_DISTURBED=0 MNET_CACHE_DIR=" + shell_quote(cache_dir) + " timeout 120 sh -c " +
                     shell_quote("ulimit -v " + std::to_string(kib) + " && exec " + MNET_BINARY + " " + args));
}

}  // namespace

TEST_CASE("under a low ulimit -v mnet answers instead of hanging in OpenBLAS's start-up") {
#ifdef MNET_SANITIZED
  WARN("skipped: AddressSanitizer reserves terabytes of address space, so nothing runs under ulimit -v");
  return;
#endif
  TempDir tmp, cache;
  SECTION("--version says OpenBLAS is unavailable and why") {
    CommandResult r = run_mnet_with_address_limit(256 << 10, "--version", cache.path.string());
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("OpenBLAS unavailable"));
    CHECK_THAT(r.out, Contains("ulimit -v"));
  }
  SECTION("a cost table needs no BLAS") {
    CommandResult r = run_mnet_with_address_limit(
        256 << 10, "profile " + shell_quote(source_path("configs/mobilenet_v1.json")) + " --cost-only",
        cache.path.string());
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("568,740,352"));
  }
  SECTION("work that needs BLAS fails with one line naming the limit") {
    // calibrate times OpenBLAS's own sgemm beside the engine's GEMM.
    CommandResult r = run_mnet_with_address_limit(256 << 10, "calibrate --threads 1", cache.path.string());
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == kExitFailure);
    CHECK_THAT(r.err, StartsWith("mnet: error: "));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_THAT(r.err, Contains("address-space limit (ulimit -v)"));
    CHECK(fs::is_empty(cache.path));
  }
  SECTION("no limit between too little and enough hangs: each is an answer or one error line") {
    // OpenBLAS's own buffers (one per thread at start, one more at the first large sgemm) once
    // hung mnet for limits just above what the start-up check asked for.
    for (long kib : {270000L, 290000L, 330000L, 380000L, 430000L, 500000L}) {
      CommandResult r = run_mnet_with_address_limit(kib, "calibrate --threads 2", cache.path.string());
      INFO("ulimit -v " << kib << ", stderr: " << r.err);
      CHECK((r.exit_code == 0 || r.exit_code == kExitFailure));
      if (r.exit_code == kExitFailure) CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
  }
  SECTION("many threads under a limit get the OpenBLAS buffers that fit, not a hang") {
    CommandResult r = run_mnet_with_address_limit(2 << 20, "calibrate --threads 32", cache.path.string());
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
  }
}

// Issue 11: outputs, signals and error lines

namespace {

// A config whose output (32 x 512 x 512 floats, 32 MiB) takes long enough to write that a test can
// see its temp file, and the input it takes.
struct WideRun {
  TempDir tmp;
  std::string config, weights, input;
  fs::path out_dir = tmp.path / "out";
  explicit WideRun(int resolution = 512) {
    config = tmp.write("wide.json", "{\"name\": \"wide\", \"resolution\": " + std::to_string(resolution) +
                                        ", \"layers\": [{\"type\": \"conv\", \"name\": \"c\", \"out\": 32, \"kernel\": 1}]}");
    // Weights given, so that stderr holds nothing but the error line.
    const Graph g = load_config(config);
    weights = tmp.file("w.safetensors");
    save_weights(g, random_weights(g, 3), weights);
    input = tmp.file("x.npy");
    write_npy(input, TensorData{{1, 3, resolution, resolution},
                                std::vector<float>(size_t(3) * resolution * resolution, 0.5f)});
    fs::create_directories(out_dir);
  }
};

bool has_temp(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".mnet-tmp-") != std::string::npos) return true;
  return false;
}

// Runs mnet with `args` (no shell), sends `sig` as soon as `dir` holds a temporary and returns the
// wait status; -1 if mnet ended before one appeared.
int signal_when_temp_appears(const std::vector<std::string>& args, const fs::path& dir, int sig) {
  std::vector<std::string> words{MNET_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
    ::signal(sig, SIG_DFL);  // not ignored, even if the test runner was started in the background
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  REQUIRE(pid > 0);
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return -1;
    std::error_code ec;
    if (fs::exists(dir, ec) && has_temp(dir)) break;
  }
  ::kill(pid, sig);
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return status;
}

}  // namespace

TEST_CASE("mnet -o /dev/null writes through and leaves /dev/null a character device") {
  CommandResult r = run_mnet("info " + quote(source_path("configs/tiny_custom.json")) + " -o /dev/null");
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  struct stat st {};
  REQUIRE(::lstat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
}

TEST_CASE("mnet -o /dev/stdout writes to stdout, a pipe or a file it appends to") {
  const std::string info = MNET_BINARY + std::string(" info ") + quote(source_path("configs/tiny_custom.json"));
  CommandResult plain = run_command(info);
  REQUIRE(plain.exit_code == 0);
  CommandResult piped = run_command("sh -c " + shell_quote(info + " -o /dev/stdout | cat"));
  CHECK(piped.exit_code == 0);
  CHECK(piped.err.empty());
  CHECK(piped.out == plain.out);
  // Stdout appending to a file: written through the open descriptor, so the file keeps what it had.
  TempDir tmp;
  const std::string log = tmp.write("log.txt", "first line\n");
  CommandResult appended = run_command("sh -c " + shell_quote(info + " -o /dev/stdout >>" + quote(log)));
  CHECK(appended.exit_code == 0);
  CHECK(read_text(log) == "first line\n" + plain.out);
  CHECK(tmp.entries() == std::vector<std::string>{"log.txt"});
}

TEST_CASE("mnet -o through a symlink writes the file it points at and keeps the link") {
  TempDir tmp;
  const std::string target = tmp.write("target.txt", "old");
  fs::create_symlink(target, tmp.file("link.txt"));
  CommandResult r = run_mnet("info " + quote(source_path("configs/tiny_custom.json")) + " -o " + quote(tmp.file("link.txt")));
  CHECK(r.exit_code == 0);
  CHECK(fs::is_symlink(tmp.file("link.txt")));
  CHECK_THAT(read_text(target), StartsWith("tiny_custom"));
  CHECK(tmp.entries() == std::vector<std::string>{"link.txt", "target.txt"});
}

TEST_CASE("SIGTERM or SIGINT while mnet run writes its output leaves no temp file and ends by the signal") {
  for (int sig : {SIGTERM, SIGINT}) {
    DYNAMIC_SECTION(strsignal(sig)) {
      WideRun f;
      int status = -1;
      // The temp file lives for the write alone; mnet may finish before the poll sees it.
      for (int attempt = 0; attempt < 5 && status == -1; ++attempt) {
        fs::remove_all(f.out_dir);
        fs::create_directories(f.out_dir);
        status = signal_when_temp_appears({"run", f.config, "--input", f.input, "--output", (f.out_dir / "y.npy").string()},
                                          f.out_dir, sig);
      }
      REQUIRE(status != -1);
      CHECK(WIFSIGNALED(status));
      CHECK(WTERMSIG(status) == sig);
      CHECK_FALSE(has_temp(f.out_dir));
    }
  }
}

TEST_CASE("SIGTERM or SIGINT while mnet import writes leaves no staging folder and ends by the signal") {
  if (testdata().empty()) {
    WARN("skipped: MNET_TESTDATA is not set");
    return;
  }
  const std::string model = testdata() + "/models/mobilenet_v2_1.0_224_quant.tflite";
  for (int sig : {SIGTERM, SIGINT}) {
    DYNAMIC_SECTION(strsignal(sig)) {
      TempDir tmp;
      const fs::path out = tmp.path / "out";
      int status = -1;
      for (int attempt = 0; attempt < 5 && status == -1; ++attempt) {
        fs::remove_all(out);
        fs::create_directories(out);
        status = signal_when_temp_appears({"import", model, "--out", (out / "m").string()}, out, sig);
      }
      REQUIRE(status != -1);
      CHECK(WIFSIGNALED(status));
      CHECK(WTERMSIG(status) == sig);
      CHECK_FALSE(has_temp(out));
    }
  }
}

TEST_CASE("a write past ulimit -f is one error line, exit code 1 and no temp file") {
  WideRun f(64);  // a 512 KiB output
  const std::string info = "info " + quote(source_path("configs/mobilenet_v2.json")) + " -o " + quote((f.out_dir / "info.txt").string());
  const std::string run = "run " + quote(f.config) + " --weights " + quote(f.weights) + " --input " + quote(f.input) + " --output " + quote((f.out_dir / "y.npy").string());
  for (const std::string& args : {info, run}) {
    DYNAMIC_SECTION(args.substr(0, 4)) {
      CommandResult r = run_command("sh -c " + shell_quote("ulimit -f 1; exec " + std::string(MNET_BINARY) + " " + args));
      const std::string named = (f.out_dir / (args == info ? "info.txt" : "y.npy")).string() + ": ";
      require_clean_rejection(r, kExitFailure, named, "cannot write: File too large", f.out_dir);
    }
  }
}

TEST_CASE("the next run writing the same output removes temporaries left by a killed mnet") {
  RunFixture f;
  const std::string dead = std::to_string(dead_pid());
  write_bytes((f.out_dir / (".y.npy.mnet-tmp-" + dead + "-abcdefgh")).string(), std::string(4096, 'x'));
  CommandResult r = run_mnet("run " + quote(f.config) + " --weights " + quote(f.weights) + " --input " + quote(f.input) +
                             " --output " + quote(f.output()));
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(f.out_dir)) left.push_back(e.path().filename().string());
  CHECK(left == std::vector<std::string>{"y.npy"});

  // An import's staging folder, with what it held.
  const fs::path staging = f.out_dir / (".m.mnet-tmp-" + dead + "-abcdefgh");
  fs::create_directories(staging);
  write_bytes((staging / "weights.safetensors").string(), "partial");
  const std::string model = generated_seed("tflite", "float_conv_dw_mean_fc.tflite");
  CommandResult imported = run_mnet("import " + quote(model) + " --out " + quote((f.out_dir / "m").string()));
  INFO("stderr: " << imported.err);
  CHECK(imported.exit_code == 0);
  CHECK_FALSE(fs::exists(staging));
  CHECK(fs::is_regular_file(f.out_dir / "m" / "config.json"));
}

TEST_CASE("a reader that closes stdout early ends mnet quietly with exit code 0") {
  TempDir tmp;
  std::string bin = MNET_BINARY, sub = "info", config = source_path("configs/mobilenet_v2.json");
  char* argv[] = {bin.data(), sub.data(), config.data(), nullptr};
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]);  // the reader is gone before mnet writes a byte
  const std::string err = tmp.file("err");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);  // as a shell starts it
    ::dup2(fds[1], 1);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(e, 2);
    ::execv(argv[0], argv);
    ::_exit(127);
  }
  ::close(fds[1]);
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("stderr: " << read_text(err));
  CHECK_FALSE(WIFSIGNALED(status));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(read_text(err).empty());
}

TEST_CASE("running out of memory is one error line naming the model") {
#ifdef MNET_SANITIZED
  WARN("skipped: AddressSanitizer reserves terabytes of address space, so nothing runs under ulimit -v");
  return;
#endif
  TempDir cache;
  const std::string config = source_path("configs/mobilenet_v1.json");
  // 4096x4096 activations need several GiB, far past a 1.5 GiB address space.
  CommandResult r = run_mnet_with_address_limit(1500 << 10, "profile " + quote(config) + " --resolution 4096 --runs 1 --warmup 0",
                                                cache.path.string());
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == kExitFailure);
  CHECK(r.out.empty());
  // The error is the last line; before it stands only the note on random weights.
  const size_t error_at = r.err.find("mnet: error: ");
  REQUIRE(error_at != std::string::npos);
  const std::string error = r.err.substr(error_at);
  CHECK(error == "mnet: error: " + config + ": out of memory while running 'mnet profile' (a memory allocation failed)\n");
  CHECK(std::count(r.err.begin(), r.err.begin() + long(error_at), '\n') <= 1);
}

TEST_CASE("threads the process limit does not allow are one error line, not libgomp's") {
  if (run_command("command -v prlimit >/dev/null && command -v setpriv").exit_code != 0) {
    WARN("skipped: prlimit or setpriv (util-linux) is missing");
    return;
  }
  // Root is exempt from RLIMIT_NPROC: run as nobody. detect_leaks=0: LeakSanitizer needs a thread.
  const std::string as_user = ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
  CommandResult r = run_command("ASAN_OPTIONS=detect_leaks=0 " + as_user + "prlimit --nproc=1 " + MNET_BINARY + " bench " +
                                quote(source_path("configs/tiny_custom.json")) + " --threads 1,4 --runs 1 --warmup 0");
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == kExitFailure);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, StartsWith("mnet: error: --threads 4: cannot start 4 threads, only 1 could run at once ("));
  CHECK_THAT(r.err, Contains("ulimit -u) is 1"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, !Contains("libgomp"));
}

// Issue 11: numbers, duplicate keys and weight names in configs
TEST_CASE("configs with colliding weight names, out-of-range numbers or duplicate keys are rejected before running") {
  const std::string head = R"({"name": "x", "resolution": 8, "layers": )";
  std::vector<BadFile> cases{
      // The SE layer's product read past the conv's smaller s.fc1.weight: SIGSEGV, ASan heap-buffer-overflow.
      {"a conv named like an SE layer's weights",
       head + R"([{"type": "conv", "name": "c", "out": 16, "kernel": 1}, {"type": "se", "name": "s", "squeeze": 8}, )" +
           R"({"type": "conv", "name": "s.fc1", "out": 64, "kernel": 1}]})",
       "/layers/2 (conv 's.fc1'): weight 's.fc1.weight' of layer 's.fc1' is also a weight of layer 's'"},
      // UBSan: signed overflow of out_ratio × channels; Release built 2 channels.
      {"a huge conv_bn out_ratio", head + R"([{"type": "conv_bn", "out_ratio": 2147483647, "kernel": 1}]})",
       "/layers/0 (conv_bn): out_ratio must be between 1 and 65536, got 2147483647"},
      // Each of these was truncated to 32 bits (4294967304 → 8) and accepted.
      {"conv out above 2^32", head + R"([{"type": "conv", "out": 4294967304, "kernel": 1}]})",
       "out must be between 1 and 65536, got 4294967304"},
      {"conv stride above 2^32", head + R"([{"type": "conv", "out": 8, "kernel": 1, "stride": 4294967297}]})",
       "stride must be between 1 and 8, got 4294967297"},
      {"conv kernel above 2^32", head + R"([{"type": "conv", "out": 8, "kernel": 4294967297}]})",
       "kernel must be between 1 and 15, got 4294967297"},
      {"conv pad above 2^32", head + R"([{"type": "conv", "out": 8, "kernel": 3, "pad": 4294967297}]})",
       "pad must be between 0 and 2, got 4294967297"},
      {"conv groups above 2^32", head + R"([{"type": "conv", "out": 8, "kernel": 1, "groups": 4294967297}]})",
       "groups must be between 1 and 65536, got 4294967297"},
      {"conv in above 2^32", head + R"([{"type": "conv", "out": 8, "kernel": 1, "in": 4294967299}]})",
       "in must be between 1 and 65536, got 4294967299"},
      {"fc out above 2^32", head + R"([{"type": "gap"}, {"type": "fc", "out": 4294967306}]})",
       "out must be between 1 and 65536, got 4294967306"},
      {"se squeeze above 2^32", head + R"([{"type": "se", "squeeze": 4294967297}]})",
       "squeeze must be between 1 and 65536, got 4294967297"},
      {"bneck kernel above 2^32", head + R"([{"type": "bneck", "kernel": 4294967299, "exp": 16, "out": 16}]})",
       "'kernel' must be 3, 5 or 7, got 4294967299"},
      {"fake_quant zero point above 2^32", head + R"([{"type": "fake_quant", "scale": 0.1, "zero_point": 4294967296}]})",
       "zero_point must be between -65536 and 65536, got 4294967296"},
      {"fake_quant qmax above 2^32", head + R"([{"type": "fake_quant", "scale": 0.1, "qmax": 4294967551}]})",
       "qmax must be between -65536 and 65536, got 4294967551"},
      {"resolution above 2^32", R"({"name": "x", "resolution": 4294967304, "layers": [{"type": "relu"}]})",
       "/resolution: resolution must be between 1 and 8192, got 4294967304"},
      // Became an infinite float scale: every output NaN.
      {"fake_quant scale 1e300", head + R"([{"type": "fake_quant", "scale": 1e300}]})",
       "/layers/0 (fake_quant), layer 'fake_quant1': scale must be between 1e-30 and 1e+30, got 1e+300"},
      {"bn eps 1e300", head + R"([{"type": "conv", "out": 8, "kernel": 1}, {"type": "bn", "eps": 1e300}]})",
       "/layers/1 (bn), layer 'bn1': eps must be between 1e-12 and 1, got 1e+300"},
      {"bn_eps 1e300", R"({"name": "x", "resolution": 8, "bn_eps": 1e300, "layers": [{"type": "relu"}]})",
       "/bn_eps: must be a number between 1e-12 and 1, got 1e+300"},
      {"preprocess std 1e-300",
       R"({"name": "x", "resolution": 8, "preprocess": {"std": [1, 1e-300, 1]}, "layers": [{"type": "relu"}]})",
       "/preprocess/std/1: std must be between 1e-05 and 65536, got 1e-300"},
      // The last value used to win silently.
      {"a duplicated top-level key", R"({"name": "x", "resolution": 8, "resolution": 224, "layers": [{"type": "relu"}]})",
       "/resolution: duplicate key 'resolution' (a key may appear only once in an object)"},
      {"a duplicated layer key", head + R"([{"type": "conv", "out": 8, "kernel": 1, "out": 4294967304}]})",
       "/layers/0/out: duplicate key 'out'"},
  };
  for (const BadFile& c : cases) {
    DYNAMIC_SECTION(c.what) {
      TempDir tmp;
      const std::string config = tmp.write("bad.json", c.bytes);
      fs::create_directories(tmp.path / "out");
      // A timed profile executes the model with random weights, as the crash did.
      CommandResult r = run_mnet("profile " + quote(config) + " --runs 1 --warmup 0 -o " + quote(tmp.file("out/p.txt")));
      require_clean_rejection(r, kExitBadInput, config + ": ", c.message, tmp.path / "out");
    }
  }
}

TEST_CASE("options --width and --resolution outside their range are usage errors, NaN included") {
  constexpr int kExitUsage = 2;
  const std::string config = quote(source_path("configs/tiny_custom.json"));
  const std::vector<std::pair<std::string, std::string>> cases{
      {"--width nan", "--width: width must be a number in (0, 8], got nan"},  // was ignored: the config's own width
      {"--width 0", "--width: width must be a number in (0, 8], got 0"},      // named DBL_MAX in 300 digits
      {"--width inf", "--width: width must be a number in (0, 8], got inf"},
      {"--width 9", "--width: width must be a number in (0, 8], got 9"},
      {"--resolution 4294967520", "--resolution"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.first) {
      TempDir tmp;
      CommandResult r = run_mnet("profile " + config + " --cost-only " + c.first + " -o " + quote(tmp.file("p.txt")));
      require_clean_rejection(r, kExitUsage, c.first.substr(0, c.first.find(' ')), c.second, tmp.path);
    }
  }
}

// Issue 11: TFLite squeeze-excite, labels, names and non-finite quantization
namespace {

namespace tfl = mnet::testing::tfl;

// A 24-bit uncompressed 4x4 BMP with a colour gradient.
std::string small_bmp() {
  std::string s = "BM" + le_bytes(54 + 16 * 4, 4) + le_bytes(0, 4) + le_bytes(54, 4) + le_bytes(40, 4) + le_bytes(4, 4) +
                  le_bytes(4, 4) + le_bytes(1, 2) + le_bytes(24, 2) + le_bytes(0, 4) + le_bytes(16 * 4, 4) +
                  le_bytes(2835, 4) + le_bytes(2835, 4) + le_bytes(0, 4) + le_bytes(0, 4);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) s += std::string{char(x * 60), char(y * 60), char(128)};
  }
  return s;
}

}  // namespace

TEST_CASE("a .tflite whose layer names would share a weight name runs, imports and classifies") {
  TempDir tmp;
  // SE layer "se" owns "se.fc1.weight"; the conv after it is called "se.fc1" in the file.
  const std::string model = tmp.write("collide.tflite", tfl::squeeze_excite_model({}).bytes());
  const std::string input = tmp.file("x.npy");
  std::vector<float> x(3 * 16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) * 0.3f - 1.0f;
  write_npy(input, TensorData{{1, 3, 4, 4}, x});
  CommandResult ran = run_mnet("run " + quote(model) + " --input " + quote(input) + " --output " + quote(tmp.file("y.npy")));
  INFO("run: " << ran.err);
  REQUIRE(ran.exit_code == 0);
  CommandResult imported = run_mnet("import " + quote(model) + " --out " + quote(tmp.file("m")));
  INFO("import: " << imported.err);
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(read_text(tmp.file("m/config.json")), Contains("\"se.fc1_2\""));
  // The folder computes what the .tflite does: every layer kept its own weights.
  CommandResult again = run_mnet("run " + quote(tmp.file("m")) + " --input " + quote(input) + " --output " + quote(tmp.file("y2.npy")));
  INFO("run folder: " << again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(read_npy(tmp.file("y.npy")).data == read_npy(tmp.file("y2.npy")).data);
  const std::string image = tmp.write("img.bmp", small_bmp());
  for (const std::string& m : {model, tmp.file("m")}) {
    // Its output is [2,4,4], no classifier's: --raw prints it (classify refuses it otherwise).
    CommandResult classified = run_mnet("classify " + quote(m) + " " + quote(image) + " --raw");
    INFO("classify " << m << ": " << classified.err);
    CHECK(classified.exit_code == 0);
    CHECK_THAT(classified.out, Contains("img.bmp"));
  }
}

TEST_CASE("a .tflite squeeze-excite gate that is not h-sigmoid is refused by run and import, naming the file") {
  TempDir tmp;
  tfl::SqueezeExciteSpec spec;
  spec.mul_constant = {1.0f / 6, 0.5f};
  const std::string model = tmp.write("gate.tflite", tfl::squeeze_excite_model(spec).bytes());
  fs::create_directories(tmp.path / "out");
  CommandResult imported = run_mnet("import " + quote(model) + " --out " + quote(tmp.file("out/m")));
  // The gate's ADD (operator 3) comes first and says why it is not part of a squeeze-excite.
  require_clean_rejection(imported, kExitBadInput, model + ": tflite: operator 3 (ADD): ",
                          "MUL (operator 4)'s constant tensor 10 'sixth' holds 2 values, not one", tmp.path / "out");
  const std::string input = tmp.file("x.npy");
  write_npy(input, TensorData{{1, 3, 4, 4}, std::vector<float>(48, 0.5f)});
  CommandResult ran = run_mnet("run " + quote(model) + " --input " + quote(input) + " --output " + quote(tmp.file("out/y.npy")));
  require_clean_rejection(ran, kExitBadInput, model + ": tflite: ", "holds 2 values, not one", tmp.path / "out");
}

TEST_CASE("labels that do not match the model's classes are refused by import and classify, naming the file") {
  TempDir tmp;
  fs::create_directories(tmp.path / "out");
  const std::string image = tmp.write("img.bmp", small_bmp());
  SECTION("--labels with 2 lines for 3 classes") {
    const std::string model = tmp.write("c.tflite", tfl::classifier("").bytes());
    const std::string labels = tmp.write("two.txt", "cat\ndog\n");
    CommandResult r = run_mnet("import " + quote(model) + " --out " + quote(tmp.file("out/m")) + " --labels " + quote(labels));
    require_clean_rejection(r, kExitBadInput, labels + ": ", "has 2 labels, the model outputs 3 classes", tmp.path / "out");
  }
  SECTION("labels in the .tflite's metadata, 2 for 3 classes") {
    const std::string model = tmp.write("c.tflite", tfl::classifier("cat\ndog\n").bytes());
    CommandResult r = run_mnet("import " + quote(model) + " --out " + quote(tmp.file("out/m")));
    require_clean_rejection(r, kExitBadInput, model + ": labels in its metadata ('labels.txt'): ",
                            "has 2 labels, the model outputs 3 classes", tmp.path / "out");
    CommandResult c = run_mnet("classify " + quote(model) + " " + quote(image) + " -o " + quote(tmp.file("out/c.txt")));
    require_clean_rejection(c, kExitBadInput, model + ": labels in its metadata: ", "has 2 labels, c outputs 3 classes",
                            tmp.path / "out");
  }
  SECTION("3 labels in the metadata for 3 classes are kept") {
    const std::string model = tmp.write("c.tflite", tfl::classifier("cat\ndog\nowl\n").bytes());
    CommandResult r = run_mnet("import " + quote(model) + " --out " + quote(tmp.file("m")));
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    CHECK(read_text(tmp.file("m/labels.txt")) == "cat\ndog\nowl\n");
    CommandResult c = run_mnet("classify " + quote(tmp.file("m")) + " " + quote(image));
    INFO("stderr: " << c.err);
    CHECK(c.exit_code == 0);
    CHECK_THAT(c.out, Contains("owl"));
  }
}

TEST_CASE("a .tflite whose quantized weights overflow float is refused by run, profile and import") {
  TempDir tmp;
  tfl::Model m;
  const int x = m.tensor({"input", {1, 4, 4, 3}});
  const int w = m.tensor({"w", {2, 1, 1, 3}, tfl::kUint8, std::string(6, char(200)), {3e38f}, {0}});
  const int y = m.tensor({"out", {1, 4, 4, 2}});
  m.conv(x, w, m.constant("bias", {2}, {0.0f, 0.0f}), y);
  m.inputs = {x};
  m.outputs = {y};
  const std::string model = tmp.write("huge_scale.tflite", m.bytes());
  const std::string input = tmp.file("x.npy");
  write_npy(input, TensorData{{1, 3, 4, 4}, std::vector<float>(48, 0.5f)});
  fs::create_directories(tmp.path / "out");
  const std::string named = model + ": tflite: tensor 1 'w': ";
  const std::string why = "element 0 (200 - zero point 0) * scale 3e+38 is inf, weights and biases must be finite floats";
  require_clean_rejection(run_mnet("run " + quote(model) + " --input " + quote(input) + " --output " + quote(tmp.file("out/y.npy"))),
                          kExitBadInput, named, why, tmp.path / "out");
  require_clean_rejection(run_mnet("profile " + quote(model) + " --cost-only -o " + quote(tmp.file("out/p.txt"))),
                          kExitBadInput, named, why, tmp.path / "out");
  require_clean_rejection(run_mnet("import " + quote(model) + " --out " + quote(tmp.file("out/m"))), kExitBadInput, named, why,
                          tmp.path / "out");
}

// Issue 11: total memory and non-finite numbers

TEST_CASE("a model whose planned peak memory is over the limit is refused before its weights are allocated") {
  TempDir tmp;
  fs::create_directories(tmp.path / "out");
  // 3x256x256 inputs into 65536 outputs: a 48 GiB weight matrix, more than any test machine has.
  const std::string huge = tmp.write("huge_fc.json", R"({"name": "huge_fc", "resolution": 256, "input_channels": 3,
      "layers": [{"type": "fc", "name": "fc", "out": 65536}]})");
  const std::string input = tmp.file("x.npy");
  write_npy(input, TensorData{{1, 3, 256, 256}, std::vector<float>(3 * 256 * 256, 0.5f)});
  const std::string over = "huge_fc needs an estimated ";
  const std::string default_limit = "of physical memory, kMaxMemoryShareOfRam; --max-memory changes it)";
  for (const std::string& args :
       {"run " + quote(huge) + " --input " + quote(input) + " --output " + quote(tmp.file("out/y.npy")),
        "profile " + quote(huge) + " --runs 1 --warmup 0 -o " + quote(tmp.file("out/p.txt")),
        "bench " + quote(huge) + " --runs 1 --warmup 0 --threads 1,2", "compare " + quote(huge) + " --runs 1 --warmup 0"}) {
    DYNAMIC_SECTION(args.substr(0, args.find(' '))) {
      CommandResult r = run_mnet(args);
      require_clean_rejection(r, kExitBadInput, huge + ": ", over, tmp.path / "out");
      CHECK_THAT(r.err, Contains(default_limit));
      CHECK_THAT(r.err, Contains("(weights 48.0 GiB, "));
      // Refused before the random weights: that would have taken minutes and 48 GiB.
      CHECK_THAT(r.err, !Contains("using random weights"));
    }
  }
  SECTION("--max-memory lowers the limit, and names itself in the error") {
    const std::string v1 = source_path("configs/mobilenet_v1.json");
    CommandResult r = run_mnet("profile " + quote(v1) + " --width 0.25 --resolution 8192 --runs 1 --warmup 0 --max-memory 2G");
    require_clean_rejection(r, kExitBadInput, v1 + ": ", "mobilenet_v1 needs an estimated ", tmp.path / "out");
    CHECK_THAT(r.err, Contains("more than the limit of 2.00 GiB (--max-memory)"));
    RunFixture f;
    r = run_mnet("run " + quote(f.config) + " --weights " + quote(f.weights) + " --input " + quote(f.input) + " --output " +
                 quote(f.output()) + " --max-memory 64K");
    require_clean_rejection(r, kExitBadInput, f.config + ": ", "tiny_custom needs an estimated ", f.out_dir);
    CHECK_THAT(r.err, Contains("more than the limit of 64.0 KiB (--max-memory)"));
    r = run_mnet("run " + quote(f.config) + " --weights " + quote(f.weights) + " --input " + quote(f.input) + " --output " +
                 quote(f.output()) + " --max-memory 64M");
    CHECK(r.exit_code == 0);
  }
  SECTION("a --max-memory that is not a size is a usage error") {
    CommandResult r = run_mnet("run " + quote(huge) + " --input " + quote(input) + " --output " + quote(tmp.file("out/y.npy")) +
                               " --max-memory 12X");
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("--max-memory must be a size such as 8G, 512M or 1000000 (bytes), got 12X"));
  }
}

TEST_CASE("mnet info and mnet profile print the planned peak memory of the run") {
  const std::string v2 = source_path("configs/mobilenet_v2.json");
  const Graph g = load_config(v2);
  const int64_t one_thread = estimate_memory(g, {ExecOptions{}}).peak();
  CommandResult info = run_mnet("info " + quote(v2) + " --format json");
  REQUIRE(info.exit_code == 0);
  CHECK(nlohmann::json::parse(info.out)["planned_memory"]["peak_bytes"] == one_thread);
  info = run_mnet("info " + quote(v2));
  CHECK_THAT(info.out, Contains("\nplanned peak memory at 1 thread " + format_bytes(one_thread) + " (weights "));
  // profile keeps two plans alive: the layer-by-layer one and the banded one.
  ExecOptions layers;
  layers.bands = false;
  const int64_t two_plans = estimate_memory(g, {layers, ExecOptions{}}).peak();
  CommandResult profile = run_mnet("profile " + quote(v2) + " --runs 1 --warmup 0 --format json");
  REQUIRE(profile.exit_code == 0);
  CHECK(nlohmann::json::parse(profile.out)["planned_memory"]["peak_bytes"] == two_plans);
  profile = run_mnet("profile " + quote(v2) + " --cost-only");
  CHECK_THAT(profile.out, Contains("\nplanned peak memory " + format_bytes(two_plans) + " (weights "));
}

TEST_CASE("NaN or inf in weights or inputs and negative BatchNorm variances are refused, or run with one warning") {
  RunFixture f;
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  // tiny_custom: stem.weight [16, 3, 3, 3], then stem_bn's weight, bias, running_mean, running_var.
  const std::string nan_weight = f.weights_with("nan.safetensors", [&](auto& t) { t[0].second.data[5] = nan; });
  const std::string inf_bias = f.weights_with("inf.safetensors", [&](auto& t) { t[2].second.data[0] = -inf; });
  const std::string negative_var = f.weights_with("var.safetensors", [&](auto& t) { t[4].second.data[2] = -0.5f; });
  std::vector<float> x(3 * 32 * 32, 0.25f);
  x[1 * 32 * 32 + 2 * 32 + 3] = inf;
  const std::string inf_input = f.tmp.file("inf.npy");
  write_npy(inf_input, TensorData{{1, 3, 32, 32}, x});

  const std::string again = " (--allow-nonfinite runs anyway)";
  SECTION("refused, naming the file, the tensor and the element or channel") {
    require_clean_rejection(f.run(nan_weight, f.input), kExitBadInput, nan_weight + ": ",
                            "tensor 'stem.weight' (layer 'stem' (conv)): element 5 is NaN; weights must be finite" + again,
                            f.out_dir);
    require_clean_rejection(f.run(inf_bias, f.input), kExitBadInput, inf_bias + ": ",
                            "tensor 'stem_bn.bias' (layer 'stem_bn' (bn)): element 0 is -inf", f.out_dir);
    require_clean_rejection(f.run(negative_var, f.input), kExitBadInput, negative_var + ": ",
                            "tensor 'stem_bn.running_var' (layer 'stem_bn' (bn)): channel 2 is -0.5; a BatchNorm "
                            "variance must be >= 0" + again,
                            f.out_dir);
    require_clean_rejection(f.run(f.weights, inf_input), kExitBadInput, inf_input + ": ",
                            "element [0, 1, 2, 3] is inf; inputs must be finite" + again, f.out_dir);
    require_clean_rejection(run_mnet("profile " + quote(f.config) + " --weights " + quote(nan_weight) +
                                     " --runs 1 --warmup 0 -o " + quote((f.out_dir / "p.txt").string())),
                            kExitBadInput, nan_weight + ": ", "element 5 is NaN", f.out_dir);
  }
  SECTION("--allow-nonfinite runs with one warning line for each file") {
    for (const auto& [weights, input] : {std::pair{nan_weight, f.input}, std::pair{negative_var, f.input},
                                         std::pair{f.weights, inf_input}}) {
      CommandResult r = run_mnet("run " + quote(f.config) + " --weights " + quote(weights) + " --input " + quote(input) +
                                 " --output " + quote(f.output()) + " --allow-nonfinite");
      INFO("stderr: " << r.err);
      CHECK(r.exit_code == 0);
      CHECK_THAT(r.err, StartsWith("mnet: warning: "));
      CHECK_THAT(r.err, Contains("running anyway (--allow-nonfinite)"));
      CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
      CHECK(fs::exists(f.output()));
    }
  }
}

// Issue 11, second pass
TEST_CASE("an output that overflows float inside the model is written with one warning line") {
  RunFixture f;
  const std::string huge_input = f.tmp.file("huge.npy");
  write_npy(huge_input, TensorData{{1, 3, 32, 32}, std::vector<float>(3 * 32 * 32, 3e38f)});
  const std::string huge_weights = f.weights_with("huge.safetensors", [](auto& t) {
    for (float& v : t[0].second.data) v = 3e38f;  // stem.weight: finite, but its products are not
  });
  CommandResult clean = f.run(f.weights, f.input);
  CHECK(clean.exit_code == 0);
  CHECK(clean.err.empty());
  for (const auto& [weights, input] : {std::pair{f.weights, huge_input}, std::pair{huge_weights, f.input}}) {
    CommandResult r = f.run(weights, input);
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    const TensorData y = read_npy(f.output());
    const auto bad = std::count_if(y.data.begin(), y.data.end(), [](float v) { return !std::isfinite(v); });
    CHECK(bad > 0);
    CHECK(r.err == "mnet: warning: " + f.config + ": the output holds " + std::to_string(bad) + " non-finite values of " +
                       std::to_string(y.data.size()) + " (an overflow inside the model)\n");
  }
  SECTION("classify warns for each image, naming it") {
    const std::string image = f.tmp.write("img.bmp", small_bmp());
    CommandResult r = run_mnet("classify " + quote(f.config) + " --weights " + quote(huge_weights) + " " + quote(image));
    INFO("stderr: " << r.err);
    CHECK_THAT(r.err, StartsWith("mnet: warning: " + f.config + " on " + image + ": the output holds "));
    CHECK_THAT(r.err, Contains(" non-finite values of 10 (an overflow inside the model)"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("an output that is also an input of the command is refused before any work") {
  constexpr int kExitUsage = 2;
  RunFixture f;
  const std::string config = f.tmp.write("self.json", read_text(f.config));
  const std::string link = (f.tmp.path / "link.npy").string();
  fs::create_symlink(f.input, link);
  const std::string model = f.tmp.write("m.tflite", tfl::squeeze_excite_model({}).bytes());
  const std::string dotted = (f.tmp.path / "." / "self.json").string();
  // (the command, the output as given, the input it names, the file that must stay as it was)
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> cases{
      {"info " + quote(config) + " -o " + quote(config), config, config, config},
      {"profile " + quote(config) + " --cost-only -o " + quote(dotted), dotted, config, config},
      {"run " + quote(f.config) + " --weights " + quote(f.weights) + " --input " + quote(f.input) + " --output " + quote(f.input),
       f.input, f.input, f.input},
      {"run " + quote(f.config) + " --weights " + quote(f.weights) + " --input " + quote(f.input) + " --output " + quote(link),
       link, f.input, f.input},
      {"run " + quote(f.config) + " --weights " + quote(f.weights) + " --input " + quote(f.input) + " --output " + quote(f.weights),
       f.weights, f.weights, f.weights},
      {"import " + quote(model) + " --out " + quote(model), model, model, model},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& [args, output, input, kept] = cases[i];
    // Temp paths change between the test case's runs: the section is named by its index.
    DYNAMIC_SECTION("case " << i << ": " << args.substr(0, args.find(' '))) {
      const std::string before = read_bytes(kept);
      CommandResult r = run_mnet(args);
      INFO("stderr: " << r.err);
      CHECK(r.exit_code == kExitUsage);
      CHECK(r.err == "mnet: error: " + output + ": is also an input of this command (" + input + ")\n");
      CHECK(r.out.empty());
      CHECK(read_bytes(kept) == before);
    }
  }
  SECTION("a new output, or one that is no input, is written") {
    CHECK(run_mnet("info " + quote(config) + " -o " + quote(f.tmp.file("info.txt"))).exit_code == 0);
    CHECK(run_mnet("info " + quote(config) + " -o " + quote(f.tmp.file("info.txt"))).exit_code == 0);
    CHECK(f.run(f.weights, f.input).exit_code == 0);
  }
}

TEST_CASE("a --seed that is not a uint64 is a usage error") {
  constexpr int kExitUsage = 2;
  RunFixture f;
  const std::string base = "run " + quote(f.config) + " --input " + quote(f.input) + " --output " + quote(f.output());
  for (const char* seed : {"-1", "18446744073709551616", "99999999999999999999999", "1e3", "+5", "0x10", "''"}) {
    DYNAMIC_SECTION(seed) {
      CommandResult r = run_mnet(base + " --seed " + seed);
      require_clean_rejection(r, kExitUsage, "--seed",
                              "--seed must be an integer between 0 and 18446744073709551615, got ", f.out_dir);
    }
  }
  CommandResult r = run_mnet(base + " --seed 18446744073709551615");
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("using random weights (seed 18446744073709551615)"));
}

TEST_CASE("an empty output path is a usage error naming the option") {
  constexpr int kExitUsage = 2;
  RunFixture f;
  const std::string model = f.tmp.write("m.tflite", tfl::squeeze_excite_model({}).bytes());
  const std::vector<std::pair<std::string, std::string>> cases{
      {"info " + quote(f.config) + " -o ''", "--output"},
      {"profile " + quote(f.config) + " --cost-only --output ''", "--output"},
      {"run " + quote(f.config) + " --weights " + quote(f.weights) + " --input " + quote(f.input) + " --output ''", "--output"},
      {"import " + quote(model) + " --out ''", "--out"},
  };
  for (const auto& [args, option] : cases) {
    DYNAMIC_SECTION(args.substr(0, args.find(' '))) {
      require_clean_rejection(run_mnet(args), kExitUsage, option + ": ", "an empty path names no file to write", f.out_dir);
    }
  }
}
