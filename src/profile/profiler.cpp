// Timing runs with the steady clock and reading the CPU model from /proc/cpuinfo.
#include "profile/profiler.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "kernels/gemm.h"

namespace mnet {

namespace {
double elapsed_ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown CPU";
}

namespace {

// MNET_TEST_DISTURBED=1 or 0 decides for the load (tests of what follows from the decision).
void apply_test_hook(RunConditions& c) {
  const char* forced = std::getenv("MNET_TEST_DISTURBED");
  if (!forced) return;
  if (std::strcmp(forced, "1") == 0) {
    c.disturbed = true;
    c.reasons.push_back("MNET_TEST_DISTURBED=1");
  } else if (std::strcmp(forced, "0") == 0) {
    c.disturbed = false;
    c.reasons.clear();
  }
}
}  // namespace

MachineInfo machine_info(int threads, const TimingOptions& options) {
  MachineInfo m;
  m.cpu = cpu_model();
  m.blas = blas_config();
  m.blas_core = blas_corename();
  m.threads = threads;
  m.runs = options.duration_s > 0 ? 0 : options.runs;  // with --duration, each measurement's own count
  m.warmup = options.warmup;
  m.duration_s = options.duration_s;
  return m;
}

LatencyStats time_runs(const std::function<void()>& run, const TimingOptions& options,
                       const std::function<void()>& warmup_run) {
  if (options.idle) options.idle->before_timing();
  double first_run_ms = -1;
  for (int i = 0; i < options.warmup; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    (warmup_run ? warmup_run : run)();
    if (i == 0) first_run_ms = elapsed_ms(t0);
    if (options.on_run) options.on_run();
  }
  std::vector<double> samples;
  double timed_ms = 0;
  const LoadSample before = sample_load();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0;; ++i) {
    if (options.duration_s > 0 ? (i > 0 && (elapsed_ms(start) >= 1e3 * options.duration_s || i >= kMaxTimedRuns))
                               : i >= options.runs)
      break;
    if (i > 0 && options.delay_ms > 0)
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(options.delay_ms));
    auto t0 = std::chrono::steady_clock::now();
    run();
    samples.push_back(elapsed_ms(t0));
    timed_ms += samples.back();
    if (options.on_run) options.on_run();
  }
  const LoadSample after = sample_load();
  LatencyStats s = latency_stats(samples);
  s.first_run_ms = first_run_ms >= 0 ? first_run_ms : samples.front();
  s.conditions = conditions_between(before, after, timed_ms / 1e3, s.runs, online_cores(), seconds_per_tick(),
                                    read_load_avg());
  apply_test_hook(s.conditions);
  if (options.idle) options.idle->after_timing(s.conditions);
  return s;
}

LatencyStats time_model(Executor& exec, const float* input, const TimingOptions& options) {
  if (exec.batch() > 1) return time_runs([&] { exec.run_batch(input, exec.batch()); }, options);
  return time_runs([&] { exec.run(input); }, options);
}

ProfileTimings profile_model(const Graph& graph, Executor& layers, Executor& model, const float* input,
                             const TimingOptions& options, int threads) {
  ProfileTimings t;
  t.machine = machine_info(threads, options);
  size_t n = graph.nodes.size();
  std::vector<std::vector<double>> samples(n);
  // The observer is called as each node ends: its start is now minus its duration.
  int run_index = -1;
  std::chrono::steady_clock::time_point first_start;
  NodeObserver record = [&](int node, int64_t ns) {
    samples[node].push_back(double(ns) / 1e6);
    if (!options.trace_events || t.events.size() >= kMaxTraceEvents) return;
    const int64_t end_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - first_start).count();
    t.events.push_back({node, run_index, end_ns - ns, ns});
  };
  NodeObserver ignore = [](int, int64_t) {};
  const LatencyStats layer_pass = time_runs(
                           [&] {
                             if (++run_index == 0) first_start = std::chrono::steady_clock::now();
                             layers.run(input, &record);
                           },
                           options, [&] { layers.run(input, &ignore); });
  t.layer_conditions = layer_pass.conditions;
  t.startup.first_run_ms = layer_pass.first_run_ms;  // the process's first inference
  t.kernels = layers.kernel_names();
  t.by_node.resize(n);
  for (size_t i = 1; i < n; ++i) {
    int host = layers.runs_in()[i];
    if (host != int(i)) {
      t.by_node[i].fused_into = graph.nodes[host].name;
      continue;
    }
    t.by_node[i].median_ms = latency_stats(samples[i]).median;
    t.layer_sum_ms += t.by_node[i].median_ms;
  }
  t.model = time_model(model, input, options);
  t.band_chains = model.band_chains();
  return t;
}

}  // namespace mnet
