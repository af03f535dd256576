// SSD detection post-processing as TFLite's TFLite_Detection_PostProcess kernel computes it:
// anchor decoding (centre-size encodings scaled by y/x/h/w scales) and fast non-maximum
// suppression (use_regular_nms = false: one class per anchor, one greedy pass over all classes).
#pragma once
#include <string>
#include <vector>

namespace mnet {

// The op's options (its FlexBuffer custom options; defaults as the TFLite kernel's).
struct DetectionOptions {
  int max_detections = 10;
  int max_classes_per_detection = 1;
  int num_classes = 90;  // without the background column
  float nms_score_threshold = 0;
  float nms_iou_threshold = 0.5f;
  float y_scale = 10, x_scale = 10, h_scale = 5, w_scale = 5;
};

// Far above any SSD's 1917 (300×300) or 2034 (320×320) anchors: a bound on what a model file
// may make the decoder allocate.
constexpr int kMaxAnchors = 1 << 20;
constexpr int kMaxDetections = 1000;

// What a detector model carries besides its graph: which outputs hold the box encodings
// ([anchors, 1, 4]: ty, tx, th, tw per anchor) and the class scores ([anchors, 1, classes + 1],
// column 0 background), the anchors ([anchors · 4]: ycenter, xcenter, h, w, normalised) and the
// options. Empty `anchors`: not a detector.
struct DetectionPostprocess {
  DetectionOptions options;
  std::vector<float> anchors;
  std::string boxes_output, scores_output;
  int anchor_count() const { return int(anchors.size() / 4); }
};

// Normalised corners, TFLite's BoxCornerEncoding order.
struct Box {
  float ymin = 0, xmin = 0, ymax = 0, xmax = 0;
};

struct Detection {
  Box box;
  int class_index = 0;  // 0-based without background: line k of coco_labels.txt
  float score = 0;
};

// Decodes `encodings` ([n, 4]) against `anchors` ([n, 4]) as DecodeCenterSizeBoxes does.
std::vector<Box> decode_boxes(const float* encodings, const std::vector<float>& anchors, const DetectionOptions& o);

// TFLite's ComputeIntersectionOverUnion: 0 when either box has no area.
float intersection_over_union(const Box& a, const Box& b);

// NonMaxSuppressionMultiClassFastHelper with one class per detection: per anchor the best class
// (first maximum over columns 1..num_classes of `scores`, [n, num_classes + 1]); anchors scoring
// at least nms_score_threshold, by score descending (stable); each selected in turn, dropping
// later ones whose IoU with it exceeds nms_iou_threshold; at most max_detections.
std::vector<Detection> fast_nms(const std::vector<Box>& boxes, const float* scores, const DetectionOptions& o);

// Both steps on a run's two outputs.
std::vector<Detection> postprocess_detections(const DetectionPostprocess& p, const float* encodings, const float* scores);

}  // namespace mnet
