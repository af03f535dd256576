// What `mnet import` reports when asked (--format or -o): what it read, where it wrote, how big.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/envelope.h"
#include "report/table.h"

namespace mnet {

struct ImportSummary {
  std::string source;          // the .tflite as given
  std::string target;          // the folder written
  std::string model;           // the graph's name
  int64_t layers = 0;          // graph nodes, the input not counted
  int64_t parameters = 0;      // float weights stored
  int64_t weights_bytes = 0;   // size of weights.safetensors
  int64_t labels = 0;          // lines of labels.txt; 0: none written
  std::string labels_source;   // where they came from: "--labels FILE", "metadata (NAME)", or empty
  std::vector<std::string> notes;  // the importer's notes (also on stderr)
};

// The JSON body (report_json wraps it, kind "import").
nlohmann::json import_json(const ImportSummary& summary);
// Table: one "what  value" line each, notes last; CSV: a header and one row (notes joined by
// "; "); Markdown: a two-column table; JSON: the envelope.
std::string format_import(const ImportSummary& summary, Format format, const ReportContext& context);

}  // namespace mnet
