// FlatBuffers tables, vectors and strings read with every offset checked.
#include "tflite/flatbuffer.h"

#include <cstring>
#include <type_traits>

#include "core/error.h"

namespace mnet {

namespace {

constexpr uint32_t kUoffsetBytes = 4;
constexpr uint32_t kSoffsetBytes = 4;
constexpr uint32_t kVtableEntryBytes = 2;
constexpr uint32_t kVtableHeaderBytes = 2 * kVtableEntryBytes;  // vtable size, table size
constexpr uint64_t kRootOffsetBytes = 4;
constexpr uint64_t kIdentifierBytes = 4;
// uoffsets are unsigned, but the format (and the official verifier) keep them below 2^31.
constexpr uint64_t kMaxUoffset = (uint64_t(1) << 31) - 1;

std::string num(uint64_t v) { return std::to_string(v); }

std::string printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(char(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

template <typename T>
T from_bits(uint64_t bits) {
  if constexpr (std::is_same_v<T, bool>) {
    return bits != 0;
  } else {
    using U = std::conditional_t<sizeof(T) == 1, uint8_t,
              std::conditional_t<sizeof(T) == 2, uint16_t,
              std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
    U u = U(bits);
    T t;
    std::memcpy(&t, &u, sizeof(T));
    return t;
  }
}

}  // namespace

Flatbuffer::Flatbuffer(std::string_view bytes, std::string error_prefix, uint64_t decode_budget)
    : bytes_(bytes), prefix_(std::move(error_prefix)), budget_left_(decode_budget) {}

void Flatbuffer::fail(const std::string& what) const { throw InputError(prefix_ + what); }

uint64_t Flatbuffer::load_le(uint64_t pos, int width) const {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | uint8_t(bytes_[size_t(pos) + size_t(i)]);
  return v;
}

void Flatbuffer::charge(uint64_t bytes, const std::string& where) {
  if (bytes > budget_left_) {
    fail(where + ": decoded vectors and strings exceed the limit for a " + num(size()) +
         "-byte buffer (tables sharing huge vectors?)");
  }
  budget_left_ -= bytes;
}

FbTable Flatbuffer::root(std::string_view identifier, const std::string& format_name,
                         const std::string& root_name) {
  const uint64_t header = kRootOffsetBytes + (identifier.empty() ? 0 : kIdentifierBytes);
  if (size() < header) {
    fail("file is " + num(size()) + " bytes, shorter than the " + num(header) +
         "-byte flatbuffer header");
  }
  if (!identifier.empty()) {
    std::string_view got = bytes_.substr(kRootOffsetBytes, kIdentifierBytes);
    if (got != identifier) {
      fail("not a " + format_name + ": file identifier (bytes 4..8) is '" + printable(got) +
           "', expected '" + printable(identifier) + "'");
    }
  }
  const uint64_t root = load_le(0, kUoffsetBytes);
  if (root == 0 || root > kMaxUoffset || !in_bounds(root, kSoffsetBytes)) {
    fail("root table offset " + num(root) + " points outside the " + num(size()) + "-byte buffer");
  }
  return table_at(root, root_name, 0);
}

FbTable Flatbuffer::table_at(uint64_t pos, const std::string& where, int depth) {
  if (depth > kMaxFlatbufferDepth) {
    fail(where + ": tables nested deeper than " + num(kMaxFlatbufferDepth));
  }
  if (!in_bounds(pos, kSoffsetBytes)) {
    fail(where + ": table at byte " + num(pos) + " lies outside the " + num(size()) +
         "-byte buffer");
  }
  if (pos % kSoffsetBytes != 0) fail(where + ": table at byte " + num(pos) + " is misaligned");
  const int64_t soffset = from_bits<int32_t>(load_le(pos, kSoffsetBytes));
  const int64_t vtable = int64_t(pos) - soffset;
  if (vtable < 0 || !in_bounds(uint64_t(vtable), kVtableHeaderBytes)) {
    fail(where + ": vtable offset " + std::to_string(soffset) + " of the table at byte " +
         num(pos) + " points outside the " + num(size()) + "-byte buffer");
  }
  if (vtable % kVtableEntryBytes != 0) {
    fail(where + ": vtable at byte " + std::to_string(vtable) + " is misaligned");
  }
  const uint32_t vtable_size = uint32_t(load_le(uint64_t(vtable), kVtableEntryBytes));
  const uint32_t inline_size =
      uint32_t(load_le(uint64_t(vtable) + kVtableEntryBytes, kVtableEntryBytes));
  if (vtable_size < kVtableHeaderBytes || vtable_size % kVtableEntryBytes != 0 ||
      !in_bounds(uint64_t(vtable), vtable_size)) {
    fail(where + ": vtable at byte " + std::to_string(vtable) + " has an invalid size of " +
         num(vtable_size) + " bytes");
  }
  if (inline_size < kSoffsetBytes || !in_bounds(pos, inline_size)) {
    fail(where + ": table at byte " + num(pos) + " claims " + num(inline_size) +
         " bytes, outside the " + num(size()) + "-byte buffer");
  }
  return FbTable(this, pos, uint64_t(vtable), vtable_size, inline_size, where, depth);
}

FbTable FbTable::renamed(std::string where) const {
  FbTable t = *this;
  t.where_ = std::move(where);
  return t;
}

void FbTable::fail(const std::string& what) const { fb_->fail(where_ + ": " + what); }

void FbTable::fail(FbField f, const std::string& what) const {
  fb_->fail(where_ + ": " + f.name + ": " + what);
}

uint32_t FbTable::field_offset(FbField f) const {
  const uint64_t slot = kVtableHeaderBytes + uint64_t(f.id) * kVtableEntryBytes;
  if (f.id < 0 || slot + kVtableEntryBytes > vtable_size_) return 0;
  return uint32_t(fb_->load_le(vtable_ + slot, kVtableEntryBytes));
}

uint64_t FbTable::field_pos(FbField f, uint32_t width) const {
  const uint32_t off = field_offset(f);
  if (off == 0) return 0;
  if (off < kSoffsetBytes || uint64_t(off) + width > inline_size_) {
    fail(f, "field at offset " + num(off) + " (" + num(width) + " bytes) lies outside the " +
                num(inline_size_) + "-byte table");
  }
  const uint64_t pos = pos_ + off;
  if (pos % width != 0) fail(f, "field at byte " + num(pos) + " is misaligned");
  return pos;
}

uint64_t FbTable::follow(FbField f) const {
  const uint64_t p = field_pos(f, kUoffsetBytes);
  if (p == 0) return 0;
  const uint64_t off = fb_->load_le(p, kUoffsetBytes);
  if (off == 0 || off > kMaxUoffset || !fb_->in_bounds(p + off, 1)) {
    fail(f, "offset " + num(off) + " at byte " + num(p) + " points outside the " +
                num(fb_->size()) + "-byte buffer");
  }
  return p + off;
}

FbTable::VectorSpan FbTable::vector(FbField f, uint32_t elem_size, uint32_t max_count) const {
  VectorSpan span;
  const uint64_t p = follow(f);
  if (p == 0) return span;
  if (!fb_->in_bounds(p, kUoffsetBytes)) {
    fail(f, "vector length at byte " + num(p) + " lies outside the " + num(fb_->size()) +
                "-byte buffer");
  }
  if (p % kUoffsetBytes != 0) fail(f, "vector at byte " + num(p) + " is misaligned");
  const uint64_t count = fb_->load_le(p, kUoffsetBytes);
  const uint64_t first = p + kUoffsetBytes;
  if (count > (fb_->size() - first) / elem_size) {
    fail(f, "vector of " + num(count) + " " + num(elem_size) + "-byte elements at byte " +
                num(p) + " runs past the end of the " + num(fb_->size()) + "-byte buffer");
  }
  if (count > max_count) {
    fail(f, "vector has " + num(count) + " elements, more than the limit of " + num(max_count));
  }
  span.present = true;
  span.first = first;
  span.count = uint32_t(count);
  return span;
}

std::string FbTable::string_at(uint64_t pos, uint32_t max_bytes, const std::string& what) const {
  if (!fb_->in_bounds(pos, kUoffsetBytes) || pos % kUoffsetBytes != 0) {
    fail(what + ": string at byte " + num(pos) + " is misaligned or outside the buffer");
  }
  const uint64_t len = fb_->load_le(pos, kUoffsetBytes);
  const uint64_t first = pos + kUoffsetBytes;
  // The terminating NUL is part of the format; the official verifier requires it too.
  if (len >= fb_->size() - first) {
    fail(what + ": string of " + num(len) + " bytes at byte " + num(pos) +
         " runs past the end of the " + num(fb_->size()) + "-byte buffer");
  }
  if (fb_->bytes_[size_t(first + len)] != '\0') {
    fail(what + ": string at byte " + num(pos) + " is not NUL-terminated");
  }
  if (len > max_bytes) {
    fail(what + ": string of " + num(len) + " bytes exceeds the limit of " + num(max_bytes));
  }
  fb_->charge(len, where_);
  return std::string(fb_->bytes_.substr(size_t(first), size_t(len)));
}

template <typename T>
T FbTable::scalar(FbField f, T default_value) const {
  const uint64_t p = field_pos(f, sizeof(T));
  if (p == 0) return default_value;
  return from_bits<T>(fb_->load_le(p, int(sizeof(T))));
}

std::optional<FbTable> FbTable::table(FbField f, const std::string& child_where) const {
  const uint64_t p = follow(f);
  if (p == 0) return std::nullopt;
  return fb_->table_at(p, child_where, depth_ + 1);
}

std::optional<std::string> FbTable::string(FbField f, uint32_t max_bytes) const {
  const uint64_t p = follow(f);
  if (p == 0) return std::nullopt;
  return string_at(p, max_bytes, f.name);
}

template <typename T>
std::vector<T> FbTable::scalars(FbField f, uint32_t max_count, bool* present) const {
  const VectorSpan span = vector(f, sizeof(T), max_count);
  if (present) *present = span.present;
  fb_->charge(uint64_t(span.count) * sizeof(T), where_);
  std::vector<T> out(span.count);
  for (uint32_t i = 0; i < span.count; ++i) {
    out[i] = from_bits<T>(fb_->load_le(span.first + uint64_t(i) * sizeof(T), int(sizeof(T))));
  }
  return out;
}

std::vector<FbTable> FbTable::tables(FbField f, uint32_t max_count,
                                     const std::string& element_where) const {
  const VectorSpan span = vector(f, kUoffsetBytes, max_count);
  std::vector<FbTable> out;
  out.reserve(span.count);
  for (uint32_t i = 0; i < span.count; ++i) {
    const uint64_t p = span.first + uint64_t(i) * kUoffsetBytes;
    const uint64_t off = fb_->load_le(p, kUoffsetBytes);
    const std::string where = element_where + " " + num(i);
    if (off == 0 || off > kMaxUoffset || !fb_->in_bounds(p + off, 1)) {
      fail(f, "offset " + num(off) + " of element " + num(i) + " points outside the " +
                  num(fb_->size()) + "-byte buffer");
    }
    out.push_back(fb_->table_at(p + off, where, depth_ + 1));
  }
  return out;
}

std::vector<std::string> FbTable::strings(FbField f, uint32_t max_count,
                                          uint32_t max_bytes) const {
  const VectorSpan span = vector(f, kUoffsetBytes, max_count);
  std::vector<std::string> out;
  out.reserve(span.count);
  for (uint32_t i = 0; i < span.count; ++i) {
    const uint64_t p = span.first + uint64_t(i) * kUoffsetBytes;
    const uint64_t off = fb_->load_le(p, kUoffsetBytes);
    const std::string what = std::string(f.name) + "[" + num(i) + "]";
    if (off == 0 || off > kMaxUoffset || !fb_->in_bounds(p + off, 1)) {
      fail(what + ": offset " + num(off) + " points outside the " + num(fb_->size()) +
           "-byte buffer");
    }
    out.push_back(string_at(p + off, max_bytes, what));
  }
  return out;
}

void FbTable::check_vector(FbField f, uint32_t elem_size) const {
  vector(f, elem_size, UINT32_MAX);
}

std::optional<std::string_view> FbTable::bytes(FbField f, uint64_t max_bytes) const {
  const uint32_t limit = max_bytes > UINT32_MAX ? UINT32_MAX : uint32_t(max_bytes);
  const VectorSpan span = vector(f, 1, limit);
  if (!span.present) return std::nullopt;
  return fb_->bytes_.substr(size_t(span.first), span.count);
}

#define MNET_FB_INSTANTIATE(T)                                                        \
  template T FbTable::scalar<T>(FbField, T) const;                                    \
  template std::vector<T> FbTable::scalars<T>(FbField, uint32_t, bool*) const;
MNET_FB_INSTANTIATE(bool)
MNET_FB_INSTANTIATE(int8_t)
MNET_FB_INSTANTIATE(uint8_t)
MNET_FB_INSTANTIATE(int16_t)
MNET_FB_INSTANTIATE(uint16_t)
MNET_FB_INSTANTIATE(int32_t)
MNET_FB_INSTANTIATE(uint32_t)
MNET_FB_INSTANTIATE(int64_t)
MNET_FB_INSTANTIATE(uint64_t)
MNET_FB_INSTANTIATE(float)
#undef MNET_FB_INSTANTIATE

}  // namespace mnet
