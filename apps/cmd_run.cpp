// mnet run MODEL --weights W --input X.npy --output Y.npy: one forward pass, float32 NCHW (N = 1);
// with --format or -o, also a short report of what it did. A model with several outputs writes
// one file per output: Y.<output name>.npy (output_file_for).
#include <sys/stat.h>

#include <cctype>
#include <chrono>
#include <cstdio>

#include "common.h"
#include "core/error.h"
#include "io/npy.h"
#include "report/run_report.h"
#include "run/executor.h"
#include "weights/weights.h"

namespace mnet::app {

namespace {

// The same file by st_dev and st_ino (./x, x and a link to it), as Cli::path_error compares.
bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// Y.npy and an output "class/0" → Y.class_0.npy: the output's name made safe as a file name.
std::string output_file_for(const std::string& output, const std::string& name) {
  std::string safe;
  for (char c : name) safe += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ? c : '_';
  const std::string npy = ".npy";
  const bool has_npy = output.size() >= npy.size() && output.compare(output.size() - npy.size(), npy.size(), npy) == 0;
  return (has_npy ? output.substr(0, output.size() - npy.size()) : output) + "." + safe + npy;
}

}  // namespace

Command make_run_command(CLI::App& root) {
  auto model = std::make_shared<ModelOptions>();
  auto engine = std::make_shared<EngineOptions>();
  auto input = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto threads_list = std::make_shared<std::vector<int>>(std::vector<int>{1});
  auto out = std::make_shared<OutputOptions>();
  CLI::App* app = root.add_subcommand("run", "One forward pass: float32 .npy in, float32 .npy out (NCHW, N = 1).\n"
                                             "  Prints nothing unless asked: --format or -o writes a report (model, shapes, output\n"
                                             "  min/max/mean and argmax, the pass's time).\n"
                                             "  example: mnet run configs/mobilenet_v2.json --weights w.safetensors --input x.npy --output y.npy\n"
                                             "  example: mnet run models/mnv3s/ --input x.npy --output y.npy --format json -o run.json");
  model->add_to(*app);
  engine->add_to(*app, false);
  app->add_option("--input", *input, "Input tensor (.npy, float32, [1,C,H,W] or [C,H,W])")->required();
  app->add_option("--output", *output, "Where to write the output (.npy, float32, [1,C,H,W]); a model with several outputs writes Y.<output name>.npy for each")->required();
  add_threads_option(*app, *threads_list, true);
  // --output is the tensor, so the report's file is -o/--report.
  const std::string formats = "table|json|csv|md";
  CLI::Option* format_option = app->add_option("--format", out->format, "Report format: " + formats + " (default: no report)")
                                   ->check(CLI::IsMember(CLI::detail::split(formats, '|')));
  app->add_option("-o,--report", out->output, "Write the report to FILE (atomically; --format's default: table)");
  auto run = [model, engine, input, output, threads_list, out, format_option]() {
    const int* threads = &threads_list->front();
    const bool report = format_option->count() > 0 || !out->output.empty();
    if (!out->output.empty())
      for (const std::string* other : {input.get(), output.get(), &model->model, &engine->weights})
        if (!other->empty() && same_file(out->output, *other)) {
          std::fprintf(stderr, "mnet: error: %s\n",
                       one_line(out->output + ": the report would overwrite an input or output of this command (" +
                                *other + ")")
                           .c_str());
          return kExitUsage;
        }
    Model loaded = load_for_execution(*model, *engine, {ExecOptions{*threads}});
    const Graph& g = loaded.graph;
    TensorData x = read_npy(*input);
    if (int64_t bad = first_nonfinite(x.data); bad >= 0) {
      // The element's index in the array, e.g. [0, 2, 17, 5].
      std::vector<int64_t> at(x.shape.size());
      for (size_t d = at.size(), rest = size_t(bad); d-- > 0;) {
        at[d] = int64_t(rest % size_t(x.shape[d]));
        rest /= size_t(x.shape[d]);
      }
      const std::string what = *input + ": element " + shape_to_string(at) + " is " +
                               nonfinite_name(x.data[size_t(bad)]) + "; inputs must be finite";
      if (!engine->allow_nonfinite) throw InputError(what + " (--allow-nonfinite runs anyway)");
      std::fprintf(stderr, "mnet: warning: %s\n", one_line(what + "; running anyway (--allow-nonfinite)").c_str());
    }
    const Shape& want = g.input().out;
    std::vector<int64_t> nchw{1, want.c, want.h, want.w}, chw{want.c, want.h, want.w};
    if (x.shape != nchw && x.shape != chw)
      throw InputError(*input + ": input has " +
                       (x.shape.size() > 8 ? "a shape of " + std::to_string(x.shape.size()) + " dimensions"
                                           : "shape " + shape_to_string(x.shape)) +
                       ", " + g.name + " takes " + shape_to_string(nchw));
    Executor exec(g, loaded.weights, ExecOptions{*threads});
    const auto start = std::chrono::steady_clock::now();
    const std::vector<ExecOutput> outputs = exec.run_all(x.data.data());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const Shape& s = exec.output_shape();
    const float* y = outputs.front().data;
    TensorData result{{1, s.c, s.h, s.w}, std::vector<float>(y, y + s.elements())};
    if (outputs.size() == 1) write_npy(*output, result);
    // Several outputs (a detector's boxes and classes): one file each, Y.<output name>.npy.
    for (size_t i = 0; outputs.size() > 1 && i < outputs.size(); ++i) {
      const ExecOutput& o = outputs[i];
      write_npy(output_file_for(*output, o.name),
                TensorData{{1, o.shape.c, o.shape.h, o.shape.w}, std::vector<float>(o.data, o.data + o.shape.elements())});
    }
    // Finite inputs and weights can still overflow float inside the model (3e38 squared): say so
    // rather than leave an all-NaN output unexplained. --allow-nonfinite has already warned that
    // the output may hold NaN: one warning line is enough.
    if (!engine->allow_nonfinite) warn_if_nonfinite_output(model->model, result.data);
    if (report) {
      RunSummary summary;
      summary.model = g.name;
      summary.source = model->model;
      summary.weights = loaded.weights_source.empty() ? "random (seed " + std::to_string(engine->seed) + ")"
                                                      : loaded.weights_source;
      summary.input = *input;
      summary.input_shape = x.shape;
      // The report describes the first output: with several, the file it went to.
      summary.output = outputs.size() == 1 ? *output : output_file_for(*output, outputs.front().name);
      summary.output_node = exec.outputs().empty() ? g.output().name : exec.outputs().front().name;
      summary.output_shape = s;
      summary.values = std::move(result.data);
      summary.ms = ms;
      summary.threads = *threads;
      emit(*out, format_run(summary, out->parsed(), report_context({*threads})));
    }
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
