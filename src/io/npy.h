// Reading and writing .npy arrays (float32 and float64, C order), strictly and with bounded sizes.
#pragma once
#include <cstdint>
#include <string>

#include "io/tensor_data.h"

namespace mnet {

// numpy itself refuses headers over 10000 bytes by default; this leaves room for unusual shapes.
constexpr uint64_t kMaxNpyHeaderBytes = uint64_t(64) << 10;
constexpr uint64_t kMaxNpyFileBytes = uint64_t(2) << 30;

// Reads a NumPy .npy file (format 1.0, 2.0 or 3.0) holding a C-order '<f4' or '<f8' array of any
// shape, including 0-d; '<f8' is converted to float. Strict: anything else, or data that is not
// exactly shape x itemsize bytes, throws InputError("PATH: ...").
TensorData read_npy(const std::string& path);
// The same on bytes already in memory; `source` names them in errors.
TensorData parse_npy(const std::string& bytes, const std::string& source);

// Writes `t` atomically as a format 1.0, '<f4', C-order .npy file whose data starts at a multiple
// of 64 bytes, as numpy.save does. Throws RunError if the file cannot be written,
// std::invalid_argument if t.data does not match t.shape.
void write_npy(const std::string& path, const TensorData& t);

}  // namespace mnet
