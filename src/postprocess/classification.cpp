// Probabilities and top-k ranking of a classifier's output.
#include "postprocess/classification.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mnet {

std::vector<float> probabilities(const Graph& graph, const float* output, int64_t classes) {
  std::vector<float> p(output, output + classes);
  if (p.empty() || graph.output().layer->outputs_probabilities()) return p;
  float top = *std::max_element(p.begin(), p.end());
  double sum = 0;
  for (float& v : p) sum += (v = std::exp(v - top));
  for (float& v : p) v = float(v / sum);
  return p;
}

std::vector<Prediction> top_k(const std::vector<float>& p, int k, const std::vector<std::string>& labels) {
  std::vector<int> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  k = std::max(0, std::min<int>(k, int(p.size())));
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
    return p[a] != p[b] ? p[a] > p[b] : a < b;
  });
  std::vector<Prediction> out;
  for (int i = 0; i < k; ++i) {
    const int c = order[i];
    out.push_back({c, size_t(c) < labels.size() ? labels[c] : "class " + std::to_string(c), p[c]});
  }
  return out;
}

}  // namespace mnet
