// What `mnet detect` and `mnet segment` print: per image its detections (label, score, box in the
// image's pixels) or its classes' share of pixels, or why it failed. Computing is elsewhere
// (postprocess/detection.h, postprocess/segmentation.h); this file only prints.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "postprocess/detection.h"
#include "report/envelope.h"
#include "report/table.h"

namespace mnet {

struct DetectedObject {
  int class_index = 0;  // 0-based, as the model's classes (COCO: line k of coco_labels.txt)
  std::string label;
  float score = 0;
  Box box;  // normalised [0, 1] (may reach slightly outside: boxes are not clipped)
  double xmin = 0, ymin = 0, xmax = 0, ymax = 0;  // the box in the original image's pixels
};

struct SegmentedClass {
  int index = 0;
  std::string label;
  int64_t pixels = 0;  // of the model's output map
  double fraction = 0;
};

struct VisionResult {
  std::string image;  // as given
  int width = 0, height = 0;  // of the decoded image
  std::vector<DetectedObject> objects;  // detect
  std::vector<SegmentedClass> classes;  // segment
  std::string drawn;  // the PNG written for it (--draw, --mask), or empty
  std::string error;  // why it failed, else empty
};

struct VisionReport {
  bool segmentation = false;  // segment; else detect
  std::string model_path;
  std::string model_name;
  int input_size = 0;          // the model's S×S input, the whole image stretched to it
  double threshold = 0;        // detect: scores at or above it are listed
  int top = 0;                 // detect: at most this many per image (0: all)
  int map_width = 0, map_height = 0;  // segment: the class map's size
  std::vector<VisionResult> results;
  int threads = 1;
  double seconds = 0;
  int failed() const;
};

// The JSON body (kind "detect" or "segment"): "model", "source", "input_size", "preprocess"
// ("whole image stretched to S×S"), "threshold" and "top" (detect), "results": [{"image",
// "width", "height", "detections": [{"rank", "class", "label", "score", "box": [ymin, xmin, ymax,
// xmax] normalised, "box_pixels": {"xmin", "ymin", "xmax", "ymax"}}]} | {"image", ..., "classes":
// [{"index", "label", "pixels", "fraction"}]} | {"image", "error"}], each with "drawn" when a PNG
// was written; "images", "failed", "seconds".
nlohmann::json vision_json(const VisionReport& report);

// Table and Markdown: a line naming the model and the preprocessing, one row per detection (image,
// rank, label, score, xmin, ymin, xmax, ymax in pixels) or per class (image, label, pixels, share),
// "none" rows for images without any, "error: why" rows, and a timing line. CSV: the same rows,
// with an `error` column.
std::string format_vision(const VisionReport& report, Format format, const ReportContext& context);

}  // namespace mnet
