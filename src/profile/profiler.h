// Timing a model: latency over repeated runs, per-layer medians from an instrumented pass, and
// the machine the figures were taken on.
#pragma once
#include <functional>

#include "profile/timings.h"
#include "run/executor.h"

namespace mnet {

// --duration's runs stop here however fast the model is, as --runs's range does.
constexpr int kMaxTimedRuns = 100000;

struct TimingOptions {
  int runs = 50;
  int warmup = 10;
  double duration_s = 0;     // > 0: time runs until this much wall time has passed (at least one), not `runs`
  double delay_ms = 0;       // sleep between timed runs, not timed
  IdleGate* idle = nullptr;  // --wait-idle: waits for a quiet machine before the timed runs
  bool trace_events = false; // profile_model keeps every layer's start and duration (--trace)
  std::function<void()> on_run = nullptr;  // called after every run, warm-up or timed (a progress line)
};


// Latency of `run`: options.warmup untimed calls (of `warmup_run` when given), then the timed
// ones, with the process's CPU time and the machine's load over them (LatencyStats::conditions).
// The environment variable MNET_TEST_DISTURBED, a test hook, overrides the decision: "1" marks
// every measurement disturbed, "0" none.
LatencyStats time_runs(const std::function<void()>& run, const TimingOptions& options,
                       const std::function<void()>& warmup_run = {});

// Whole-model latency without per-layer timers: of one run of exec.batch() images, `input` holding
// that many.
LatencyStats time_model(Executor& exec, const float* input, const TimingOptions& options);

// Per-layer medians from an instrumented pass of `layers` (an executor with band chains off, so
// that each convolution has its own time), then the whole model from a separate pass of `model`
// (the plan as mnet runs it).
ProfileTimings profile_model(const Graph& graph, Executor& layers, Executor& model, const float* input,
                             const TimingOptions& options, int threads);

// CPU model, OpenBLAS configuration and core type, for report headers.
// The CPU's model name from /proc/cpuinfo, or "unknown CPU".
std::string cpu_model();
MachineInfo machine_info(int threads, const TimingOptions& options);

}  // namespace mnet
