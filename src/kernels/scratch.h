// The one scratch mechanism: each thread's arena of temporary buffers, shared by the kernels, the
// ops' RunContext::scratch and the band chains, so steady-state runs allocate nothing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mnet {

// The arena's buffers, one per use that can be live at the same time as the others: a band chain
// holds its two band buffers while the depthwise kernel inside it takes `kernel`.
enum class ScratchSlot {
  kernel,       // inside one kernel call (padded planes, blocked layouts); the default
  op,           // RunContext::scratch: an op's buffer for the length of its run (im2col, squeeze-excite)
  band_input,   // a band chain's expanded rows (run/band_chain_op.cpp)
  band_output,  // a band chain's depthwise output rows
  count
};

// The calling thread's buffer for `slot`, at least `floats` long, 64-byte aligned. It only grows
// and lives as long as the thread: steady-state calls allocate nothing. A caller must be done with
// a slot's contents before anything else it calls on the same thread takes the same slot.
inline float* thread_scratch(size_t floats, ScratchSlot slot = ScratchSlot::kernel) {
  thread_local std::vector<float> buffers[size_t(ScratchSlot::count)];
  std::vector<float>& buffer = buffers[size_t(slot)];
  constexpr size_t kAlignFloats = 64 / sizeof(float);
  if (buffer.size() < floats + kAlignFloats) buffer.resize(floats + kAlignFloats);
  const auto misalignment = reinterpret_cast<std::uintptr_t>(buffer.data()) % 64;
  return buffer.data() + (misalignment ? (64 - misalignment) / sizeof(float) : 0);
}

}  // namespace mnet
