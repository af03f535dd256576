#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mnet {

// The calling thread's scratch buffer, 64-byte aligned, that only grows: steady-state calls
// allocate nothing. One per thread, shared by the kernels, so a caller must be done with it
// before calling another kernel that uses it.
inline float* thread_scratch(size_t floats) {
  thread_local std::vector<float> buffer;
  constexpr size_t kAlignFloats = 64 / sizeof(float);
  if (buffer.size() < floats + kAlignFloats) buffer.resize(floats + kAlignFloats);
  const auto misalignment = reinterpret_cast<std::uintptr_t>(buffer.data()) % 64;
  return buffer.data() + (misalignment ? (64 - misalignment) / sizeof(float) : 0);
}

}  // namespace mnet
