// Anchor decoding and fast NMS, line for line as tensorflow/lite/kernels/detection_postprocess.cc.
#include "postprocess/detection.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mnet {

std::vector<Box> decode_boxes(const float* encodings, const std::vector<float>& anchors, const DetectionOptions& o) {
  const size_t n = anchors.size() / 4;
  std::vector<Box> boxes(n);
  for (size_t i = 0; i < n; ++i) {
    const float* e = encodings + 4 * i;  // ty, tx, th, tw
    const float* a = anchors.data() + 4 * i;  // ycenter, xcenter, h, w
    const float ycenter = e[0] / o.y_scale * a[2] + a[0];
    const float xcenter = e[1] / o.x_scale * a[3] + a[1];
    const float half_h = 0.5f * static_cast<float>(std::exp(e[2] / o.h_scale)) * a[2];
    const float half_w = 0.5f * static_cast<float>(std::exp(e[3] / o.w_scale)) * a[3];
    boxes[i] = Box{ycenter - half_h, xcenter - half_w, ycenter + half_h, xcenter + half_w};
  }
  return boxes;
}

float intersection_over_union(const Box& a, const Box& b) {
  const float area_a = (a.ymax - a.ymin) * (a.xmax - a.xmin);
  const float area_b = (b.ymax - b.ymin) * (b.xmax - b.xmin);
  if (area_a <= 0 || area_b <= 0) return 0.0f;
  const float ymin = std::max<float>(a.ymin, b.ymin), xmin = std::max<float>(a.xmin, b.xmin);
  const float ymax = std::min<float>(a.ymax, b.ymax), xmax = std::min<float>(a.xmax, b.xmax);
  const float intersection = std::max<float>(ymax - ymin, 0.0f) * std::max<float>(xmax - xmin, 0.0f);
  return intersection / (area_a + area_b - intersection);
}

std::vector<Detection> fast_nms(const std::vector<Box>& boxes, const float* scores, const DetectionOptions& o) {
  const size_t n = boxes.size();
  const int columns = o.num_classes + 1;  // the background first
  // Per anchor its best class: the first maximum, as the kernel's max_element for one class.
  std::vector<int> best_class(n);
  std::vector<float> best_score(n);
  for (size_t i = 0; i < n; ++i) {
    const float* row = scores + i * size_t(columns) + 1;
    const float* top = std::max_element(row, row + o.num_classes);
    best_class[i] = int(top - row);
    best_score[i] = *top;
  }
  // SelectDetectionsAboveScoreThreshold, then DecreasingArgSort (stable).
  std::vector<int> kept;
  for (size_t i = 0; i < n; ++i)
    if (best_score[i] >= o.nms_score_threshold) kept.push_back(int(i));
  std::stable_sort(kept.begin(), kept.end(), [&](int a, int b) { return best_score[size_t(a)] > best_score[size_t(b)]; });
  const size_t wanted = std::min(kept.size(), size_t(std::max(o.max_detections, 0)));
  std::vector<char> active(kept.size(), 1);
  std::vector<Detection> selected;
  for (size_t i = 0; i < kept.size() && selected.size() < wanted; ++i) {
    if (!active[i]) continue;
    active[i] = 0;
    const size_t box = size_t(kept[i]);
    selected.push_back(Detection{boxes[box], best_class[box], best_score[box]});
    for (size_t j = i + 1; j < kept.size(); ++j)
      if (active[j] && intersection_over_union(boxes[box], boxes[size_t(kept[j])]) > o.nms_iou_threshold) active[j] = 0;
  }
  return selected;
}

std::vector<Detection> postprocess_detections(const DetectionPostprocess& p, const float* encodings, const float* scores) {
  return fast_nms(decode_boxes(encodings, p.anchors, p.options), scores, p.options);
}

}  // namespace mnet
