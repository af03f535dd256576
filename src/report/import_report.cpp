// The import report in every format.
#include "report/import_report.h"

#include <algorithm>
#include <utility>

#include "run/executor.h"  // format_bytes

namespace mnet {

nlohmann::json import_json(const ImportSummary& s) {
  return {{"source", s.source},
          {"target", s.target},
          {"model", s.model},
          {"layers", s.layers},
          {"parameters", s.parameters},
          {"weights_bytes", s.weights_bytes},
          {"labels", s.labels},
          {"labels_source", s.labels_source.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.labels_source)},
          {"notes", s.notes}};
}

std::string format_import(const ImportSummary& s, Format format, const ReportContext& context) {
  if (format == Format::json) return json_text(report_json(context, "import", import_json(s)));
  std::string notes;
  for (const std::string& n : s.notes) notes += (notes.empty() ? "" : "; ") + n;
  if (format == Format::csv) {
    Table t;
    t.header = {"source", "target", "model", "layers", "parameters", "weights_bytes", "labels", "labels_source", "notes"};
    t.add_row({s.source, s.target, s.model, std::to_string(s.layers), std::to_string(s.parameters),
               std::to_string(s.weights_bytes), std::to_string(s.labels), s.labels_source, notes});
    return t.render(Format::csv);
  }
  std::vector<std::pair<std::string, std::string>> rows = {
      {"source", s.source},
      {"target", s.target},
      {"model", s.model},
      {"layers", std::to_string(s.layers)},
      {"weights", with_commas(s.parameters) + " parameters, " + format_bytes(s.weights_bytes) + " (weights.safetensors)"},
      {"labels", s.labels > 0 ? std::to_string(s.labels) + " from " + s.labels_source : "none"},
  };
  for (const std::string& n : s.notes) rows.push_back({"note", n});
  return key_value_text(rows, format);
}

}  // namespace mnet
