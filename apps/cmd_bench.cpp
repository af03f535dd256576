// mnet bench MODEL... --threads 1,2: whole-model latency, median/p10/p90, one row per model × threads.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "common.h"
#include "profile/profiler.h"
#include "report/latency_json.h"
#include "run/executor.h"

namespace mnet::app {

Command make_bench_command(CLI::App& root) {
  auto models = std::make_shared<std::vector<std::string>>();
  auto opts = std::make_shared<ModelOptions>();
  auto engine = std::make_shared<EngineOptions>();
  auto out = std::make_shared<OutputOptions>();
  auto threads = std::make_shared<std::vector<int>>(std::vector<int>{1});
  CLI::App* app = root.add_subcommand("bench", "Whole-model latency (no per-layer timers): median, p10, p90 in ms.\n"
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
    TimingOptions timing{engine->runs, engine->warmup};
    MachineInfo machine = machine_info(0, timing);
    Table t;
    t.header = {"model", "input", "threads", "median ms", "p10 ms", "p90 ms", "runs"};
    t.right_aligned = {false, false, true, true, true, true, true};
    nlohmann::json j = {{"machine", {{"cpu", machine.cpu}, {"openblas", machine.blas}, {"openblas_core", machine.blas_core},
                                     {"warmup", engine->warmup}}},
                        {"results", nlohmann::json::array()}};
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
        LatencyStats s = time_model(exec, input.data(), timing);
        t.add_row({g.name, g.input().out.str(), std::to_string(n), fixed(s.median, 3), fixed(s.p10, 3), fixed(s.p90, 3),
                   std::to_string(s.runs)});
        nlohmann::json result = latency_json(s);
        result.update({{"model", g.name}, {"source", m}, {"threads", n}});
        j["results"].push_back(result);
      }
    }
    if (out->parsed() == Format::json) {
      emit(*out, json_text(j));
    } else {
      std::string head = out->parsed() == Format::table
                             ? machine.cpu + ", OpenBLAS core " + machine.blas_core + ", " + std::to_string(engine->warmup) +
                                   " warm-up runs\n\n"
                             : "";
      emit(*out, head + t.render(out->parsed()));
    }
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
