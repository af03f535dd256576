// Bytes → parse_safetensors (the in-memory core of read_safetensors).
// InputError is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "weights/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    mnet::SafetensorsFile f = mnet::parse_safetensors(bytes, "fuzz.safetensors");
    for (const auto& [name, t] : f.tensors) {
      // The reader promises every tensor's data matches its shape.
      if (int64_t(t.data.size()) != t.elements()) __builtin_trap();
    }
  } catch (const mnet::InputError&) {
  }
  return 0;
}
