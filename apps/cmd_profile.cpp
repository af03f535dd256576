// mnet profile MODEL: per-layer multiply-adds, params, measured latency, share of time, GFLOP/s and,
// where `mnet calibrate` cached one, the share of the machine's GEMM ceiling.
#include <chrono>
#include <cstdio>

#include "common.h"
#include "core/error.h"
#include "cost/cost.h"
#include "io/atomic_file.h"
#include "profile/process_memory.h"
#include "profile/calibrate.h"
#include "profile/calibration_cache.h"
#include "profile/profiler.h"
#include "report/html_report.h"
#include "report/profile_report.h"
#include "progress.h"
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
  auto threads = std::make_shared<std::vector<int>>(std::vector<int>{1});
  auto trace = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  CLI::App* app = root.add_subcommand("profile", "Per-layer cost and measured latency, with the by-type breakdown (the V1 paper's Table 2).\n"
                                                 "  example: mnet profile configs/mobilenet_v1.json --threads 2 --runs 50\n"
                                                 "  example: mnet profile configs/mobilenet_v1.json --cost-only --width 0.5 --resolution 160\n"
                                                 "  example: mnet profile configs/mobilenet_v2.json --trace v2.trace.json   (open in ui.perfetto.dev)");
  model->add_to(*app);
  app->add_flag("--cost-only", *cost_only, "Analytic cost only: no weights, no execution");
  add_threads_option(*app, *threads, true);
  app->add_option("--trace", *trace,
                  "Also write the layer-by-layer runs as Chrome trace-event JSON to FILE (opens in ui.perfetto.dev "
                  "or chrome://tracing): one event per layer per run, with its multiply-adds, bytes and kernel")
      ->option_text("FILE");
  engine->add_to(*app);
  out->add_to(*app, "table|json|csv|md|html");
  add_quiet_flag(*app, *quiet);
  auto run = [model, engine, out, cost_only, threads, trace, quiet]() {
    const int thread_count = threads->front();
    if (*cost_only && !trace->empty()) throw CLI::ValidationError("--trace", "a trace needs timed runs; drop --cost-only");
    ExecOptions layer_by_layer{thread_count};
    layer_by_layer.bands = false;  // each convolution timed on its own
    // Both executors live at once over one set of weights.
    const std::vector<ExecOptions> executors{layer_by_layer, ExecOptions{thread_count}};
    if (*cost_only) {
      Graph g = load_graph(model->model, model->overrides());
      const PlannedMemory memory = planned_memory(estimate_memory(g, executors));
      const ReportContext context = report_context();
      emit(*out, out->format == "html" ? profile_html(analyze_cost(g), nullptr, &memory, &context)
                                       : format_profile(analyze_cost(g), nullptr, out->parsed(), context, &memory));
      return kExitOk;
    }
    GemmCeiling ceiling = cached_ceiling(thread_count);
    reset_peak_rss();
    const auto load_start = std::chrono::steady_clock::now();
    Model loaded = load_for_execution(*model, *engine, executors);
    const double load_ms = ms_since(load_start);
    const Graph& g = loaded.graph;
    CostReport cost = analyze_cost(g);
    const PlannedMemory memory = planned_memory(estimate_memory(g, executors));
    const auto init_start = std::chrono::steady_clock::now();
    Executor layers(g, loaded.weights, layer_by_layer), model(g, loaded.weights, ExecOptions{thread_count});
    const double init_ms = ms_since(init_start);
    std::vector<float> input = random_input(g.input().out);
    std::unique_ptr<IdleGate> gate = idle_gate(engine->wait_idle);
    TimingOptions timing = engine->timing(gate.get());
    timing.trace_events = !trace->empty();
    // Two passes: layer by layer, then the whole model.
    ProgressLine progress("profile", timing.duration_s > 0 ? 0 : 2 * int64_t(timing.warmup + timing.runs), "runs",
                          progress_wanted(*quiet));
    int64_t runs_done = 0;
    timing.on_run = [&] { progress.update(++runs_done); };
    ProfileTimings t = profile_model(g, layers, model, input.data(), timing, thread_count);
    progress.finish();
    t.machine.ceiling = ceiling;
    t.startup.load_ms = load_ms;
    t.startup.init_ms = init_ms;
    t.startup.peak_rss_bytes = peak_rss_bytes();
    t.startup.planned_bytes = memory.peak_bytes;
    warn_if_disturbed({t.layer_conditions, t.model.conditions}, gate.get());
    const ReportContext context = report_context({thread_count});
    if (!trace->empty()) write_file_atomic(*trace, chrome_trace(cost, t, context));
    emit(*out, out->format == "html" ? profile_html(cost, &t, &memory, &context)
                                     : format_profile(cost, &t, out->parsed(), context, &memory));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
