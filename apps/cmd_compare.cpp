// mnet compare MODEL...: one row per model, cost side by side, optionally as ratios to a baseline.
#include <filesystem>
#include <optional>

#include "common.h"
#include "cost/cost.h"
#include "profile/profiler.h"
#include "report/latency_report.h"
#include "run/executor.h"

namespace mnet::app {

namespace {

// Where the baseline is among the models (the same file, however named), or nullopt.
std::optional<size_t> find_model(const std::vector<std::string>& models, const std::string& baseline) {
  namespace fs = std::filesystem;
  for (size_t i = 0; i < models.size(); ++i) {
    std::error_code ec;
    if (models[i] == baseline || fs::equivalent(models[i], baseline, ec)) return i;
  }
  return std::nullopt;
}

}  // namespace

Command make_compare_command(CLI::App& root) {
  auto models = std::make_shared<std::vector<std::string>>();
  auto opts = std::make_shared<ModelOptions>();
  auto out = std::make_shared<OutputOptions>();
  auto cost_only = std::make_shared<bool>(false);
  auto engine = std::make_shared<EngineOptions>();
  auto threads = std::make_shared<int>(1);
  auto baseline = std::make_shared<std::string>();
  CLI::App* app = root.add_subcommand("compare", "Compare models side by side: multiply-adds, params, where the multiply-adds are, latency.\n"
                                                 "  example: mnet compare configs/mobilenet_v{1,2,3_large,3_small}.json --threads 2\n"
                                                 "  example: mnet compare configs/mobilenet_v1.json configs/mobilenet_v2.json --cost-only\n"
                                                 "  example: mnet compare configs/vgg16.json configs/googlenet.json --baseline configs/mobilenet_v1.json");
  app->add_option("models", *models, "Models (configs or imported folders)")->required();
  opts->add_to(*app, false);
  app->add_flag("--cost-only", *cost_only, "Analytic cost only: no weights, no execution");
  app->add_option("--threads", *threads, "Threads for the latency columns")->capture_default_str()->check(CLI::Range(1, 256));
  app->add_option("--baseline", *baseline,
                  "A model to compare every other with: ratio columns (× its multiply-adds, params, latency) and a line per "
                  "model with the differences; added as the first row unless it is one of the models");
  engine->add_to(*app);
  out->add_to(*app);
  auto run = [models, opts, out, cost_only, engine, threads, baseline]() {
    std::vector<std::string> paths = *models;
    std::optional<size_t> base;
    if (!baseline->empty()) {
      base = find_model(paths, *baseline);
      if (!base) {
        paths.insert(paths.begin(), *baseline);
        base = 0;
      }
    }
    std::vector<CompareRow> rows;
    std::unique_ptr<IdleGate> gate = idle_gate(engine->wait_idle);
    for (const auto& m : paths) {
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
      rows.push_back({analyze_cost(g), m, time_model(exec, input.data(), engine->timing(gate.get()))});
    }
    std::optional<MachineInfo> machine;
    if (!*cost_only) {
      machine = machine_info(*threads, engine->timing());
      std::vector<RunConditions> measured;
      for (const CompareRow& r : rows) measured.push_back(r.latency->conditions);
      warn_if_disturbed(measured, gate.get());
    }
    emit(*out, format_compare(rows, machine ? &*machine : nullptr, out->parsed(), base));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
