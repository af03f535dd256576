// Timing a model: latency over repeated runs, per-layer medians from an instrumented pass, and
// the machine the figures were taken on.
#pragma once
#include <functional>

#include "profile/timings.h"
#include "run/executor.h"

namespace mnet {

struct TimingOptions {
  int runs = 50;
  int warmup = 10;
};

// Latency of `run`: options.warmup untimed calls, then options.runs timed ones.
LatencyStats time_runs(const std::function<void()>& run, const TimingOptions& options);

// Whole-model latency without per-layer timers.
LatencyStats time_model(Executor& exec, const float* input, const TimingOptions& options);

// Per-layer medians from an instrumented pass of `layers` (an executor with band chains off, so
// that each convolution has its own time), then the whole model from a separate pass of `model`
// (the plan as mnet runs it).
ProfileTimings profile_model(const Graph& graph, Executor& layers, Executor& model, const float* input,
                             const TimingOptions& options, int threads);

// CPU model, OpenBLAS configuration and core type, for report headers.
MachineInfo machine_info(int threads, const TimingOptions& options);

}  // namespace mnet
