// What `mnet classify` prints: per image its top classes (or, with --raw, the model's output
// values), or why it failed; and how fast the images went through.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/shape.h"
#include "graph/graph.h"
#include "postprocess/classification.h"
#include "report/envelope.h"
#include "report/table.h"

namespace mnet {

// One output tensor of a run as --raw prints it: no softmax, no ranking.
struct RawOutput {
  std::string name;  // the graph node
  Shape shape;
  std::vector<float> values;  // [C, H, W] order
};

struct ImageResult {
  std::string image;             // the path as given, or as found under a folder given
  std::vector<Prediction> top;   // empty when the image failed or with --raw
  std::vector<RawOutput> raw;    // --raw: every output of the graph
  std::string error;             // why it failed, else empty
};

struct ClassifyTiming {
  int threads = 1;
  double seconds = 0;            // wall time of the whole image loop, failed images included
  double decode_seconds = 0;     // decoding and preprocessing of the images that were classified
  double inference_seconds = 0;  // the model's runs
};

struct ClassifyReport {
  std::string model_path;  // as given on the command line
  bool raw = false;
  std::vector<ImageResult> results;
  ClassifyTiming timing;
  int classified() const;  // results without an error
  int failed() const;
};

// The JSON body (report_json wraps it, kind "classify"): "model", "source", "input_shape",
// "raw", "results" ([{"image", "top": [{"rank", "index", "label", "score"}]} | {"image", "outputs":
// [{"name", "shape", "values"}]} | {"image", "error"}]), "images", "failed", "seconds",
// "images_per_second", "decode_preprocess_seconds", "inference_seconds".
nlohmann::json classify_json(const Graph& graph, const ClassifyReport& report);

// Table: a line naming the model, input and preprocessing, per image its top classes (or values,
// or "error: why"), and a last line with the images/s. CSV: one row per (image, rank) — with
// --raw per (image, output, index) — and an `error` column that carries a failed image's reason.
// Markdown: one table as CSV's, between the model line and the timing line. JSON: the envelope.
std::string format_classification(const Graph& graph, const ClassifyReport& report, Format format,
                                  const ReportContext& context);

// "8 images in 0.41 s, 19.5 images/s (1 thread); decode+preprocess 0.12 s, inference 0.29 s"
std::string classify_timing_line(const ClassifyReport& report);

}  // namespace mnet
