// The calibrate report as a table or JSON.
#include "report/calibration_report.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "profile/calibration_cache.h"
#include "report/latency_report.h"

namespace mnet {

std::string format_calibration(const std::vector<Calibration>& results, const std::string& cache_file, Format format,
                               const ReportContext& context) {
  if (format == Format::json) {
    nlohmann::json j = {{"cache_file", cache_file}, {"results", nlohmann::json::array()}};
    for (const auto& c : results) {
      j["results"].push_back(calibration_json(c));
      j["results"].back()["conditions"] = conditions_json(c.conditions);
      j["results"].back()["cached"] = may_cache(c);
    }
    return json_text(report_json(context, "calibrate", j));
  }
  if (results.empty()) return format == Format::csv ? "" : "nothing measured\n";
  const CalibrationKey& key = results.front().key;
  Table t;
  t.header = {"threads", "ceiling GFLOP/s", "reached by", "sgemm GFLOP/s", "sgemm shape", "memory GB/s", "cached"};
  t.right_aligned = {true, true, false, true, false, true, false};
  std::vector<RunConditions> measured;
  for (const auto& c : results) {
    measured.push_back(c.conditions);
    t.add_row({std::to_string(c.key.threads), fixed(c.ceiling_gflops, 1), c.ceiling_shape, fixed(c.sgemm.gflops, 1),
               c.sgemm.shape, fixed(c.bandwidth_gbs, 1), may_cache(c) ? "yes" : "no: machine busy"});
  }
  if (format == Format::csv) {
    // Plain numbers and the context of each row.
    Table csv;
    csv.header = {"threads", "ceiling gflops", "reached by", "sgemm gflops", "sgemm shape", "memory gbs", "cached", "disturbed",
                  "mnet_commit", "cpu", "simd", "openblas_core"};
    for (const auto& c : results)
      csv.add_row({std::to_string(c.key.threads), fixed(c.ceiling_gflops, 3), c.ceiling_shape, fixed(c.sgemm.gflops, 3),
                   c.sgemm.shape, fixed(c.bandwidth_gbs, 3), may_cache(c) ? "yes" : "no", c.conditions.disturbed ? "yes" : "no",
                   context.git_commit, key.cpu, context.simd, key.blas_core});
    csv.right_aligned.resize(csv.header.size(), false);
    return csv.render(format);
  }
  const size_t cached = size_t(std::count_if(results.begin(), results.end(), may_cache));
  const std::string cached_line = cached == results.size() ? "cached in "
                                  : cached == 0            ? "nothing cached in "
                                                           : "only the rows marked yes cached in ";
  const std::string head = key.cpu + ", OpenBLAS core " + key.blas_core + " (" + key.blas + "), mnet " + key.mnet_version +
                         " (" + context.git_commit + "), " + context.simd + " kernels" + disturbance_note(measured);
  return (format == Format::md ? "**" + head + "**" : head) + "\n" +
         "ceiling: the engine's best 1x1 convolution (bias + ReLU6) through the Executor; sgemm: raw cblas_sgemm, "
         "for context; memory: streaming triad bandwidth, the roofline's memory line\n\n" +
         t.render(format) + "\n" + cached_line + cache_file + "\n";
}

}  // namespace mnet
