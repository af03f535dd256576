// The calibrate report as a table or JSON.
#include "report/calibration_report.h"

#include <nlohmann/json.hpp>

#include "profile/calibration_cache.h"

namespace mnet {

std::string format_calibration(const std::vector<Calibration>& results, const std::string& cache_file, Format format) {
  if (format == Format::json) {
    nlohmann::json j = {{"cache_file", cache_file}, {"results", nlohmann::json::array()}};
    for (const auto& c : results) j["results"].push_back(calibration_json(c));
    return json_text(j);
  }
  if (results.empty()) return "nothing measured\n";
  const CalibrationKey& key = results.front().key;
  Table t;
  t.header = {"threads", "ceiling GFLOP/s", "reached by", "sgemm GFLOP/s", "sgemm shape"};
  t.right_aligned = {true, true, false, true, false};
  for (const auto& c : results)
    t.add_row({std::to_string(c.key.threads), fixed(c.ceiling_gflops, 1), c.ceiling_shape, fixed(c.sgemm.gflops, 1),
               c.sgemm.shape});
  return key.cpu + ", OpenBLAS core " + key.blas_core + " (" + key.blas + "), mnet " + key.mnet_version + "\n" +
         "ceiling: the engine's best 1x1 convolution (bias + ReLU6) through the Executor; sgemm: raw cblas_sgemm, "
         "for context\n\n" +
         t.render(Format::table) + "\ncached in " + cache_file + "\n";
}

}  // namespace mnet
