// A strict, bounds-checked FlatBuffers reader for .tflite files.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// A small, strict, schema-less FlatBuffers reader. Every access is bounds-checked against the
// buffer with overflow-safe arithmetic, and alignment is checked as the official verifier does,
// so a hostile buffer can only produce InputError, never an out-of-bounds read.

namespace mnet {

// Tables nested deeper than this are refused. The readers in this project follow a fixed schema,
// so this only guards against a future recursive caller.
constexpr int kMaxFlatbufferDepth = 32;

// A field of a table: its id in the schema (declaration order, a union counting as two fields:
// type then value) and its name for error messages.
struct FbField {
  int id;
  const char* name;
};

class FbTable;

// A view of one flatbuffer. `bytes` must outlive the reader and every FbTable made from it.
// Errors throw InputError(error_prefix + what), e.g. prefix "model.tflite: tflite: ".
class Flatbuffer {
 public:
  // `decode_budget`: total bytes that vectors and strings may copy out. Flatbuffers may share one
  // vector between many tables, so without it a small file could decode into gigabytes.
  Flatbuffer(std::string_view bytes, std::string error_prefix, uint64_t decode_budget);

  // The root table, described as `root_name` in errors. When `identifier` is not empty, bytes
  // 4..8 must equal it, or the error says the buffer is not a `format_name`.
  FbTable root(std::string_view identifier, const std::string& format_name,
               const std::string& root_name);

  [[noreturn]] void fail(const std::string& what) const;
  std::string_view bytes() const { return bytes_; }
  uint64_t size() const { return bytes_.size(); }

 private:
  friend class FbTable;

  bool in_bounds(uint64_t pos, uint64_t len) const {
    return pos <= bytes_.size() && len <= bytes_.size() - pos;
  }
  // Little-endian unsigned integer of `width` bytes at `pos`; caller has checked the bounds.
  uint64_t load_le(uint64_t pos, int width) const;
  void charge(uint64_t bytes, const std::string& where);
  FbTable table_at(uint64_t pos, const std::string& where, int depth);

  std::string_view bytes_;
  std::string prefix_;
  uint64_t budget_left_;
};

// One table of a Flatbuffer. Absent fields give the schema default (scalars), std::nullopt
// (tables, strings) or an empty vector.
class FbTable {
 public:
  const std::string& where() const { return where_; }
  // Same table, with a different description in error messages (e.g. once its name is known).
  FbTable renamed(std::string where) const;
  [[noreturn]] void fail(const std::string& what) const;
  [[noreturn]] void fail(FbField f, const std::string& what) const;

  bool has(FbField f) const { return field_offset(f) != 0; }

  // T: bool, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t, float.
  template <typename T>
  T scalar(FbField f, T default_value) const;

  std::optional<FbTable> table(FbField f, const std::string& child_where) const;
  std::optional<std::string> string(FbField f, uint32_t max_bytes) const;

  // Vector of scalars (same T as scalar()). `present` (optional) tells an absent vector from an
  // empty one.
  template <typename T>
  std::vector<T> scalars(FbField f, uint32_t max_count, bool* present = nullptr) const;

  // Vector of tables; element i is described as `element_where + "[i]"`.
  std::vector<FbTable> tables(FbField f, uint32_t max_count,
                              const std::string& element_where) const;

  // Vector of strings.
  std::vector<std::string> strings(FbField f, uint32_t max_count, uint32_t max_bytes) const;

  // Checks that vector field `f` (elements of `elem_size` bytes) lies inside the buffer, without
  // reading it: for fields the caller does not use but a damaged file should not get past.
  void check_vector(FbField f, uint32_t elem_size) const;

  // A [ubyte] vector as a view into the buffer (not copied, not charged to the budget).
  std::optional<std::string_view> bytes(FbField f, uint64_t max_bytes) const;

 private:
  friend class Flatbuffer;
  FbTable(Flatbuffer* fb, uint64_t pos, uint64_t vtable, uint32_t vtable_size,
          uint32_t inline_size, std::string where, int depth)
      : fb_(fb), pos_(pos), vtable_(vtable), vtable_size_(vtable_size), inline_size_(inline_size),
        where_(std::move(where)), depth_(depth) {}

  // Offset of the field inside the table, or 0 if absent.
  uint32_t field_offset(FbField f) const;
  // Absolute position of a present field of `width` bytes, checked to lie inside the table and
  // to be aligned; 0 if absent.
  uint64_t field_pos(FbField f, uint32_t width) const;
  // Follows the uoffset stored in field `f` (absent: 0).
  uint64_t follow(FbField f) const;
  // Position of the first element and the element count of the vector field `f`.
  struct VectorSpan {
    bool present = false;
    uint64_t first = 0;
    uint32_t count = 0;
  };
  VectorSpan vector(FbField f, uint32_t elem_size, uint32_t max_count) const;
  std::string string_at(uint64_t pos, uint32_t max_bytes, const std::string& what) const;

  Flatbuffer* fb_;
  uint64_t pos_;
  uint64_t vtable_;
  uint32_t vtable_size_;
  uint32_t inline_size_;
  std::string where_;
  int depth_;
};

}  // namespace mnet
