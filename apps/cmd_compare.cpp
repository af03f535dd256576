// mnet compare MODEL...: one row per model, cost side by side.
#include <optional>

#include "common.h"
#include "cost/cost.h"
#include "profile/profiler.h"
#include "report/latency_report.h"
#include "run/executor.h"

namespace mnet::app {

Command make_compare_command(CLI::App& root) {
  auto models = std::make_shared<std::vector<std::string>>();
  auto opts = std::make_shared<ModelOptions>();
  auto out = std::make_shared<OutputOptions>();
  auto cost_only = std::make_shared<bool>(false);
  auto engine = std::make_shared<EngineOptions>();
  auto threads = std::make_shared<int>(1);
  CLI::App* app = root.add_subcommand("compare", "Compare models side by side: multiply-adds, params, where the multiply-adds are, latency.\n"
                                                 "  example: mnet compare configs/mobilenet_v{1,2,3_large,3_small}.json --threads 2\n"
                                                 "  example: mnet compare configs/mobilenet_v1.json configs/mobilenet_v2.json --cost-only");
  app->add_option("models", *models, "Models (configs or imported folders)")->required();
  opts->add_to(*app, false);
  app->add_flag("--cost-only", *cost_only, "Analytic cost only: no weights, no execution");
  app->add_option("--threads", *threads, "Threads for the latency columns")->capture_default_str()->check(CLI::Range(1, 256));
  engine->add_to(*app);
  out->add_to(*app);
  auto run = [models, opts, out, cost_only, engine, threads]() {
    std::vector<CompareRow> rows;
    for (const auto& m : *models) {
      if (*cost_only) {
        rows.push_back({analyze_cost(load_graph(m, opts->overrides())), m, std::nullopt});
        continue;
      }
      ModelOptions one = *opts;
      one.model = m;
      Model loaded = load_for_execution(one, *engine, {ExecOptions{*threads}});
      const Graph& g = loaded.graph;
      Executor exec(g, loaded.weights, ExecOptions{*threads});
      std::vector<float> input = random_input(g.input().out);
      rows.push_back({analyze_cost(g), m, time_model(exec, input.data(), TimingOptions{engine->runs, engine->warmup})});
    }
    std::optional<MachineInfo> machine;
    if (!*cost_only) machine = machine_info(*threads, TimingOptions{engine->runs, engine->warmup});
    emit(*out, format_compare(rows, machine ? &*machine : nullptr, out->parsed()));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
