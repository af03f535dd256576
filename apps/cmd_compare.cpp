// mnet compare MODEL...: one row per model, cost side by side, optionally as ratios to a baseline.
#include <algorithm>
#include <filesystem>
#include <optional>

#include "common.h"
#include "cost/cost.h"
#include "profile/profiler.h"
#include "progress.h"
#include "report/html_report.h"
#include "core/error.h"
#include "eval/evaluate.h"
#include "eval/labelled_set.h"
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

// A model's accuracy over the labelled set at `data`, read for this model: labels resolve against
// its own classes (1000 or 1001).
Accuracy accuracy_of(const Model& m, const std::string& path, const std::string& data, int threads, bool quiet) {
  if (m.weights_source.empty())
    throw InputError(path + ": --eval needs the model's real weights (a .tflite, a config naming its weights, or --weights)");
  check_classifier(m, path);
  const LabelledSet set = read_labelled_set(data, ClassNames{m.graph.output().out.elements(), m.labels, path});
  ProgressLine progress("compare --eval " + m.graph.name, int64_t(set.images.size()), "images", progress_wanted(quiet));
  EvalOptions eval;
  eval.threads = threads;
  eval.on_image = [&](const ImageOutcome&, int64_t done, int64_t) { progress.update(done); };
  eval.on_failure = [](const ImageOutcome& o) { std::fprintf(stderr, "mnet: error: %s\n", one_line(o.error).c_str()); };
  const EvalResult r = evaluate(m, set, eval);
  progress.finish();
  if (r.evaluated() == 0) throw InputError(data + ": no image of the set could be read for " + path);
  return Accuracy{r.top1(), r.top5(), r.evaluated(), r.failed(), data};
}

}  // namespace

Command make_compare_command(CLI::App& root) {
  auto models = std::make_shared<std::vector<std::string>>();
  auto opts = std::make_shared<ModelOptions>();
  auto out = std::make_shared<OutputOptions>();
  auto cost_only = std::make_shared<bool>(false);
  auto engine = std::make_shared<EngineOptions>();
  auto threads = std::make_shared<std::vector<int>>(std::vector<int>{1});
  auto quiet = std::make_shared<bool>(false);
  auto baseline = std::make_shared<std::string>();
  CLI::App* app = root.add_subcommand("compare", "Compare models side by side: multiply-adds, params, where the multiply-adds are, latency.\n"
                                                 "  example: mnet compare configs/mobilenet_v{1,2,3_large,3_small}.json --threads 2\n"
                                                 "  example: mnet compare configs/mobilenet_v1.json configs/mobilenet_v2.json --cost-only\n"
                                                 "  example: mnet compare configs/vgg16.json configs/googlenet.json --baseline configs/mobilenet_v1.json\n"
                                                 "  example: mnet compare v1.tflite v2.tflite v3s.tflite --eval ~/imagenet/val   (adds top-1 / top-5)");
  app->add_option("models", *models, "Models (configs or imported folders)")->required();
  opts->add_to(*app, false);
  app->add_flag("--cost-only", *cost_only, "Analytic cost only: no weights, no execution");
  add_threads_option(*app, *threads, false);
  app->add_option("--baseline", *baseline,
                  "A model to compare every other with: ratio columns (× its multiply-adds, params, latency) and a line per "
                  "model with the differences; added as the first row unless it is one of the models");
  engine->add_to(*app);
  out->add_to(*app, "table|json|csv|md|html");
  add_quiet_flag(*app, *quiet);
  auto eval_data = std::make_shared<std::string>();
  app->add_option("--eval", *eval_data,
                  "Also measure each model's top-1 and top-5 accuracy over a labelled image set (the layouts of mnet eval: "
                  "DATA/n01440764/..., n01440764_x.JPEG files, or a path,label CSV); needs the models' real weights")
      ->option_text("DATA");
  auto run = [models, opts, out, cost_only, engine, threads, quiet, baseline, eval_data]() {
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
    const TimingOptions timing = engine->timing(gate.get());
    ProgressLine progress("compare", *cost_only || timing.duration_s > 0 ? 0 : int64_t(paths.size() * threads->size()) * (timing.warmup + timing.runs),
                          "runs", !*cost_only && progress_wanted(*quiet));
    int64_t runs_done = 0;
    const bool eval = !eval_data->empty();
    for (const auto& m : paths) {
      ModelOptions one = *opts;
      one.model = m;
      if (*cost_only) {
        if (!eval) {
          rows.push_back({analyze_cost(load_graph(m, opts->overrides())), m, std::nullopt});
          continue;
        }
        const Model loaded = load_for_execution(one, *engine, {ExecOptions{threads->front()}});
        rows.push_back({analyze_cost(loaded.graph), m, std::nullopt});
        rows.back().accuracy = accuracy_of(loaded, m, *eval_data, threads->front(), *quiet);
        continue;
      }
      MeasuredModel measured = measure_model(one, *engine, *threads, timing, &progress, runs_done);
      const CostReport cost = analyze_cost(measured.model.graph);
      std::optional<Accuracy> accuracy;
      if (eval) {
        progress.finish();  // the evaluation draws its own line
        accuracy = accuracy_of(measured.model, m, *eval_data, threads->front(), *quiet);
      }
      for (const ThreadMeasurement& t : measured.at) rows.push_back({cost, m, t.latency, t.threads, t.startup, accuracy});
    }
    progress.finish();
    std::optional<MachineInfo> machine;
    if (!*cost_only) {
      machine = machine_info(0, timing);
      std::vector<RunConditions> measured;
      for (const CompareRow& r : rows) measured.push_back(r.latency->conditions);
      warn_if_disturbed(measured, gate.get());
    }
    std::optional<std::string> base_source;
    if (base) base_source = paths[*base];
    const ReportContext context = report_context(*cost_only ? std::vector<int>{} : *threads);
    std::vector<std::optional<double>> top1;
    for (const CompareRow& r : rows) top1.push_back(r.accuracy ? std::optional<double>(100 * r.accuracy->top1) : std::nullopt);
    emit(*out, out->format == "html" ? compare_html(rows, machine ? &*machine : nullptr, &context, base_source, top1)
                                     : format_compare(rows, machine ? &*machine : nullptr, out->parsed(), context, base_source));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
