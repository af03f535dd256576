#pragma once
#include <algorithm>
#include <cmath>
#include <string>

namespace mnet {

enum class Act { none, relu, relu6, hswish, hsigmoid, sigmoid };

// Config spelling: "none", "relu", "relu6", "hswish", "hsigmoid", "sigmoid". Returns false if unknown.
bool parse_act(const std::string& name, Act* out);
const char* act_name(Act a);

inline float apply_act(Act a, float x) {
  switch (a) {
    case Act::none: return x;
    case Act::relu: return std::max(x, 0.0f);
    case Act::relu6: return std::min(std::max(x, 0.0f), 6.0f);
    case Act::hswish: return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) * (1.0f / 6.0f);
    case Act::hsigmoid: return std::min(std::max(x + 3.0f, 0.0f), 6.0f) * (1.0f / 6.0f);
    case Act::sigmoid: return 1.0f / (1.0f + std::exp(-x));
  }
  return x;
}

}  // namespace mnet
