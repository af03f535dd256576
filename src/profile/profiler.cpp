// Timing runs with the steady clock and reading the CPU model from /proc/cpuinfo.
#include "profile/profiler.h"

#include <chrono>
#include <fstream>

#include "kernels/gemm.h"

namespace mnet {

namespace {
double elapsed_ms(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

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
}  // namespace

MachineInfo machine_info(int threads, const TimingOptions& options) {
  MachineInfo m;
  m.cpu = cpu_model();
  m.blas = blas_config();
  m.blas_core = blas_corename();
  m.threads = threads;
  m.runs = options.runs;
  m.warmup = options.warmup;
  return m;
}

LatencyStats time_runs(const std::function<void()>& run, const TimingOptions& options) {
  for (int i = 0; i < options.warmup; ++i) run();
  std::vector<double> samples;
  for (int i = 0; i < options.runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    samples.push_back(elapsed_ms(t0));
  }
  return latency_stats(samples);
}

LatencyStats time_model(Executor& exec, const float* input, const TimingOptions& options) {
  return time_runs([&] { exec.run(input); }, options);
}

ProfileTimings profile_model(const Graph& graph, Executor& layers, Executor& model, const float* input,
                             const TimingOptions& options, int threads) {
  ProfileTimings t;
  t.machine = machine_info(threads, options);
  size_t n = graph.nodes.size();
  std::vector<std::vector<double>> samples(n);
  NodeObserver record = [&](int node, int64_t ns) { samples[node].push_back(double(ns) / 1e6); };
  NodeObserver ignore = [](int, int64_t) {};
  for (int i = 0; i < options.warmup; ++i) layers.run(input, &ignore);
  for (int i = 0; i < options.runs; ++i) layers.run(input, &record);
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
