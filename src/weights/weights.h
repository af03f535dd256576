// Weight maps: loading, checking against a graph's declarations, saving, and random weights.
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

// What weight validation does with values that would make every output NaN: a NaN or infinite
// value, a negative BatchNorm running_var, or running_var + eps <= 0.
enum class NonFinite {
  refuse,  // InputError naming the source, the tensor, the layer and the element or channel
  warn,    // one line on stderr for the first such value (--allow-nonfinite), then run anyway
};

// Reads a safetensors file and checks it against the graph's declarations: every declared tensor
// present with exactly its shape, nothing extra, then the values (check_weight_values). Errors
// name the file, the tensor and the layer. Names and shapes are checked before any tensor is
// decoded, so an undeclared tensor costs no memory.
WeightMap load_weights(const Graph& graph, const std::string& path, NonFinite nonfinite = NonFinite::refuse);

// Checks weights that did not come through load_weights (an imported .tflite) against the graph:
// every declared tensor present with its declared element count, since the kernels index weights
// by the declared shapes and would read past a short one; then the values. Errors name `source`
// and the layer.
void check_weights(const Graph& graph, const WeightMap& weights, const std::string& source,
                   NonFinite nonfinite = NonFinite::refuse);

// Every declared tensor finite, and every BatchNorm's running_var >= 0 with running_var + eps > 0
// (else 1/sqrt(var + eps) is NaN or infinite). Expects the tensors check_weights requires.
void check_weight_values(const Graph& graph, const WeightMap& weights, const std::string& source,
                         NonFinite nonfinite);

// The index of the first NaN or infinite value in `values`, or -1.
int64_t first_nonfinite(const std::vector<float>& values);
// "NaN", "inf" or "-inf".
std::string nonfinite_name(float value);

// Writes the graph's declared tensors, in graph order, as an F32 safetensors file (atomically),
// after check_weights(graph, weights, graph.source).
void save_weights(const Graph& graph, const WeightMap& weights, const std::string& path);

}  // namespace mnet
