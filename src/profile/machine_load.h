// How quiet the machine was while mnet timed something: this process's CPU time, the other
// processes' CPU time and the hypervisor's steal over the same span, from /proc/stat, and the
// decision whether the figures are a quiet machine's. The decisions are pure functions over the
// numbers (tested on hand-made ones); only the read_* / sample_load functions look at the system.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mnet {

// Thresholds above which a measurement is "disturbed" (docs/measurements.md says why):
// - other processes used more than a quarter of one core on average: on a 1-2 core machine that
//   is where a thread of ours starts to wait for a core and medians move by more than a few %;
constexpr double kMaxOthersCores = 0.25;
// - the hypervisor gave our virtual CPUs' time to other guests for more than 5 % of it;
constexpr double kMaxStealPct = 5.0;
// - the timed runs took more than 1.25× the CPU time this process used over them. The thread that
//   calls the model computes through every run, so on a quiet machine CPU time ≥ wall time at any
//   thread count; wall above it means the process waited for a core (the 156 ms median
//   with 26 ms of CPU per run).
constexpr double kMaxWallOverCpu = 1.25;

// /proc/stat's first line, all CPUs together, in clock ticks: busy (user, nice, system, irq,
// softirq; guest time is inside user), idle (idle, iowait) and steal.
struct CpuTicks {
  uint64_t busy = 0, idle = 0, steal = 0;
};
// nullopt when `text` does not start with a "cpu " line of at least 8 numbers.
std::optional<CpuTicks> parse_proc_stat(const std::string& text);
// The first field of /proc/loadavg; nullopt when it is not a number.
std::optional<double> parse_load_avg(const std::string& text);

// One look at the clocks: monotonic wall time, this process's CPU time (all its threads) and the
// machine's CPU ticks (nullopt where /proc/stat cannot be read).
struct LoadSample {
  double wall_s = 0;
  double process_cpu_s = 0;
  std::optional<CpuTicks> ticks;
};
LoadSample sample_load();
// The machine: online cores, seconds per /proc/stat tick, the 1-minute load average (nullopt
// where /proc/loadavg cannot be read).
int online_cores();
double seconds_per_tick();
std::optional<double> read_load_avg();

// What the machine did while a measurement's timed runs ran.
struct RunConditions {
  bool measured = false;        // false: not timed (default-constructed stats)
  int runs = 0;                 // timed runs
  int cores = 1;                // online cores
  double timed_wall_s = 0;      // the timed runs' wall time, delays between them excluded
  double span_s = 0;            // first sample to last, delays included
  double cpu_s = 0;             // this process over the span
  bool have_machine = false;    // /proc/stat was read: the next three are known
  double machine_busy_s = 0;    // every core's busy time over the span, ours included
  double machine_total_s = 0;   // busy + idle + steal over the span
  double steal_s = 0;
  double tick_s = 0.01;         // the resolution of the three above
  std::optional<double> load_avg_1m;
  bool disturbed = false;       // set by judge_conditions (or the MNET_TEST_DISTURBED hook)
  std::vector<std::string> reasons;  // why disturbed, e.g. "other processes used 0.90 of 2 cores"
};

// Conditions from the samples before and after the timed runs.
RunConditions conditions_between(const LoadSample& before, const LoadSample& after, double timed_wall_s, int runs,
                                 int cores, double tick_s, std::optional<double> load_avg_1m);
// Other processes' CPU time over the span, in cores on average. Each core's tick counters can be
// one tick off at either end, so that much is not counted against them. 0 without /proc/stat.
double others_cores(const RunConditions& c);
double steal_pct(const RunConditions& c);  // of all the cores' time over the span; 0 without /proc/stat
double cpu_ms_per_run(const RunConditions& c);
double wall_ms_per_run(const RunConditions& c);
// Sets `disturbed` and `reasons` from the numbers and the thresholds above.
void judge_conditions(RunConditions& c);
// Two measurements as one (profile's layer-by-layer and whole-model passes), judged again.
RunConditions combine_conditions(const RunConditions& a, const RunConditions& b);

// The one stderr line for a command's measurements ("" when none was disturbed): what the worst
// of them saw, and `advice` (by default that --wait-idle waits for a quiet machine).
std::string disturbance_warning(const std::vector<RunConditions>& measured,
                                const std::string& advice = "--wait-idle waits for one");
// The short note a table header gains, e.g. "; DISTURBED: other processes used 0.90 of 2 cores"
// ("" when none was disturbed).
std::string disturbance_note(const std::vector<RunConditions>& measured);

// --wait-idle: sample the machine over windows of kIdleWindowS until one is quiet (others below
// kMaxOthersCores, steal below kMaxStealPct), for at most `max_s` seconds.
constexpr double kIdleWindowS = 0.5;
struct IdleWait {
  bool quiet = false;      // a quiet window was seen
  double waited_s = 0;
  int windows = 0;
  RunConditions last;      // the last window, with its figures
};
// `sample` gives the clocks and `sleep_s` waits; `on_busy` is called once, after the first busy
// window (to say that it waits). Time is read from the samples only, so tests drive it with fakes.
IdleWait wait_for_idle(double max_s, const std::function<LoadSample()>& sample,
                       const std::function<void(double)>& sleep_s, const std::function<void(const RunConditions&)>& on_busy,
                       int cores, double tick_s);

// A command's --wait-idle budget, shared by all its measurements: before each, waits until the
// machine is quiet unless the previous measurement already found it so; says once on stderr that
// it waits and, when the budget runs out, that it measures anyway.
class IdleGate {
 public:
  explicit IdleGate(double max_s) : budget_s_(max_s) {}
  void before_timing();
  void after_timing(const RunConditions& c);

 private:
  double budget_s_;
  bool last_was_quiet_ = false;
  bool said_waiting_ = false;
  bool said_gave_up_ = false;
};

}  // namespace mnet
