// Helpers every layer file shares: reading an activation key and taking a prepared weight.
#pragma once
#include <algorithm>
#include <cstdint>
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

// A layer whose output has its input's shape and costs one element-wise operation per value
// (activations, softmax, fake quantization).
class ElementwiseLayer : public Layer {
 public:
  Shape infer_shape(const std::vector<Shape>& in) const override { return in[0]; }
  LayerCost cost(const std::vector<Shape>&, const Shape& out) const override {
    LayerCost c;
    c.elementwise_ops = out.elements();
    return c;
  }
};

inline const float* data_or_null(const std::vector<float>& v) { return v.empty() ? nullptr : v.data(); }

// Copies its one input: the op of layers that change only the shape (flatten) or nothing at
// inference (dropout).
class CopyOp : public Op {
 public:
  int64_t n = 0;  // elements
  void run(const std::vector<const float*>& in, float* out, RunContext&) override {
    std::copy(in[0], in[0] + n, out);
  }
};

}  // namespace mnet
