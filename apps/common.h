// Shared by every subcommand: exit codes, the command table, model/engine/output options, and
// writing a report to stdout or a file.
#pragma once
#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "graph/graph.h"
#include "profile/profiler.h"
#include "report/envelope.h"
#include "report/table.h"
#include "run/executor.h"
#include "model/model.h"
#include "progress.h"

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
Command make_explain_command(CLI::App& root);
Command make_manifold_command(CLI::App& root); Command make_activations_command(CLI::App& root);
Command make_eval_command(CLI::App& root);
Command make_detect_command(CLI::App& root); Command make_segment_command(CLI::App& root);

// The whole command line: the root parser with every subcommand. main and the CLI fuzz target
// build it the same way; parsing only fills option variables, running is `Command::run`.
struct Cli {
  CLI::App root;
  std::vector<Command> commands;
  Cli();
  // The subcommand the parse matched (also after a failed parse, once its name was read), or null.
  const Command* matched() const;
  // "profile, bench, ...": every subcommand's name, for usage errors.
  std::string command_names() const;
  // The one line a failed parse prints: CLI11's message, or the unknown subcommand, with where the
  // help is.
  std::string usage_error(int argc, const char* const* argv, const CLI::ParseError& e) const;
  // What the matched command works on, for errors that have no file of their own (out of memory):
  // the values of its positional arguments (the model or models), else "mnet SUBCOMMAND".
  std::string subject() const;
  // What is wrong with the matched command's paths, as the one line of a usage error, or "": an
  // empty output path, or an output that is also one of its inputs (the same file by st_dev and
  // st_ino, so ./x.json, x.json and a symlink to it are caught), which writing would destroy.
  std::string path_error() const;
  // The largest value given to the matched command's --threads (a list for bench and calibrate), or 1.
  int max_threads() const;
};
std::string version_text();
// The commit mnet was built from ("264e6ad0c1f2", "-dirty" when the tree had changes, or "unknown").
std::string git_commit();

// main saves the command line once, for the reports' envelope.
void set_command_line(int argc, const char* const* argv);
// Who, when, where and with how many threads, for the head of every report (report/envelope.h).
ReportContext report_context(std::vector<int> threads = {});

// Thrown by emit when stdout's reader has gone (EPIPE, e.g. `mnet ... | head`): main stops quietly.
struct StdoutClosed {};

// Throws RunError if `threads` threads (this one and threads - 1 more) cannot all exist at once,
// e.g. under `ulimit -u`: libgomp would otherwise end the process with its own message in the
// middle of the first parallel region.
void check_threads_can_start(int threads);

// Options shared by the commands that take a model.
struct ModelOptions {
  std::string model;
  double width = 0;    // 0: the config's own
  int resolution = 0;  // 0: the config's own
  void add_to(CLI::App& app, bool positional = true);
  ConfigOverrides overrides() const;
};

// The most thread counts one --threads list may name (a sweep is their product with the others).
constexpr size_t kMaxSweepValues = 64;
// --threads N[,N...]: the same syntax in every command. `single`: the command runs once (run,
// classify), so a list of more than one value is a usage error naming the option.
void add_threads_option(CLI::App& app, std::vector<int>& threads, bool single);
// The sweep options of bench: --width and --resolution as comma-separated lists.
void add_width_list_option(CLI::App& app, std::vector<double>& widths);
void add_resolution_list_option(CLI::App& app, std::vector<int>& resolutions);
// --batch as a comma-separated list of images per run (bench's sweep).
void add_batch_list_option(CLI::App& app, std::vector<int>& batches);
// --quiet: no progress line (it is drawn only on a terminal anyway).
void add_quiet_flag(CLI::App& app, bool& quiet);
Graph load_graph(const std::string& path, const ConfigOverrides& overrides);


// Limits of the timing options: --wait-idle and --duration in seconds, --delay in milliseconds.
constexpr double kDefaultWaitIdleS = 60;
constexpr double kMaxWaitIdleS = 3600;
constexpr double kMaxDurationS = 3600;
constexpr double kMaxDelayMs = 60000;

// --wait-idle[=SECONDS] into `seconds` as text (left empty when not given; kDefaultWaitIdleS
// without a value). Every command that times something adds it through here.
void add_wait_idle_option(CLI::App& app, std::string& seconds);
// The --wait-idle gate of a command (null when the option was not given), shared by all its
// measurements.
std::unique_ptr<IdleGate> idle_gate(const std::string& wait_idle);
// One warning line on stderr when any of a command's measurements was disturbed; `gate`: the
// command's --wait-idle, if given (the advice then is a longer wait).
void warn_if_disturbed(const std::vector<RunConditions>& measured, const IdleGate* gate = nullptr);

// Options of the commands that execute a model.
struct EngineOptions {
  std::string weights;  // safetensors; empty: deterministic random weights
  uint64_t seed = 1;
  int runs = 50;
  int warmup = 10;
  double duration_s = 0;   // --duration: instead of --runs; 0: not given
  double delay_ms = 0;     // --delay between timed runs
  std::string wait_idle;   // --wait-idle's seconds; empty: not given
  // The timing options, with `idle` (from idle_gate) as the --wait-idle gate.
  TimingOptions timing(IdleGate* idle = nullptr) const;
  int64_t max_memory = 0;        // --max-memory in bytes; 0: default_max_memory()
  bool allow_nonfinite = false;  // --allow-nonfinite: warn about NaN/inf weights and inputs, run anyway
  void add_to(CLI::App& app, bool timing = true);
  void add_checks_to(CLI::App& app);  // --max-memory and --allow-nonfinite alone (add_to adds them too)
  LoadOptions load_options() const;   // weights, non-finite policy and nothing else
  // Refuses (InputError naming `source`) a graph whose estimated peak for these executors is
  // above --max-memory or its default.
  void check_memory_for(const Graph& graph, const std::vector<ExecOptions>& executors, const std::string& source) const;
};
// The model with the weights a command runs with: --weights, else the model's own (a .tflite's,
// or the file its config names), else deterministic random ones (said on stderr). The graph's
// planned peak memory for `executors` is checked against --max-memory before any weights are read.
Model load_for_execution(const ModelOptions& model, const EngineOptions& options,
                         const std::vector<ExecOptions>& executors);
// Milliseconds since `start`.
double ms_since(std::chrono::steady_clock::time_point start);

// One model timed at one thread count and batch, with what getting it going cost.
struct ThreadMeasurement {
  int threads = 1;
  int batch = 1;  // images per timed run
  LatencyStats latency;
  StartupCost startup;
};
struct MeasuredModel {
  Model model;
  std::vector<ThreadMeasurement> at;  // in the order of the thread counts given
};
// Loads `model` once (the widest executor planned against --max-memory) and times the whole model
// at each thread count × batch on its own executor: load, executor init, first run and the peak
// RSS from the load on (reset first where Linux allows it) in each measurement's startup.
// `progress` (may be null) counts every run, `runs_done` carrying the count across models.
MeasuredModel measure_model(const ModelOptions& model, const EngineOptions& engine, const std::vector<int>& threads,
                            const TimingOptions& timing, ProgressLine* progress, int64_t& runs_done,
                            const std::vector<int>& batches = {1});

// After a run: one warning line on stderr naming `subject` when `output` holds NaN or inf, which
// finite inputs and weights give when a value overflows float inside the model.
void warn_if_nonfinite_output(const std::string& subject, const std::vector<float>& output);
// A deterministic input in [-1, 1] for latency measurements.
std::vector<float> random_input(const Shape& shape);

struct OutputOptions {
  std::string format = "table";
  std::string output;  // -o FILE, written atomically; empty: stdout
  void add_to(CLI::App& app, const std::string& formats = "table|json|csv|md");
  Format parsed() const;
};
// Writes `text` to stdout or, with -o, to the file. Throws StdoutClosed when stdout's reader has gone.
void emit(const OutputOptions& out, const std::string& text);

}  // namespace mnet::app
