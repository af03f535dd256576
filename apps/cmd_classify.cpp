// mnet classify MODEL IMAGE|FOLDER...: top-k labels with scores, per image (--raw: the output
// values); failed images are reported with their reason while the rest go on (exit code 1 if any
// failed), and the report ends with the images/s.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "common.h"
#include "core/error.h"
#include "io/image.h"
#include "io/image_folder.h"
#include "io/preprocess.h"
#include "postprocess/classification.h"
#include "progress.h"
#include "report/classify_report.h"
#include "run/executor.h"

namespace mnet::app {

namespace {

bool is_folder(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The images to classify: files as given, folders replaced by the images under them (sorted). A
// folder that holds none, or cannot be listed, becomes a failed entry with its reason.
std::vector<ImageResult> expand_images(const std::vector<std::string>& args) {
  std::vector<ImageResult> items;
  for (const std::string& arg : args) {
    if (!is_folder(arg)) {
      items.push_back({arg, {}, {}, ""});
      continue;
    }
    try {
      std::vector<std::string> found = list_images(arg);
      if (found.empty())
        throw InputError(arg + ": no images (.jpg, .jpeg, .png or .bmp) in this folder or below");
      for (std::string& path : found) items.push_back({std::move(path), {}, {}, ""});
    } catch (const InputError& e) {
      items.push_back({arg, {}, {}, e.what()});
    }
  }
  return items;
}

// Why `graph` is no classifier for classify's ranking, or "" when it is one: a single output that
// is a 1-D vector [C, 1, 1], coming out of a softmax in the graph or with one label per class.
std::string not_a_classifier(const Graph& g, size_t labels, const std::string& model) {
  const std::vector<int> outputs = g.output_nodes();
  if (outputs.size() > 1) {
    std::string names;
    for (int n : outputs) names += (names.empty() ? "" : ", ") + g.nodes[size_t(n)].name;
    return model + ": has " + std::to_string(outputs.size()) + " outputs (" + names +
           "), not a classifier's one class vector; `--raw` prints them";
  }
  const Shape& out = g.output().out;
  if (out.h != 1 || out.w != 1)
    return model + ": output is " + out.str() + ", not a classifier's 1-D class vector [C,1,1]; `--raw` prints it";
  if (labels == 0 && !g.output().layer->outputs_probabilities())
    return model + ": output is a " + std::to_string(out.c) +
           "-wide vector with no labels, not a classifier's class scores (a classifier ends in a softmax or "
           "has one label per class: --labels); `--raw` prints the vector";
  return "";
}

bool all_finite(const float* v, int64_t n) {
  return std::all_of(v, v + n, [](float x) { return std::isfinite(x); });
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

Command make_classify_command(CLI::App& root) {
  auto model = std::make_shared<ModelOptions>();
  auto engine = std::make_shared<EngineOptions>();
  auto images = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<OutputOptions>();
  auto top = std::make_shared<int>(5);
  auto labels_file = std::make_shared<std::string>();
  auto threads_list = std::make_shared<std::vector<int>>(std::vector<int>{1});
  auto raw = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  CLI::App* app = root.add_subcommand(
      "classify",
      "Classify images (JPEG, PNG, BMP; a folder: every image under it): top-k labels with scores, then the images/s.\n"
      "  A classifier's output is one 1-D vector [C,1,1] that ends in a softmax in the model, or has one label per\n"
      "  class (the model's own or --labels); other models are refused (exit 3): --raw prints their output.\n"
      "  example: mnet classify mobilenet_v2_1.0_224_quant.tflite cat.jpg\n"
      "  example: mnet classify models/mnv3s/ photos/ --top 3 --format csv -o photos.csv");
  model->add_to(*app);
  app->add_option("images", *images, "Images to classify, or folders: every .jpg, .jpeg, .png and .bmp under them, sorted")
      ->required();
  app->add_option("--top", *top, "How many classes to list per image")->capture_default_str()->check(CLI::Range(1, 100000));
  app->add_option("--labels", *labels_file, "Labels file, one per line (default: the model's own)");
  app->add_flag("--raw", *raw,
                "Print the model's output values instead of ranked classes (no softmax, no labels; any model)");
  app->add_option("--weights", engine->weights, "Weights (.safetensors) overriding the model's own");
  engine->add_checks_to(*app);
  // The timing commands' syntax; a list of more than one count is a usage error.
  add_threads_option(*app, *threads_list, true);
  add_quiet_flag(*app, *quiet);
  out->add_to(*app);
  auto run = [model, engine, images, out, top, labels_file, threads_list, raw, quiet]() {
    const int* threads = &threads_list->front();
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
    const int64_t classes = g.output().out.elements();
    if (!*raw) {
      // The shape first: labels cannot fit an output that is no class vector.
      if (g.output_nodes().size() > 1 || g.output().out.h != 1 || g.output().out.w != 1)
        throw InputError(not_a_classifier(g, m.labels.size(), model->model));
      if (!m.labels.empty() && int64_t(m.labels.size()) != classes)
        throw InputError((!labels_file->empty() ? *labels_file
                          : g.labels.empty()      ? model->model + ": labels in its metadata"  // a .tflite's own
                                                  : g.labels) +
                         ": has " + std::to_string(m.labels.size()) + " labels, " + g.name + " outputs " +
                         std::to_string(classes) + " classes");
      if (std::string why = not_a_classifier(g, m.labels.size(), model->model); !why.empty()) throw InputError(why);
    }
    Executor exec(g, m.weights, ExecOptions{*threads});
    const Shape& in = g.input().out;
    if (in.c != 3 || in.h != in.w) throw InputError(g.source + ": classify needs a [3, S, S] input, got " + in.str());

    ClassifyReport report;
    report.model_path = model->model;
    report.raw = *raw;
    report.timing.threads = *threads;
    report.results = expand_images(*images);
    // Folders without images: one error line each; with nothing at all left, the last is the
    // error the command ends with (exit 3).
    int failed = 0;
    for (const ImageResult& r : report.results) failed += !r.error.empty();
    const bool nothing_left = failed == int(report.results.size());
    for (int i = 0, said = 0; i < int(report.results.size()); ++i) {
      const std::string& error = report.results[size_t(i)].error;
      if (error.empty()) continue;
      if (nothing_left && ++said == failed) throw InputError(error);
      std::fprintf(stderr, "mnet: error: %s\n", error.c_str());
    }
    ProgressLine progress("classify", int64_t(report.results.size()) - failed, "images", progress_wanted(*quiet));

    const auto start = std::chrono::steady_clock::now();
    int64_t done = 0;
    for (ImageResult& r : report.results) {
      if (!r.error.empty()) continue;
      try {
        const auto t0 = std::chrono::steady_clock::now();
        Image img = load_image(r.image);
        std::vector<float> x = preprocess_image(img, in.h, g.preprocess);
        report.timing.decode_seconds += seconds_since(t0);
        const auto t1 = std::chrono::steady_clock::now();
        if (*raw) {
          for (const ExecOutput& o : exec.run_all(x.data()))
            r.raw.push_back({o.name, o.shape, std::vector<float>(o.data, o.data + o.shape.elements())});
          report.timing.inference_seconds += seconds_since(t1);
        } else {
          const float* y = exec.run(x.data());
          report.timing.inference_seconds += seconds_since(t1);
          if (!all_finite(y, classes)) {
            progress.finish();
            warn_if_nonfinite_output(model->model + " on " + r.image, std::vector<float>(y, y + classes));
          }
          r.top = top_k(probabilities(g, y, classes), *top, m.labels);
        }
      } catch (const InputError& e) {
        ++failed;
        r.error = e.what();
        progress.finish();
        std::fprintf(stderr, "mnet: error: %s\n", r.error.c_str());
      }
      progress.update(++done);
    }
    report.timing.seconds = seconds_since(start);
    progress.finish();
    emit(*out, format_classification(g, report, out->parsed(), report_context({*threads})));
    return failed ? kExitFailure : kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
