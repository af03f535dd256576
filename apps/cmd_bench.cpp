// mnet bench MODEL... --threads 1,2: whole-model latency, median/p10/p90 and mean ± sd, one row per
// model × threads, with a warning when the machine was busy meanwhile.
#include <algorithm>

#include "common.h"
#include "profile/profiler.h"
#include "report/latency_report.h"
#include "run/executor.h"

namespace mnet::app {

Command make_bench_command(CLI::App& root) {
  auto models = std::make_shared<std::vector<std::string>>();
  auto opts = std::make_shared<ModelOptions>();
  auto engine = std::make_shared<EngineOptions>();
  auto out = std::make_shared<OutputOptions>();
  auto threads = std::make_shared<std::vector<int>>(std::vector<int>{1});
  CLI::App* app = root.add_subcommand("bench", "Whole-model latency (no per-layer timers): median, p10, p90, mean ± sd in ms.\n"
                                               "  example: mnet bench configs/mobilenet_v3_large.json --threads 1,2");
  app->add_option("models", *models, "Models (configs or imported folders)")->required();
  opts->add_to(*app, false);
  app->add_option("--threads", *threads, "Thread counts to sweep, comma-separated")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  engine->add_to(*app);
  out->add_to(*app);
  auto run = [models, opts, engine, out, threads]() {
    std::unique_ptr<IdleGate> gate = idle_gate(engine->wait_idle);
    TimingOptions timing = engine->timing(gate.get());
    MachineInfo machine = machine_info(0, timing);
    std::vector<BenchRow> rows;
    for (const auto& m : *models) {
      ModelOptions one = *opts;
      one.model = m;
      // One executor at a time, the most threads the widest.
      Model loaded = load_for_execution(one, *engine, {ExecOptions{*std::max_element(threads->begin(), threads->end())}});
      const Graph& g = loaded.graph;
      const WeightMap& w = loaded.weights;
      std::vector<float> input = random_input(g.input().out);
      for (int n : *threads) {
        Executor exec(g, w, ExecOptions{n});
        rows.push_back({g.name, m, g.input().out, n, time_model(exec, input.data(), timing)});
      }
    }
    std::vector<RunConditions> measured;
    for (const BenchRow& r : rows) measured.push_back(r.latency.conditions);
    warn_if_disturbed(measured, gate.get());
    emit(*out, format_bench(machine, rows, out->parsed()));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
