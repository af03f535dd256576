// The class map of a segmenter's output and what is measured on it.
#include "postprocess/segmentation.h"

#include <algorithm>
#include <stdexcept>

namespace mnet {

ClassMap argmax_classes(const float* scores, const Shape& shape) {
  ClassMap map;
  map.width = shape.w;
  map.height = shape.h;
  const int64_t plane = int64_t(shape.h) * shape.w;
  map.classes.assign(size_t(plane), 0);
  std::vector<float> best(scores, scores + plane);  // channel 0
  // Channel by channel over the plane: contiguous reads; a strictly larger value wins, so the
  // first maximum stays.
  for (int c = 1; c < shape.c; ++c) {
    const float* channel = scores + c * plane;
    for (int64_t p = 0; p < plane; ++p)
      if (channel[p] > best[size_t(p)]) {
        best[size_t(p)] = channel[p];
        map.classes[size_t(p)] = uint16_t(c);
      }
  }
  return map;
}

std::vector<ClassShare> class_shares(const ClassMap& map, int classes) {
  std::vector<int64_t> counts(size_t(std::max(classes, 0)), 0);
  for (uint16_t c : map.classes)
    if (c < counts.size()) ++counts[c];
  std::vector<ClassShare> shares;
  const double total = double(map.classes.size());
  for (size_t c = 0; c < counts.size(); ++c)
    if (counts[c] > 0) shares.push_back(ClassShare{int(c), counts[c], double(counts[c]) / total});
  std::stable_sort(shares.begin(), shares.end(), [](const ClassShare& a, const ClassShare& b) { return a.pixels > b.pixels; });
  return shares;
}

namespace {
int64_t agreeing(const ClassMap& a, const ClassMap& b) {
  if (a.width != b.width || a.height != b.height || a.classes.size() != b.classes.size())
    throw std::invalid_argument("class maps of different sizes");
  int64_t same = 0;
  for (size_t i = 0; i < a.classes.size(); ++i) same += a.classes[i] == b.classes[i];
  return same;
}
}  // namespace

double pixel_agreement(const ClassMap& a, const ClassMap& b) {
  const int64_t same = agreeing(a, b);
  return a.classes.empty() ? 1.0 : double(same) / double(a.classes.size());
}

double coral_array_iou(const ClassMap& a, const ClassMap& b) {
  const double same = double(agreeing(a, b)), n = double(a.classes.size());
  return n == 0 ? 1.0 : same / (2 * n - same);
}

double class_iou(const ClassMap& predicted, const ClassMap& truth, int class_index) {
  agreeing(predicted, truth);
  int64_t both = 0, either = 0;
  for (size_t i = 0; i < predicted.classes.size(); ++i) {
    const bool p = predicted.classes[i] == class_index, t = truth.classes[i] == class_index;
    both += p && t;
    either += p || t;
  }
  return either == 0 ? -1.0 : double(both) / double(either);
}

}  // namespace mnet
