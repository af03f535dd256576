// Machine load during measurements: /proc/stat and /proc/loadavg parsing, the "disturbed" decision
// and --wait-idle's loop, all on hand-made numbers (no timing); the reports' conditions and
// statistics; and the options end to end with the decision forced through MNET_TEST_DISTURBED.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "profile/machine_load.h"
#include "profile/timings.h"
#include "report/latency_report.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

constexpr double kTick = 0.01;  // 100 ticks per second, as on Linux

// A sample at `wall_s` with this process's CPU time and the machine's ticks (all cores together).
LoadSample at(double wall_s, double cpu_s, uint64_t busy, uint64_t idle, uint64_t steal = 0) {
  return LoadSample{wall_s, cpu_s, CpuTicks{busy, idle, steal}};
}

// 2 cores over 2 s of timed runs (400 ticks in all) where this process used `cpu_s` and the
// machine was busy for `busy` ticks.
RunConditions two_cores_over_2s(double cpu_s, uint64_t busy, uint64_t steal = 0, double timed_wall_s = 2.0) {
  return conditions_between(at(100, 5, 1000, 5000, 10), at(102, 5 + cpu_s, 1000 + busy, 5000 + 400 - busy - steal, 10 + steal),
                            timed_wall_s, 20, 2, kTick, 1.5);
}

// Runs the built mnet with the load decision forced: "1" disturbed, "0" quiet.
CommandResult run_forced(const std::string& disturbed, const std::string& args) {
  TempDir cache;
  return run_command("MNET_TEST_DISTURBED=" + disturbed + " MNET_CACHE_DIR=" + shell_quote(cache.path.string()) + " " +
                     MNET_BINARY + " " + args);
}

std::string config(const std::string& name) { return shell_quote(source_path("configs/" + name)); }

}  // namespace

TEST_CASE("/proc/stat's cpu line gives busy, idle and steal ticks — /proc/loadavg its first figure") {
  // user nice system idle iowait irq softirq steal guest guest_nice
  auto t = parse_proc_stat("cpu  3764280 7 322686 800823 6594 5 1433 2367 100 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n");
  REQUIRE(t.has_value());
  CHECK(t->busy == 3764280 + 7 + 322686 + 5 + 1433);  // guest time is already inside user
  CHECK(t->idle == 800823 + 6594);
  CHECK(t->steal == 2367);
  CHECK_FALSE(parse_proc_stat("cpu0 1 2 3 4 5 6 7 8").has_value());  // one core's line, not the total
  CHECK_FALSE(parse_proc_stat("cpu 1 2 3 4 5 6 7").has_value());    // no steal column
  CHECK_FALSE(parse_proc_stat("").has_value());
  CHECK(parse_proc_stat(read_text("/proc/stat")).has_value());  // this machine's own

  CHECK(parse_load_avg("1.98 2.03 1.91 4/111 5981\n") == 1.98);
  CHECK_FALSE(parse_load_avg("x 1 2").has_value());
}

TEST_CASE("a measurement is disturbed when others used a quarter core, steal passed 5 % or wall time passed CPU time") {
  SECTION("quiet: only this process's 2 s of CPU on 2 cores") {
    RunConditions c = two_cores_over_2s(2.0, 200);
    CHECK(c.measured);
    CHECK(others_cores(c) == 0);
    CHECK(steal_pct(c) == 0);
    CHECK(cpu_ms_per_run(c) == Approx(100));  // 2 s over 20 runs
    CHECK(wall_ms_per_run(c) == Approx(100));
    CHECK_FALSE(c.disturbed);
    CHECK(c.reasons.empty());
  }
  SECTION("tick rounding (2 ticks per core) is not counted against other processes") {
    RunConditions c = two_cores_over_2s(2.0, 204);
    CHECK(others_cores(c) == Approx(0).margin(1e-9));
    CHECK_FALSE(c.disturbed);
  }
  SECTION("others on 0.9 of a core: disturbed, with the figure") {
    // 200 ticks ours, 184 others' (+ 4 ticks of rounding): (3.88 - 2 - 0.04) / 2 s = 0.92 cores.
    RunConditions c = two_cores_over_2s(2.0, 388);
    CHECK(others_cores(c) == Approx(0.92));
    CHECK(c.disturbed);
    CHECK(c.reasons == std::vector<std::string>{"other processes used 0.92 of 2 cores"});
  }
  SECTION("just under and just over a quarter core") {
    CHECK_FALSE(two_cores_over_2s(2.0, 252).disturbed);  // (2.52 - 2 - 0.04) / 2 = 0.24
    CHECK(two_cores_over_2s(2.0, 256).disturbed);        // 0.26
  }
  SECTION("steal above 5 % of the cores' time") {
    CHECK_FALSE(two_cores_over_2s(2.0, 200, 18).disturbed);  // 4.5 %
    RunConditions c = two_cores_over_2s(2.0, 200, 40);       // 10 %
    CHECK(steal_pct(c) == Approx(10));
    CHECK(c.disturbed);
    CHECK(c.reasons == std::vector<std::string>{"steal 10 %"});
  }
  SECTION("wall time more than 1.25x the CPU time: the process waited for a core") {
    // The figures: a 156 ms median with 26 ms of CPU per run.
    RunConditions c = two_cores_over_2s(2.0 * 26 / 156, 200 * 26 / 156);
    CHECK(c.disturbed);
    CHECK(c.reasons == std::vector<std::string>{"wall time 6.00× this process's CPU time"});
    CHECK_FALSE(two_cores_over_2s(1.62, 162).disturbed);  // 2 / 1.62 = 1.23
  }
  SECTION("without /proc/stat only the wall/CPU rule applies and the machine's figures are unknown") {
    RunConditions c = conditions_between(LoadSample{100, 5, std::nullopt}, LoadSample{102, 7, std::nullopt}, 2, 20, 2,
                                         kTick, std::nullopt);
    CHECK_FALSE(c.have_machine);
    CHECK_FALSE(c.disturbed);
    nlohmann::json j = conditions_json(c);
    CHECK(j["others_cores"].is_null());
    CHECK(j["steal_pct"].is_null());
    CHECK(j["load_avg_1m"].is_null());
  }
  SECTION("counters that went backwards are not read as load") {
    RunConditions c = conditions_between(at(100, 5, 1000, 5000), at(102, 7, 900, 5400), 2, 20, 2, kTick, std::nullopt);
    CHECK_FALSE(c.have_machine);
    CHECK_FALSE(c.disturbed);
  }
}

TEST_CASE("two measurements combine into one judged again, and a forced decision holds") {
  RunConditions quiet = two_cores_over_2s(2.0, 200), busy = two_cores_over_2s(2.0, 388);
  RunConditions both = combine_conditions(quiet, busy);
  CHECK(both.runs == 40);
  CHECK(both.span_s == Approx(4));
  CHECK(others_cores(both) == Approx((5.88 - 4 - 0.04) / 4));  // 0.46
  CHECK(both.disturbed);
  CHECK(combine_conditions(RunConditions{}, quiet).runs == 20);  // nothing measured yet
  RunConditions forced = quiet;
  forced.disturbed = true;
  forced.reasons = {"MNET_TEST_DISTURBED=1"};
  CHECK(combine_conditions(quiet, forced).disturbed);
  CHECK(combine_conditions(quiet, forced).reasons == forced.reasons);
}

TEST_CASE("the warning and the header note name the worst disturbed measurement — none when all were quiet") {
  RunConditions quiet = two_cores_over_2s(2.0, 200), busy = two_cores_over_2s(2.0, 388),
                worse = two_cores_over_2s(2.0 * 26 / 156, 300);
  CHECK(disturbance_warning({quiet, quiet}).empty());
  CHECK(disturbance_note({quiet}).empty());
  CHECK(disturbance_warning({busy}) ==
        "the machine was busy during the timed runs (other processes used 0.92 of 2 cores, steal 0 %): the figures are "
        "not a quiet machine's; --wait-idle waits for one");
  // (3 - 0.333 - 0.04) / 2 = 1.31 cores, and wall 6× CPU.
  CHECK(disturbance_warning({quiet, busy, worse}) ==
        "the machine was busy during 2 of 3 timed measurements (other processes used 1.31 of 2 cores, steal 0 %, wall "
        "time 6.00× this process's CPU time): the figures are not a quiet machine's; --wait-idle waits for one");
  CHECK(disturbance_note({quiet, busy}) == "; DISTURBED: other processes used 0.92 of 2 cores");
}

TEST_CASE("the --wait-idle option samples windows until one is quiet, says once that it waits, and gives up at its budget") {
  // A fake machine: 2 cores, each window kIdleWindowS long; `busy_windows` windows with others on
  // 1.5 cores, then quiet ones.
  struct Fake {
    int busy_windows = 0;
    double now = 0;
    uint64_t busy = 0, idle = 0;
    LoadSample sample() const { return at(now, 0.001, busy, idle); }
    void sleep(double s) {
      const uint64_t ticks = uint64_t(s * 2 / kTick + 0.5);  // both cores
      const uint64_t others = busy_windows-- > 0 ? ticks * 3 / 4 : 0;
      busy += others;
      idle += ticks - others;
      now += s;
    }
  };
  int said = 0;
  auto on_busy = [&](const RunConditions& c) {
    ++said;
    CHECK(others_cores(c) > 1.4);
  };
  SECTION("quiet at once") {
    Fake f;
    IdleWait w = wait_for_idle(60, [&] { return f.sample(); }, [&](double s) { f.sleep(s); }, on_busy, 2, kTick);
    CHECK(w.quiet);
    CHECK(w.windows == 1);
    CHECK(w.waited_s == Approx(kIdleWindowS));
    CHECK(said == 0);
  }
  SECTION("quiet after three busy windows") {
    Fake f;
    f.busy_windows = 3;
    IdleWait w = wait_for_idle(60, [&] { return f.sample(); }, [&](double s) { f.sleep(s); }, on_busy, 2, kTick);
    CHECK(w.quiet);
    CHECK(w.windows == 4);
    CHECK(w.waited_s == Approx(4 * kIdleWindowS));
    CHECK(said == 1);
  }
  SECTION("busy throughout: gives up when the budget is spent, the last window shorter") {
    Fake f;
    f.busy_windows = 1000;
    IdleWait w = wait_for_idle(1.2, [&] { return f.sample(); }, [&](double s) { f.sleep(s); }, on_busy, 2, kTick);
    CHECK_FALSE(w.quiet);
    CHECK(w.windows == 3);  // 0.5 + 0.5 + 0.2 s
    CHECK(w.waited_s == Approx(1.2));
    CHECK(w.last.disturbed);
    CHECK(said == 1);
  }
  SECTION("a budget of 0 samples nothing") {
    Fake f;
    IdleWait w = wait_for_idle(0, [&] { return f.sample(); }, [&](double) { FAIL("slept"); }, on_busy, 2, kTick);
    CHECK_FALSE(w.quiet);
    CHECK(w.windows == 0);
  }
}

TEST_CASE("latency statistics have mean and sample stddev, and JSON has them with the conditions") {
  LatencyStats s = latency_stats({4, 1, 3, 2, 5});
  CHECK(s.mean == 3);
  CHECK(s.stddev == Approx(std::sqrt(2.5)));  // squares 10 over n - 1 = 4
  CHECK(latency_stats({7}).stddev == 0);
  CHECK_FALSE(latency_json(s).contains("conditions"));  // not timed: no conditions to show
  s.conditions = two_cores_over_2s(2.0, 388);
  nlohmann::json j = latency_json(s);
  CHECK(j["mean_ms"] == 3.0);
  CHECK(j["stddev_ms"].get<double>() == Approx(std::sqrt(2.5)));
  CHECK(j["conditions"]["disturbed"] == true);
  CHECK(j["conditions"]["others_cores"].get<double>() == Approx(0.92));
  CHECK(j["conditions"]["steal_pct"] == 0.0);
  CHECK(j["conditions"]["cpu_ms_per_run"].get<double>() == Approx(100));
  CHECK(j["conditions"]["load_avg_1m"] == 1.5);
  CHECK(j["conditions"]["cores"] == 2);
}

TEST_CASE("bench's report says which rows were disturbed: header note, column, CSV statistics, JSON flag") {
  MachineInfo m;
  m.cpu = "Test CPU";
  m.blas_core = "Haswell";
  m.warmup = 3;
  LatencyStats quiet = latency_stats({1, 2, 3}), busy = latency_stats({10, 20, 30});
  quiet.conditions = two_cores_over_2s(2.0, 200);
  busy.conditions = two_cores_over_2s(2.0, 388);
  std::vector<BenchRow> rows{{"m", "m.json", Shape{3, 8, 8}, 1, 0, quiet}, {"m", "m.json", Shape{3, 8, 8}, 2, 0, busy}};
  const ReportContext context = test_report_context({1, 2});

  std::string table = format_bench(m, rows, Format::table, context);
  CHECK_THAT(table, StartsWith("mnet 0.1.0 (0123456789ab), Test CPU, avx512 kernels, 2 cores, 1,2 threads, OpenBLAS core "
                               "Haswell, 0 runs after 3 warm-up; DISTURBED: other processes used 0.92 of 2 cores\n"));
  CHECK_THAT(table, Contains("mean ± sd ms  runs  init ms  first ms  peak RSS  disturbed"));
  CHECK_THAT(table, Contains("2.000 ± 1.000     3      0.0      0.00         ?         no\n"));
  CHECK_THAT(table, Contains("20.000 ± 10.000     3      0.0      0.00         ?        yes\n"));
  std::string csv = format_bench(m, rows, Format::csv, context);
  CHECK_THAT(csv, StartsWith("model,input,width,threads,batch,median ms,p10 ms,p90 ms,images/s,mean ms,stddev ms,min ms,max ms,runs,cpu ms/run,"
                             "disturbed,init ms,first run ms,peak rss bytes,planned bytes,mnet_commit,cpu,simd\n"));
  CHECK_THAT(csv, Contains(",,2,1,20.000,12.000,28.000,50.0,20.000,10.000,10.000,30.000,3,100.000,yes,0.000,0.000,,0,0123456789ab,Test CPU,avx512\n"));
  auto j = nlohmann::json::parse(format_bench(m, rows, Format::json, context));
  CHECK(j["disturbed"] == true);
  CHECK(j["results"][0]["conditions"]["disturbed"] == false);
  CHECK(j["results"][1]["conditions"]["disturbed"] == true);

  rows.pop_back();
  CHECK_THAT(format_bench(m, rows, Format::table, context), StartsWith("mnet 0.1.0 (0123456789ab), Test CPU, avx512 kernels, 2 cores, 1,2 threads, OpenBLAS core Haswell, 0 runs after 3 warm-up\n"));
  CHECK_THAT(format_bench(m, rows, Format::table, context), !Contains("disturbed"));
  CHECK(nlohmann::json::parse(format_bench(m, rows, Format::json, context))["disturbed"] == false);
}

TEST_CASE("bench, profile and compare say on stderr, once, when the timed runs were disturbed", "[e2e]") {
  const std::string tiny = config("tiny_custom.json");
  CommandResult busy = run_forced("1", "bench " + tiny + " --threads 1,2 --runs 3 --warmup 1 --format json");
  INFO(busy.err);
  REQUIRE(busy.exit_code == 0);
  CHECK_THAT(busy.err, Contains("\nmnet: warning: the machine was busy during 2 of 2 timed measurements ("));
  CHECK_THAT(busy.err, Contains("MNET_TEST_DISTURBED=1): the figures are not a quiet machine's; --wait-idle waits for one\n"));
  CHECK(std::count(busy.err.begin(), busy.err.end(), '\n') == 2);  // and the random-weights line
  auto j = nlohmann::json::parse(busy.out);
  CHECK(j["disturbed"] == true);
  for (const auto& r : j["results"]) {
    CHECK(r["conditions"]["disturbed"] == true);
    CHECK(r["conditions"]["cpu_ms_per_run"].get<double>() > 0);
    for (const char* key : {"mean_ms", "stddev_ms", "min_ms", "max_ms"}) CHECK(r.contains(key));
  }

  CommandResult quiet = run_forced("0", "bench " + tiny + " --runs 3 --warmup 1 --format json");
  REQUIRE(quiet.exit_code == 0);
  CHECK_THAT(quiet.err, !Contains("warning"));
  CHECK(nlohmann::json::parse(quiet.out)["disturbed"] == false);

  CommandResult profile = run_forced("1", "profile " + tiny + " --runs 2 --warmup 1 --format json");
  REQUIRE(profile.exit_code == 0);
  CHECK_THAT(profile.err, Contains("mnet: warning: the machine was busy during 2 of 2 timed measurements"));
  auto p = nlohmann::json::parse(profile.out);
  CHECK(p["conditions"]["disturbed"] == true);
  CHECK(p["model_latency"]["conditions"]["disturbed"] == true);
  CHECK(p["model_latency"].contains("stddev_ms"));
  CommandResult table = run_forced("1", "profile " + tiny + " --runs 2 --warmup 1");
  CHECK_THAT(table.out, Contains(" warm-up; DISTURBED: "));
  CHECK_THAT(table.out, Contains("MNET_TEST_DISTURBED=1\n"));

  CommandResult compare = run_forced("1", "compare " + tiny + " " + config("mobilenet_v3_small.json") +
                                              " --runs 2 --warmup 1 --format csv");
  REQUIRE(compare.exit_code == 0);
  CHECK(std::count(compare.err.begin(), compare.err.end(), '\n') == 3);  // two random-weights lines and the warning
  CHECK_THAT(compare.err, Contains("mnet: warning: the machine was busy during 2 of 2 timed measurements"));
  CHECK_THAT(compare.out, StartsWith("model,input,MAdds,params,1x1 conv %,depthwise %,threads,median ms,p10 ms,p90 ms,mean ms,"
                                     "stddev ms,min ms,max ms,GFLOP/s,init ms,first run ms,peak rss bytes,planned bytes,disturbed,"
                                     "mnet_commit,cpu,simd\n"));
  CHECK_THAT(compare.out, Contains(",yes,"));
}

TEST_CASE("the --duration option runs for a time instead of --runs, --delay sleeps between runs, --wait-idle returns", "[e2e]") {
  const std::string tiny = config("tiny_custom.json");
  // tiny_custom runs in well under a millisecond: 0.2 s with 50 ms between runs is a few runs.
  CommandResult r = run_forced("0", "bench " + tiny + " --duration 0.2 --delay 50 --warmup 1 --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["settings"]["duration_s"] == 0.2);
  const int runs = j["results"][0]["runs"];
  CHECK(runs >= 2);
  CHECK(runs <= 6);  // 0.2 s / 50 ms + 1, had the delays not been slept it would be thousands
  // The delays are not timed: the runs' wall time stays far below the 50 ms slept between them.
  CHECK(j["results"][0]["conditions"]["wall_ms_per_run"].get<double>() < 25);

  CommandResult table = run_forced("0", "profile " + tiny + " --duration 0.05 --warmup 0");
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Contains(", runs for 0.05 s after 0 warm-up\n"));

  CommandResult both = run_forced("0", "bench " + tiny + " --duration 1 --runs 3");
  CHECK(both.exit_code == 2);
  CHECK_THAT(both.err, StartsWith("mnet: error: --runs excludes --duration"));
  CHECK(run_forced("0", "bench " + tiny + " --duration 0").exit_code == 2);
  CHECK(run_forced("0", "bench " + tiny + " --duration 3601").exit_code == 2);
  CHECK(run_forced("0", "bench " + tiny + " --delay -1").exit_code == 2);

  // --wait-idle=0.1 waits at most 0.1 s whatever the load, then measures.
  CommandResult wait = run_forced("0", "bench " + tiny + " --runs 3 --warmup 1 --wait-idle=0.1 --format json");
  INFO(wait.err);
  REQUIRE(wait.exit_code == 0);
  CHECK(nlohmann::json::parse(wait.out)["results"][0]["runs"] == 3);
  CHECK(std::count(wait.err.begin(), wait.err.end(), '\n') <= 3);  // random weights, at most waiting and gave up
  CommandResult bad = run_forced("0", "bench " + tiny + " --wait-idle=soon");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("--wait-idle must be a number of seconds in [0, 3600], got soon"));
}
