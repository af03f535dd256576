// Shared test helpers: temporary folders, file bytes, running the built mnet binary, the test data
// folder, and random data and tolerance checks for the kernel tests.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "report/envelope.h"

#include "core/activation.h"
#include "core/error.h"

// Asserts that `expr` throws mnet::InputError with a message containing `text`.
#define REQUIRE_INPUT_ERROR(expr, text)               \
  do {                                                \
    REQUIRE_THROWS_AS(expr, mnet::InputError);        \
    REQUIRE_THROWS_WITH(expr, Catch::Contains(text)); \
  } while (false)

namespace mnet::testing {

namespace fs = std::filesystem;

// The file's bytes, unchanged.
inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Same as read_bytes, for callers that read text.
inline std::string read_text(const std::string& path) { return read_bytes(path); }

// Creates or truncates `path` and writes `bytes` to it, unchanged.
inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    do {
      path = fs::temp_directory_path() /
             ("mnet-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    } while (!fs::create_directory(path));
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }

  std::string file(const std::string& name) const { return (path / name).string(); }
  // Writes `content` to the file `name` in the folder and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    write_bytes(file(name), content);
    return file(name);
  }
  // The names of what the folder holds, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

// A fixed report context (report/envelope.h) for the report functions' unit tests.
inline mnet::ReportContext test_report_context(std::vector<int> threads = {1}) {
  mnet::ReportContext c;
  c.version = "0.1.0";
  c.git_commit = "0123456789ab";
  c.created = "2026-01-02T03:04:05Z";
  c.command_line = {"mnet", "test"};
  c.cpu = "Test CPU";
  c.cores = 2;
  c.simd = c.simd_cpu = "avx512";
  c.openblas_core = "Haswell";
  c.threads = std::move(threads);
  return c;
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

// A PID that named a process a moment ago and names none now.
inline pid_t dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return pid;
}

// Runs a shell command line (already shell-quoted where needed) with no stdin, capturing its exit
// code, stdout and stderr.
inline CommandResult run_command(const std::string& command) {
  TempDir tmp;
  std::string cmd = command + " >" + tmp.file("out") + " 2>" + tmp.file("err") + " </dev/null";
  int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(tmp.file("out"));
  r.err = read_text(tmp.file("err"));
  return r;
}

// `s` as one shell word, single-quoted.
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The path of a seed file tests/fuzz/make_seeds.py generates (target "npy", "safetensors" or
// "tflite"): model and tensor files are written at test time, not committed. All of them are
// written once per test process, into a folder removed at exit.
inline std::string generated_seed(const std::string& target, const std::string& name) {
  static TempDir folder;
  static const CommandResult made =
      run_command("/usr/bin/python3 " + shell_quote(source_path("tests/fuzz/make_seeds.py")) + " --out " +
                  shell_quote(folder.path.string()) + " --only npy,safetensors,tflite");
  INFO("tests/fuzz/make_seeds.py: " << made.err);
  REQUIRE(made.exit_code == 0);
  return (folder.path / target / name).string();
}

// The checks every refused command shares: the exit code, one "mnet: error:" line naming `named`
// (the file) and `message` (what is wrong), nothing on stdout, and nothing written into `out_dir`,
// not even an atomic writer's temp file.
inline void require_clean_rejection(const CommandResult& r, int exit_code, const std::string& named,
                                    const std::string& message, const fs::path& out_dir) {
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == exit_code);
  CHECK_THAT(r.err, Catch::Matchers::StartsWith("mnet: error: "));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK((!r.err.empty() && r.err.back() == '\n'));
  CHECK_THAT(r.err, Catch::Matchers::Contains(named));
  CHECK_THAT(r.err, Catch::Matchers::Contains(message));
  CHECK(r.out.empty());
  CHECK(fs::is_empty(out_dir));
}

// The SIMD level the suite was asked to hold the kernels to (MNET_SIMD), or "" for the CPU's best.
// The float path's agreement with the TFLite runtime's 8-bit references on the detection and
// segmentation models is measured at the CPU's best level: a lower one sums in another order
// (OpenBLAS instead of mnet's own GEMMs), which moves values across fake-quant rounding boundaries
// and the class maps and boxes with them (MNET_SIMD=avx2 on the Intel Xeon: one SSD box at IoU 0.83,
// DeepLab 0.5 sunflower 91 % of pixels). Integer execution (issue 13) removes the difference.
inline std::string simd_lowered_to() {
  const char* level = std::getenv("MNET_SIMD");
  return level && *level ? std::string(level) : std::string();
}

// Whether /usr/bin/python3 can validate JSON Schemas (python3-jsonschema, installed by
// scripts/install_deps.sh --test).
inline bool have_jsonschema() {
  static const bool have = run_command("/usr/bin/python3 -c 'import jsonschema'").exit_code == 0;
  return have;
}

// Validates every file against `schema`; returns "" or what was wrong, naming the file.
inline std::string json_schema_problems(const std::string& schema, const std::vector<std::string>& files) {
  TempDir tmp;
  const std::string script = tmp.write("validate.py", R"(import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failed = 0
for path in sys.argv[2:]:
    for error in validator.iter_errors(json.load(open(path))):
        print(path + ": " + "/".join(str(p) for p in error.absolute_path) + ": " + error.message[:300])
        failed = 1
sys.exit(failed)
)");
  std::string args;
  for (const auto& f : files) args += " " + shell_quote(f);
  CommandResult r = run_command("/usr/bin/python3 " + shell_quote(script) + " " + shell_quote(schema) + args);
  return r.exit_code == 0 ? "" : r.out + r.err;
}

// Runs the built mnet binary with `args` (already shell-quoted where needed). MNET_CACHE_DIR points
// at `cache_dir`, by default a fresh empty folder, so that no test reads or writes the user's
// calibration cache in $HOME and every profile is "not measured" unless a test calibrated.
// MNET_TEST_DISTURBED=0: a test's output must not depend on how busy the machine running the suite
// is (CI shares its cores); the tests of the busy-machine paths set it to 1 themselves, and the
// decision itself is tested on numbers in test_machine_load.cpp.
inline CommandResult run_mnet(const std::string& args, const std::string& cache_dir = "") {
  TempDir empty_cache;
  std::string dir = cache_dir.empty() ? empty_cache.path.string() : cache_dir;
  return run_command("MNET_TEST_DISTURBED=0 MNET_CACHE_DIR=" + shell_quote(dir) + " " + MNET_BINARY + " " + args);
}

// The low `bytes` bytes of v, least significant first; zeros past its 8 bytes.
inline std::string le_bytes(uint64_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s.push_back(i < 8 ? char((v >> (8 * i)) & 0xff) : '\0');
  return s;
}

// Each value's IEEE bits, little-endian, back to back: how .npy and safetensors store floats.
template <typename Float, typename Bits>
std::string float_bytes(std::initializer_list<Float> values) {
  static_assert(sizeof(Float) == sizeof(Bits), "Bits must be Float's size");
  std::string s;
  for (Float f : values) {
    Bits bits;
    std::memcpy(&bits, &f, sizeof bits);
    s += le_bytes(bits, int(sizeof bits));
  }
  return s;
}
inline std::string f32_bytes(std::initializer_list<float> values) {
  return float_bytes<float, uint32_t>(values);
}
inline std::string f64_bytes(std::initializer_list<double> values) {
  return float_bytes<double, uint64_t>(values);
}

// Every activation, for kernels that fuse one.
inline constexpr Act kAllActs[] = {Act::none,   Act::relu,     Act::relu6,
                                   Act::hswish, Act::hsigmoid, Act::sigmoid};

// n values drawn uniformly from [-scale, scale], the same for the same seed.
inline std::vector<float> random_values(size_t n, float scale, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

inline float max_abs(const std::vector<float>& v) {
  float m = 0.0f;
  for (float x : v) m = std::max(m, std::abs(x));
  return m;
}

// "" when every element is within tol of expected (NaN never is), else the first offender.
inline std::string mismatch(const std::vector<float>& got, const std::vector<float>& expected,
                            float tol) {
  if (got.size() != expected.size())
    return "size " + std::to_string(got.size()) + " vs " + std::to_string(expected.size());
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::abs(got[i] - expected[i]) <= tol)) {
      std::ostringstream s;
      s << "index " << i << ": got " << got[i] << ", expected " << expected[i] << " (tolerance "
        << tol << ")";
      return s.str();
    }
  return "";
}

}  // namespace mnet::testing
