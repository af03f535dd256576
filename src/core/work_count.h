// A count of the elementary steps the readers take (a name looked up, an entry matched, a key
// compared), so that tests can check that a reader's work grows linearly with its input without
// timing anything. Counting costs one increment; nothing else reads it.
#pragma once
#include <cstdint>

namespace mnet {

// Steps taken on this thread since it started; readers add to it, tests read the difference.
inline thread_local uint64_t work_steps = 0;

inline void count_work(uint64_t steps = 1) { work_steps += steps; }

}  // namespace mnet
