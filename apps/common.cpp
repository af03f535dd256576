// The options every subcommand shares, their checks, loading a model for execution, and emit().
#include "common.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <future>
#include <iostream>
#include <system_error>
#include <thread>

#include "core/error.h"
#include "io/atomic_file.h"
#include "kernels/gemm.h"
#include "kernels/openblas.h"
#include "kernels/simd_level.h"
#include "profile/machine_load.h"
#include "profile/process_memory.h"

// The commit the binary was built from, written by scripts/git_commit.cmake at every build.
#if __has_include("git_commit.h")
#include "git_commit.h"
#else
#define MNET_GIT_COMMIT "unknown"
#endif

namespace mnet::app {

namespace {
// CLI::PositiveNumber lets NaN through, and names DBL_MAX in full as its upper bound.
CLI::Validator width_check() {
  const std::string width_range = "(0, " + format_number(kMaxWidth) + "]";
  return CLI::Validator(
      [width_range](std::string& text) -> std::string {
        double v = 0;
        if (CLI::detail::lexical_cast(text, v) && v > 0 && v <= kMaxWidth) return "";
        return "width must be a number in " + width_range + ", got " + text;
      },
      "FLOAT in " + width_range);
}

// A list option's check of its number of values (CLI11 checks each value, not how many).
void limit_values(CLI::Option* option, size_t most, const std::string& why) {
  option->each([option, most, why](const std::string&) {
    if (option->count() > most)
      throw CLI::ValidationError("at most " + std::to_string(most) + " value" + (most == 1 ? "" : "s") + why +
                                 ", got " + std::to_string(option->count()));
  });
}
}  // namespace

void ModelOptions::add_to(CLI::App& app, bool positional) {
  if (positional) app.add_option("model", model, "Model: an mnet config (.json), a folder written by `mnet import`, or a .tflite file")->required();
  app.add_option("--width", width, "Width multiplier α overriding the config's (e.g. 0.5), in (0, " + format_number(kMaxWidth) + "]")
      ->check(width_check());
  app.add_option("--resolution", resolution, "Input resolution overriding the config's (e.g. 160)")
      ->check(CLI::Range(1, kMaxResolution));
}

void add_threads_option(CLI::App& app, std::vector<int>& threads, bool single) {
  CLI::Option* option =
      app.add_option("--threads", threads,
                     single ? "Threads (one count)"
                            : "Thread counts, comma-separated: one measurement each (e.g. 1,2)")
          ->delimiter(',')
          ->capture_default_str()
          ->check(CLI::Range(1, 256));
  limit_values(option, single ? 1 : kMaxSweepValues,
               single ? " ('mnet " + app.get_name() + "' takes one thread count; bench, compare and calibrate take a list)" : "");
}

void add_width_list_option(CLI::App& app, std::vector<double>& widths) {
  CLI::Option* option = app.add_option("--width", widths,
                                       "Width multipliers α overriding the config's, comma-separated: one measurement each (e.g. 0.5,1.0)")
                            ->delimiter(',')
                            ->check(width_check());
  limit_values(option, kMaxSweepValues, "");
}

void add_resolution_list_option(CLI::App& app, std::vector<int>& resolutions) {
  CLI::Option* option = app.add_option("--resolution", resolutions,
                                       "Input resolutions overriding the config's, comma-separated: one measurement each (e.g. 128,224)")
                            ->delimiter(',')
                            ->check(CLI::Range(1, kMaxResolution));
  limit_values(option, kMaxSweepValues, "");
}

void add_batch_list_option(CLI::App& app, std::vector<int>& batches) {
  CLI::Option* option =
      app.add_option("--batch", batches,
                     "Images per run, comma-separated: one measurement each (e.g. 1,8,32); the figures are per "
                     "run of the whole batch, with images/s beside them (default 1)")
          ->delimiter(',')
          ->check(CLI::Range(1, kMaxBatch));
  limit_values(option, kMaxSweepValues, "");
}

void add_quiet_flag(CLI::App& app, bool& quiet) {
  app.add_flag("--quiet,-q", quiet, "No progress line on stderr (it is drawn only on a terminal)");
}

ConfigOverrides ModelOptions::overrides() const {
  ConfigOverrides o;
  // 0 is "not given"; anything else, even a NaN that got past the option's check, goes to the
  // config reader's own range check.
  if (width != 0) o.width = width;
  if (resolution != 0) o.resolution = resolution;
  return o;
}

Graph load_graph(const std::string& path, const ConfigOverrides& overrides) {
  // A .tflite's graph comes with its weights: importing is the only way to read it.
  if (is_tflite_path(path)) return load_model(path, overrides).graph;
  return load_config(config_file_of(path), overrides);
}

void EngineOptions::add_to(CLI::App& app, bool timing) {
  app.add_option("--weights", weights, "Weights (.safetensors); default: the model's own, else deterministic random weights");
  // CLI11 reads "-1" as 2^64 - 1 and clamps 2^64: only the digits of a uint64 are a seed.
  app.add_option("--seed", seed, "Seed of the random weights")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            const std::string range = "an integer between 0 and " + std::to_string(UINT64_MAX);
            if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
              return "--seed must be " + range + ", got '" + text + "'";
            errno = 0;
            std::strtoull(text.c_str(), nullptr, 10);
            if (errno == ERANGE) return "--seed must be " + range + ", got " + text;
            return "";
          },
          "UINT64"));
  add_checks_to(app);
  if (!timing) return;
  CLI::Option* runs_option =
      app.add_option("--runs", runs, "Timed runs after the warm-up")->capture_default_str()->check(CLI::Range(1, kMaxTimedRuns));
  app.add_option("--warmup", warmup, "Warm-up runs, not timed")->capture_default_str()->check(CLI::Range(0, 100000));
  app.add_option("--duration", duration_s,
                 "Instead of --runs: time runs until SECONDS of wall time have passed (at least one, at most " +
                     std::to_string(kMaxTimedRuns) + ")")
      ->option_text("SECONDS")
      ->check(CLI::Range(1e-3, kMaxDurationS))
      ->excludes(runs_option);
  app.add_option("--delay", delay_ms, "Sleep MS milliseconds between timed runs (not timed)")
      ->option_text("MS")
      ->check(CLI::Range(0.0, kMaxDelayMs));
  add_wait_idle_option(app, wait_idle);
}

TimingOptions EngineOptions::timing(IdleGate* idle) const {
  TimingOptions t{runs, warmup};
  t.duration_s = duration_s;
  t.delay_ms = delay_ms;
  t.idle = idle;
  return t;
}

void add_wait_idle_option(CLI::App& app, std::string& seconds) {
  // A flag with an optional "=SECONDS" (`--wait-idle 30` would read 30 as a model); CLI11 gives a
  // bare flag the value "true". Text, as CLI11 turns a flag's "=0.5" into a count for numbers.
  const std::string range = "[0, " + format_number(kMaxWaitIdleS) + "]";
  app.add_flag("--wait-idle", seconds,
               "Before timing, wait up to SECONDS (--wait-idle=SECONDS; default " + format_number(kDefaultWaitIdleS) +
                   ") until other processes use less than " + format_number(kMaxOthersCores) +
                   " of a core and steal is below " + format_number(kMaxStealPct) + " %; then measure anyway")
      ->transform(CLI::Validator(
          [range](std::string& text) -> std::string {
            if (text == "true") text = format_number(kDefaultWaitIdleS);
            double v = 0;
            if (CLI::detail::lexical_cast(text, v) && v >= 0 && v <= kMaxWaitIdleS) return "";
            return "--wait-idle must be a number of seconds in " + range + ", got " + text;
          },
          ""))
      ->option_text("[=SECONDS]");
}

std::unique_ptr<IdleGate> idle_gate(const std::string& wait_idle) {
  double seconds = 0;
  if (wait_idle.empty() || !CLI::detail::lexical_cast(wait_idle, seconds)) return nullptr;
  return std::make_unique<IdleGate>(seconds);
}

void warn_if_disturbed(const std::vector<RunConditions>& measured, const IdleGate* gate) {
  const std::string line =
      gate ? disturbance_warning(measured, "a longer --wait-idle may find a quiet moment") : disturbance_warning(measured);
  if (!line.empty()) std::fprintf(stderr, "mnet: warning: %s\n", one_line(line).c_str());
}

namespace {

// "8G", "512M", "1.5GiB", "1000000": bytes, binary multiples (K, M, G, T; "iB" or "B" optional).
bool parse_memory_size(const std::string& text, int64_t* bytes) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  std::string unit = text.substr(used);
  for (const char* tail : {"iB", "B"})
    if (unit.size() > std::strlen(tail) && unit.compare(unit.size() - std::strlen(tail), std::string::npos, tail) == 0) {
      unit.resize(unit.size() - std::strlen(tail));
      break;
    }
  const std::string units = "KMGT";
  double scale = 1;
  if (!unit.empty()) {
    size_t at = unit.size() == 1 ? units.find(char(std::toupper(static_cast<unsigned char>(unit[0])))) : std::string::npos;
    if (at == std::string::npos) return false;
    scale = std::ldexp(1.0, 10 * int(at + 1));
  }
  const double b = v * scale;
  if (!(b >= 1) || b > 9.0e18) return false;  // also refuses NaN
  *bytes = int64_t(b);
  return true;
}

}  // namespace

void EngineOptions::add_checks_to(CLI::App& app) {
  app.add_option("--max-memory", max_memory,
                 "Refuse a model whose planned peak memory is above this (bytes, or with K, M, G, T: 8G, 512M); "
                 "default: 3/4 of physical memory (kMaxMemoryShareOfRam), here " + format_bytes(default_max_memory()))
      ->option_text("SIZE")
      ->transform(CLI::Validator(
          [](std::string& text) -> std::string {
            int64_t b = 0;
            if (!parse_memory_size(text, &b))
              return "--max-memory must be a size such as 8G, 512M or 1000000 (bytes), got " + text;
            text = std::to_string(b);
            return "";
          },
          "SIZE"));
  app.add_flag("--allow-nonfinite", allow_nonfinite,
               "Run even with NaN or infinite weights or inputs, or a negative BatchNorm variance (warns once); "
               "default: refuse them");
}

LoadOptions EngineOptions::load_options() const {
  LoadOptions o;
  o.weights = weights;
  o.nonfinite = allow_nonfinite ? NonFinite::warn : NonFinite::refuse;
  return o;
}

void EngineOptions::check_memory_for(const Graph& graph, const std::vector<ExecOptions>& executors,
                                     const std::string& source) const {
  const int64_t limit = max_memory > 0 ? max_memory : default_max_memory();
  const std::string from =
      max_memory > 0 ? "--max-memory"
                     : "3/4 of the " + format_bytes(physical_memory_bytes()) +
                           " of physical memory, kMaxMemoryShareOfRam; --max-memory changes it";
  check_memory(estimate_memory(graph, executors), limit, from, graph, source);
}

Model load_for_execution(const ModelOptions& model, const EngineOptions& options,
                         const std::vector<ExecOptions>& executors) {
  LoadOptions load = options.load_options();
  load.before_weights = [&](const Graph& g) { options.check_memory_for(g, executors, model.model); };
  Model m = load_model(model.model, model.overrides(), load);
  if (m.weights_source.empty()) {
    std::fprintf(stderr, "mnet: %s: no weights given, using random weights (seed %llu)\n", model.model.c_str(),
                 static_cast<unsigned long long>(options.seed));
    m.weights = random_weights(m.graph, options.seed);
  }
  return m;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

MeasuredModel measure_model(const ModelOptions& model, const EngineOptions& engine, const std::vector<int>& threads,
                            const TimingOptions& timing, ProgressLine* progress, int64_t& runs_done,
                            const std::vector<int>& batches) {
  // Peak memory per model: the high-water mark restarts here (where Linux allows it).
  reset_peak_rss();
  const auto load_start = std::chrono::steady_clock::now();
  // One executor at a time, the most threads and the largest batch the widest.
  ExecOptions widest{*std::max_element(threads.begin(), threads.end())};
  widest.batch = *std::max_element(batches.begin(), batches.end());
  MeasuredModel m{load_for_execution(model, engine, {widest}), {}};
  const double load_ms = ms_since(load_start);
  const Graph& g = m.model.graph;
  // The same image for every slot of the batch: random_input is deterministic.
  const std::vector<float> image = random_input(g.input().out);
  std::vector<float> input;
  for (int b = 0; b < widest.batch; ++b) input.insert(input.end(), image.begin(), image.end());
  for (int n : threads)
    for (int batch : batches) {
      ThreadMeasurement t;
      t.threads = n;
      t.batch = batch;
      ExecOptions options{n};
      options.batch = batch;
      t.startup.load_ms = load_ms;
      t.startup.planned_bytes = planned_memory(estimate_memory(g, {options})).peak_bytes;
      const auto init_start = std::chrono::steady_clock::now();
      Executor exec(g, m.model.weights, options);
      t.startup.init_ms = ms_since(init_start);
      TimingOptions counted = timing;
      const std::string setting = g.name + ", " + std::to_string(n) + " thread(s)" +
                                  (batch > 1 ? ", batch " + std::to_string(batch) : "");
      if (progress) counted.on_run = [&] { progress->update(++runs_done, setting); };
      t.latency = time_model(exec, input.data(), counted);
      t.startup.first_run_ms = t.latency.first_run_ms;
      m.at.push_back(std::move(t));
    }
  const int64_t peak = peak_rss_bytes();
  for (ThreadMeasurement& t : m.at) t.startup.peak_rss_bytes = peak;
  return m;
}

void warn_if_nonfinite_output(const std::string& subject, const std::vector<float>& output) {
  const auto bad = std::count_if(output.begin(), output.end(), [](float v) { return !std::isfinite(v); });
  if (bad == 0) return;
  std::fprintf(stderr, "mnet: warning: %s\n",
               one_line(subject + ": the output holds " + std::to_string(bad) + " non-finite values of " +
                        std::to_string(output.size()) + " (an overflow inside the model)")
                   .c_str());
}

std::vector<float> random_input(const Shape& shape) {
  std::vector<float> x(size_t(shape.elements()));
  uint32_t state = 12345;
  for (float& v : x) {
    state = state * 1664525u + 1013904223u;
    v = float(state >> 8) / float(1u << 24) * 2.0f - 1.0f;
  }
  return x;
}

void OutputOptions::add_to(CLI::App& app, const std::string& formats) {
  app.add_option("--format", format, "Output format: " + formats)
      ->capture_default_str()
      ->check(CLI::IsMember(CLI::detail::split(formats, '|')));
  app.add_option("-o,--output", output, "Write the output to FILE (atomically) instead of stdout");
}

Format OutputOptions::parsed() const {
  Format f = Format::table;
  parse_format(format, &f);
  return f;
}

void emit(const OutputOptions& out, const std::string& text) {
  if (!out.output.empty()) {
    write_file_atomic(out.output, text);
    return;
  }
  // write(2) rather than std::cout, whose failure state loses errno: EPIPE (SIGPIPE is ignored,
  // see main) means the reader stopped on purpose, anything else is a failure.
  std::cout.flush();
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t w = ::write(STDOUT_FILENO, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) throw StdoutClosed{};
      throw RunError(std::string("stdout: write failed: ") + std::strerror(errno));
    }
    p += w;
    left -= size_t(w);
  }
}

namespace {
std::vector<std::string>& saved_command_line() {
  static std::vector<std::string> line;
  return line;
}
}  // namespace

void set_command_line(int argc, const char* const* argv) {
  saved_command_line().assign(argv, argv + argc);
}

std::string git_commit() { return MNET_GIT_COMMIT; }

ReportContext report_context(std::vector<int> threads) {
  ReportContext c;
  c.version = MNET_VERSION;
  c.git_commit = git_commit();
  char created[32];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &utc);
  c.created = created;
  c.command_line = saved_command_line();
  c.cpu = cpu_model();
  c.cores = online_cores();
  c.simd = simd_level_name(simd_level());
  c.simd_cpu = simd_level_name(cpu_simd_level());
  // Only where this command loaded OpenBLAS: loading it for the header alone would cost an
  // unbounded start-up allocation (see kernels/openblas.h) in commands that never call it.
  if (openblas::is_loaded()) {
    c.openblas = blas_config();
    c.openblas_core = blas_corename();
  }
  c.load_avg_1m = read_load_avg();
  c.threads = std::move(threads);
  return c;
}

std::string version_text() {
  std::string compiler =
#if defined(__clang__)
      "clang " __clang_version__;
#elif defined(__GNUC__)
      "gcc " __VERSION__;
#else
      "unknown compiler";
#endif
  return "mnet " MNET_VERSION " (" + git_commit() + "; " + compiler + ")";
}

Cli::Cli()
    : root("mnet: runs and profiles MobileNets from their architecture configs.\n"
           "  example: mnet profile configs/mobilenet_v1.json --cost-only",
           "mnet") {
  // A function, so that only --version loads OpenBLAS to name it.
  root.set_version_flag("--version", [] { return version_text() + "\n" + blas_config(); });
  root.require_subcommand(1);
  commands = {make_profile_command(root), make_bench_command(root),    make_compare_command(root),
              make_run_command(root),     make_classify_command(root), make_import_command(root),
              make_info_command(root),    make_calibrate_command(root), make_explain_command(root)};
  commands.push_back(make_eval_command(root));
  commands.insert(commands.end(), {make_detect_command(root), make_segment_command(root)});
  commands.insert(commands.end(), {make_manifold_command(root), make_activations_command(root)});
}

const Command* Cli::matched() const {
  for (const Command& c : commands)
    if (c.app->parsed()) return &c;
  return nullptr;
}

std::string Cli::command_names() const {
  std::string names;
  for (const Command& c : commands) names += (names.empty() ? "" : ", ") + c.app->get_name();
  return names;
}

namespace {

// Levenshtein distance, with a transposition counted as one edit ("profiel" → "profile": 1).
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// The candidate closest to `word`, if it is close enough to be what was meant (at most a third of
// its letters wrong, and at least one right), or "". A word that a candidate starts with counts
// too ("--thread" for "--threads").
std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.size() > 64) return "";  // the distance table is quadratic; nobody mistypes this much
  std::string best;
  size_t best_distance = std::max<size_t>(1, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const size_t d = c.rfind(word, 0) == 0 && word.size() >= 3 ? 1 : edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string c = closest(word, candidates);
  return c.empty() ? "" : "; did you mean '" + c + "'?";
}

// Every option name of a command as typed: "--threads", "-o".
std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& l : o->get_lnames()) names.push_back("--" + l);
    for (const std::string& s : o->get_snames()) names.push_back("-" + s);
  }
  return names;
}

}  // namespace

std::string Cli::usage_error(int argc, const char* const* argv, const CLI::ParseError& e) const {
  if (const Command* c = matched()) {
    std::string hint;
    // An option the command does not have: the closest one it has.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::ExtrasError)) {
      const std::vector<std::string> names = option_names(*c->app);
      for (int i = 1; i < argc && hint.empty(); ++i) {
        const std::string word = argv[i];
        if (word.size() < 2 || word[0] != '-') continue;
        const std::string name = word.substr(0, word.find('='));
        if (std::find(names.begin(), names.end(), name) == names.end()) hint = did_you_mean(name, names);
      }
    }
    return std::string(e.what()) + hint + " (run 'mnet " + c->app->get_name() + " --help' for its options)";
  }
  const std::string names = command_names();
  // The first word that is no option names the subcommand.
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (!word.empty() && word[0] == '-') {
      // An option before the subcommand is the root's (--help, --version) or a mistake.
      if (word != "-" && root.get_option_no_throw(word.substr(0, word.find('='))) == nullptr)
        return "unknown option '" + word + "' before the subcommand (one of: " + names + "); run 'mnet --help' for the options";
      continue;
    }
    if (word.empty()) continue;
    bool known = std::any_of(commands.begin(), commands.end(), [&](const Command& c) { return c.app->check_name(word); });
    if (!known) {
      std::vector<std::string> candidates;
      for (const Command& c : commands) candidates.push_back(c.app->get_name());
      return "unknown subcommand '" + word + "'" + did_you_mean(word, candidates) + " (one of: " + names +
             "); run 'mnet --help' for the options";
    }
    break;
  }
  if (e.get_name() == "RequiredError")
    return "a subcommand is required (one of: " + names + "); run 'mnet --help' for the options";
  return std::string(e.what()) + " (run 'mnet --help' for the options)";
}

std::string Cli::subject() const {
  const Command* c = matched();
  if (c == nullptr) return "mnet";
  std::string subject;
  for (const CLI::Option* opt : c->app->get_options())
    if (!opt->nonpositional())
      for (const std::string& v : opt->results()) subject += (subject.empty() ? "" : ", ") + v;
  return subject.empty() ? "mnet " + c->app->get_name() : subject;
}

std::string Cli::path_error() const {
  const Command* c = matched();
  if (c == nullptr) return "";
  // Where a command writes: -o/--output (run's --output too) and import's --out.
  auto is_output = [](const CLI::Option* opt) { return opt->check_name("--output") || opt->check_name("--out"); };
  struct Named {
    std::string path;
    struct stat st;
  };
  std::vector<Named> inputs;
  for (const CLI::Option* opt : c->app->get_options()) {
    // Paths are text; --format's words and the numbers of other options are not files.
    if (is_output(opt) || opt->get_type_name() != "TEXT" || opt->check_name("--format")) continue;
    for (const std::string& v : opt->results()) {
      Named in{v, {}};
      if (!v.empty() && ::stat(v.c_str(), &in.st) == 0) inputs.push_back(in);
    }
  }
  for (const CLI::Option* opt : c->app->get_options()) {
    if (!is_output(opt)) continue;
    for (const std::string& v : opt->results()) {
      if (v.empty()) return opt->get_name() + ": an empty path names no file to write";
      struct stat out {};
      if (::stat(v.c_str(), &out) != 0) continue;  // a new file is no input
      for (const Named& in : inputs)
        if (in.st.st_dev == out.st_dev && in.st.st_ino == out.st_ino)
          return v + ": is also an input of this command (" + in.path + ")";
    }
  }
  return "";
}

int Cli::max_threads() const {
  const Command* c = matched();
  const CLI::Option* opt = c ? c->app->get_option_no_throw("--threads") : nullptr;
  int most = 1;
  if (opt == nullptr) return most;
  // CLI11 has checked each value against the option's range; a list may still arrive unsplit.
  for (const std::string& r : opt->results()) {
    std::stringstream list(r);
    std::string item;
    while (std::getline(list, item, ',')) most = std::max(most, std::atoi(item.c_str()));
  }
  return most;
}

void check_threads_can_start(int threads) {
  if (threads <= 1) return;
  // Start them all, each waiting for the others, so that they exist at the same time as an
  // OpenMP team's would.
  std::promise<void> release;
  std::shared_future<void> go = release.get_future().share();
  std::vector<std::thread> started;
  std::string reason;
  for (int i = 1; i < threads && reason.empty(); ++i) {
    try {
      started.emplace_back([go] { go.wait(); });
    } catch (const std::system_error& e) {
      reason = std::strerror(e.code().value());
    }
  }
  release.set_value();
  for (std::thread& t : started) t.join();
  if (reason.empty()) return;
  std::string limit;
  struct rlimit nproc {};
  if (::getrlimit(RLIMIT_NPROC, &nproc) == 0 && nproc.rlim_cur != RLIM_INFINITY)
    limit = "; the limit on this user's processes and threads (ulimit -u) is " + std::to_string(nproc.rlim_cur);
  throw RunError("--threads " + std::to_string(threads) + ": cannot start " + std::to_string(threads) +
                 " threads, only " + std::to_string(started.size() + 1) + " could run at once (" + reason + limit +
                 "); use fewer --threads");
}

}  // namespace mnet::app
