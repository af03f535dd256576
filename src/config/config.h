#pragma once
#include <optional>
#include <string>

#include "graph/graph.h"

namespace mnet {

constexpr uint64_t kMaxConfigBytes = 16 << 20;
constexpr int kMaxJsonDepth = 64;
constexpr int kMaxBlockRepeats = 1000;
constexpr double kMaxWidth = 8;  // width multiplier α, in (0, kMaxWidth]
constexpr int kMaxInputChannels = 64;
// preprocess: mean in [-kMaxPreprocessMean, kMaxPreprocessMean], std in [kMinPreprocessStd,
// kMaxPreprocessStd], pixel units; wide enough for an imported model's 1 / scale.
constexpr double kMaxPreprocessMean = 65536;
constexpr double kMinPreprocessStd = 1e-5;
constexpr double kMaxPreprocessStd = 65536;

// Command-line overrides of a config's parameters.
struct ConfigOverrides {
  std::optional<double> width;
  std::optional<int> resolution;
};

// Reads an mnet architecture config into a graph with inferred shapes. Every problem is an
// InputError: "FILE: LOCATION (layer): what is wrong".
Graph load_config(const std::string& path, const ConfigOverrides& overrides = {});
// The same from text already in memory; `path` names it in errors and resolves relative files.
Graph parse_config(const std::string& text, const std::string& path,
                   const ConfigOverrides& overrides = {});

// Channel rounding of the papers' reference code. "v1": max(int(c·α), 8) (TF-slim MobileNetV1,
// min_depth 8); "divisible_by_8": the nearest multiple of 8 not below 90% of c·α (V2, V3).
int round_channels(const std::string& rule, double channels);
int make_divisible(double value, int divisor);

}  // namespace mnet
