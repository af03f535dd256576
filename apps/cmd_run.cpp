// mnet run MODEL --weights W --input X.npy --output Y.npy: one forward pass, float32 NCHW (N = 1).
#include <cstdio>

#include "common.h"
#include "core/error.h"
#include "io/npy.h"
#include "run/executor.h"
#include "weights/weights.h"

namespace mnet::app {

Command make_run_command(CLI::App& root) {
  auto model = std::make_shared<ModelOptions>();
  auto engine = std::make_shared<EngineOptions>();
  auto input = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto threads = std::make_shared<int>(1);
  CLI::App* app = root.add_subcommand("run", "One forward pass: float32 .npy in, float32 .npy out (NCHW, N = 1).\n"
                                             "  example: mnet run configs/mobilenet_v2.json --weights w.safetensors --input x.npy --output y.npy");
  model->add_to(*app);
  engine->add_to(*app, false);
  app->add_option("--input", *input, "Input tensor (.npy, float32, [1,C,H,W] or [C,H,W])")->required();
  app->add_option("--output", *output, "Where to write the last layer's output (.npy, float32, [1,C,H,W])")->required();
  app->add_option("--threads", *threads, "Threads")->capture_default_str()->check(CLI::Range(1, 256));
  auto run = [model, engine, input, output, threads]() {
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
    const float* y = exec.run(x.data.data());
    const Shape& s = exec.output_shape();
    TensorData out{{1, s.c, s.h, s.w}, std::vector<float>(y, y + s.elements())};
    write_npy(*output, out);
    // Finite inputs and weights can still overflow float inside the model (3e38 squared): say so
    // rather than leave an all-NaN output unexplained. --allow-nonfinite has already warned that
    // the output may hold NaN: one warning line is enough.
    if (!engine->allow_nonfinite) warn_if_nonfinite_output(model->model, out.data);
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
