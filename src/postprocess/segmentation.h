// A segmenter's class map: the arg max over the classes of its [classes, H, W] output (the
// first maximum on ties, as TFLite's ARG_MAX), the share of pixels per class, and agreement
// with another map (a reference or a ground-truth mask).
#pragma once
#include <cstdint>
#include <vector>

#include "core/shape.h"

namespace mnet {

struct ClassMap {
  int width = 0, height = 0;
  std::vector<uint16_t> classes;  // [H, W], row-major
};

// Per pixel the first channel holding the largest value. Classes up to 65,535 (kMaxChannels).
ClassMap argmax_classes(const float* scores, const Shape& shape);

struct ClassShare {
  int index = 0;
  int64_t pixels = 0;
  double fraction = 0;
};
// Classes present, most pixels first (the lower index first on ties).
std::vector<ClassShare> class_shares(const ClassMap& map, int classes);

// Share of pixels where the two maps agree, and pycoral's array_iou, agree / (2·N − agree).
// The maps must have one size (throws std::invalid_argument otherwise: a caller bug).
double pixel_agreement(const ClassMap& a, const ClassMap& b);
double coral_array_iou(const ClassMap& a, const ClassMap& b);
// Intersection over union of one class between a prediction and a truth map; -1 when the class
// is in neither.
double class_iou(const ClassMap& predicted, const ClassMap& truth, int class_index);

}  // namespace mnet
