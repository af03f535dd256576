// Loading and checking weights against the graph, random weights, saving as safetensors.
#include "weights/weights.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.h"
#include "core/work_count.h"
#include "io/bytes.h"
#include "weights/safetensors.h"

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

int64_t first_nonfinite(const std::vector<float>& values) {
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) return int64_t(i);
  return -1;
}

std::string nonfinite_name(float value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "inf" : "-inf";
}

namespace {

std::string layer_of(const Graph& graph, size_t node) {
  return "layer '" + graph.nodes[node].name + "' (" + graph.nodes[node].layer->type() + ")";
}

// The first value that would turn the outputs into NaN, described, or empty.
std::string first_bad_value(const Graph& graph, const WeightMap& weights) {
  for (size_t i = 1; i < graph.nodes.size(); ++i) {
    for (const WeightDecl& w : graph.weights_of(int(i))) {
      const std::vector<float>& v = weights.at(w.name);
      int64_t bad = first_nonfinite(v);
      if (bad >= 0)
        return "tensor '" + w.name + "' (" + layer_of(graph, i) + "): element " + std::to_string(bad) + " is " +
               nonfinite_name(v[size_t(bad)]) + "; weights must be finite";
    }
    const Layer& layer = *graph.nodes[i].layer;
    if (layer.fusion_role() != FusionRole::batchnorm) continue;
    const std::string name = graph.nodes[i].name + ".running_var";
    auto var = weights.find(name);
    if (var == weights.end()) continue;
    const float eps = layer.bn_epsilon();
    for (size_t c = 0; c < var->second.size(); ++c) {
      const float v = var->second[c];
      if (v < 0)
        return "tensor '" + name + "' (" + layer_of(graph, i) + "): channel " + std::to_string(c) + " is " +
               double_to_string(v) + "; a BatchNorm variance must be >= 0";
      if (!(v + eps > 0))
        return "tensor '" + name + "' (" + layer_of(graph, i) + "): channel " + std::to_string(c) +
               ": running_var + eps = " + double_to_string(double(v + eps)) + "; it must be > 0";
    }
  }
  return "";
}

}  // namespace

void check_weight_values(const Graph& graph, const WeightMap& weights, const std::string& source,
                         NonFinite nonfinite) {
  const std::string bad = first_bad_value(graph, weights);
  if (bad.empty()) return;
  if (nonfinite == NonFinite::refuse)
    throw InputError(source + ": " + bad + " (--allow-nonfinite runs anyway)");
  std::fprintf(stderr, "mnet: warning: %s\n",
               one_line(source + ": " + bad + "; running anyway (--allow-nonfinite), outputs may be NaN").c_str());
}

WeightMap load_weights(const Graph& graph, const std::string& path, NonFinite nonfinite) {
  // Declared name → (node, declaration), so that each of the file's names is one lookup.
  std::map<std::string, std::pair<size_t, WeightDecl>> declared;
  for (size_t i = 1; i < graph.nodes.size(); ++i)
    for (const WeightDecl& w : graph.weights_of(int(i))) declared.emplace(w.name, std::make_pair(i, w));
  auto check_entry = [&](const std::string& name, const std::vector<int64_t>& shape) {
    count_work();
    auto it = declared.find(name);
    if (it == declared.end())
      throw InputError(path + ": tensor '" + name + "' is not declared by any layer of " + graph.name + " (" +
                       graph.source + ")");
    const WeightDecl& w = it->second.second;
    if (shape != w.shape)
      throw InputError(path + ": tensor '" + name + "' has shape " + shape_to_string(shape) + ", " +
                       layer_of(graph, it->second.first) + " declares " + shape_to_string(w.shape));
  };
  // The file can hold the declared tensors and a header, no more: a larger one is refused before
  // it is read (the memory estimate counts on that).
  int64_t values = 0;
  for (const auto& kv : declared) values += kv.second.second.elements();
  const uint64_t most = 8 + kMaxSafetensorsHeaderBytes + 8 * uint64_t(values);  // F64, the widest dtype
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > most)
    throw InputError(path + ": file is " + std::to_string(size) + " bytes, more than the " + std::to_string(most) +
                     " bytes that " + graph.name + "'s " + std::to_string(values) +
                     " declared weights and a header can take (8 bytes a value as F64, header at most " +
                     std::to_string(kMaxSafetensorsHeaderBytes) + " bytes)");
  SafetensorsFile file = read_safetensors(path, check_entry);
  WeightMap out;
  for (size_t i = 1; i < graph.nodes.size(); ++i) {
    for (const WeightDecl& w : graph.weights_of(int(i))) {
      count_work();
      auto at = file.index.find(w.name);
      if (at == file.index.end())
        throw InputError(path + ": tensor '" + w.name + "' is missing (" + layer_of(graph, i) + " declares " +
                         shape_to_string(w.shape) + ")");
      out[w.name] = std::move(file.tensors[at->second].second.data);
    }
  }
  check_weight_values(graph, out, path, nonfinite);
  return out;
}

void check_weights(const Graph& graph, const WeightMap& weights, const std::string& source, NonFinite nonfinite) {
  for (size_t i = 1; i < graph.nodes.size(); ++i) {
    for (const WeightDecl& w : graph.weights_of(int(i))) {
      auto it = weights.find(w.name);
      std::string layer = layer_of(graph, i);
      if (it == weights.end())
        throw InputError(source + ": tensor '" + w.name + "' is missing (" + layer + " declares " +
                         shape_to_string(w.shape) + ")");
      if (int64_t(it->second.size()) != w.elements())
        throw InputError(source + ": tensor '" + w.name + "' has " + std::to_string(it->second.size()) + " values, " +
                         layer + " declares " + shape_to_string(w.shape));
    }
  }
  check_weight_values(graph, weights, source, nonfinite);
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
