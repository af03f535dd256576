// mnet calibrate --threads 1,2: measures the GEMM ceiling per thread count and caches it for the
// "% ceil" column of `mnet profile`; a ceiling measured while the machine was busy is not cached.
#include <unistd.h>

#include <cstdio>

#include "common.h"
#include "core/error.h"
#include "profile/calibrate.h"
#include "progress.h"
#include "profile/calibration_cache.h"
#include "report/calibration_report.h"

namespace mnet::app {

Command make_calibrate_command(CLI::App& root) {
  auto out = std::make_shared<OutputOptions>();
  auto threads = std::make_shared<std::vector<int>>(std::vector<int>{1});
  CLI::App* app = root.add_subcommand(
      "calibrate",
      "Measure the GEMM ceiling (the engine's best 1x1 convolution GFLOP/s) per thread count for profile's % ceil.\n"
      "  cached in $MNET_CACHE_DIR, else $XDG_CACHE_HOME/mnet, else ~/.cache/mnet\n"
      "  example: mnet calibrate --threads 1,2");
  add_threads_option(*app, *threads, false);
  out->add_to(*app);
  auto wait_idle = std::make_shared<std::string>();
  add_wait_idle_option(*app, *wait_idle);
  auto quiet = std::make_shared<bool>(false);
  add_quiet_flag(*app, *quiet);
  auto run = [out, threads, wait_idle, quiet]() {
    std::string cache_file = calibration_cache_path();
    if (cache_file.empty()) throw RunError("no folder for the calibration cache: set MNET_CACHE_DIR, XDG_CACHE_HOME or HOME");
    create_cache_folder(cache_file);  // fail before measuring, not after
    CalibrationCache cache = read_calibration_cache(cache_file);
    if (!cache.problem.empty()) std::fprintf(stderr, "mnet: %s; calibrate overwrites it\n", one_line(cache.problem).c_str());
    std::unique_ptr<IdleGate> gate = idle_gate(*wait_idle);
    std::vector<Calibration> results;
    std::vector<RunConditions> refused;
    std::string refused_threads;
    ProgressLine progress("calibrate", int64_t(threads->size()), "thread counts", progress_wanted(*quiet));
    for (int n : *threads) {
      progress.update(int64_t(results.size()), "measuring at " + std::to_string(n) + " thread(s)");
      results.push_back(measure_calibration(n, gate.get()));
      // A ceiling measured under load would understate every later profile's % ceil: not cached.
      if (may_cache(results.back())) {
        put_calibration(cache, results.back());
      } else {
        refused.push_back(results.back().conditions);
        refused_threads += (refused_threads.empty() ? "" : ",") + std::to_string(n);
      }
    }
    progress.finish();
    if (refused.size() < results.size()) write_calibration_cache(cache_file, cache);
    emit(*out, format_calibration(results, cache_file, out->parsed(), report_context(*threads)));
    if (!refused.empty()) {
      const std::string busy = disturbance_warning(refused);
      throw RunError(cache_file + ": the ceiling at --threads " + refused_threads +
                     " was not cached: " + busy.substr(0, busy.find(": the figures")) +
                     "; rerun on a quiet machine, or with --wait-idle");
    }
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
