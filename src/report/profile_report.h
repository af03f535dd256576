// What `mnet profile` prints: the per-layer table and the by-type breakdown, with timings.
#pragma once
#include <string>

#include "cost/cost.h"
#include "profile/timings.h"
#include "report/table.h"

namespace mnet {

// The run's planned peak memory (run/executor.h: planned_memory), for the header.
struct PlannedMemory;

// The per-layer table followed by the by-type breakdown (the V1 paper's Table 2). With timings,
// latency, share of time and GFLOP/s (FLOPs = 2 × multiply-adds) are added, and with a measured
// GEMM ceiling the share of it each layer and type reaches ("% ceil"). With `memory`, the planned
// peak memory in the header (and "planned_memory" in JSON).
std::string format_profile(const CostReport& cost, const ProfileTimings* timings, Format format,
                           const PlannedMemory* memory = nullptr);

}  // namespace mnet
