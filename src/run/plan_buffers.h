// The executor's last pass: which activation buffer each step reads and writes, buffers reused
// once the last step reading their value has run.
#pragma once
#include <cstdint>
#include <vector>

#include "run/plan.h"

namespace mnet {

struct BufferPlan {
  std::vector<int64_t> capacity;                // floats of each buffer
  std::vector<std::vector<int>> input_buffers;  // per step, per input; -1: the caller's input
  std::vector<int> output_buffer;               // per step
  int graph_output = -1;                        // the buffer holding the graph's output; -1: the input itself
  std::vector<int> output_buffers;              // per output of Plan::all_outputs(), likewise
  int64_t floats() const {
    int64_t total = 0;
    for (int64_t c : capacity) total += c;
    return total;
  }
};

// Takes a plan's steps (inputs, last, out; ops not needed) and runs_in. Each step writes a buffer no
// live value is in (the smallest free one that fits, else the largest free one grown, else a new
// one); a value's buffer is free again after the last step reading it, the graph's outputs' never.
BufferPlan plan_buffers(const Plan& plan);

}  // namespace mnet
