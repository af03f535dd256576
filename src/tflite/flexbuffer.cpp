// FlexBuffers (flatbuffers/flexbuffers.h) as far as a map of scalars needs: the root at the end
// of the buffer (value, packed type, byte width), offsets pointing back, keys as C strings.
#include "tflite/flexbuffer.h"

#include <cstdint>
#include <cstring>

#include "core/error.h"

namespace mnet {

namespace {

// FlexBuffer value types (flexbuffers::Type).
constexpr int kNull = 0, kInt = 1, kUint = 2, kFloat = 3, kIndirectInt = 6, kIndirectUint = 7, kIndirectFloat = 8,
              kMap = 9, kBool = 26;

class FlexReader {
 public:
  FlexReader(std::string_view bytes, std::string where) : b_(bytes), where_(std::move(where)) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(where_ + ": custom options: " + what + " (not a FlexBuffer map of " + std::to_string(b_.size()) +
                     " bytes)");
  }
  void need(uint64_t pos, uint64_t len) const {
    if (pos > b_.size() || len > b_.size() - pos) fail("offset " + std::to_string(pos) + " is outside the buffer");
  }
  void check_width(uint64_t width) const {
    if (width != 1 && width != 2 && width != 4 && width != 8) fail("byte width " + std::to_string(width));
  }
  uint64_t uint(uint64_t pos, uint64_t width) const {
    need(pos, width);
    uint64_t v = 0;
    for (uint64_t k = 0; k < width; ++k) v |= uint64_t(uint8_t(b_[pos + k])) << (8 * k);
    return v;
  }
  int64_t sint(uint64_t pos, uint64_t width) const {
    const uint64_t v = uint(pos, width);
    if (width == 8) return int64_t(v);
    const uint64_t sign = uint64_t(1) << (8 * width - 1);
    return int64_t(v ^ sign) - int64_t(sign);
  }
  double real(uint64_t pos, uint64_t width) const {
    need(pos, width);
    if (width == 4) {
      float f;
      std::memcpy(&f, b_.data() + pos, 4);
      return f;
    }
    if (width == 8) {
      double d;
      std::memcpy(&d, b_.data() + pos, 8);
      return d;
    }
    fail("a float of " + std::to_string(width) + " bytes");
  }
  // An offset stored at pos (width bytes) points back from pos.
  uint64_t target(uint64_t pos, uint64_t width) const {
    const uint64_t back = uint(pos, width);
    if (back > pos) fail("offset " + std::to_string(back) + " at " + std::to_string(pos) + " points before the buffer");
    return pos - back;
  }
  std::string c_string(uint64_t pos) const {
    need(pos, 1);
    const void* end = std::memchr(b_.data() + pos, 0, b_.size() - pos);
    if (!end) fail("a key without its terminating zero");
    return std::string(b_.data() + pos, static_cast<const char*>(end));
  }

  FlexScalar scalar(uint64_t pos, uint64_t width, uint8_t packed) const {
    const int type = packed >> 2;
    const uint64_t child = uint64_t(1) << (packed & 3);
    FlexScalar s;
    switch (type) {
      case kInt: s.kind = FlexScalar::Kind::number, s.value = double(sint(pos, width)); break;
      case kUint: s.kind = FlexScalar::Kind::number, s.value = double(uint(pos, width)); break;
      case kFloat: s.kind = FlexScalar::Kind::number, s.value = real(pos, width); break;
      case kBool: s.kind = FlexScalar::Kind::boolean, s.value = uint(pos, width) != 0 ? 1 : 0; break;
      case kIndirectInt: s.kind = FlexScalar::Kind::number, s.value = double(sint(target(pos, width), child)); break;
      case kIndirectUint: s.kind = FlexScalar::Kind::number, s.value = double(uint(target(pos, width), child)); break;
      case kIndirectFloat: s.kind = FlexScalar::Kind::number, s.value = real(target(pos, width), child); break;
      case kNull:
      default: break;
    }
    return s;
  }

  std::map<std::string, FlexScalar> root_map() const {
    if (b_.size() < 3) fail("too short");
    const uint64_t root_width = uint8_t(b_.back());
    check_width(root_width);
    const uint8_t packed = uint8_t(b_[b_.size() - 2]);
    if (b_.size() < 2 + root_width) fail("too short for its root");
    const uint64_t root = b_.size() - 2 - root_width;
    if ((packed >> 2) != kMap) fail("the root is of type " + std::to_string(packed >> 2) + ", not a map");
    const uint64_t width = uint64_t(1) << (packed & 3);
    const uint64_t data = target(root, root_width);
    if (data < 3 * width) fail("a map header outside the buffer");
    const uint64_t n = uint(data - width, width);
    if (n > kMaxFlexbufferKeys)
      fail("a map of " + std::to_string(n) + " keys, more than kMaxFlexbufferKeys = " + std::to_string(kMaxFlexbufferKeys));
    const uint64_t keys = target(data - 3 * width, width);
    const uint64_t key_width = uint(data - 2 * width, width);
    check_width(key_width);
    need(keys, n * key_width);
    need(data, n * width + n);  // the values, then one type byte each
    std::map<std::string, FlexScalar> out;
    for (uint64_t i = 0; i < n; ++i) {
      const std::string key = c_string(target(keys + i * key_width, key_width));
      out[key] = scalar(data + i * width, width, uint8_t(b_[data + n * width + i]));
    }
    return out;
  }

 private:
  std::string_view b_;
  std::string where_;
};

}  // namespace

std::map<std::string, FlexScalar> read_flexbuffer_map(std::string_view bytes, const std::string& where) {
  return FlexReader(bytes, where).root_map();
}

}  // namespace mnet
