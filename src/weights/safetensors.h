// Reading and writing safetensors files (F32/F64/F16/BF16), strictly and with bounded memory.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io/tensor_data.h"

namespace mnet {

// The reference implementation (huggingface/safetensors) refuses larger headers too.
constexpr uint64_t kMaxSafetensorsHeaderBytes = uint64_t(100) << 20;
constexpr uint64_t kMaxSafetensorsFileBytes = uint64_t(2) << 30;

struct SafetensorsFile {
  // Ordered by data offset (then name), i.e. the order the bytes appear in the file.
  std::vector<std::pair<std::string, TensorData>> tensors;
  std::map<std::string, std::string> metadata;
  std::map<std::string, size_t> index;  // name → position in `tensors`, filled by the readers

  // nullptr if there is no tensor of that name. O(log n): callers look up every declared tensor.
  const TensorData* find(const std::string& name) const;
};

// Called for every tensor entry once the header and layout are valid, before any tensor is
// decoded, so a caller can refuse an unexpected name or shape without allocating its data.
using SafetensorsEntryCheck = std::function<void(const std::string& name, const std::vector<int64_t>& shape)>;

// Reads a .safetensors file; F32, F16, BF16 and F64 tensors are converted to float. Strict: any
// deviation from the format (see the tests) throws InputError("PATH: tensor 'NAME': ...") or
// InputError("PATH: header: ...").
SafetensorsFile read_safetensors(const std::string& path, const SafetensorsEntryCheck& check = {});
// The same on bytes already in memory; `source` names them in errors.
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& source,
                                  const SafetensorsEntryCheck& check = {});

// Writes F32 tensors in the given order, atomically. Throws RunError if the file cannot be
// written, std::invalid_argument for a null tensor, a tensor whose data does not match its
// shape, a duplicate name or the reserved name "__metadata__".
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, const TensorData*>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace mnet
