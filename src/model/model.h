// A runnable model: its graph, weights and labels, from whichever kind of path names it.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "postprocess/detection.h"
#include "weights/weights.h"

namespace mnet {

// A model as the commands take it: a config (.json), a folder written by `mnet import`
// (config.json naming weights.safetensors and labels.txt), or a .tflite file imported in memory.
struct Model {
  Graph graph;
  WeightMap weights;              // empty when no weights were named
  std::string weights_source;     // the file they came from, or empty
  std::vector<std::string> labels;  // from the .tflite, or read from the config's labels file
  // A .tflite detector's post-process (anchors empty otherwise) and a segmenter's final arg max
  // over the classes, both run after the graph (mnet detect, mnet segment).
  DetectionPostprocess detection;
  bool argmax_classes = false;
};

constexpr uint64_t kMaxLabelsBytes = 16 << 20;

struct LoadOptions {
  std::string weights;  // a safetensors file overriding the model's own; empty for the model's (if any)
  NonFinite nonfinite = NonFinite::refuse;  // NaN, inf or a bad BatchNorm variance in the weights
  // Called with the graph before any weights are read (a .tflite's come with its graph: after the
  // import), e.g. to refuse a model that would not fit in memory before allocating its weights.
  std::function<void(const Graph&)> before_weights;
};

Model load_model(const std::string& path, const ConfigOverrides& overrides, const LoadOptions& options);
// `weights`: a safetensors file overriding the config's own; empty for the config's (if any).
Model load_model(const std::string& path, const ConfigOverrides& overrides, const std::string& weights = "");

// One label per line, trailing whitespace trimmed.
std::vector<std::string> read_labels(const std::string& path);

bool is_tflite_path(const std::string& path);

// The config a model path names: the path itself, or a folder's config.json.
std::string config_file_of(const std::string& path);

}  // namespace mnet
