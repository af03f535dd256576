#pragma once
// Helpers every layer file shares: reading an activation key and taking a prepared weight.
#include <string>
#include <vector>

#include "graph/layer.h"

namespace mnet {

inline Act read_act(Attrs& attrs, const std::string& key, Act fallback) {
  if (!attrs.has(key)) return fallback;
  std::string name = attrs.require_string(key);
  Act a;
  if (!parse_act(name, &a))
    throw LayerError("unknown activation '" + name +
                     "' for '" + key + "' (none, relu, relu6, hswish, hsigmoid, sigmoid)");
  return a;
}

inline std::vector<float> take_weight(const PrepareArgs& args, const std::string& name) {
  auto it = args.weights.find(name);
  return it == args.weights.end() ? std::vector<float>{} : it->second;
}

inline const float* data_or_null(const std::vector<float>& v) { return v.empty() ? nullptr : v.data(); }

}  // namespace mnet
