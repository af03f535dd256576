// The .npy reader and writer: strict header parsing, bounded sizes.
#include "io/npy.h"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/work_count.h"
#include "io/atomic_file.h"
#include "io/bytes.h"

namespace mnet {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
constexpr size_t kV1PreambleBytes = 10;  // magic, 2 version bytes, u16 header length
constexpr size_t kV2PreambleBytes = 12;  // magic, 2 version bytes, u32 header length
constexpr uint64_t kMaxV1HeaderBytes = 0xffff;
// numpy aligns the data to this so it can be memory-mapped with any dtype.
constexpr size_t kDataAlignment = 64;

// The header is ASCII: any other byte in a message is spelled \xNN.
std::string printable(const std::string& s) { return mnet::printable(s, HighBytes::escape); }

// The Python-literal shape as numpy writes it: "()", "(3,)", "(2, 3)".
std::string shape_repr(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// Parses the header dict, a Python literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// followed by padding. Only the literal forms numpy writes for these three keys are accepted.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string text) : path_(path), s_(std::move(text)) {}

  Header parse() {
    Header h;
    std::set<std::string> seen;
    skip_space();
    expect('{');
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      count_work();
      const std::string key = parse_string("key");
      if (!seen.insert(key).second) fail("key '" + printable(key) + "' appears more than once");
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"') {
          fail("descr is not a string (structured dtypes are not supported)");
        }
        h.descr = parse_string("descr");
      } else if (key == "fortran_order") {
        h.fortran_order = parse_bool();
      } else if (key == "shape") {
        h.shape = parse_shape();
      } else {
        fail("unexpected key '" + printable(key) + "' (allowed: descr, fortran_order, shape)");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail(describe_here("',' or '}'"));
    }
    ++pos_;
    skip_space();
    if (pos_ != s_.size()) {
      fail("unexpected text after the closing '}' at offset " + std::to_string(pos_));
    }
    for (const char* k : {"descr", "fortran_order", "shape"}) {
      if (!seen.count(k)) fail(std::string("missing key '") + k + "'");
    }
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(path_ + ": header: " + what);
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= s_.size(); }
  std::string describe_here(const std::string& wanted) const {
    if (at_end()) return "expected " + wanted + " but the header ended";
    return "expected " + wanted + " at offset " + std::to_string(pos_) + ", found '" +
           printable(std::string(1, s_[pos_])) + "'";
  }
  void skip_space() {
    while (!at_end() && is_space(s_[pos_])) ++pos_;
  }
  void expect(char c) {
    if (peek() != c || at_end()) fail(describe_here(std::string("'") + c + "'"));
    ++pos_;
  }
  std::string parse_string(const char* what) {
    const char quote = peek();
    if (at_end() || (quote != '\'' && quote != '"')) {
      fail(describe_here(std::string("a quoted ") + what));
    }
    const size_t close = s_.find(quote, pos_ + 1);
    if (close == std::string::npos) fail(std::string("unterminated ") + what + " string");
    std::string out = s_.substr(pos_ + 1, close - pos_ - 1);
    if (out.find('\\') != std::string::npos) {
      fail(std::string(what) + " contains an escape sequence");
    }
    pos_ = close + 1;
    return out;
  }
  bool parse_bool() {
    for (const auto& [word, value] :
         {std::pair<const char*, bool>{"True", true}, {"False", false}}) {
      const size_t n = std::strlen(word);
      if (s_.compare(pos_, n, word) == 0) {
        pos_ += n;
        return value;
      }
    }
    fail("fortran_order: " + describe_here("True or False"));
  }
  int64_t parse_dim(size_t index) {
    const std::string what = "shape dimension " + std::to_string(index);
    if (peek() == '-') fail(what + " is negative");
    if (at_end() || peek() < '0' || peek() > '9') {
      fail("shape: " + describe_here("a non-negative integer"));
    }
    int64_t v = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      v = v * 10 + (peek() - '0');
      if (v > kMaxTensorElements) {
        fail(what + " is larger than the limit of " + std::to_string(kMaxTensorElements) +
             " elements");
      }
      ++pos_;
    }
    return v;
  }
  std::vector<int64_t> parse_shape() {
    std::vector<int64_t> shape;
    expect('(');
    skip_space();
    if (peek() == ')') {
      ++pos_;
      return shape;
    }
    for (;;) {
      count_work();
      shape.push_back(parse_dim(shape.size()));
      skip_space();
      if (peek() == ')') {
        // "(3)" is an int in Python, not a tuple; numpy rejects it too.
        if (shape.size() == 1) {
          fail("shape (" + std::to_string(shape[0]) + ") is not a tuple; write (" +
               std::to_string(shape[0]) + ",)");
        }
        ++pos_;
        return shape;
      }
      expect(',');
      skip_space();
      if (peek() == ')') {
        ++pos_;
        return shape;
      }
    }
  }

  const std::string& path_;
  const std::string s_;
  size_t pos_ = 0;
};

}  // namespace

TensorData read_npy(const std::string& path) {
  return parse_npy(read_file_bytes(path, kMaxNpyFileBytes), path);
}

TensorData parse_npy(const std::string& bytes, const std::string& path) {
  auto fail = [&](const std::string& what) { throw InputError(path + ": " + what); };
  if (bytes.size() < kV1PreambleBytes || bytes.compare(0, kMagicBytes, kMagic, kMagicBytes) != 0) {
    fail("not a .npy file (it does not start with the \\x93NUMPY magic and a header length)");
  }
  const int major = uint8_t(bytes[6]);
  const int minor = uint8_t(bytes[7]);
  size_t preamble = 0;
  uint64_t header_len = 0;
  if (major == 1 && minor == 0) {
    preamble = kV1PreambleBytes;
    header_len = load_le(bytes.data() + 8, 2);
  } else if ((major == 2 || major == 3) && minor == 0) {
    preamble = kV2PreambleBytes;
    if (bytes.size() < preamble) {
      fail("file is " + std::to_string(bytes.size()) +
           " bytes, too short for a format 2.0/3.0 preamble");
    }
    header_len = load_le(bytes.data() + 8, 4);
  } else {
    fail("unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
         " (supported: 1.0, 2.0, 3.0)");
  }
  if (header_len > kMaxNpyHeaderBytes) {
    fail("header: length " + std::to_string(header_len) + " exceeds the limit of " +
         std::to_string(kMaxNpyHeaderBytes) + " bytes");
  }
  if (header_len > bytes.size() - preamble) {
    fail("header: length " + std::to_string(header_len) + " is larger than the " +
         std::to_string(bytes.size() - preamble) + " bytes after the preamble");
  }

  const Header h = HeaderParser(path, bytes.substr(preamble, size_t(header_len))).parse();
  const uint64_t itemsize = h.descr == "<f4" ? 4 : h.descr == "<f8" ? 8 : 0;
  if (itemsize == 0) {
    fail("header: unsupported dtype '" + printable(h.descr) + "' (supported: '<f4', '<f8')");
  }
  if (h.fortran_order) {
    fail(
        "header: fortran_order is True; only C-order arrays are supported "
        "(save numpy.ascontiguousarray(a) instead)");
  }
  const int64_t n = checked_element_count(h.shape, kMaxTensorElements);
  if (n < 0) {
    fail("header: shape " + shape_repr(h.shape) + " has more than " +
         std::to_string(kMaxTensorElements) + " elements");
  }
  const uint64_t data_offset = preamble + header_len;
  const uint64_t have = bytes.size() - data_offset;
  const uint64_t need = uint64_t(n) * itemsize;
  if (have != need) {
    fail("data is " + std::to_string(have) + " bytes, but shape " + shape_repr(h.shape) + " of '" +
         h.descr + "' needs exactly " + std::to_string(need) + " bytes" +
         (have < need ? " (file truncated)" : " (trailing bytes)"));
  }

  TensorData t;
  t.shape = h.shape;
  t.data.resize(size_t(n));
  const char* src = bytes.data() + data_offset;
  for (size_t i = 0; i < t.data.size(); ++i) {
    if (itemsize == 4) {
      const uint32_t bits = uint32_t(load_le(src + 4 * i, 4));
      std::memcpy(&t.data[i], &bits, sizeof bits);
    } else {
      const uint64_t bits = load_le(src + 8 * i, 8);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      // Converting an out-of-range double to float is undefined behaviour.
      if (std::isfinite(d) && std::fabs(d) > double(FLT_MAX)) {
        fail("data: '<f8' value " + double_to_string(d) + " at element " + std::to_string(i) +
             " is outside the float32 range");
      }
      t.data[i] = float(d);
    }
  }
  return t;
}

void write_npy(const std::string& path, const TensorData& t) {
  const int64_t n = checked_element_count(t.shape, kMaxTensorElements);
  if (n < 0 || uint64_t(n) != t.data.size()) {
    throw std::invalid_argument("write_npy: " + std::to_string(t.data.size()) +
                                " values for shape " + shape_to_string(t.shape));
  }
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_repr(t.shape) + ", }";
  auto padded = [&](size_t preamble) {
    const size_t unpadded = preamble + header.size() + 1;  // +1 for the final '\n'
    return header +
           std::string((kDataAlignment - unpadded % kDataAlignment) % kDataAlignment, ' ') + "\n";
  };
  const std::string text = padded(kV1PreambleBytes);
  // Only a shape with thousands of dimensions gets here.
  if (text.size() > kMaxV1HeaderBytes) {
    throw std::invalid_argument("write_npy: shape with " + std::to_string(t.shape.size()) +
                                " dimensions does not fit a format 1.0 header");
  }

  std::string out(kMagic, kMagicBytes);
  out.push_back(char(1));
  out.push_back(char(0));
  append_le(&out, text.size(), 2);
  out += text;
  out.reserve(out.size() + 4 * t.data.size());
  for (float f : t.data) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    append_le(&out, bits, 4);
  }
  write_file_atomic(path, out);
}

}  // namespace mnet
