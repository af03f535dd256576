// mnet compare MODEL...: one row per model, cost side by side.
#include <nlohmann/json.hpp>

#include "common.h"
#include "cost/cost.h"
#include "profile/profiler.h"
#include "report/latency_json.h"
#include "run/executor.h"

namespace mnet::app {

namespace {
double share(const CostReport& c, bool depthwise) {
  int64_t m = 0;
  for (const auto& t : c.by_type)
    if (depthwise ? t.category.kind == CostKind::depthwise : t.category == CostCategory{CostKind::conv, 1}) m += t.madds;
  return c.madds ? 100.0 * double(m) / double(c.madds) : 0;
}
}  // namespace

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
    std::vector<CostReport> reports;
    std::vector<LatencyStats> latency;
    for (const auto& m : *models) {
      if (*cost_only) {
        reports.push_back(analyze_cost(load_graph(m, opts->overrides())));
        continue;
      }
      ModelOptions one = *opts;
      one.model = m;
      Model loaded = load_for_execution(one, *engine, {ExecOptions{*threads}});
      const Graph& g = loaded.graph;
      reports.push_back(analyze_cost(g));
      Executor exec(g, loaded.weights, ExecOptions{*threads});
      std::vector<float> input = random_input(g.input().out);
      latency.push_back(time_model(exec, input.data(), TimingOptions{engine->runs, engine->warmup}));
    }
    if (out->parsed() == Format::json) {
      nlohmann::json j = nlohmann::json::array();
      for (size_t i = 0; i < reports.size(); ++i) {
        const auto& r = reports[i];
        j.push_back({{"model", r.model},
                     {"source", (*models)[i]},
                     {"input_shape", {1, r.input.c, r.input.h, r.input.w}},
                     {"madds", r.madds},
                     {"params", r.params},
                     {"conv1x1_madds_pct", share(r, false)},
                     {"depthwise_madds_pct", share(r, true)}});
        if (!latency.empty()) {
          j.back()["latency"] = latency_json(latency[i]);
          j.back()["latency"]["threads"] = *threads;
        }
      }
      emit(*out, json_text(j));
      return kExitOk;
    }
    Table t;
    t.header = {"model", "input", "MAdds", "params", "1x1 conv %", "depthwise %"};
    t.right_aligned = {false, false, true, true, true, true};
    if (!latency.empty()) {
      t.header.insert(t.header.end(), {"median ms", "p10 ms", "p90 ms", "GFLOP/s"});
      t.right_aligned.insert(t.right_aligned.end(), {true, true, true, true});
    }
    bool csv = out->parsed() == Format::csv;
    for (size_t i = 0; i < reports.size(); ++i) {
      const auto& r = reports[i];
      std::vector<std::string> row{r.model, r.input.str(), csv ? std::to_string(r.madds) : with_commas(r.madds),
                                   csv ? std::to_string(r.params) : with_commas(r.params), fixed(share(r, false), 2),
                                   fixed(share(r, true), 2)};
      if (!latency.empty())
        row.insert(row.end(), {fixed(latency[i].median, 3), fixed(latency[i].p10, 3), fixed(latency[i].p90, 3),
                               fixed(gflops(r.madds, latency[i].median), 1)});
      t.add_row(row);
    }
    std::string head;
    if (!latency.empty() && out->parsed() == Format::table) {
      MachineInfo m = machine_info(*threads, TimingOptions{engine->runs, engine->warmup});
      head = m.cpu + ", " + std::to_string(*threads) + " thread(s), OpenBLAS core " + m.blas_core + ", " +
             std::to_string(m.runs) + " runs after " + std::to_string(m.warmup) + " warm-up\n\n";
    }
    emit(*out, head + t.render(out->parsed()));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
