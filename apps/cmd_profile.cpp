// mnet profile MODEL: per-layer multiply-adds, params, measured latency, share of time, GFLOP/s and,
// where `mnet calibrate` cached one, the share of the machine's GEMM ceiling.
#include <cstdio>

#include "common.h"
#include "core/error.h"
#include "cost/cost.h"
#include "profile/calibrate.h"
#include "profile/calibration_cache.h"
#include "profile/profiler.h"
#include "report/profile_report.h"
#include "run/executor.h"

namespace mnet::app {

namespace {
// The ceiling `mnet calibrate` cached for this machine at `threads` threads, else none: a profile
// never measures it. A cache that cannot be read is ignored with a note, never an error.
GemmCeiling cached_ceiling(int threads) {
  std::string path = calibration_cache_path();
  if (path.empty()) return {};
  CalibrationCache cache = read_calibration_cache(path);
  if (!cache.problem.empty())
    std::fprintf(stderr, "mnet: %s; ignored (mnet calibrate rewrites it)\n", one_line(cache.problem).c_str());
  std::optional<Calibration> c = find_calibration(cache, current_calibration_key(threads));
  return c ? gemm_ceiling(*c, path) : GemmCeiling{};
}
}  // namespace

Command make_profile_command(CLI::App& root) {
  auto model = std::make_shared<ModelOptions>();
  auto engine = std::make_shared<EngineOptions>();
  auto out = std::make_shared<OutputOptions>();
  auto cost_only = std::make_shared<bool>(false);
  auto threads = std::make_shared<int>(1);
  CLI::App* app = root.add_subcommand("profile", "Per-layer cost and measured latency, with the by-type breakdown (the V1 paper's Table 2).\n"
                                                 "  example: mnet profile configs/mobilenet_v1.json --threads 2 --runs 50\n"
                                                 "  example: mnet profile configs/mobilenet_v1.json --cost-only --width 0.5 --resolution 160");
  model->add_to(*app);
  app->add_flag("--cost-only", *cost_only, "Analytic cost only: no weights, no execution");
  app->add_option("--threads", *threads, "Threads for OpenBLAS and mnet's own loops")->capture_default_str()->check(CLI::Range(1, 256));
  engine->add_to(*app);
  out->add_to(*app);
  auto run = [model, engine, out, cost_only, threads]() {
    ExecOptions layer_by_layer{*threads};
    layer_by_layer.bands = false;  // each convolution timed on its own
    // Both executors live at once over one set of weights.
    const std::vector<ExecOptions> executors{layer_by_layer, ExecOptions{*threads}};
    if (*cost_only) {
      Graph g = load_graph(model->model, model->overrides());
      const PlannedMemory memory = planned_memory(estimate_memory(g, executors));
      emit(*out, format_profile(analyze_cost(g), nullptr, out->parsed(), &memory));
      return kExitOk;
    }
    GemmCeiling ceiling = cached_ceiling(*threads);
    Model loaded = load_for_execution(*model, *engine, executors);
    const Graph& g = loaded.graph;
    CostReport cost = analyze_cost(g);
    const PlannedMemory memory = planned_memory(estimate_memory(g, executors));
    Executor layers(g, loaded.weights, layer_by_layer), model(g, loaded.weights, ExecOptions{*threads});
    std::vector<float> input = random_input(g.input().out);
    std::unique_ptr<IdleGate> gate = idle_gate(engine->wait_idle);
    ProfileTimings t = profile_model(g, layers, model, input.data(), engine->timing(gate.get()), *threads);
    t.machine.ceiling = ceiling;
    warn_if_disturbed({t.layer_conditions, t.model.conditions}, gate.get());
    emit(*out, format_profile(cost, &t, out->parsed(), &memory));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
