// A model described in memory, free of any file format: what the TFLite importer fills,
// config/build_graph.h turns into a Graph and `mnet import` writes as a config.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "graph/attrs.h"
#include "graph/graph.h"

namespace mnet {

constexpr double kMaxWidth = 8;  // width multiplier α, in (0, kMaxWidth]
constexpr int kMaxInputChannels = 64;
// preprocess: mean in [-kMaxPreprocessMean, kMaxPreprocessMean], std in [kMinPreprocessStd,
// kMaxPreprocessStd], pixel units; wide enough for an imported model's 1 / scale.
constexpr double kMaxPreprocessMean = 65536;
constexpr double kMinPreprocessStd = 1e-5;
constexpr double kMaxPreprocessStd = 65536;

// Command-line overrides of a model's parameters.
struct ConfigOverrides {
  std::optional<double> width;
  std::optional<int> resolution;
};

// One primitive layer (a type of layers/registry.h).
struct LayerSpec {
  std::string type;
  std::string name;
  std::vector<std::string> inputs;  // earlier layers' names ("input": the graph's input); empty: the layer above
  Attrs attrs;
  std::string origin;  // where it came from, for errors: "/layers/7"
};

struct ModelSpec {
  std::string source;  // the file it came from: errors name it, `weights` and `labels` are beside it
  std::string name;
  std::string description;
  int64_t resolution = 224;
  int64_t input_channels = 3;
  double width = 1.0;
  Preprocess preprocess;
  std::string weights;  // file names relative to the source's folder; may be empty
  std::string labels;
  std::vector<LayerSpec> layers;
  std::vector<std::string> outputs;  // layers whose values the model returns; empty: the last
};

}  // namespace mnet
