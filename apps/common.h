#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "graph/graph.h"
#include "report/table.h"
#include "run/model.h"

namespace mnet::app {

// Exit codes every subcommand uses.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitBadInput = 3;

// One subcommand: its CLI11 parser and what runs once it matched.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command make_info_command(CLI::App& root);
Command make_profile_command(CLI::App& root);
Command make_compare_command(CLI::App& root);
Command make_bench_command(CLI::App& root);
Command make_run_command(CLI::App& root);
Command make_classify_command(CLI::App& root);
Command make_import_command(CLI::App& root);
Command make_calibrate_command(CLI::App& root);

// Options shared by the commands that take a model.
struct ModelOptions {
  std::string model;
  double width = 0;    // 0: the config's own
  int resolution = 0;  // 0: the config's own
  void add_to(CLI::App& app, bool positional = true);
  ConfigOverrides overrides() const;
};
Graph load_graph(const std::string& path, const ConfigOverrides& overrides);


// Options of the commands that execute a model.
struct EngineOptions {
  std::string weights;  // safetensors; empty: deterministic random weights
  uint64_t seed = 1;
  int runs = 50;
  int warmup = 10;
  void add_to(CLI::App& app, bool timing = true);
};
// The model with the weights a command runs with: --weights, else the model's own (a .tflite's,
// or the file its config names), else deterministic random ones (said on stderr).
Model load_for_execution(const ModelOptions& model, const EngineOptions& options);
// A deterministic input in [-1, 1] for latency measurements.
std::vector<float> random_input(const Shape& shape);

struct OutputOptions {
  std::string format = "table";
  std::string output;  // -o FILE, written atomically; empty: stdout
  void add_to(CLI::App& app, const std::string& formats = "table|json|csv|md");
  Format parsed() const;
};
void emit(const OutputOptions& out, const std::string& text);

}  // namespace mnet::app
