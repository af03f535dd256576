// What `mnet classify` prints: per image its top classes, or why it failed.
#pragma once
#include <string>
#include <vector>

#include "graph/graph.h"
#include "postprocess/classification.h"
#include "report/table.h"

namespace mnet {

struct ImageResult {
  std::string image;             // the path as given
  std::vector<Prediction> top;   // empty when the image failed
  std::string error;             // why it failed, else empty
};

// Table (a header naming the model, input and preprocessing, then per image its top classes)
// or JSON ({"model", "results": [{"image", "top": [{"index", "label", "score"}]} or {"image", "error"}]}).
std::string format_classification(const Graph& graph, const std::string& model_path,
                                  const std::vector<ImageResult>& results, Format format);

}  // namespace mnet
