// Loading a model path (a config, an imported folder or a .tflite) into a graph with its weights and labels.
#include "model/model.h"

#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "io/atomic_file.h"
#include "tflite/import.h"

namespace mnet {

bool is_tflite_path(const std::string& path) {
  return std::filesystem::path(path).extension() == ".tflite";
}

std::string config_file_of(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return path;
  std::string config = (std::filesystem::path(path) / "config.json").string();
  if (!std::filesystem::exists(config, ec))
    throw InputError(path + ": a model folder must hold config.json (as `mnet import` writes)");
  return config;
}

std::vector<std::string> read_labels(const std::string& path) {
  std::istringstream in(read_file_bytes(path, kMaxLabelsBytes));
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  if (labels.empty()) throw InputError(path + ": the labels file is empty");
  return labels;
}

Model load_model(const std::string& path, const ConfigOverrides& overrides, const LoadOptions& options) {
  Model m;
  const std::string& weights = options.weights;
  if (is_tflite_path(path)) {
    if (overrides.width) throw InputError(path + ": --width does not apply to a .tflite model (its weights fix the width)");
    ImportedModel imported = import_tflite(path);
    m.graph = build_graph(imported.spec, overrides);
    m.labels = std::move(imported.labels);
    m.detection = std::move(imported.detection);
    m.argmax_classes = imported.argmax_classes;
    if (options.before_weights) options.before_weights(m.graph);
    if (weights.empty()) {
      // Found by tests/fuzz/fuzz_tflite: the importer let an FC bias shorter than its outputs through.
      check_weights(m.graph, imported.weights, path + ": tflite", options.nonfinite);
      m.weights = std::move(imported.weights);
      m.weights_source = path;
    }
  } else {
    m.graph = load_config(config_file_of(path), overrides);
    if (options.before_weights) options.before_weights(m.graph);
    if (weights.empty() && !m.graph.weights.empty()) {
      m.weights = load_weights(m.graph, m.graph.weights, options.nonfinite);
      m.weights_source = m.graph.weights;
    }
  }
  if (!weights.empty()) {
    m.weights = load_weights(m.graph, weights, options.nonfinite);
    m.weights_source = weights;
  }
  if (m.labels.empty() && !m.graph.labels.empty()) m.labels = read_labels(m.graph.labels);
  return m;
}

Model load_model(const std::string& path, const ConfigOverrides& overrides, const std::string& weights) {
  LoadOptions options;
  options.weights = weights;
  return load_model(path, overrides, options);
}

}  // namespace mnet
