// scripts/make_completion.sh: the bash script it writes from the built binary's --help offers what
// bash would show (subcommands, options, --format's values, files), and the zsh script parses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "testing.h"

using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// The completion script for `shell`, written into `tmp`; its path.
std::string completion_script(const TempDir& tmp, const std::string& shell) {
  CommandResult r = run_command("bash " + shell_quote(source_path("scripts/make_completion.sh")) + " " + shell + " " +
                                shell_quote(MNET_BINARY));
  INFO("make_completion.sh " << shell << ": " << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.err.empty());
  return tmp.write("mnet." + shell, r.out);
}

// The candidates bash's completion function gives for the command line `words`, the last being
// the word under the cursor, sorted.
std::vector<std::string> candidates(const std::string& script, const std::vector<std::string>& words) {
  std::string args;
  for (const std::string& w : words) args += " " + shell_quote(w);
  CommandResult r = run_command(
      "bash -c " +
      shell_quote("source " + shell_quote(script) +
                  "; COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); _mnet; printf '%s\\n' \"${COMPREPLY[@]}\"") +
      " _" + args);
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  std::sort(out.begin(), out.end());
  return out;
}

using Words = std::vector<std::string>;

}  // namespace

TEST_CASE("bash completion completes mnet pro to profile and mnet profile --for to --format") {
  TempDir tmp;
  const std::string script = completion_script(tmp, "bash");
  CHECK(candidates(script, {"mnet", "pro"}) == Words{"profile"});
  CHECK(candidates(script, {"mnet", "profile", "--for"}) == Words{"--format"});
  CHECK(candidates(script, {"mnet", "--vers"}) == Words{"--version"});
  // Every subcommand the binary's --help lists, and only those.
  CommandResult help = run_command(std::string(MNET_BINARY) + " --help");
  Words listed;
  std::istringstream in(help.out);
  bool on = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "Subcommands:") on = true;
    else if (on && line.size() > 2 && line.compare(0, 2, "  ") == 0 && line[2] != ' ')
      listed.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  std::sort(listed.begin(), listed.end());
  REQUIRE(listed.size() >= 9);
  CHECK(candidates(script, {"mnet", ""}) == listed);
}

TEST_CASE("bash completion offers the values --help lists, file names for paths and nothing for numbers") {
  TempDir tmp;
  const std::string script = completion_script(tmp, "bash");
  const Words formats = candidates(script, {"mnet", "classify", "--format", ""});
  CHECK(formats == Words{"csv", "json", "md", "table"});
  CHECK(candidates(script, {"mnet", "classify", "--format", "j"}) == Words{"json"});
  CHECK(candidates(script, {"mnet", "classify", "--format", "=", "c"}) == Words{"csv"});  // --format=c
  CHECK(candidates(script, {"mnet", "explain", ""}) == Words{"conv"});
  CHECK(candidates(script, {"mnet", "bench", "--threads", ""}).empty());
  // Models, images and other paths: the files there.
  tmp.write("cat.jpg", "x");
  tmp.write("car.png", "x");
  tmp.write("dog.bmp", "x");
  const std::string prefix = tmp.file("ca");
  const Words images{tmp.file("car.png"), tmp.file("cat.jpg")};
  CHECK(candidates(script, {"mnet", "classify", "m.tflite", prefix}) == images);
  CHECK(candidates(script, {"mnet", "classify", "m.tflite", "--labels", prefix}) == images);
  CHECK(candidates(script, {"mnet", "run", "m.json", "-o", prefix}) == images);
  // Options of the subcommand on the line, not of another.
  const Words options = candidates(script, {"mnet", "classify", "m.tflite", "--"});
  CHECK(std::count(options.begin(), options.end(), "--raw") == 1);
  CHECK(std::count(options.begin(), options.end(), "--cost-only") == 0);
}

TEST_CASE("the zsh completion script parses and names every subcommand") {
  TempDir tmp;
  const std::string script = completion_script(tmp, "zsh");
  const std::string text = read_text(script);
  CHECK_THAT(text, StartsWith("#compdef mnet\n"));
  CHECK_THAT(text, Contains("'profile:") && Contains("'classify:"));
  CHECK_THAT(text, Contains("--format[") && Contains(":value:(table json csv md)'"));
  if (run_command("command -v zsh").exit_code != 0) {
    WARN("skipped: zsh is not installed, so the script's syntax was not checked (zsh -n)");
    return;
  }
  CommandResult parsed = run_command("zsh -n " + shell_quote(script));
  INFO(parsed.err);
  CHECK(parsed.exit_code == 0);
  CHECK(parsed.err.empty());
}

TEST_CASE("make_completion.sh refuses a shell it does not know with exit 2") {
  CommandResult r = run_command("bash " + shell_quote(source_path("scripts/make_completion.sh")) + " fish " +
                                shell_quote(MNET_BINARY));
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Contains("bash or zsh, got 'fish'"));
}
