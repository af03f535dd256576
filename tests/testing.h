#pragma once
// Shared test helpers: temporary folders, running the built mnet binary, the test data folder.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace mnet::testing {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("mnet-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path / name, std::ios::binary) << content;
    return file(name);
  }
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string source_path(const std::string& relative) { return std::string(MNET_SOURCE_DIR) + "/" + relative; }

// The shared test data folder, or empty when MNET_TESTDATA is not set.
inline std::string testdata() {
  const char* d = std::getenv("MNET_TESTDATA");
  return d && *d ? std::string(d) : std::string();
}

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs the built mnet binary with `args` (already shell-quoted where needed).
inline CommandResult run_mnet(const std::string& args) {
  TempDir tmp;
  std::string cmd = std::string(MNET_BINARY) + " " + args + " >" + tmp.file("out") + " 2>" + tmp.file("err") +
                    " </dev/null";
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(tmp.file("out"));
  r.err = read_text(tmp.file("err"));
  return r;
}

}  // namespace mnet::testing
