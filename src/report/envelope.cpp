#include "report/envelope.h"

#include <stdexcept>

namespace mnet {

nlohmann::json report_json(const ReportContext& c, const std::string& kind, nlohmann::json body) {
  using nlohmann::json;
  json machine = {{"cpu", c.cpu}, {"cores", c.cores}, {"simd", c.simd}, {"simd_cpu", c.simd_cpu},
                  {"openblas", c.openblas.empty() ? json(nullptr) : json(c.openblas)},
                  {"openblas_core", c.openblas_core.empty() ? json(nullptr) : json(c.openblas_core)},
                  {"load_avg_1m", c.load_avg_1m ? json(*c.load_avg_1m) : json(nullptr)}};
  // nlohmann::json keeps keys sorted; "schema" and "kind" are read first by people, not by order.
  json j = {{"schema", kReportSchema},
            {"kind", kind},
            {"mnet", {{"version", c.version}, {"git_commit", c.git_commit}}},
            {"created", c.created},
            {"command_line", c.command_line},
            {"machine", machine},
            {"threads", c.threads}};
  if (!body.is_object()) throw std::logic_error("report_json: the body of a '" + kind + "' report is not an object");
  for (auto& [key, value] : body.items()) {
    if (j.contains(key)) throw std::logic_error("report_json: '" + kind + "' report body uses the envelope's key '" + key + "'");
    j[key] = std::move(value);
  }
  return j;
}

std::string context_line(const ReportContext& c) {
  std::string line = "mnet " + c.version + " (" + c.git_commit + "), " + c.cpu + ", " + c.simd + " kernels";
  if (c.simd != c.simd_cpu) line += " (CPU has " + c.simd_cpu + ")";
  line += ", " + std::to_string(c.cores) + " cores";
  if (!c.threads.empty()) {
    std::string list;
    for (int t : c.threads) list += (list.empty() ? "" : ",") + std::to_string(t);
    line += ", " + list + (c.threads.size() == 1 && c.threads[0] == 1 ? " thread" : " threads");
  }
  return line;
}

}  // namespace mnet
