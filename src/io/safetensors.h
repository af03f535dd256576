#pragma once
#include <cstdint>
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

  // nullptr if there is no tensor of that name.
  const TensorData* find(const std::string& name) const;
};

// Reads a .safetensors file; F32, F16, BF16 and F64 tensors are converted to float. Strict: any
// deviation from the format (see the tests) throws InputError("PATH: tensor 'NAME': ...") or
// InputError("PATH: header: ...").
SafetensorsFile read_safetensors(const std::string& path);
// The same on bytes already in memory; `source` names them in errors.
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& source);

// Writes F32 tensors in the given order, atomically. Throws RunError if the file cannot be
// written, std::invalid_argument for a null tensor, a tensor whose data does not match its
// shape, a duplicate name or the reserved name "__metadata__".
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, const TensorData*>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace mnet
