// Bytes → an argv (words separated by NUL bytes) → the CLI11 parser mnet's main builds
// (apps/common.h, Cli), without running any command. A ParseError is the expected answer to a bad
// command line; a crash, a hang or any other exception is a finding, and so is a parse that
// succeeds without matching exactly one subcommand.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common.h"
#include "core/error.h"

namespace {
// More words than any real command line has; more only makes inputs slower, not new.
constexpr size_t kMaxFuzzWords = 64;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> words{"mnet"};
  std::string word;
  for (size_t i = 0; i < size && words.size() < kMaxFuzzWords; ++i) {
    if (data[i] == 0) {
      words.push_back(word);
      word.clear();
    } else {
      word += char(data[i]);
    }
  }
  if (!word.empty() && words.size() < kMaxFuzzWords) words.push_back(word);
  std::vector<const char*> argv;
  for (const std::string& w : words) argv.push_back(w.c_str());

  mnet::app::Cli cli;
  try {
    cli.root.parse(int(argv.size()), argv.data());
    int matched = 0;
    for (const auto& c : cli.commands) matched += c.app->parsed() ? 1 : 0;
    if (matched != 1 || cli.matched() == nullptr) __builtin_trap();
    // What main asks of a parsed command line before running it.
    if (cli.max_threads() < 1 || cli.subject().empty()) __builtin_trap();
  } catch (const CLI::ParseError& e) {  // also --help and --version, which CLI11 throws
    if (cli.usage_error(int(argv.size()), argv.data(), e).empty()) __builtin_trap();
  }
  return 0;
}
