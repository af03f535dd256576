// mnet calibrate --threads 1,2: measures the GEMM ceiling per thread count and caches it for the
// "% ceil" column of `mnet profile`.
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common.h"
#include "core/error.h"
#include "profile/calibrate.h"

namespace mnet::app {

namespace {

std::string table_text(const std::vector<Calibration>& results, const std::string& cache_file) {
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

}  // namespace

Command make_calibrate_command(CLI::App& root) {
  auto out = std::make_shared<OutputOptions>();
  auto threads = std::make_shared<std::vector<int>>(std::vector<int>{1});
  CLI::App* app = root.add_subcommand(
      "calibrate",
      "Measure the GEMM ceiling (the engine's best 1x1 convolution GFLOP/s) per thread count for profile's % ceil.\n"
      "  cached in $MNET_CACHE_DIR, else $XDG_CACHE_HOME/mnet, else ~/.cache/mnet\n"
      "  example: mnet calibrate --threads 1,2");
  app->add_option("--threads", *threads, "Thread counts to measure, comma-separated")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  out->add_to(*app, "table|json");
  auto run = [out, threads]() {
    std::string cache_file = calibration_cache_path();
    if (cache_file.empty()) throw RunError("no folder for the calibration cache: set MNET_CACHE_DIR, XDG_CACHE_HOME or HOME");
    create_cache_folder(cache_file);  // fail before measuring, not after
    CalibrationCache cache = read_calibration_cache(cache_file);
    if (!cache.problem.empty()) std::fprintf(stderr, "mnet: %s; calibrate overwrites it\n", one_line(cache.problem).c_str());
    std::vector<Calibration> results;
    for (int n : *threads) {
      if (::isatty(STDERR_FILENO)) std::fprintf(stderr, "mnet: measuring the GEMM ceiling at %d thread(s)...\n", n);
      results.push_back(measure_calibration(n));
      put_calibration(cache, results.back());
    }
    write_calibration_cache(cache_file, cache);
    if (out->parsed() == Format::json) {
      nlohmann::json j = {{"cache_file", cache_file}, {"results", nlohmann::json::array()}};
      for (const auto& c : results) j["results"].push_back(calibration_json(c));
      emit(*out, json_text(j));
    } else {
      emit(*out, table_text(results, cache_file));
    }
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
