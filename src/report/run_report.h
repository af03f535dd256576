// What `mnet run` reports when asked (--format or -o): the model, the shapes in and out, the
// output's range and argmax, and how long the pass took.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/shape.h"
#include "report/envelope.h"
#include "report/table.h"

namespace mnet {

struct RunSummary {
  std::string model;          // the graph's name
  std::string source;         // the model path as given
  std::string weights;        // the weights file, or "random (seed N)"
  std::string input;          // the .npy read
  std::vector<int64_t> input_shape;  // as the file declares it
  std::string output;         // the .npy written
  std::string output_node;    // the graph node written
  Shape output_shape;         // [C, H, W]; the file holds [1, C, H, W]
  std::vector<float> values;  // the output, [C, H, W] order
  double ms = 0;              // the one pass, wall time (not warmed up: `mnet bench` times)
  int threads = 1;
};

// Statistics of the finite values; `finite` 0 leaves min, max and mean at 0 and argmax at -1.
struct OutputStats {
  int64_t finite = 0, nonfinite = 0;
  float min = 0, max = 0;
  double mean = 0;
  int64_t argmax = -1;  // flat index into [C, H, W]; ties go to the lower index
};
OutputStats output_stats(const std::vector<float>& values);

// The JSON body (report_json wraps it, kind "run").
nlohmann::json run_json(const RunSummary& run);
// Table: one "what  value" line each; CSV: a header and one row; Markdown: a two-column table;
// JSON: the envelope.
std::string format_run(const RunSummary& run, Format format, const ReportContext& context);

}  // namespace mnet
