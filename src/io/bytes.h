// Byte-level pieces the .npy and safetensors readers and writers share: little-endian integers,
// and numbers and file bytes spelled for error messages.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace mnet {

// The `bytes`-byte little-endian unsigned integer at p. Byte-wise so the result does not depend on
// the host's byte order or alignment.
inline uint64_t load_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | uint8_t(p[i]);
  return v;
}

// Appends the low `bytes` bytes of v, least significant first.
inline void append_le(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(char((v >> (8 * i)) & 0xff));
}

// d with enough digits to read back the same double.
inline std::string double_to_string(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

// What printable() does with bytes 0x80 and up: keep them (UTF-8 text stays readable) or spell
// them as \xNN (formats whose text is ASCII).
enum class HighBytes { keep, escape };

// s fit for a message: control bytes (below 0x20, and 0x7f), and high bytes if asked, as \xNN.
inline std::string printable(const std::string& s, HighBytes high) {
  std::string out;
  for (unsigned char c : s) {
    const bool escape = c < 0x20 || c == 0x7f || (high == HighBytes::escape && c >= 0x80);
    if (escape) {
      const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += char(c);
    }
  }
  return out;
}

}  // namespace mnet
