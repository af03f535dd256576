// mnet eval MODEL DATA: top-1 and top-5 accuracy over a labelled image set, streamed (decode threads
// feed a bounded queue, the model runs on this thread); --shard K/N and --merge split a large set
// over processes or machines. Ctrl-C stops between images and prints the accuracy so far.
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "common.h"
#include "core/error.h"
#include "eval/evaluate.h"
#include "eval/labelled_set.h"
#include "progress.h"
#include "report/eval_report.h"

namespace mnet::app {

namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the SIGINT handler sets it");

void on_sigint(int) { g_interrupted.store(true); }

// While alive, the first Ctrl-C sets g_interrupted (the run stops after the image in hand and
// reports); SA_RESETHAND makes a second one end the process at once. A SIGINT the process was
// started with ignored (a background job) stays ignored. The previous handler comes back at scope
// exit, before the report is written.
class InterruptFlag {
 public:
  InterruptFlag() {
    g_interrupted = false;
    struct sigaction now {};
    now.sa_handler = on_sigint;
    sigemptyset(&now.sa_mask);
    now.sa_flags = SA_RESETHAND;
    if (::sigaction(SIGINT, nullptr, &old_) == 0 && old_.sa_handler != SIG_IGN)
      installed_ = ::sigaction(SIGINT, &now, nullptr) == 0;
  }
  ~InterruptFlag() {
    if (installed_) ::sigaction(SIGINT, &old_, nullptr);
  }
  InterruptFlag(const InterruptFlag&) = delete;
  InterruptFlag& operator=(const InterruptFlag&) = delete;

 private:
  struct sigaction old_ {};
  bool installed_ = false;
};

std::string read_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open (" + std::strerror(errno) + ")");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw InputError(path + ": cannot read");
  if (uint64_t(size) > kMaxEvalReportBytes)
    throw InputError(path + ": " + std::to_string(size) + " bytes, more than the limit of " +
                     std::to_string(kMaxEvalReportBytes) + " for an eval report (kMaxEvalReportBytes)");
  in.seekg(0);
  std::string text(size_t(size), '\0');
  if (!in.read(text.data(), size)) throw InputError(path + ": cannot read");
  return text;
}

}  // namespace

Command make_eval_command(CLI::App& root) {
  auto model = std::make_shared<ModelOptions>();
  auto engine = std::make_shared<EngineOptions>();
  auto data = std::make_shared<std::string>();
  auto out = std::make_shared<OutputOptions>();
  auto labels_file = std::make_shared<std::string>();
  auto threads = std::make_shared<int>(1);
  auto decoders = std::make_shared<int>(0);
  auto batch = std::make_shared<int>(1);
  auto shard = std::make_shared<std::string>();
  auto merge = std::make_shared<std::vector<std::string>>();
  auto report = std::make_shared<EvalReportOptions>();
  auto quiet = std::make_shared<bool>(false);
  CLI::App* app = root.add_subcommand(
      "eval",
      "Top-1 and top-5 accuracy of a classifier over a labelled image set.\n"
      "  DATA: a folder in ImageNet's validation layout (DATA/n01440764/x.JPEG), a folder of files named\n"
      "  after their WordNet id (n01440764_x.JPEG), or a CSV/TSV of path,label (label: class index,\n"
      "  WordNet id or label text). Images that cannot be read are listed on stderr and counted; the run\n"
      "  goes on. Exit code 1 if any image failed or the run was interrupted. Ctrl-C stops after the\n"
      "  image in hand and prints the accuracy so far (a second Ctrl-C ends at once).\n"
      "  example: mnet eval mobilenet_v2_1.0_224_quant.tflite ~/imagenet/val --per-class\n"
      "  example: mnet eval m.tflite val/ --shard 0/4 --format json -o part0.json   (then: mnet eval --merge part*.json)");
  CLI::Option* model_opt =
      app->add_option("model", model->model, "Model: an mnet config (.json), a folder written by `mnet import`, or a .tflite file");
  CLI::Option* data_opt = app->add_option("data", *data, "The labelled set: a folder or a CSV/TSV file");
  model->add_to(*app, false);
  app->add_option("--labels", *labels_file, "Labels file, one per line (default: the model's own)");
  app->add_option("--weights", engine->weights, "Weights (.safetensors) overriding the model's own");
  engine->add_checks_to(*app);
  app->add_option("--threads", *threads, "Threads running the model")->capture_default_str()->check(CLI::Range(1, 256));
  app->add_option("--decode-threads", *decoders,
                  "Threads decoding images (default: the cores --threads leaves, at least 1, at most " +
                      std::to_string(kMaxDecoders) + ")")
      ->check(CLI::Range(1, kMaxDecoders));
  app->add_option("--batch", *batch,
                  "Images run through the model at once: its weights are read once per batch and its 1x1 "
                  "convolutions are N times wider GEMMs (mnet bench --batch says where that is faster); "
                  "memory grows with N")
      ->capture_default_str()
      ->check(CLI::Range(1, kMaxBatch));
  app->add_option("--shard", *shard,
                  "Evaluate shard K of N (0-based: 0/4 .. 3/4): every N-th image from the K-th, in the set's "
                  "sorted order; write it with --format json for --merge")
      ->option_text("K/N")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            try {
              parse_shard(text);
            } catch (const InputError& e) {
              return e.what();
            }
            return "";
          },
          "K/N"));
  CLI::Option* merge_opt = app->add_option("--merge", *merge,
                                           "Combine the JSON reports of the N shards of one set into the report one "
                                           "run gives (no MODEL or DATA then)");
  merge_opt->excludes(model_opt)->excludes(data_opt);
  app->add_flag("--per-class", report->per_class, "Also each class's top-1 and top-5 (JSON always has them)");
  app->add_flag("--errors", report->errors, "Also the misclassified images with their top-5");
  app->add_flag("-q,--quiet", *quiet, "No progress line (it is drawn only on a terminal anyway)");
  out->add_to(*app);
  app->parse_complete_callback([model, data, merge, shard] {
    if (merge->empty() && (model->model.empty() || data->empty()))
      throw CLI::RequiredError("eval needs MODEL and DATA, or --merge with shard reports");
    if (!merge->empty() && !shard->empty()) throw CLI::ValidationError("--shard", "cannot be given with --merge");
  });

  auto run = [model, engine, data, out, labels_file, threads, decoders, batch, shard, merge, report, quiet]() {
    if (!merge->empty()) {
      std::vector<EvalResult> parts;
      for (const std::string& path : *merge) parts.push_back(parse_eval_json(read_report(path), path));
      EvalResult merged = merge_shards(parts, *merge);
      emit(*out, format_eval(merged, out->parsed(), *report, report_context({merged.threads})));
      return merged.failed() ? kExitFailure : kExitOk;
    }

    LoadOptions load = engine->load_options();
    load.before_weights = [&](const Graph& graph) {
      ExecOptions planned{*threads};
      planned.batch = *batch;
      engine->check_memory_for(graph, {planned}, model->model);
    };
    Model m = load_model(model->model, model->overrides(), load);
    if (!labels_file->empty()) m.labels = read_labels(*labels_file);
    check_classifier(m, model->model);
    if (m.weights_source.empty())
      throw InputError(model->model + ": no weights: eval needs a .tflite model, a config naming its weights, or --weights");
    const int64_t classes = m.graph.output().out.elements();
    LabelledSet set = read_labelled_set(*data, ClassNames{classes, m.labels, model->model});
    if (!shard->empty()) {
      const auto [k, n] = parse_shard(*shard);
      set = shard_of(set, k, n);
    }

    ProgressLine progress("eval", int64_t(set.images.size()), "images", progress_wanted(*quiet));
    EvalOptions options;
    options.threads = *threads;
    options.decoders = *decoders;
    options.batch = *batch;
    options.stop = &g_interrupted;
    options.on_image = [&](const ImageOutcome&, int64_t done, int64_t top1) {
      progress.update(done, "top-1 " + fixed(100.0 * double(top1) / double(done), 1) + " %");
    };
    options.on_failure = [&](const ImageOutcome& o) {
      progress.finish();
      std::fprintf(stderr, "mnet: error: %s\n", o.error.c_str());
    };
    EvalResult result;
    {
      InterruptFlag interrupt;
      result = evaluate(m, set, options);
    }
    progress.finish();
    result.model_path = model->model;
    if (result.interrupted)
      std::fprintf(stderr, "mnet: interrupted after %lld of %zu images: the report covers those\n",
                   static_cast<long long>(result.images.size()), set.images.size());
    emit(*out, format_eval(result, out->parsed(), *report, report_context({*threads})));
    return result.failed() || result.interrupted ? kExitFailure : kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
