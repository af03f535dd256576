// From a classifier's output to ranked classes: probabilities (softmax unless the model already
// ends in one) and the top k with their labels.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace mnet {

struct Prediction {
  int index = 0;
  std::string label;  // the model's label, or "class N" without labels
  float score = 0;    // probability
};

// The model's own output when its last layer outputs probabilities (softmax), else softmax of it.
std::vector<float> probabilities(const Graph& graph, const float* output, int64_t classes);

// The k most probable classes, best first; ties go to the lower class index.
std::vector<Prediction> top_k(const std::vector<float>& probabilities, int k, const std::vector<std::string>& labels);

}  // namespace mnet
