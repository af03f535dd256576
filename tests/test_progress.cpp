// The progress line (apps/progress.h): drawn on a terminal, never on a pipe, off with --quiet.
#include <catch2/catch.hpp>

#include "testing.h"

using namespace mnet::testing;
using Catch::Matchers::Contains;

namespace {

// Runs mnet with its stderr on a pseudo-terminal (util-linux's script), stdout discarded; returns
// what the terminal received.
CommandResult run_on_terminal(const std::string& args) {
  TempDir cache;
  const std::string inner = "MNET_TEST_DISTURBED=0 MNET_CACHE_DIR=" + shell_quote(cache.path.string()) + " TERM=xterm " +
                            MNET_BINARY + " " + args + " >/dev/null";
  return run_command("script -qec " + shell_quote(inner) + " /dev/null");
}

bool have_script() { return run_command("command -v script").exit_code == 0; }

}  // namespace

TEST_CASE("bench draws one updating progress line on a terminal and erases it before the report") {
  if (!have_script()) {
    WARN("skipped: no util-linux script(1) to give mnet a terminal");
    return;
  }
  const std::string v3s = shell_quote(source_path("configs/mobilenet_v3_small.json"));
  CommandResult tty = run_on_terminal("bench " + v3s + " --resolution 64 --runs 40 --warmup 2");
  INFO(tty.out);
  REQUIRE(tty.exit_code == 0);
  CHECK_THAT(tty.out, Contains("\rbench "));
  CHECK_THAT(tty.out, Contains("/42 runs"));       // done/total: 2 warm-up + 40 timed
  CHECK_THAT(tty.out, Contains("runs/s"));
  CHECK_THAT(tty.out, Contains("\r\033[K"));       // erased at the end
  CommandResult quiet = run_on_terminal("bench " + v3s + " --resolution 64 --runs 40 --warmup 2 --quiet");
  REQUIRE(quiet.exit_code == 0);
  CHECK(quiet.out.find("\rbench ") == std::string::npos);
}

TEST_CASE("no progress line reaches a pipe or a file") {
  const std::string v3s = shell_quote(source_path("configs/mobilenet_v3_small.json"));
  for (const std::string& command : {"bench " + v3s + " --resolution 64 --runs 5 --warmup 1",
                                     "profile " + v3s + " --resolution 64 --runs 3 --warmup 1",
                                     "compare " + v3s + " --resolution 64 --runs 3 --warmup 1"}) {
    INFO(command);
    CommandResult r = run_mnet(command);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find('\r') == std::string::npos);
    CHECK(r.err.find('\033') == std::string::npos);
  }
}
