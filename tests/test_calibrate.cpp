// The GEMM ceiling: this machine's key, the "% ceil" arithmetic in the profile report, and
// `mnet calibrate` / `mnet profile` end to end on temporary cache folders.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "cost/cost.h"
#include "report/calibration_report.h"
#include "report/latency_report.h"
#include "report/profile_report.h"
#include "profile/calibrate.h"
#include "profile/calibration_cache.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

namespace {

std::string config(const std::string& name) { return source_path("configs/" + name); }

// run_mnet with the load decision forced ("0" quiet, "1" disturbed; profiler.h's test hook): this
// machine may be busy while the tests run, and calibrate would then rightly refuse to cache.
CommandResult run_mnet_load(const std::string& disturbed, const std::string& args, const std::string& cache_dir) {
  return run_command("MNET_TEST_DISTURBED=" + disturbed + " MNET_CACHE_DIR=" + shell_quote(cache_dir) + " " +
                     MNET_BINARY + " " + args);
}

// One 1x1 convolution, 8 -> 16 channels at 10x10: 12,800 multiply-adds.
CostReport one_conv_cost() {
  return analyze_cost(parse_config(R"({"name": "one", "resolution": 10, "input_channels": 8,
                                       "layers": [{"type": "conv", "name": "pw", "out": 16, "kernel": 1}]})",
                                   "one.json"));
}

// Timings at which the convolution runs at exactly 100 GFLOP/s: 25,600 FLOPs in 256 ns.
ProfileTimings timings_at_100_gflops(double ceiling_gflops, int threads = 1) {
  ProfileTimings t;
  t.machine.threads = threads;
  t.machine.runs = 3;
  t.machine.ceiling = GemmCeiling{ceiling_gflops, "conv1x1 512->512 at 28x28", "2025-01-02 03:04 UTC", "/x/calibration.json"};
  t.by_node.resize(2);
  t.by_node[1].median_ms = 0.000256;
  t.layer_sum_ms = 0.000256;
  return t;
}

}  // namespace

TEST_CASE("the key of this machine names its CPU, OpenBLAS and mnet version") {
  CalibrationKey k = current_calibration_key(2);
  CHECK(k.threads == 2);
  CHECK(!k.cpu.empty());
  CHECK_THAT(k.blas, Contains("OpenBLAS"));
  CHECK(!k.blas_core.empty());
  CHECK(k.mnet_version == MNET_VERSION);
}

TEST_CASE("GFLOP/s counts two FLOPs per multiply-add, 0 without a time — latency JSON names every statistic") {
  CHECK(gflops(12800, 0.000256) == Approx(100.0));  // 25,600 FLOPs in 256 ns
  CHECK(gflops(205520896, 2.0) == Approx(205.520896));
  CHECK(gflops(12800, 0) == 0);
  CHECK(gflops(0, 1.5) == 0);

  LatencyStats s = latency_stats({4, 1, 3, 2, 5});
  CHECK(s.runs == 5);
  CHECK(s.median == 3);
  CHECK(s.p10 == Approx(1.4));
  CHECK(s.p90 == Approx(4.6));
  nlohmann::json j = latency_json(s);
  CHECK(j == nlohmann::json{{"runs", 5},      {"median_ms", 3.0}, {"p10_ms", s.p10},   {"p90_ms", s.p90},
                            {"min_ms", 1.0},  {"max_ms", 5.0},    {"mean_ms", 3.0},    {"stddev_ms", s.stddev}});
}

TEST_CASE("% ceil is the achieved GFLOP/s over the ceiling, per layer, per type and in total") {
  CHECK(ceiling_fraction(100, GemmCeiling{200, "", "", ""}) == 0.5);
  CHECK(ceiling_fraction(250, GemmCeiling{200, "", "", ""}) == 1.25);  // shown as measured, not clamped
  CHECK(ceiling_fraction(100, GemmCeiling{}) == 0);

  CostReport cost = one_conv_cost();
  REQUIRE(cost.madds == 12800);
  ProfileTimings t = timings_at_100_gflops(400);

  std::string table = format_profile(cost, &t, Format::table, test_report_context());
  CHECK_THAT(table, Contains("GEMM ceiling: 400.0 GFLOP/s, the engine's best 1x1 convolution (conv1x1 512->512 at "
                             "28x28), measured by mnet calibrate 2025-01-02 03:04 UTC, read from /x/calibration.json"));
  CHECK_THAT(table, Contains("GFLOP/s  % ceil"));
  CHECK_THAT(table, Contains("100.0    25.0\n"));  // the layer, its type and the total

  std::string csv = format_profile(cost, &t, Format::csv, test_report_context());
  CHECK_THAT(csv, StartsWith("#,layer,type,in,out,MAdds,params,MAdds %,ms,time %,GFLOP/s,% ceil,fused into,model,threads,mnet_commit,cpu,simd\n"));
  CHECK_THAT(csv, Contains(",100.0,25.0,,"));
  CHECK_THAT(format_profile(cost, &t, Format::md, test_report_context()), Contains("100.0 |   25.0 |"));

  auto j = nlohmann::json::parse(format_profile(cost, &t, Format::json, test_report_context()));
  CHECK(j["ceiling_gflops"] == 400.0);
  CHECK(j["ceiling"]["shape"] == "conv1x1 512->512 at 28x28");
  CHECK(j["ceiling"]["cache_file"] == "/x/calibration.json");
  CHECK(j["layers"][0]["ceiling_fraction"].get<double>() == Approx(0.25));
  CHECK(j["by_type"][0]["ceiling_fraction"].get<double>() == Approx(0.25));
}

TEST_CASE("without a ceiling the profile says it is not measured and has no % ceil") {
  CostReport cost = one_conv_cost();
  ProfileTimings t = timings_at_100_gflops(0);
  std::string table = format_profile(cost, &t, Format::table, test_report_context());
  CHECK_THAT(table, Contains("\nGEMM ceiling: not measured (run mnet calibrate)\n"));
  CHECK(table.find("% ceil") == std::string::npos);
  CHECK(format_profile(cost, &t, Format::csv, test_report_context()).find("% ceil") == std::string::npos);
  auto j = nlohmann::json::parse(format_profile(cost, &t, Format::json, test_report_context()));
  CHECK(j["ceiling_gflops"].is_null());
  CHECK(j["ceiling"]["measured"] == false);
  CHECK(!j["layers"][0].contains("ceiling_fraction"));

  ProfileTimings two = timings_at_100_gflops(0, 2);
  CHECK_THAT(format_profile(cost, &two, Format::table, test_report_context()), Contains("GEMM ceiling: not measured (run mnet calibrate --threads 2)"));
  CHECK(format_profile(cost, nullptr, Format::table, test_report_context()).find("GEMM ceiling") == std::string::npos);  // --cost-only
}

TEST_CASE("mnet calibrate caches the ceiling and mnet profile then shows % ceil", "[calibrate][e2e]") {
  TempDir cache;
  std::string v1 = shell_quote(config("mobilenet_v1.json"));

  CommandResult before = run_mnet_load("0", "profile " + v1 + " --runs 3 --warmup 1", cache.path.string());
  REQUIRE(before.exit_code == 0);
  CHECK_THAT(before.out, Contains("\nGEMM ceiling: not measured (run mnet calibrate)\n"));
  CHECK(before.out.find("% ceil") == std::string::npos);
  CHECK(cache.entries().empty());  // a profile never measures, never writes the cache

  CommandResult cal = run_mnet_load("0", "calibrate --threads 1", cache.path.string());
  INFO(cal.err);
  REQUIRE(cal.exit_code == 0);
  CHECK(cal.err.empty());
  CHECK_THAT(cal.out, Contains("ceiling GFLOP/s"));
  CHECK_THAT(cal.out, Contains("conv1x1 "));
  CHECK_THAT(cal.out, Contains("sgemm 1024x1024x1024"));
  CHECK_THAT(cal.out, Contains("cached in " + cache.file("calibration.json") + "\n"));
  CHECK(cache.entries() == std::vector<std::string>{"calibration.json"});
  CalibrationCache cached = read_calibration_cache(cache.file("calibration.json"));
  REQUIRE(cached.entries.size() == 1);
  CHECK(cached.entries[0].key == current_calibration_key(1));
  CHECK(cached.entries[0].ceiling_gflops > 0);
  CHECK(cached.entries[0].shapes.size() >= 3);

  CommandResult after = run_mnet_load("0", "profile " + v1 + " --runs 3 --warmup 1", cache.path.string());
  INFO(after.err);
  REQUIRE(after.exit_code == 0);
  CHECK_THAT(after.out, Contains("\nGEMM ceiling: " + fixed(cached.entries[0].ceiling_gflops, 1) + " GFLOP/s"));
  CHECK_THAT(after.out, Contains("read from " + cache.file("calibration.json")));
  CHECK_THAT(after.out, Contains("GFLOP/s  % ceil"));

  CommandResult json = run_mnet("profile " + v1 + " --runs 3 --warmup 1 --format json", cache.path.string());
  REQUIRE(json.exit_code == 0);
  auto j = nlohmann::json::parse(json.out);
  CHECK(j["ceiling_gflops"].get<double>() == cached.entries[0].ceiling_gflops);
  for (const auto& l : j["layers"])
    if (l["madds"] > 0 && !l.contains("fused_into")) CHECK(l["ceiling_fraction"].get<double>() > 0);

  // The ceiling is per thread count: 1 thread's does not stand in for 2.
  CommandResult two = run_mnet("profile " + v1 + " --runs 3 --warmup 1 --threads 2", cache.path.string());
  REQUIRE(two.exit_code == 0);
  CHECK_THAT(two.out, Contains("GEMM ceiling: not measured (run mnet calibrate --threads 2)"));
}

TEST_CASE("a corrupt calibration cache is ignored by profile with a note and rewritten by calibrate", "[calibrate][e2e]") {
  TempDir cache;
  std::string path = cache.write("calibration.json", "{\"mnet_calibration_cache\": 1, \"entr");
  CommandResult r = run_mnet_load("0", "profile " + shell_quote(config("tiny_custom.json")) + " --runs 1 --warmup 0", cache.path.string());
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("GEMM ceiling: not measured (run mnet calibrate)"));
  CHECK_THAT(r.err, Contains("mnet: " + path + ": not a calibration cache: not valid JSON; ignored (mnet calibrate rewrites it)\n"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 2);  // the note and the random-weights line

  CommandResult cal = run_mnet_load("0", "calibrate --format json -o " + shell_quote(cache.file("report.json")), cache.path.string());
  REQUIRE(cal.exit_code == 0);
  CHECK(cal.out.empty());
  CHECK(cal.err == "mnet: " + path + ": not a calibration cache: not valid JSON; calibrate overwrites it\n");
  auto report = nlohmann::json::parse(read_text(cache.file("report.json")));
  CHECK(report["cache_file"] == path);
  REQUIRE(report["results"].size() == 1);
  CHECK(report["results"][0]["threads"] == 1);
  CHECK(report["results"][0]["ceiling_gflops"].get<double>() > 0);
  CHECK(report["results"][0]["sgemm"]["gflops"].get<double>() > 0);
  CalibrationCache rewritten = read_calibration_cache(path);
  CHECK(rewritten.problem.empty());
  CHECK(rewritten.entries.size() == 1);
}

TEST_CASE("mnet calibrate fails before measuring when the cache folder cannot be made", "[calibrate][e2e]") {
  TempDir tmp;
  std::string file = tmp.write("a-file", "x");
  CommandResult r = run_mnet("calibrate", file + "/cache");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, StartsWith("mnet: error: " + file + "/cache: cannot create the calibration cache folder: "));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.out.empty());

  CHECK(run_mnet("calibrate --threads 0").exit_code == 2);
  CHECK(run_mnet("calibrate --format xml").exit_code == 2);
  CommandResult help = run_mnet("calibrate --help");
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Contains("example: mnet calibrate --threads 1,2"));
}

TEST_CASE("mnet calibrate caches no ceiling measured while the machine was busy, and fails saying so", "[calibrate][e2e]") {
  TempDir cache;
  CommandResult r = run_mnet_load("1", "calibrate --threads 1 --format json", cache.path.string());
  CHECK(r.exit_code == 1);
  const std::string path = cache.file("calibration.json");
  CHECK_THAT(r.err, StartsWith("mnet: error: " + path + ": the ceiling at --threads 1 was not cached: the machine was busy "
                               "during the timed runs ("));
  CHECK_THAT(r.err, EndsWith("MNET_TEST_DISTURBED=1); rerun on a quiet machine, or with --wait-idle\n"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(cache.entries().empty());  // nothing written
  // The figures are still shown, marked as not cached.
  auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["results"].size() == 1);
  CHECK(j["results"][0]["cached"] == false);
  CHECK(j["results"][0]["conditions"]["disturbed"] == true);
  CHECK(j["results"][0]["ceiling_gflops"].get<double>() > 0);

  // A quiet one is cached; a later busy one leaves it as it was.
  REQUIRE(run_mnet_load("0", "calibrate --threads 1", cache.path.string()).exit_code == 0);
  const std::string quiet = read_text(path);
  CommandResult busy = run_mnet_load("1", "calibrate --threads 1", cache.path.string());
  CHECK(busy.exit_code == 1);
  CHECK_THAT(busy.out, Contains("no: machine busy"));
  CHECK_THAT(busy.out, Contains("\nnothing cached in " + path + "\n"));
  CHECK(read_text(path) == quiet);
}

TEST_CASE("only the quiet thread counts of a calibration are cached", "[calibrate]") {
  Calibration quiet, busy;
  quiet.key.threads = 1;
  quiet.key.mnet_version = MNET_VERSION;
  busy.key.threads = 2;
  quiet.conditions.measured = busy.conditions.measured = true;
  busy.conditions.disturbed = true;
  busy.conditions.reasons = {"other processes used 0.90 of 2 cores"};
  CHECK(may_cache(quiet));
  CHECK_FALSE(may_cache(busy));
  CHECK_FALSE(may_cache(Calibration{}));  // never measured
  std::string table = format_calibration({quiet, busy}, "/c/calibration.json", Format::table, test_report_context());
  CHECK_THAT(table, Contains("mnet " MNET_VERSION " (0123456789ab), avx512 kernels; DISTURBED: other processes used 0.90 of 2 cores\n"));
  CHECK_THAT(table, Contains("\nonly the rows marked yes cached in /c/calibration.json\n"));
  CHECK_THAT(format_calibration({quiet}, "/c/calibration.json", Format::table, test_report_context()), Contains("\ncached in /c/calibration.json\n"));
  // CSV: one row per thread count with its context; Markdown: the same table.
  const std::string csv = format_calibration({quiet, busy}, "/c/calibration.json", Format::csv, test_report_context());
  CHECK_THAT(csv, StartsWith("threads,ceiling gflops,reached by,sgemm gflops,sgemm shape,memory gbs,cached,disturbed,mnet_commit,cpu,simd,"
                             "openblas_core\n1,"));
  CHECK_THAT(csv, Contains(",yes,no,0123456789ab,"));
  CHECK_THAT(csv, Contains(",no,yes,0123456789ab,"));
  CHECK_THAT(format_calibration({quiet}, "/c/calibration.json", Format::md, test_report_context()), Contains("| threads |"));
  auto j = nlohmann::json::parse(format_calibration({quiet}, "/c/calibration.json", Format::json, test_report_context()));
  CHECK(j["kind"] == "calibrate");
  CHECK(j["results"][0]["cached"] == true);
}
