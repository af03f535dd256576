// The calibrate report as a table or JSON.
#include "report/calibration_report.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "profile/calibration_cache.h"
#include "report/latency_report.h"

namespace mnet {

std::string format_calibration(const std::vector<Calibration>& results, const std::string& cache_file, Format format) {
  if (format == Format::json) {
    nlohmann::json j = {{"cache_file", cache_file}, {"results", nlohmann::json::array()}};
    for (const auto& c : results) {
      j["results"].push_back(calibration_json(c));
      j["results"].back()["conditions"] = conditions_json(c.conditions);
      j["results"].back()["cached"] = may_cache(c);
    }
    return json_text(j);
  }
  if (results.empty()) return "nothing measured\n";
  const CalibrationKey& key = results.front().key;
  Table t;
  t.header = {"threads", "ceiling GFLOP/s", "reached by", "sgemm GFLOP/s", "sgemm shape", "cached"};
  t.right_aligned = {true, true, false, true, false, false};
  std::vector<RunConditions> measured;
  for (const auto& c : results) {
    measured.push_back(c.conditions);
    t.add_row({std::to_string(c.key.threads), fixed(c.ceiling_gflops, 1), c.ceiling_shape, fixed(c.sgemm.gflops, 1),
               c.sgemm.shape, may_cache(c) ? "yes" : "no: machine busy"});
  }
  const size_t cached = size_t(std::count_if(results.begin(), results.end(), may_cache));
  const std::string cached_line = cached == results.size() ? "cached in "
                                  : cached == 0            ? "nothing cached in "
                                                           : "only the rows marked yes cached in ";
  return key.cpu + ", OpenBLAS core " + key.blas_core + " (" + key.blas + "), mnet " + key.mnet_version +
         disturbance_note(measured) + "\n" +
         "ceiling: the engine's best 1x1 convolution (bias + ReLU6) through the Executor; sgemm: raw cblas_sgemm, "
         "for context\n\n" +
         t.render(Format::table) + "\n" + cached_line + cache_file + "\n";
}

}  // namespace mnet
