// The buffer planning pass (run/plan_buffers.h): activation buffers assigned once and reused.
#include "run/plan_buffers.h"

#include <algorithm>

namespace mnet {

BufferPlan plan_buffers(const Plan& plan) {
  const std::vector<int>& runs_in = plan.runs_in;
  const std::vector<PlanStep>& steps = plan.steps;
  BufferPlan buffers;
  // The last step reading each value; the output's is past the end, so it stays.
  std::vector<int> last_use(runs_in.size(), -1);
  for (size_t s = 0; s < steps.size(); ++s)
    for (int in : steps[s].inputs) last_use[runs_in[in]] = int(s);
  const std::vector<int> outputs = plan.all_outputs();
  for (int o : outputs) last_use[runs_in[o]] = int(steps.size());
  std::vector<bool> busy;
  std::vector<int> buffer_of(runs_in.size(), -1);
  std::vector<int64_t>& capacity = buffers.capacity;
  for (size_t s = 0; s < steps.size(); ++s) {
    const PlanStep& step = steps[s];
    std::vector<int> inputs;
    for (int in : step.inputs) inputs.push_back(in == 0 ? -1 : buffer_of[runs_in[in]]);
    const int64_t need = step.out.elements();
    // The smallest free buffer that fits; else the largest free one, grown.
    int pick = -1;
    for (size_t b = 0; b < capacity.size(); ++b) {
      if (busy[b]) continue;
      bool fits = capacity[b] >= need;
      bool pick_fits = pick >= 0 && capacity[pick] >= need;
      if (pick < 0 || (fits && (!pick_fits || capacity[b] < capacity[pick])) ||
          (!fits && !pick_fits && capacity[b] > capacity[pick]))
        pick = int(b);
    }
    if (pick < 0) {
      pick = int(capacity.size());
      capacity.push_back(0);
      busy.push_back(false);
    }
    capacity[pick] = std::max(capacity[pick], need);
    busy[pick] = true;
    buffer_of[step.last] = pick;
    // Inputs whose last reader is this step are free once it has run.
    for (int in : step.inputs) {
      const int src = runs_in[in];
      if (src != 0 && last_use[src] == int(s)) busy[buffer_of[src]] = false;
    }
    buffers.input_buffers.push_back(std::move(inputs));
    buffers.output_buffer.push_back(pick);
  }
  for (int o : outputs) buffers.output_buffers.push_back(buffer_of[runs_in[o]]);
  buffers.graph_output = buffers.output_buffers.front();
  return buffers;
}

}  // namespace mnet
