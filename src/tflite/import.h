// Importing a TensorFlow Lite model as an mnet model spec with float weights.
#pragma once
#include <string>
#include <vector>

#include "graph/spec.h"
#include "postprocess/detection.h"
#include "weights/weights.h"

namespace mnet {

// A TFLite model mapped onto mnet's own terms: a spec of primitive layers with explicit inputs
// (config/build_graph.h makes the graph of it, config/write_config.h the config text), float weights by mnet's
// names, and the class labels it carries (may be empty).
struct ImportedModel {
  ModelSpec spec;
  WeightMap weights;
  std::vector<std::string> labels;
  std::string labels_file;         // the name the model's metadata gives its labels, if any
  std::vector<std::string> notes;  // what the mapping did that a user may want to know
  // A detector's TFLite_Detection_PostProcess, run by mnet after the graph (postprocess/
  // detection.h); anchors empty for other models.
  DetectionPostprocess detection;
  // A segmenter's final ARG_MAX over the classes: the graph ends at its input (the upsampled
  // logits) and the class map is taken in postprocessing (postprocess/segmentation.h).
  bool argmax_classes = false;
};

struct ImportOptions {
  // Round every 8-bit activation to its quantization grid, as the quantized runtime does
  // (a `fake_quant` layer after each); off: pure float on the dequantized weights.
  bool fake_quant = true;
};

// Quantized tensors are dequantized into float weights; the input quantization becomes the
// spec's preprocessing; activations that TOCO folded into uint8 output ranges ([0, 6] or
// [0, max]) become explicit ReLU6 / ReLU. Unsupported operators or shapes are InputErrors naming
// the operator.
ImportedModel import_tflite(const std::string& path, const ImportOptions& options = {});

}  // namespace mnet
