// Reading mnet's architecture configs (JSON): the papers' table rows and primitive layers.
#pragma once
#include <string>
#include <vector>

#include "config/build_graph.h"
#include "graph/graph.h"
#include "graph/spec.h"

namespace mnet {

constexpr uint64_t kMaxConfigBytes = 16 << 20;
constexpr int kMaxJsonDepth = 64;
constexpr int kMaxBlockRepeats = 1000;

// Reads an mnet architecture config into a graph with inferred shapes. Every problem is an
// InputError: "FILE: LOCATION (layer): what is wrong".
Graph load_config(const std::string& path, const ConfigOverrides& overrides = {});
// The same from text already in memory; `path` names it in errors and resolves relative files.
Graph parse_config(const std::string& text, const std::string& path,
                   const ConfigOverrides& overrides = {});

// Channel rounding of the papers' reference code. "v1": max(int(c·α), 8) (TF-slim MobileNetV1,
// min_depth 8); "divisible_by_8": the nearest multiple of 8 not below 90% of c·α (V2, V3);
// "shufflenet_g3": c·α down to a multiple of 24, at least 12 (ShuffleNet v1's reference, 3 groups).
int round_channels(const std::string& rule, double channels);
int make_divisible(double value, int divisor);

// The table rows a config may use besides primitive layers (conv_bn, dw_separable, ...).
std::vector<std::string> row_types();

}  // namespace mnet
