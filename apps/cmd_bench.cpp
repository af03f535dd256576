// mnet bench MODEL... --threads 1,2 --width 0.5,1 --resolution 128,224 --batch 1,8: whole-model latency,
// median/p10/p90 and mean ± sd, load and first-run time and peak memory, one row per model ×
// width × resolution × threads (llama-bench's sweep), with a warning when the machine was busy.
#include <algorithm>

#include "common.h"
#include "profile/profiler.h"
#include "progress.h"
#include "report/latency_report.h"
#include "run/executor.h"

namespace mnet::app {

Command make_bench_command(CLI::App& root) {
  auto models = std::make_shared<std::vector<std::string>>();
  auto widths = std::make_shared<std::vector<double>>();
  auto resolutions = std::make_shared<std::vector<int>>();
  auto batches = std::make_shared<std::vector<int>>();
  auto engine = std::make_shared<EngineOptions>();
  auto out = std::make_shared<OutputOptions>();
  auto threads = std::make_shared<std::vector<int>>(std::vector<int>{1});
  auto quiet = std::make_shared<bool>(false);
  CLI::App* app = root.add_subcommand("bench", "Whole-model latency (no per-layer timers): median, p10, p90, mean ± sd in ms, with load\n"
                                               "and first-run time and peak memory; every list option is swept (one row per combination).\n"
                                               "With --batch, each figure is one run of the whole batch, and images/s is shown.\n"
                                               "  example: mnet bench configs/mobilenet_v3_large.json --threads 1,2\n"
                                               "  example: mnet bench configs/mobilenet_v2.json --width 0.5,1.0 --resolution 128,224 --threads 1,2");
  app->add_option("models", *models, "Models (configs or imported folders)")->required();
  add_width_list_option(*app, *widths);
  add_resolution_list_option(*app, *resolutions);
  add_batch_list_option(*app, *batches);
  add_threads_option(*app, *threads, false);
  engine->add_to(*app);
  out->add_to(*app);
  add_quiet_flag(*app, *quiet);
  auto run = [models, widths, resolutions, batches, engine, out, threads, quiet]() {
    std::unique_ptr<IdleGate> gate = idle_gate(engine->wait_idle);
    TimingOptions timing = engine->timing(gate.get());
    MachineInfo machine = machine_info(0, timing);
    // The sweep: every model at every width and resolution (0: the config's own).
    const std::vector<double> width_list = widths->empty() ? std::vector<double>{0} : *widths;
    const std::vector<int> resolution_list = resolutions->empty() ? std::vector<int>{0} : *resolutions;
    const std::vector<int> batch_list = batches->empty() ? std::vector<int>{1} : *batches;
    const size_t settings =
        models->size() * width_list.size() * resolution_list.size() * threads->size() * batch_list.size();
    ProgressLine progress("bench", timing.duration_s > 0 ? 0 : int64_t(settings) * (timing.warmup + timing.runs), "runs",
                          progress_wanted(*quiet));
    int64_t runs_done = 0;
    std::vector<BenchRow> rows;
    for (const auto& m : *models)
      for (double width : width_list)
        for (int resolution : resolution_list) {
          ModelOptions one;
          one.model = m;
          one.width = width;
          one.resolution = resolution;
          MeasuredModel measured = measure_model(one, *engine, *threads, timing, &progress, runs_done, batch_list);
          const Graph& g = measured.model.graph;
          for (const ThreadMeasurement& t : measured.at)
            rows.push_back({g.name, m, g.input().out, t.threads, width, t.latency, t.startup, t.batch});
        }
    progress.finish();
    std::vector<RunConditions> measured;
    for (const BenchRow& r : rows) measured.push_back(r.latency.conditions);
    warn_if_disturbed(measured, gate.get());
    emit(*out, format_bench(machine, rows, out->parsed(), report_context(*threads)));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
