// Bytes → parse_npy (the in-memory core of read_npy).
// InputError is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    mnet::TensorData t = mnet::parse_npy(bytes, "fuzz.npy");
    // The reader promises the data matches the shape.
    if (int64_t(t.data.size()) != t.elements()) __builtin_trap();
  } catch (const mnet::InputError&) {
  }
  return 0;
}
