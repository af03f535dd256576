// A tensor read from a file: dtype, shape and raw bytes, with the element limit readers share.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mnet {

// Readers refuse tensors with more elements than this; it keeps every byte-size computation
// (elements x 8-byte dtype) far from int64/uint64 overflow.
constexpr int64_t kMaxTensorElements = int64_t(1) << 31;

// A dense float tensor in C (row-major) order. A 0-d tensor has an empty shape and one element.
struct TensorData {
  std::vector<int64_t> shape;
  std::vector<float> data;

  int64_t elements() const {
    // Readers accept a zero dimension beside huge ones ([0, 2^31, 2^31]); the product would overflow.
    for (int64_t d : shape)
      if (d == 0) return 0;
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

// Element count of `dims`, or -1 if a dimension is negative or the count exceeds `limit`.
// Overflow-safe for any input: every partial product stays <= limit before the next multiply.
inline int64_t checked_element_count(const std::vector<int64_t>& dims, int64_t limit) {
  bool zero = false;
  for (int64_t d : dims) {
    if (d < 0 || d > limit) return -1;
    zero = zero || d == 0;
  }
  if (zero) return 0;
  int64_t n = 1;
  for (int64_t d : dims) {
    if (n > limit / d) return -1;
    n *= d;
  }
  return n;
}

// "[2, 3]"; used in error messages.
inline std::string shape_to_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace mnet
