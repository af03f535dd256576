// mnet: one binary, one file per subcommand. Only apps/ touches argv, stdout/stderr and exit codes.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "common.h"
#include "core/error.h"
#include "kernels/gemm.h"

namespace {

std::string version_text() {
  std::string compiler =
#if defined(__clang__)
      "clang " __clang_version__;
#elif defined(__GNUC__)
      "gcc " __VERSION__;
#else
      "unknown compiler";
#endif
  return "mnet " MNET_VERSION " (" + compiler + "; " + mnet::blas_config() + ")";
}

void error_line(const std::string& msg) { std::fprintf(stderr, "mnet: error: %s\n", mnet::one_line(msg).c_str()); }

// How idle OpenMP threads wait. Spinning without end (libgomp's "active") on a shared 2-core
// machine let a descheduled team member stall every parallel region: V2 at 2 threads took
// 145-160 ms against 16 ms. Sleeping at once ("passive", GOMP_SPINCOUNT=0) costs a futex wake-up
// per parallel region: with one region per layer, V2 at 2 threads took 4.7 ms against 2.4 ms
// with a short spin of 30000 iterations before sleeping, and V3-Small 1.4 against 0.7 ms (also
// with another process busy on the second core). libgomp reads both once, when it loads, so mnet
// re-runs itself once with them set unless the user chose a policy.
void prefer_short_openmp_spinning(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY")) return;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  setenv("GOMP_SPINCOUNT", "30000", 0);
  execv("/proc/self/exe", argv);  // returns only on failure: then go on as we are
}

}  // namespace

int main(int argc, char** argv) {
  prefer_short_openmp_spinning(argv);
  using namespace mnet::app;
  CLI::App root{"mnet: runs and profiles MobileNets from their architecture configs.\n"
                "  example: mnet profile configs/mobilenet_v1.json --cost-only",
                "mnet"};
  root.set_version_flag("--version", version_text());
  root.require_subcommand(1);
  std::vector<Command> commands{make_profile_command(root), make_bench_command(root), make_compare_command(root),
                                make_run_command(root), make_classify_command(root),
                                make_import_command(root), make_info_command(root), make_calibrate_command(root)};
  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return root.exit(e);
  } catch (const CLI::ParseError& e) {
    error_line(e.what());
    std::fprintf(stderr, "run 'mnet --help' or 'mnet SUBCOMMAND --help' for the options\n");
    return kExitUsage;
  }
  try {
    for (auto& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const mnet::InputError& e) {
    error_line(e.what());
    return kExitBadInput;
  } catch (const mnet::RunError& e) {
    error_line(e.what());
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    error_line("out of memory");
    return kExitFailure;
  } catch (const std::exception& e) {
    error_line(e.what());
    return kExitFailure;
  }
  return kExitUsage;
}
