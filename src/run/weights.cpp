#include "run/weights.h"

#include <cmath>
#include <set>

#include "core/error.h"
#include "io/safetensors.h"

namespace mnet {

namespace {

// splitmix64: the same numbers on every platform and standard library.
struct Random {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  float uniform(float lo, float hi) { return lo + (hi - lo) * float(double(next() >> 11) * 0x1.0p-53); }
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

WeightMap random_weights(const Graph& graph, uint64_t seed) {
  WeightMap out;
  Random rng{seed};
  for (size_t i = 1; i < graph.nodes.size(); ++i) {
    bool batchnorm = graph.nodes[i].layer->fusion_role() == FusionRole::batchnorm;
    for (const WeightDecl& w : graph.weights_of(int(i))) {
      std::vector<float> v(size_t(w.elements()));
      int64_t fan_in = w.shape.empty() || w.shape[0] == 0 ? 1 : w.elements() / w.shape[0];
      float bound = std::sqrt(3.0f / float(std::max<int64_t>(fan_in, 1)));
      for (float& x : v) {
        if (batchnorm && ends_with(w.name, ".weight")) x = rng.uniform(0.5f, 1.5f);
        else if (batchnorm && ends_with(w.name, ".running_var")) x = rng.uniform(0.5f, 2.0f);
        else if (batchnorm) x = rng.uniform(-0.3f, 0.3f);
        else if (ends_with(w.name, "bias")) x = rng.uniform(-0.1f, 0.1f);
        else x = rng.uniform(-bound, bound);
      }
      out[w.name] = std::move(v);
    }
  }
  return out;
}

WeightMap load_weights(const Graph& graph, const std::string& path) {
  SafetensorsFile file = read_safetensors(path);
  WeightMap out;
  std::set<std::string> declared;
  for (size_t i = 1; i < graph.nodes.size(); ++i) {
    for (const WeightDecl& w : graph.weights_of(int(i))) {
      declared.insert(w.name);
      const TensorData* t = file.find(w.name);
      std::string layer = "layer '" + graph.nodes[i].name + "' (" + graph.nodes[i].layer->type() + ")";
      if (!t)
        throw InputError(path + ": tensor '" + w.name + "' is missing (" + layer + " declares " +
                         shape_to_string(w.shape) + ")");
      if (t->shape != w.shape)
        throw InputError(path + ": tensor '" + w.name + "' has shape " + shape_to_string(t->shape) + ", " + layer +
                         " declares " + shape_to_string(w.shape));
      out[w.name] = t->data;
    }
  }
  for (const auto& kv : file.tensors)
    if (!declared.count(kv.first))
      throw InputError(path + ": tensor '" + kv.first + "' is not declared by any layer of " + graph.name +
                       " (" + graph.source + ")");
  return out;
}

void check_weights(const Graph& graph, const WeightMap& weights, const std::string& source) {
  for (size_t i = 1; i < graph.nodes.size(); ++i) {
    for (const WeightDecl& w : graph.weights_of(int(i))) {
      auto it = weights.find(w.name);
      std::string layer = "layer '" + graph.nodes[i].name + "' (" + graph.nodes[i].layer->type() + ")";
      if (it == weights.end())
        throw InputError(source + ": tensor '" + w.name + "' is missing (" + layer + " declares " +
                         shape_to_string(w.shape) + ")");
      if (int64_t(it->second.size()) != w.elements())
        throw InputError(source + ": tensor '" + w.name + "' has " + std::to_string(it->second.size()) + " values, " +
                         layer + " declares " + shape_to_string(w.shape));
    }
  }
}

void save_weights(const Graph& graph, const WeightMap& weights, const std::string& path) {
  check_weights(graph, weights, graph.source);
  std::vector<TensorData> tensors;
  std::vector<std::string> names;
  for (size_t i = 1; i < graph.nodes.size(); ++i)
    for (const WeightDecl& w : graph.weights_of(int(i))) {
      auto it = weights.find(w.name);
      if (it == weights.end()) throw RunError(path + ": no values for tensor '" + w.name + "'");
      tensors.push_back(TensorData{w.shape, it->second});
      names.push_back(w.name);
    }
  std::vector<std::pair<std::string, const TensorData*>> refs;
  for (size_t i = 0; i < names.size(); ++i) refs.emplace_back(names[i], &tensors[i]);
  write_safetensors(path, refs, {{"format", "mnet"}, {"model", graph.name}});
}

}  // namespace mnet
