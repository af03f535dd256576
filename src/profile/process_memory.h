// The process's peak resident memory, resettable per model, so that a report can say what one
// model needed rather than the largest of all the models the command ran before it.
#pragma once
#include <cstdint>

namespace mnet {

// Starts a new peak (Linux: writing 5 to /proc/self/clear_refs sets VmHWM to the current RSS).
// False where the kernel does not allow it: peak_rss_bytes() then keeps the whole process's peak.
bool reset_peak_rss();
// The peak resident set size in bytes since the process started or the last reset_peak_rss()
// (VmHWM in /proc/self/status, else getrusage's ru_maxrss); 0 where neither can be read.
int64_t peak_rss_bytes();

}  // namespace mnet
