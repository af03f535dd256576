// io/npy: .npy round trips and strict refusal of malformed headers and data.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/work_count.h"
#include "io/npy.h"
#include "testing.h"

namespace fs = std::filesystem;
using Catch::Contains;
using namespace mnet::testing;

namespace {

// A .npy file with a literal header (unpadded) and data.
std::string npy_file(const std::string& header, const std::string& data, int major = 1) {
  std::string s = std::string("\x93NUMPY", 6) + char(major) + char(0);
  s += le_bytes(header.size(), major == 1 ? 2 : 4);
  return s + header + data;
}

std::string f32_header(const std::string& shape) {
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n";
}

// Bytes written by numpy 1.24.2 (generated once with /usr/bin/python3 and io.BytesIO).
// numpy.save(f, numpy.float32(2.5))
const std::string kNumpyF32Scalar(
    "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': False, 'shape': (), }           "
    "                                                   \012\000\000 @",
    132);

// numpy.save(f, numpy.array([1, -2, 3.5], dtype=numpy.float32))
const std::string kNumpyF32Vector(
    "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }         "
    "                                                   \012\000\000\200\077\000\000\000\300"
    "\000\000`@",
    140);

// numpy.save(f, numpy.arange(8, dtype=numpy.float32).reshape(1, 2, 2, 2))
const std::string kNumpyF32Rank4(
    "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2, 2), } "
    "                                                   \012\000\000\000\000\000\000\200\077"
    "\000\000\000@\000\000@@\000\000\200@\000\000\240@\000\000\300@\000\000\340@",
    160);

// numpy.save(f, numpy.array([[0.5, -1.25], [3, 1e-3]]))
const std::string kNumpyF64Matrix(
    "\223NUMPY\001\000v\000{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }       "
    "                                                   \012\000\000\000\000\000\000\340\077"
    "\000\000\000\000\000\000\364\277\000\000\000\000\000\000\010@\374\251\361\322MbP\077",
    160);

// numpy.lib.format.write_array(f, numpy.array([1, 2], dtype=numpy.float32), version=(2, 0))
const std::string kNumpyV2(
    "\223NUMPY\002\000t\000\000\000{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } "
    "                                                         \012\000\000\200\077\000\000"
    "\000@",
    136);

// numpy.lib.format.write_array(f, numpy.array([1, 2], dtype=numpy.float32), version=(3, 0))
const std::string kNumpyV3(
    "\223NUMPY\003\000t\000\000\000{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } "
    "                                                         \012\000\000\200\077\000\000"
    "\000@",
    136);

// numpy.save(f, numpy.asfortranarray(numpy.zeros((2, 3), dtype=numpy.float32)))
const std::string kNumpyFortran(
    "\223NUMPY\001\000v\000{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }        "
    "                                                   \012\000\000\000\000\000\000\000\000"
    "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000",
    152);

}  // namespace

TEST_CASE("npy files round-trip 0-d, 1-d, 4-d and empty arrays", "[io][npy]") {
  TempDir tmp;
  const std::vector<mnet::TensorData> cases = {
      {{}, {3.25f}},
      {{5}, {1, -2, 3, 4.5f, -0.0f}},
      {{1, 2, 3, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
      {{2, 0, 3}, {}},
  };
  for (const auto& t : cases) {
    const std::string path = tmp.file("a.npy");
    mnet::write_npy(path, t);
    const mnet::TensorData back = mnet::read_npy(path);
    CHECK(back.shape == t.shape);
    CHECK(back.data == t.data);
  }
}

// Found by tests/fuzz/fuzz_npy: elements() multiplied the huge dimensions past int64.
TEST_CASE("an npy shape with a zero beside huge dimensions reads as empty and counts 0 elements",
          "[io][npy]") {
  TempDir tmp;
  const std::string path =
      tmp.write("t.npy", npy_file(f32_header("(2147483648, 0, 2147483648, 2147483648)"), ""));
  const mnet::TensorData t = mnet::read_npy(path);
  CHECK(t.shape == std::vector<int64_t>{2147483648, 0, 2147483648, 2147483648});
  CHECK(t.data.empty());
  CHECK(t.elements() == 0);
}

TEST_CASE("the npy writer emits format 1.0 with data aligned to 64 bytes", "[io][npy]") {
  TempDir tmp;
  const std::string path = tmp.file("a.npy");
  mnet::write_npy(path, {{2, 3}, {1, 2, 3, 4, 5, 6}});
  const std::string bytes = read_bytes(path);
  REQUIRE(bytes.size() == 128 + 24);
  CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_len = uint8_t(bytes[8]) | (size_t(uint8_t(bytes[9])) << 8);
  CHECK(10 + header_len == 128);
  const std::string header = bytes.substr(10, header_len);
  CHECK(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 0) == 0);
  CHECK(header.back() == '\n');
}

TEST_CASE("the npy writer output matches numpy.save byte for byte", "[io][npy]") {
  TempDir tmp;
  const std::string path = tmp.file("a.npy");
  mnet::write_npy(path, {{3}, {1, -2, 3.5f}});
  CHECK(read_bytes(path) == kNumpyF32Vector);
  mnet::write_npy(path, {{}, {2.5f}});
  CHECK(read_bytes(path) == kNumpyF32Scalar);
  mnet::write_npy(path, {{1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7}});
  CHECK(read_bytes(path) == kNumpyF32Rank4);
}

TEST_CASE("files written by numpy load, including float64 and formats 2.0 and 3.0", "[io][npy]") {
  TempDir tmp;
  mnet::TensorData t = mnet::read_npy(tmp.write("scalar.npy", kNumpyF32Scalar));
  CHECK(t.shape.empty());
  CHECK(t.data == std::vector<float>{2.5f});

  t = mnet::read_npy(tmp.write("vector.npy", kNumpyF32Vector));
  CHECK(t.shape == std::vector<int64_t>{3});
  CHECK(t.data == std::vector<float>{1, -2, 3.5f});

  t = mnet::read_npy(tmp.write("rank4.npy", kNumpyF32Rank4));
  CHECK(t.shape == std::vector<int64_t>{1, 2, 2, 2});
  CHECK(t.data == std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7});

  t = mnet::read_npy(tmp.write("f64.npy", kNumpyF64Matrix));
  CHECK(t.shape == std::vector<int64_t>{2, 2});
  CHECK(t.data == std::vector<float>{0.5f, -1.25f, 3.0f, float(1e-3)});

  for (const std::string& bytes : {kNumpyV2, kNumpyV3}) {
    t = mnet::read_npy(tmp.write("v.npy", bytes));
    CHECK(t.shape == std::vector<int64_t>{2});
    CHECK(t.data == std::vector<float>{1, 2});
  }
}

TEST_CASE("the npy header keys may come in any order", "[io][npy]") {
  TempDir tmp;
  const std::string path =
      tmp.write("t.npy", npy_file("{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f4\"}",
                                  le_bytes(0x3f800000, 4) + le_bytes(0, 4)));
  const mnet::TensorData t = mnet::read_npy(path);
  CHECK(t.shape == std::vector<int64_t>{2});
  CHECK(t.data == std::vector<float>{1, 0});
}

TEST_CASE("a file without the npy magic is rejected", "[io][npy]") {
  TempDir tmp;
  const std::string path = tmp.write("t.npy", "PK\x03\x04 not numpy at all");
  REQUIRE_INPUT_ERROR(mnet::read_npy(path), path + ": not a .npy file");
  const std::string short_file = tmp.write("short.npy", "\x93NUM");
  REQUIRE_INPUT_ERROR(mnet::read_npy(short_file), short_file + ": not a .npy file");
}

TEST_CASE("an unsupported npy format version is rejected", "[io][npy]") {
  TempDir tmp;
  std::string bytes = kNumpyF32Vector;
  bytes[6] = 4;
  const std::string path = tmp.write("t.npy", bytes);
  REQUIRE_INPUT_ERROR(mnet::read_npy(path),
                      path + ": unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)");
  bytes[6] = 1;
  bytes[7] = 1;
  const std::string minor = tmp.write("minor.npy", bytes);
  REQUIRE_INPUT_ERROR(mnet::read_npy(minor), minor + ": unsupported .npy format version 1.1");
}

TEST_CASE("an npy header length beyond the file or the limit is rejected", "[io][npy]") {
  TempDir tmp;
  const std::string beyond =
      tmp.write("beyond.npy", std::string("\x93NUMPY\x01\x00", 8) + le_bytes(200, 2) + "{}");
  REQUIRE_INPUT_ERROR(
      mnet::read_npy(beyond),
      beyond + ": header: length 200 is larger than the 2 bytes after the preamble");
  const std::string limit =
      tmp.write("limit.npy", std::string("\x93NUMPY\x02\x00", 8) + le_bytes(0xffffffff, 4) + "{}");
  REQUIRE_INPUT_ERROR(mnet::read_npy(limit),
                      limit + ": header: length 4294967295 exceeds the limit of " +
                          std::to_string(mnet::kMaxNpyHeaderBytes) + " bytes");
  const std::string v2_short =
      tmp.write("v2short.npy", std::string("\x93NUMPY\x02\x00\x10\x00", 10));
  REQUIRE_INPUT_ERROR(mnet::read_npy(v2_short),
                      v2_short + ": file is 10 bytes, too short for a format 2.0/3.0 preamble");
}

TEST_CASE("an npy header that is not a well-formed dict is rejected", "[io][npy]") {
  TempDir tmp;
  const std::string not_dict = tmp.write("a.npy", npy_file("['descr', '<f4']\n", ""));
  REQUIRE_INPUT_ERROR(mnet::read_npy(not_dict),
                      not_dict + ": header: expected '{' at offset 0, found '['");
  const std::string unterminated =
      tmp.write("b.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", ""));
  REQUIRE_INPUT_ERROR(
      mnet::read_npy(unterminated),
      unterminated + ": header: shape: expected a non-negative integer but the header ended");
  const std::string junk = tmp.write("c.npy", npy_file(f32_header("(1,)") + "x", le_bytes(0, 4)));
  REQUIRE_INPUT_ERROR(mnet::read_npy(junk),
                      junk + ": header: unexpected text after the closing '}'");
  const std::string bad_bool = tmp.write(
      "d.npy", npy_file("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", le_bytes(0, 4)));
  REQUIRE_INPUT_ERROR(mnet::read_npy(bad_bool),
                      bad_bool + ": header: fortran_order: expected True or False");
}

TEST_CASE("an npy header with a missing, extra or repeated key is rejected", "[io][npy]") {
  TempDir tmp;
  const std::string missing =
      tmp.write("a.npy", npy_file("{'descr': '<f4', 'shape': (1,), }", le_bytes(0, 4)));
  REQUIRE_INPUT_ERROR(mnet::read_npy(missing), missing + ": header: missing key 'fortran_order'");
  const std::string extra = tmp.write(
      "b.npy",
      npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", le_bytes(0, 4)));
  REQUIRE_INPUT_ERROR(
      mnet::read_npy(extra),
      extra + ": header: unexpected key 'x' (allowed: descr, fortran_order, shape)");
  const std::string repeated = tmp.write(
      "c.npy", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (1,)}",
                        le_bytes(0, 4)));
  REQUIRE_INPUT_ERROR(mnet::read_npy(repeated),
                      repeated + ": header: key 'shape' appears more than once");
}

TEST_CASE("an npy dtype other than little-endian float32 or float64 is rejected", "[io][npy]") {
  TempDir tmp;
  for (const std::string descr : {"<i4", ">f4", "<f2", "|u1"}) {
    const std::string path = tmp.write(
        "t.npy", npy_file("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1,), }",
                          le_bytes(0, 4)));
    REQUIRE_INPUT_ERROR(mnet::read_npy(path), path + ": header: unsupported dtype '" + descr +
                                                  "' (supported: '<f4', '<f8')");
  }
  const std::string structured = tmp.write(
      "s.npy", npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                        le_bytes(0, 4)));
  REQUIRE_INPUT_ERROR(
      mnet::read_npy(structured),
      structured + ": header: descr is not a string (structured dtypes are not supported)");
}

TEST_CASE("a Fortran-order npy array is rejected with a hint", "[io][npy]") {
  TempDir tmp;
  const std::string path = tmp.write("t.npy", kNumpyFortran);
  REQUIRE_INPUT_ERROR(mnet::read_npy(path),
                      path + ": header: fortran_order is True; only C-order arrays are supported");
}

TEST_CASE("a negative, non-tuple or oversized npy shape is rejected", "[io][npy]") {
  TempDir tmp;
  const std::string negative = tmp.write("a.npy", npy_file(f32_header("(2, -1)"), ""));
  REQUIRE_INPUT_ERROR(mnet::read_npy(negative),
                      negative + ": header: shape dimension 1 is negative");
  const std::string not_tuple = tmp.write("b.npy", npy_file(f32_header("(3)"), ""));
  REQUIRE_INPUT_ERROR(mnet::read_npy(not_tuple),
                      not_tuple + ": header: shape (3) is not a tuple; write (3,)");
  const std::string list = tmp.write("c.npy", npy_file(f32_header("[3]"), ""));
  REQUIRE_INPUT_ERROR(mnet::read_npy(list), list + ": header: expected '(' at offset");
  const std::string big_dim =
      tmp.write("d.npy", npy_file(f32_header("(99999999999999999999999,)"), ""));
  REQUIRE_INPUT_ERROR(
      mnet::read_npy(big_dim),
      big_dim + ": header: shape dimension 0 is larger than the limit of 2147483648 elements");
  const std::string product =
      tmp.write("e.npy", npy_file(f32_header("(65536, 65536, 0, 65536)"), ""));
  CHECK(mnet::read_npy(product).data.empty());
  const std::string overflow =
      tmp.write("f.npy", npy_file(f32_header("(65536, 65536, 65536, 65536)"), ""));
  REQUIRE_INPUT_ERROR(
      mnet::read_npy(overflow),
      overflow + ": header: shape (65536, 65536, 65536, 65536) has more than 2147483648 elements");
}

TEST_CASE("truncated npy data or trailing bytes are rejected naming both byte counts",
          "[io][npy]") {
  TempDir tmp;
  const std::string truncated =
      tmp.write("a.npy", kNumpyF32Vector.substr(0, kNumpyF32Vector.size() - 1));
  REQUIRE_INPUT_ERROR(
      mnet::read_npy(truncated),
      truncated +
          ": data is 11 bytes, but shape (3,) of '<f4' needs exactly 12 bytes (file truncated)");
  const std::string trailing = tmp.write("b.npy", kNumpyF64Matrix + "x");
  REQUIRE_INPUT_ERROR(
      mnet::read_npy(trailing),
      trailing +
          ": data is 33 bytes, but shape (2, 2) of '<f8' needs exactly 32 bytes (trailing bytes)");
}

TEST_CASE("an npy float64 value outside the float range is rejected", "[io][npy]") {
  TempDir tmp;
  const std::string path = tmp.write(
      "t.npy",
      npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", f64_bytes({0, -1e40})));
  REQUIRE_INPUT_ERROR(
      mnet::read_npy(path),
      path + ": data: '<f8' value -1e+40 at element 1 is outside the float32 range");
}

TEST_CASE("reading a missing npy file names the file", "[io][npy]") {
  TempDir tmp;
  const std::string path = tmp.file("missing.npy");
  REQUIRE_INPUT_ERROR(mnet::read_npy(path), path + ": cannot read: file does not exist");
}

TEST_CASE("writing npy to an unwritable path throws RunError and leaves nothing", "[io][npy]") {
  TempDir tmp;
  const mnet::TensorData t{{1}, {1}};
  const std::string missing_dir = tmp.file("nope/a.npy");
  REQUIRE_THROWS_AS(mnet::write_npy(missing_dir, t), mnet::RunError);
  REQUIRE_THROWS_WITH(mnet::write_npy(missing_dir, t), Contains(missing_dir + ": cannot write"));
  const std::string dir = tmp.file("dir");
  fs::create_directory(dir);
  REQUIRE_THROWS_AS(mnet::write_npy(dir, t), mnet::RunError);
  CHECK(std::distance(fs::directory_iterator(tmp.path), fs::directory_iterator()) == 1);
  CHECK(fs::is_empty(dir));
}

TEST_CASE("the npy writer refuses data that does not match the shape", "[io][npy]") {
  TempDir tmp;
  const std::string path = tmp.file("a.npy");
  CHECK_THROWS_AS(mnet::write_npy(path, {{2, 2}, {1, 2, 3}}), std::invalid_argument);
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("npy header parsing work grows linearly with the dimensions of a hostile shape", "[io][npy]") {
  // (1, 1, ..., 1) with n dimensions, valid; and the same ending in a dimension over the limit.
  auto shape_of = [](int n, const std::string& last) {
    std::string s = "(";
    for (int i = 0; i < n; ++i) s += "1, ";
    return s + last + ")";
  };
  auto work = [&](int n, const std::string& last, const std::string& data) {
    const std::string bytes = npy_file(f32_header(shape_of(n, last)), data);
    const uint64_t before = mnet::work_steps;
    try {
      mnet::parse_npy(bytes, "hostile.npy");
    } catch (const mnet::InputError&) {
    }
    return mnet::work_steps - before;
  };
  for (const auto& [last, data] : {std::pair<std::string, std::string>{"1", f32_bytes({1})},
                                   std::pair<std::string, std::string>{"99999999999", ""}}) {
    const uint64_t small = work(1500, last, data), large = work(15000, last, data);
    INFO("last dimension " << last << ": " << small << " steps for 1500 dimensions, " << large << " for 15000");
    CHECK(small >= 1500);
    CHECK(large <= 15 * small);
  }
}
