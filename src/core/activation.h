// The activation functions (ReLU, ReLU6, h-swish, ...) by name and as scalar functions.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

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

// Calls body(std::integral_constant<Act, A>{}) with the runtime `act` as the constant A, so that
// a loop over apply_act(A, ·) in the body has no switch inside and vectorises.
template <typename Body>
void with_act(Act act, Body&& body) {
  using std::integral_constant;
  switch (act) {
    case Act::none: return body(integral_constant<Act, Act::none>{});
    case Act::relu: return body(integral_constant<Act, Act::relu>{});
    case Act::relu6: return body(integral_constant<Act, Act::relu6>{});
    case Act::hswish: return body(integral_constant<Act, Act::hswish>{});
    case Act::hsigmoid: return body(integral_constant<Act, Act::hsigmoid>{});
    case Act::sigmoid: return body(integral_constant<Act, Act::sigmoid>{});
  }
}

}  // namespace mnet
