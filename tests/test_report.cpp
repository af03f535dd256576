// The report envelope (report/envelope.h), and every subcommand's JSON checked against the
// documented schema (docs/report.schema.json), the trace against the trace-event format.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "report/envelope.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;

namespace {

ReportContext sample_context() {
  ReportContext c;
  c.version = "0.1.0";
  c.git_commit = "264e6adbcd4d";
  c.created = "2026-12-05T07:00:00Z";
  c.command_line = {"mnet", "bench", "m.json"};
  c.cpu = "Test CPU";
  c.cores = 2;
  c.simd = "avx2";
  c.simd_cpu = "avx512";
  c.threads = {1, 2};
  return c;
}

}  // namespace

TEST_CASE("the report envelope wraps a body with mnet, time, command line, machine and threads") {
  nlohmann::json j = report_json(sample_context(), "bench", {{"results", nlohmann::json::array()}});
  CHECK(j["schema"] == kReportSchema);
  CHECK(j["kind"] == "bench");
  CHECK(j["mnet"]["git_commit"] == "264e6adbcd4d");
  CHECK(j["command_line"] == nlohmann::json({"mnet", "bench", "m.json"}));
  CHECK(j["machine"]["simd"] == "avx2");
  CHECK(j["machine"]["openblas"].is_null());  // not loaded by this command
  CHECK(j["threads"] == nlohmann::json({1, 2}));
  CHECK(j["results"].is_array());
  // A body that reuses an envelope key is a programming error, not a silent overwrite.
  CHECK_THROWS_WITH(report_json(sample_context(), "bench", {{"machine", 1}}), Contains("'machine'"));
  CHECK_THROWS(report_json(sample_context(), "bench", nlohmann::json::array()));
}

TEST_CASE("the context line names mnet, the CPU, the kernels and when they are lowered") {
  const std::string line = context_line(sample_context());
  CHECK_THAT(line, Contains("mnet 0.1.0 (264e6adbcd4d)"));
  CHECK_THAT(line, Contains("Test CPU, avx2 kernels (CPU has avx512), 2 cores, 1,2 threads"));
}

TEST_CASE("every subcommand's JSON report validates against docs/report.schema.json") {
  if (!have_jsonschema()) {
    WARN("skipped: /usr/bin/python3 has no jsonschema module (scripts/install_deps.sh --test installs python3-jsonschema)");
    return;
  }
  TempDir tmp;
  const std::string v1 = shell_quote(source_path("configs/mobilenet_v1.json"));
  const std::string v3s = shell_quote(source_path("configs/mobilenet_v3_small.json"));
  const std::string quick = " --runs 2 --warmup 1 --resolution 64 --format json -o ";
  struct Case {
    std::string name, args;
  };
  const std::vector<Case> cases = {
      {"info", "info " + v1 + " --format json -o "},
      {"profile_cost", "profile " + v1 + " --cost-only --format json -o "},
      {"profile_timed", "profile " + v3s + quick},
      {"bench", "bench " + v3s + " --threads 1,2 --width 0.5,1" + quick},
      {"compare_cost", "compare " + v1 + " " + v3s + " --cost-only --baseline " + v1 + " --format json -o "},
      {"compare_timed", "compare " + v1 + " " + v3s + " --threads 1,2 --baseline " + v1 + quick},
      {"explain", "explain conv --in 32 --out 64 --size 56 --format json -o "},
  };
  std::vector<std::string> files;
  for (const Case& c : cases) {
    const std::string file = tmp.file(c.name + ".json");
    CommandResult r = run_mnet(c.args + shell_quote(file));
    INFO(c.name << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    nlohmann::json j = nlohmann::json::parse(read_text(file));
    CHECK(j["kind"] == c.name.substr(0, c.name.find('_')));
    files.push_back(file);
  }
  // The figures' commands: -o is the figure, the JSON goes to stdout.
  for (const std::string command : {"manifold", "activations"}) {
    CommandResult r = run_mnet(command + " --format json -o " + shell_quote(tmp.file(command + ".svg")));
    INFO(command << ": " << r.err);
    REQUIRE(r.exit_code == 0);
    files.push_back(tmp.write(command + ".json", r.out));
  }
  const std::string problems = json_schema_problems(source_path("docs/report.schema.json"), files);
  INFO(problems);
  CHECK(problems.empty());
}

TEST_CASE("the schema is strict enough to refuse a report with a key missing or of the wrong type") {
  if (!have_jsonschema()) {
    WARN("skipped: /usr/bin/python3 has no jsonschema module");
    return;
  }
  TempDir tmp;
  nlohmann::json good = report_json(sample_context(), "explain",
                                    {{"in_channels", 3}, {"out_channels", 4}, {"kernel", 3}, {"size", 8}, {"standard", {}},
                                     {"depthwise", {}}, {"pointwise", {}}, {"separable", {}}, {"ratio", 0.5}});
  nlohmann::json no_ratio = good;
  no_ratio.erase("ratio");
  nlohmann::json bad_commit = good;
  bad_commit["mnet"]["git_commit"] = "not a commit";
  nlohmann::json unknown_kind = good;
  unknown_kind["kind"] = "nonsense";
  const std::string schema = source_path("docs/report.schema.json");
  CHECK(json_schema_problems(schema, {tmp.write("good.json", good.dump())}).empty());
  CHECK_THAT(json_schema_problems(schema, {tmp.write("a.json", no_ratio.dump())}), Contains("'ratio' is a required property"));
  CHECK_THAT(json_schema_problems(schema, {tmp.write("b.json", bad_commit.dump())}), Contains("git_commit"));
  CHECK_THAT(json_schema_problems(schema, {tmp.write("c.json", unknown_kind.dump())}), Contains("nonsense"));
}

TEST_CASE("profile --trace writes Chrome trace-event JSON, one event per layer per run") {
  TempDir tmp;
  const std::string trace = tmp.file("v3s.trace.json");
  CommandResult r = run_mnet("profile " + shell_quote(source_path("configs/mobilenet_v3_small.json")) +
                             " --resolution 64 --runs 3 --warmup 1 --trace " + shell_quote(trace) + " --format json -o " +
                             shell_quote(tmp.file("profile.json")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  nlohmann::json t = nlohmann::json::parse(read_text(trace));
  nlohmann::json profile = nlohmann::json::parse(read_text(tmp.file("profile.json")));
  // Every executed layer (not fused away) once per timed run, in order within a run.
  size_t executed = 0;
  for (const auto& l : profile["layers"]) executed += l["fused_into"].is_null() ? 1 : 0;
  size_t complete = 0;
  double last_end = -1;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] != "X") continue;
    ++complete;
    CHECK(e["args"].contains("madds"));
    CHECK(e["args"].contains("bytes"));
    CHECK(e["ts"].get<double>() >= last_end - 1e-3);  // one track: no event starts before the last ended
    last_end = e["ts"].get<double>() + e["dur"].get<double>();
  }
  CHECK(complete == 3 * executed);
  CHECK(t["otherData"]["kind"] == "trace");
  CHECK(t["otherData"]["traced_runs"] == 3);
  if (!have_jsonschema()) {
    WARN("skipped the schema check: /usr/bin/python3 has no jsonschema module");
    return;
  }
  const std::string problems = json_schema_problems(source_path("tests/trace_event.schema.json"), {trace});
  INFO(problems);
  CHECK(problems.empty());
  // Its metadata is an mnet report envelope too.
  const std::string meta = tmp.write("meta.json", t["otherData"].dump());
  CHECK(json_schema_problems(source_path("docs/report.schema.json"), {meta}).empty());
}
