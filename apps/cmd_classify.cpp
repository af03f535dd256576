// mnet classify MODEL IMAGE...: top-k labels with scores, per image; failed images are reported
// with their reason while the rest go on (exit code 1 if any failed).
#include <cstdio>

#include "common.h"
#include "core/error.h"
#include "io/image.h"
#include "io/preprocess.h"
#include "postprocess/classification.h"
#include "report/classify_report.h"
#include "run/executor.h"

namespace mnet::app {

Command make_classify_command(CLI::App& root) {
  auto model = std::make_shared<ModelOptions>();
  auto engine = std::make_shared<EngineOptions>();
  auto images = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<OutputOptions>();
  auto top = std::make_shared<int>(5);
  auto labels_file = std::make_shared<std::string>();
  auto threads = std::make_shared<int>(1);
  CLI::App* app = root.add_subcommand("classify", "Classify images (JPEG, PNG, BMP): top-k labels with scores.\n"
                                                  "  example: mnet classify mobilenet_v2_1.0_224_quant.tflite cat.jpg\n"
                                                  "  example: mnet classify models/mnv3s/ photos/*.jpg --top 3 --format json");
  model->add_to(*app);
  app->add_option("images", *images, "Images to classify")->required();
  app->add_option("--top", *top, "How many classes to list per image")->capture_default_str()->check(CLI::Range(1, 100000));
  app->add_option("--labels", *labels_file, "Labels file, one per line (default: the model's own)");
  app->add_option("--weights", engine->weights, "Weights (.safetensors) overriding the model's own");
  engine->add_checks_to(*app);
  app->add_option("--threads", *threads, "Threads")->capture_default_str()->check(CLI::Range(1, 256));
  out->add_to(*app, "table|json");
  auto run = [model, engine, images, out, top, labels_file, threads]() {
    LoadOptions load = engine->load_options();
    load.before_weights = [&](const Graph& graph) {
      engine->check_memory_for(graph, {ExecOptions{*threads}}, model->model);
    };
    Model m = load_model(model->model, model->overrides(), load);
    if (m.weights_source.empty())
      throw InputError(model->model + ": no weights: classification needs a .tflite model, a config naming its "
                                      "weights, or --weights");
    if (!labels_file->empty()) m.labels = read_labels(*labels_file);
    const Graph& g = m.graph;
    int64_t classes = g.output().out.elements();
    if (!m.labels.empty() && int64_t(m.labels.size()) != classes)
      throw InputError((!labels_file->empty() ? *labels_file
                        : g.labels.empty()      ? model->model + ": labels in its metadata"  // a .tflite's own
                                                : g.labels) +
                       ": has " + std::to_string(m.labels.size()) + " labels, " + g.name + " outputs " +
                       std::to_string(classes) + " classes");
    Executor exec(g, m.weights, ExecOptions{*threads});
    const Shape& in = g.input().out;
    if (in.c != 3 || in.h != in.w) throw InputError(g.source + ": classify needs a [3, S, S] input, got " + in.str());

    std::vector<ImageResult> results;
    int failed = 0;
    for (const std::string& path : *images) {
      try {
        Image img = load_image(path);
        std::vector<float> x = preprocess_image(img, in.h, g.preprocess);
        const float* y = exec.run(x.data());
        warn_if_nonfinite_output(model->model + " on " + path, std::vector<float>(y, y + classes));
        results.push_back({path, top_k(probabilities(g, y, classes), *top, m.labels), ""});
      } catch (const InputError& e) {
        ++failed;
        std::fprintf(stderr, "mnet: error: %s\n", e.what());
        results.push_back({path, {}, e.what()});
      }
    }
    emit(*out, format_classification(g, model->model, results, out->parsed()));
    return failed ? kExitFailure : kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
