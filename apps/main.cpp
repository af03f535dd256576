// mnet: one binary, one file per subcommand. Only apps/ touches argv, stdout/stderr and exit codes.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common.h"
#include "core/error.h"
#include "io/temp_files.h"
#include "kernels/simd_level.h"

namespace {

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
  // Under valgrind, /proc/self/exe is valgrind itself: re-running it would end the program (and
  // untraced children would escape the tool). Its preloaded core library says it is there.
  if (const char* preload = std::getenv("LD_PRELOAD"); preload && std::strstr(preload, "vgpreload")) return;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  setenv("GOMP_SPINCOUNT", "30000", 0);
  execv("/proc/self/exe", argv);  // returns only on failure: then go on as we are
}

}  // namespace

int main(int argc, char** argv) {
  prefer_short_openmp_spinning(argv);
  using namespace mnet::app;
  // A reader that stops early (`mnet ... | head`) is not an error: EPIPE ends the output quietly
  // (see emit). Past `ulimit -f`, the write fails with EFBIG and the ordinary error path removes
  // the temp file and says so, rather than SIGXFSZ killing the process mid-write.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
  mnet::install_temp_cleanup_on_signals();

  set_command_line(argc, argv);
  Cli cli;
  try {
    cli.root.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.root.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.root.exit(e);
  } catch (const CLI::ParseError& e) {
    error_line(cli.usage_error(argc, argv, e));
    return kExitUsage;
  }
  const Command* command = cli.matched();
  if (command == nullptr) return kExitUsage;  // require_subcommand(1) already refused this
  // Checked before any work, once for every command.
  if (const std::string wrong = cli.path_error(); !wrong.empty()) {
    error_line(wrong);
    return kExitUsage;
  }
  // MNET_SIMD is read where a kernel is first chosen; a wrong value is a usage error, said before any work.
  try {
    (void)mnet::simd_level();
  } catch (const mnet::RunError& e) {
    error_line(e.what());
    return kExitUsage;
  }
  try {
    check_threads_can_start(cli.max_threads());
    return command->run();
  } catch (const StdoutClosed&) {
    return kExitOk;
  } catch (const mnet::InputError& e) {
    error_line(e.what());
    return kExitBadInput;
  } catch (const mnet::RunError& e) {
    error_line(e.what());
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    error_line(cli.subject() + ": out of memory while running 'mnet " + command->app->get_name() +
               "' (a memory allocation failed)");
    return kExitFailure;
  } catch (const std::exception& e) {
    error_line(e.what());
    return kExitFailure;
  }
}
