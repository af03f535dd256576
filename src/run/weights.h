#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace mnet {

// Full weight name ("<node>.<suffix>") → values in the layout the layer declares.
using WeightMap = std::map<std::string, std::vector<float>>;

// Deterministic random weights for every declared tensor: fan-in scaled convolution and FC
// weights, small biases, and BatchNorm statistics far from identity so that folding is exercised.
WeightMap random_weights(const Graph& graph, uint64_t seed);

// Reads a safetensors file and checks it against the graph's declarations: every declared tensor
// present with exactly its shape, nothing extra. Errors name the file, the tensor and the layer.
WeightMap load_weights(const Graph& graph, const std::string& path);

// Checks weights that did not come through load_weights (an imported .tflite) against the graph:
// every declared tensor present with its declared element count, since the kernels index weights
// by the declared shapes and would read past a short one. Errors name `source` and the layer.
void check_weights(const Graph& graph, const WeightMap& weights, const std::string& source);

// Writes the graph's declared tensors, in graph order, as an F32 safetensors file (atomically),
// after check_weights(graph, weights, graph.source).
void save_weights(const Graph& graph, const WeightMap& weights, const std::string& path);

}  // namespace mnet
