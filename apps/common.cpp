#include "common.h"

#include <cstdio>
#include <iostream>

#include "core/error.h"
#include "io/atomic_file.h"

namespace mnet::app {

void ModelOptions::add_to(CLI::App& app, bool positional) {
  if (positional) app.add_option("model", model, "Model: an mnet config (.json), a folder written by `mnet import`, or a .tflite file")->required();
  app.add_option("--width", width, "Width multiplier α overriding the config's (e.g. 0.5)")
      ->check(CLI::PositiveNumber);
  app.add_option("--resolution", resolution, "Input resolution overriding the config's (e.g. 160)")
      ->check(CLI::Range(1, kMaxResolution));
}

ConfigOverrides ModelOptions::overrides() const {
  ConfigOverrides o;
  if (width > 0) o.width = width;
  if (resolution > 0) o.resolution = resolution;
  return o;
}

Graph load_graph(const std::string& path, const ConfigOverrides& overrides) {
  // A .tflite's graph comes with its weights: importing is the only way to read it.
  if (is_tflite_path(path)) return load_model(path, overrides).graph;
  return load_config(config_file_of(path), overrides);
}

void EngineOptions::add_to(CLI::App& app, bool timing) {
  app.add_option("--weights", weights, "Weights (.safetensors); default: the model's own, else deterministic random weights");
  app.add_option("--seed", seed, "Seed of the random weights")->capture_default_str();
  if (!timing) return;
  app.add_option("--runs", runs, "Timed runs after the warm-up")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--warmup", warmup, "Warm-up runs, not timed")->capture_default_str()->check(CLI::Range(0, 100000));
}

Model load_for_execution(const ModelOptions& model, const EngineOptions& options) {
  Model m = load_model(model.model, model.overrides(), options.weights);
  if (m.weights_source.empty()) {
    std::fprintf(stderr, "mnet: %s: no weights given, using random weights (seed %llu)\n", model.model.c_str(),
                 static_cast<unsigned long long>(options.seed));
    m.weights = random_weights(m.graph, options.seed);
  }
  return m;
}

std::vector<float> random_input(const Shape& shape) {
  std::vector<float> x(size_t(shape.elements()));
  uint32_t state = 12345;
  for (float& v : x) {
    state = state * 1664525u + 1013904223u;
    v = float(state >> 8) / float(1u << 24) * 2.0f - 1.0f;
  }
  return x;
}

void OutputOptions::add_to(CLI::App& app, const std::string& formats) {
  app.add_option("--format", format, "Output format: " + formats)
      ->capture_default_str()
      ->check(CLI::IsMember(CLI::detail::split(formats, '|')));
  app.add_option("-o,--output", output, "Write the output to FILE (atomically) instead of stdout");
}

Format OutputOptions::parsed() const {
  Format f = Format::table;
  parse_format(format, &f);
  return f;
}

void emit(const OutputOptions& out, const std::string& text) {
  if (out.output.empty()) {
    std::cout << text << std::flush;
    if (!std::cout) throw RunError("stdout: write failed");
  } else {
    write_file_atomic(out.output, text);
  }
}

}  // namespace mnet::app
