// The outer object of every JSON report mnet writes (docs/report.schema.json): which mnet, when,
// the command line, the machine and the thread counts, around the command's own keys. A figure
// read back months later still says where it came from.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mnet {

// The schema's name and version: bump the number when a key changes meaning or goes away.
constexpr const char* kReportSchema = "mnet-report/1";

struct ReportContext {
  std::string version;     // mnet's
  std::string git_commit;  // of the source it was built from; "unknown" outside a git checkout
  std::string created;     // UTC, ISO 8601: "2026-12-05T07:01:02Z"
  std::vector<std::string> command_line;
  std::string cpu;
  int cores = 0;                  // online
  std::string simd;               // the kernels' instruction set (MNET_SIMD may lower it)
  std::string simd_cpu;           // the best the CPU has
  std::string openblas;           // configuration string; empty: not loaded by this command
  std::string openblas_core;
  std::optional<double> load_avg_1m;
  std::vector<int> threads;       // the thread counts the command ran with (empty: it ran nothing)
};

// {"schema", "kind", "mnet", "created", "command_line", "machine", "threads"} followed by `body`'s
// keys. `body` must be an object and must not use those names.
nlohmann::json report_json(const ReportContext& context, const std::string& kind, nlohmann::json body);

// One line for the head of a table or Markdown report: "mnet 0.1.0 (264e6ad), Intel Xeon ...,
// avx512 kernels, 2 cores, 1 thread".
std::string context_line(const ReportContext& context);

}  // namespace mnet
