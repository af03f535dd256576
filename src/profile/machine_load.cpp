// Reading /proc/stat, /proc/loadavg and this process's CPU clock, and deciding from the numbers
// whether a measurement was disturbed.
#include "profile/machine_load.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

namespace mnet {

namespace {

std::string read_small_file(const char* path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);  // the first line is all either file needs
  return text;
}

std::string number(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

// "0.90 of 2 cores", "steal 7 %", "wall time 1.60× the CPU time": the figures behind a decision.
std::string others_text(const RunConditions& c) {
  return "other processes used " + number(others_cores(c), 2) + " of " + std::to_string(c.cores) + " core" +
         (c.cores == 1 ? "" : "s");
}
std::string steal_text(const RunConditions& c) { return "steal " + number(steal_pct(c), 0) + " %"; }

// The measurement whose figures say most about the load: the most others' cores, then the most steal.
const RunConditions* worst(const std::vector<RunConditions>& measured, int* disturbed_count) {
  const RunConditions* w = nullptr;
  *disturbed_count = 0;
  for (const RunConditions& c : measured) {
    if (!c.disturbed) continue;
    ++*disturbed_count;
    if (!w || others_cores(c) > others_cores(*w) ||
        (others_cores(c) == others_cores(*w) && steal_pct(c) > steal_pct(*w)))
      w = &c;
  }
  return w;
}

std::string join(const std::vector<std::string>& parts) {
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : ", ") + p;
  return s;
}

}  // namespace

std::optional<CpuTicks> parse_proc_stat(const std::string& text) {
  std::istringstream in(text);
  std::string label;
  if (!(in >> label) || label != "cpu") return std::nullopt;
  // user nice system idle iowait irq softirq steal [guest guest_nice]
  uint64_t f[8];
  for (uint64_t& v : f)
    if (!(in >> v)) return std::nullopt;
  return CpuTicks{f[0] + f[1] + f[2] + f[5] + f[6], f[3] + f[4], f[7]};
}

std::optional<double> parse_load_avg(const std::string& text) {
  std::istringstream in(text);
  double v = 0;
  if (!(in >> v) || v < 0) return std::nullopt;
  return v;
}

LoadSample sample_load() {
  LoadSample s;
  s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  timespec cpu{};
  if (::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0) s.process_cpu_s = double(cpu.tv_sec) + double(cpu.tv_nsec) * 1e-9;
  s.ticks = parse_proc_stat(read_small_file("/proc/stat"));
  return s;
}

int online_cores() {
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? int(n) : 1;
}

double seconds_per_tick() {
  long hz = ::sysconf(_SC_CLK_TCK);
  return hz > 0 ? 1.0 / double(hz) : 0.01;
}

std::optional<double> read_load_avg() { return parse_load_avg(read_small_file("/proc/loadavg")); }

RunConditions conditions_between(const LoadSample& before, const LoadSample& after, double timed_wall_s, int runs,
                                 int cores, double tick_s, std::optional<double> load_avg_1m) {
  RunConditions c;
  c.measured = true;
  c.runs = runs;
  c.cores = std::max(cores, 1);
  c.timed_wall_s = timed_wall_s;
  c.span_s = std::max(0.0, after.wall_s - before.wall_s);
  c.cpu_s = std::max(0.0, after.process_cpu_s - before.process_cpu_s);
  c.tick_s = tick_s;
  c.load_avg_1m = load_avg_1m;
  if (before.ticks && after.ticks && after.ticks->busy >= before.ticks->busy && after.ticks->idle >= before.ticks->idle &&
      after.ticks->steal >= before.ticks->steal) {
    c.have_machine = true;
    const double busy = double(after.ticks->busy - before.ticks->busy) * tick_s;
    const double idle = double(after.ticks->idle - before.ticks->idle) * tick_s;
    c.steal_s = double(after.ticks->steal - before.ticks->steal) * tick_s;
    c.machine_busy_s = busy;
    c.machine_total_s = busy + idle + c.steal_s;
  }
  judge_conditions(c);
  return c;
}

double others_cores(const RunConditions& c) {
  if (!c.have_machine || c.span_s <= 0) return 0;
  const double rounding_s = 2.0 * c.cores * c.tick_s;
  return std::max(0.0, c.machine_busy_s - c.cpu_s - rounding_s) / c.span_s;
}

double steal_pct(const RunConditions& c) {
  return c.have_machine && c.machine_total_s > 0 ? 100.0 * c.steal_s / c.machine_total_s : 0;
}

double cpu_ms_per_run(const RunConditions& c) { return c.runs > 0 ? 1e3 * c.cpu_s / c.runs : 0; }
double wall_ms_per_run(const RunConditions& c) { return c.runs > 0 ? 1e3 * c.timed_wall_s / c.runs : 0; }

void judge_conditions(RunConditions& c) {
  c.reasons.clear();
  if (c.measured) {
    if (others_cores(c) > kMaxOthersCores) c.reasons.push_back(others_text(c));
    if (steal_pct(c) > kMaxStealPct) c.reasons.push_back(steal_text(c));
    if (c.timed_wall_s > kMaxWallOverCpu * c.cpu_s && c.timed_wall_s > 0)
      c.reasons.push_back("wall time " + number(c.cpu_s > 0 ? c.timed_wall_s / c.cpu_s : 0, 2) +
                          "× this process's CPU time");
  }
  c.disturbed = !c.reasons.empty();
}

RunConditions combine_conditions(const RunConditions& a, const RunConditions& b) {
  if (!a.measured) return b;
  if (!b.measured) return a;
  RunConditions c = a;
  c.runs += b.runs;
  c.timed_wall_s += b.timed_wall_s;
  c.span_s += b.span_s;
  c.cpu_s += b.cpu_s;
  c.have_machine = a.have_machine && b.have_machine;
  c.machine_busy_s += b.machine_busy_s;
  c.machine_total_s += b.machine_total_s;
  c.steal_s += b.steal_s;
  if (b.load_avg_1m) c.load_avg_1m = b.load_avg_1m;  // the later reading
  // Disturbed when a part was: the average of a quiet and a busy span can pass as quiet, and a
  // decision forced on a part (the test hook) holds for the whole. The figures are the whole's.
  judge_conditions(c);
  c.disturbed = a.disturbed || b.disturbed;
  if (!c.disturbed) {
    c.reasons.clear();
  } else {
    for (const RunConditions* part : {&a, &b})
      for (const std::string& r : part->reasons)
        if (std::find(c.reasons.begin(), c.reasons.end(), r) == c.reasons.end() &&
            r.rfind("other processes", 0) != 0 && r.rfind("steal", 0) != 0 && r.rfind("wall time", 0) != 0)
          c.reasons.push_back(r);
    if (c.reasons.empty()) c.reasons = a.disturbed ? a.reasons : b.reasons;
  }
  return c;
}

std::string disturbance_warning(const std::vector<RunConditions>& measured, const std::string& advice) {
  int count = 0;
  const RunConditions* w = worst(measured, &count);
  if (!w) return "";
  std::string where = measured.size() > 1 ? "during " + std::to_string(count) + " of " + std::to_string(measured.size()) +
                                                " timed measurements"
                                          : "during the timed runs";
  std::vector<std::string> figures{others_text(*w), steal_text(*w)};
  for (const std::string& r : w->reasons)
    if (r.rfind("other processes", 0) != 0 && r.rfind("steal", 0) != 0) figures.push_back(r);
  return "the machine was busy " + where + " (" + join(figures) +
         "): the figures are not a quiet machine's; " + advice;
}

std::string disturbance_note(const std::vector<RunConditions>& measured) {
  int count = 0;
  const RunConditions* w = worst(measured, &count);
  return w ? "; DISTURBED: " + join(w->reasons) : "";
}

IdleWait wait_for_idle(double max_s, const std::function<LoadSample()>& sample,
                       const std::function<void(double)>& sleep_s, const std::function<void(const RunConditions&)>& on_busy,
                       int cores, double tick_s) {
  IdleWait w;
  LoadSample start = sample(), before = start;
  for (;;) {
    const double left = max_s - (before.wall_s - start.wall_s);
    if (left <= 0) break;
    sleep_s(std::min(kIdleWindowS, left));
    LoadSample after = sample();
    // Sleeping, this process used next to no CPU: what the window saw busy is the others'.
    w.last = conditions_between(before, after, 0, 0, cores, tick_s, std::nullopt);
    ++w.windows;
    w.waited_s = after.wall_s - start.wall_s;
    if (!w.last.disturbed) {
      w.quiet = true;
      return w;
    }
    if (w.windows == 1 && on_busy) on_busy(w.last);
    before = after;
  }
  return w;
}

void IdleGate::before_timing() {
  if (last_was_quiet_ || budget_s_ <= 0) return;
  auto on_busy = [this](const RunConditions& c) {
    if (said_waiting_) return;
    said_waiting_ = true;
    std::fprintf(stderr, "mnet: waiting for a quiet machine (%s, %s; --wait-idle gives it up to %s s more)\n",
                 others_text(c).c_str(), steal_text(c).c_str(), number(budget_s_, 1).c_str());
  };
  IdleWait w = wait_for_idle(
      budget_s_, sample_load, [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }, on_busy,
      online_cores(), seconds_per_tick());
  budget_s_ -= w.waited_s;
  if (!w.quiet && !said_gave_up_) {
    said_gave_up_ = true;
    std::fprintf(stderr, "mnet: warning: the machine stayed busy through --wait-idle (%s, %s): measuring anyway\n",
                 others_text(w.last).c_str(), steal_text(w.last).c_str());
  }
  last_was_quiet_ = w.quiet;
}

void IdleGate::after_timing(const RunConditions& c) {
  // Others' load and steal decide; a wall/CPU gap alone does not make the next wait worthwhile.
  last_was_quiet_ = c.measured && others_cores(c) <= kMaxOthersCores && steal_pct(c) <= kMaxStealPct;
}

}  // namespace mnet
