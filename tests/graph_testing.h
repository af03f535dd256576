// Small graphs written as config text, for the layer tests: a config around a few layers, the
// error a config is refused with, a graph run through the executor, a graph's share of weights.
#pragma once
#include <string>
#include <vector>

#include "config/config.h"
#include "core/error.h"
#include "run/executor.h"
#include "weights/weights.h"

namespace mnet::testing {

// A config named "t" of `layers` (JSON objects, comma-separated) on a [channels, resolution,
// resolution] input.
inline std::string net(int channels, int resolution, const std::string& layers) {
  return R"({"name": "t", "resolution": )" + std::to_string(resolution) + R"(, "input_channels": )" +
         std::to_string(channels) + R"(, "layers": [)" + layers + "]}";
}

// The error parse_config refuses `text` with, or "(accepted)".
inline std::string error_of(const std::string& text) {
  try {
    parse_config(text, "bad.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

// The graph's output for input `x`.
inline std::vector<float> run(const Graph& g, const WeightMap& w, const std::vector<float>& x, ExecOptions options = {}) {
  Executor exec(g, w, options);
  const float* y = exec.run(x.data());
  return std::vector<float>(y, y + g.output().out.elements());
}
// The same at one thread, fused or not (fusing must change nothing).
inline std::vector<float> run(const Graph& g, const WeightMap& w, const std::vector<float>& x, bool fuse) {
  return run(g, w, x, ExecOptions{1, fuse});
}

// The tensors of `all` that graph `g` declares: one branch's weights out of a whole unit's.
inline WeightMap weights_for(const Graph& g, const WeightMap& all) {
  WeightMap w;
  for (size_t i = 1; i < g.nodes.size(); ++i)
    for (const WeightDecl& d : g.weights_of(int(i))) w[d.name] = all.at(d.name);
  return w;
}

}  // namespace mnet::testing
