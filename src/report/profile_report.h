// What `mnet profile` prints: the per-layer table and the by-type breakdown, with timings.
#pragma once
#include <string>

#include "cost/cost.h"
#include "profile/timings.h"
#include "report/envelope.h"
#include "report/table.h"

namespace mnet {

// The run's planned peak memory (run/executor.h: planned_memory), for the header.
struct PlannedMemory;

// The per-layer table followed by the by-type breakdown (the V1 paper's Table 2). With timings,
// latency, share of time and GFLOP/s (FLOPs = 2 × multiply-adds) are added, and with a measured
// GEMM ceiling the share of it each layer and type reaches ("% ceil"). With `memory`, the planned
// peak memory in the header (and "planned_memory" in JSON).
// JSON in the report envelope (kind "profile"); a fused layer has its own column ("fused into",
// naming the layer it runs inside), never a word in a number column.
std::string format_profile(const CostReport& cost, const ProfileTimings* timings, Format format,
                           const ReportContext& context, const PlannedMemory* memory = nullptr);

// The instrumented pass as Chrome trace-event JSON (the "JSON Object Format" that Perfetto and
// chrome://tracing open): one complete event ("ph": "X") per layer per timed run, on one track,
// with its multiply-adds, compulsory bytes and kernel as args, and the whole-model runs' median
// as metadata.
std::string chrome_trace(const CostReport& cost, const ProfileTimings& timings, const ReportContext& context);

}  // namespace mnet
