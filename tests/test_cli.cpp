// End-to-end: the built mnet binary, its output formats, exit codes and error lines.
#include <catch2/catch.hpp>
#include <set>
#include <tuple>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/npy.h"
#include "kernels/packed_gemm.h"
#include "run/executor.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {
std::string config(const std::string& name) { return source_path("configs/" + name); }
int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }
}  // namespace

TEST_CASE("mnet profile --cost-only prints the V1 per-layer table and the paper's Table 2") {
  CommandResult r = run_mnet("profile " + config("mobilenet_v1.json") + " --cost-only");
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Contains("568,740,352"));
  CHECK_THAT(r.out, Contains("4,210,088"));
  CHECK_THAT(r.out, Contains("ds13.pw"));
  CHECK_THAT(r.out, Contains("conv1x1      13  539,492,352    94.86  3,139,584     74.57      74.59"));
}

TEST_CASE("mnet profile --format json has layers, totals and by_type") {
  CommandResult r = run_mnet("profile " + config("mobilenet_v3_small.json") + " --cost-only --format json");
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["totals"]["madds"] == 56510400);
  CHECK(j["layers"].size() > 100);
  for (const char* key : {"name", "type", "in_shape", "out_shape", "madds", "params"}) CHECK(j["layers"][0].contains(key));
  for (const char* key : {"type", "madds", "madds_pct", "params", "params_pct"}) CHECK(j["by_type"][0].contains(key));
  CHECK(j["totals"].contains("elementwise_ops"));
}

TEST_CASE("mnet profile writes csv and md, and -o writes the same bytes as stdout") {
  TempDir tmp;
  CommandResult csv = run_mnet("profile " + config("mobilenet_v1.json") + " --cost-only --format csv");
  REQUIRE(csv.exit_code == 0);
  CHECK_THAT(csv.out, StartsWith("#,layer,type,in,out,MAdds,params,MAdds %,model\n"));
  CHECK(lines(csv.out) == 85);
  CommandResult md = run_mnet("profile " + config("mobilenet_v1.json") + " --cost-only --format md");
  CHECK_THAT(md.out, Contains("| conv1x1 |"));
  CommandResult to_file = run_mnet("profile " + config("mobilenet_v1.json") + " --cost-only --format csv -o " + tmp.file("p.csv"));
  CHECK(to_file.exit_code == 0);
  CHECK(to_file.out.empty());
  CHECK(read_text(tmp.file("p.csv")) == csv.out);
}

TEST_CASE("options --width and --resolution reach the config") {
  CommandResult r = run_mnet("profile " + config("mobilenet_v1.json") + " --cost-only --width 0.5 --resolution 160 --format json");
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["input_shape"] == nlohmann::json({1, 3, 160, 160}));
  CHECK(int64_t(j["totals"]["madds"]) / 1000000 == 76);  // the paper's Table 6 row 0.50 MobileNet-160: 76M
}

TEST_CASE("mnet compare prints one row per model with 1x1 and depthwise shares") {
  CommandResult r = run_mnet("compare " + config("mobilenet_v1.json") + " " + config("mobilenet_v2.json") + " " +
                             config("mobilenet_v3_large.json") + " " + config("mobilenet_v3_small.json") + " --cost-only");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("mobilenet_v1        [3,224,224]  568,740,352  4,210,088       94.86         3.06"));
  CHECK_THAT(r.out, Contains("mobilenet_v3_small"));
  CHECK(lines(r.out) == 6);
}

TEST_CASE("mnet compare --baseline adds ratio columns and a line per model, the baseline first") {
  // Not among the models: added as the first row.
  CommandResult r = run_mnet("compare " + config("mobilenet_v2.json") + " --baseline " + config("mobilenet_v1.json") +
                             " --cost-only");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("MAdds ×  params ×"));
  CHECK(r.out.find("mobilenet_v1") < r.out.find("mobilenet_v2"));
  CHECK_THAT(r.out, Contains("4,210,088       94.86         3.06    1.00×     1.00×"));
  // 300,774,272 / 568,740,352 = 0.529; 3,470,760 / 4,210,088 = 0.824; differences -268.0M and -739.3K.
  CHECK_THAT(r.out, Contains("3.06    1.00×     1.00×\nmobilenet_v2"));
  CHECK_THAT(r.out, Contains("mobilenet_v2: 0.53× the multiply-adds (-268.0M), 0.82× the params (-739.3K) of mobilenet_v1\n"));
  // Among the models (named another way): not repeated, stays where it is.
  CommandResult same = run_mnet("compare " + config("mobilenet_v2.json") + " " + config("../configs/mobilenet_v1.json") +
                                " --baseline " + config("mobilenet_v1.json") + " --cost-only --format json");
  REQUIRE(same.exit_code == 0);
  auto j = nlohmann::json::parse(same.out)["models"];
  REQUIRE(j.size() == 2);
  CHECK(j[1]["is_baseline"] == true);
  CHECK(j[0]["is_baseline"] == false);
  CHECK(j[0]["ratio_to_baseline"]["madds"].get<double>() == Approx(300774272.0 / 568740352.0));
  CHECK(j[0]["ratio_to_baseline"]["params"].get<double>() == Approx(3470760.0 / 4210088.0));
  // Timed: a latency ratio, the baseline's own being exactly 1.
  TempDir tmp;
  CommandResult timed = run_mnet("compare " + config("tiny_custom.json") + " --baseline " + config("mobilenet_v3_small.json") +
                                 " --runs 2 --warmup 1 --format csv -o " + tmp.file("c.csv"));
  REQUIRE(timed.exit_code == 0);
  const std::string csv = read_text(tmp.file("c.csv"));
  CHECK_THAT(csv, StartsWith("model,input,MAdds,params,1x1 conv %,depthwise %,threads,median ms,p10 ms,p90 ms,mean ms,stddev ms,min ms,"
                             "max ms,GFLOP/s,init ms,first run ms,peak rss bytes,planned bytes,disturbed,MAdds ×,params ×,latency ×,"
                             "mnet_commit,cpu,simd\n"));
  CHECK_THAT(csv, Contains(",1.0000,1.0000,1.0000,"));
  // A baseline that cannot be read is an error naming it.
  CommandResult missing = run_mnet("compare " + config("mobilenet_v2.json") + " --baseline " + tmp.file("none.json") + " --cost-only");
  CHECK(missing.exit_code != 0);
  CHECK_THAT(missing.err, Contains("none.json"));
}

TEST_CASE("mnet info lists every node with its shapes and weights") {
  CommandResult r = run_mnet("info " + config("mobilenet_v2.json"));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("block2.expand"));
  CHECK_THAT(r.out, Contains("[96,112,112]"));
  CHECK_THAT(r.out, Contains("weight[96x16x1x1]"));
  CommandResult j = run_mnet("info " + config("tiny_custom.json") + " --format json");
  auto nodes = nlohmann::json::parse(j.out)["nodes"];
  CHECK(nodes[0]["name"] == "input");
  CHECK(nodes.back()["out_shape"] == nlohmann::json({10, 1, 1}));
}

TEST_CASE("mnet profile measures every executed layer and names the machine") {
  CommandResult r = run_mnet("profile " + config("tiny_custom.json") + " --runs 3 --warmup 1 --format json");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Contains("random weights"));
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["settings"]["runs"] == 3);
  CHECK(!j["machine"]["cpu"].get<std::string>().empty());
  CHECK(j["threads"] == nlohmann::json({1}));
  CHECK(j["model_latency"]["runs"] == 3);
  CHECK(j["model_latency"]["median_ms"].get<double>() > 0);
  for (const auto& l : j["layers"]) {
    // A fused layer has no time of its own: null, beside the layer it runs in.
    if (!l["fused_into"].is_null()) CHECK(l["median_ms"].is_null());
    else CHECK(l["median_ms"].get<double>() > 0);
  }
}

TEST_CASE("mnet profile times every convolution on its own and the whole model with band chains") {
  CommandResult r = run_mnet("profile " + config("mobilenet_v2.json") + " --runs 2 --warmup 1 --format json");
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  for (const auto& l : j["layers"])
    if (l["type"] == "conv" || l["type"] == "dwconv") {
      INFO(l["name"]);
      CHECK(l["fused_into"].is_null());
      CHECK(l["median_ms"].get<double>() > 0);
    }
  // V2's expand -> depthwise -> project chains at 112x112 and 56x56 (run/chain_bands.h).
  if (PackedGemm::available())
    CHECK(j["model_latency"]["band_chains"].get<int>() >= 4);
  else
    CHECK(j["model_latency"]["band_chains"] == 0);
}

TEST_CASE("mnet profile runs ShuffleNet v1, MnasNet-A1 and NASNet-A Mobile") {
  for (const char* name : {"shufflenet_v1_g3.json", "mnasnet_a1.json", "nasnet_a_mobile.json"}) {
    INFO(name);
    CommandResult r = run_mnet("profile " + config(name) + " --runs 3 --warmup 1 --format json");
    REQUIRE(r.exit_code == 0);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["model_latency"]["runs"] == 3);
    CHECK(j["model_latency"]["median_ms"].get<double>() > 0);
  }
  CommandResult wide = run_mnet("profile " + config("shufflenet_v1_g3.json") + " --width 1.5 --cost-only");
  REQUIRE(wide.exit_code == 0);
  CHECK_THAT(wide.out, Contains("292,443,552"));
}

TEST_CASE("configs/nasnet_a_mobile.json is what configs/make_nasnet_a_mobile.py generates") {
  if (run_command("test -x /usr/bin/python3").exit_code != 0) {
    WARN("skipped: /usr/bin/python3 is missing");
    return;
  }
  CommandResult check = run_command("/usr/bin/python3 " + shell_quote(source_path("configs/make_nasnet_a_mobile.py")) + " --check");
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);
  CHECK(check.err.empty());
}

TEST_CASE("mnet bench sweeps thread counts") {
  CommandResult r = run_mnet("bench " + config("tiny_custom.json") + " --threads 1,2 --runs 3 --warmup 1 --format json");
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["results"].size() == 2);
  CHECK(j["results"][1]["threads"] == 2);
  for (const char* key : {"median_ms", "p10_ms", "p90_ms", "min_ms", "max_ms", "mean_ms", "stddev_ms", "conditions"})
    CHECK(j["results"][0].contains(key));
}

TEST_CASE("mnet profile runs the torchvision networks' configs with random weights") {
  // One run each: VGG16 alone is 15.5G multiply-adds.
  for (const char* name : {"alexnet.json", "vgg16.json", "googlenet.json", "squeezenet_1_0.json", "resnet50.json",
                           "mnasnet_b1.json", "shufflenet_v2_x1_0.json"}) {
    INFO(name);
    CommandResult r = run_mnet("profile " + config(name) + " --runs 1 --warmup 0 --threads 2 --format json");
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Contains("random weights"));
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["model_latency"]["runs"] == 1);
    CHECK(j["model_latency"]["median_ms"].get<double>() > 0);
    CHECK(j["layers"].back()["out_shape"] == nlohmann::json({1000, 1, 1}));
    for (const auto& l : j["layers"])
      if ((l["type"] == "conv" || l["type"] == "dwconv" || l["type"] == "fc") && !l.contains("fused_into")) {
        INFO(l["name"]);
        CHECK(l["median_ms"].get<double>() > 0);
      }
  }
  // --width thins the convolutions and keeps the 1000 classes (docs/configs.md).
  CommandResult thin = run_mnet("profile " + config("resnet50.json") + " --cost-only --width 0.5 --format json");
  REQUIRE(thin.exit_code == 0);
  CHECK(nlohmann::json::parse(thin.out)["totals"]["madds"] == 1052311552);
}

TEST_CASE("mnet run reads and writes float32 npy") {
  TempDir tmp;
  write_npy(tmp.file("x.npy"), TensorData{{1, 3, 32, 32}, std::vector<float>(3 * 32 * 32, 0.5f)});
  CommandResult r = run_mnet("run " + config("tiny_custom.json") + " --input " + tmp.file("x.npy") + " --output " + tmp.file("y.npy"));
  REQUIRE(r.exit_code == 0);
  TensorData y = read_npy(tmp.file("y.npy"));
  CHECK(y.shape == std::vector<int64_t>{1, 10, 1, 1});
  double sum = 0;
  for (float v : y.data) sum += v;
  CHECK(sum == Approx(1.0).epsilon(1e-5));  // the config ends in softmax

  write_npy(tmp.file("bad.npy"), TensorData{{1, 3, 31, 32}, std::vector<float>(3 * 31 * 32, 0.5f)});
  CommandResult bad = run_mnet("run " + config("tiny_custom.json") + " --input " + tmp.file("bad.npy") + " --output " + tmp.file("z.npy"));
  CHECK(bad.exit_code == 3);
  CHECK_THAT(bad.err, Contains("bad.npy: input has shape [1, 3, 31, 32], tiny_custom takes [1, 3, 32, 32]"));
  CHECK(!fs::exists(tmp.file("z.npy")));
}

TEST_CASE("mnet run prints nothing by default, and with --format or -o a report of the pass") {
  TempDir tmp;
  write_npy(tmp.file("x.npy"), TensorData{{1, 3, 32, 32}, std::vector<float>(3 * 32 * 32, 0.25f)});
  const std::string run = "run " + config("tiny_custom.json") + " --input " + tmp.file("x.npy") + " --output " + tmp.file("y.npy");
  CommandResult quiet = run_mnet(run);
  REQUIRE(quiet.exit_code == 0);
  CHECK(quiet.out.empty());

  CommandResult j = run_mnet(run + " --format json");
  INFO(j.err);
  REQUIRE(j.exit_code == 0);
  const TensorData y = read_npy(tmp.file("y.npy"));
  const size_t best = size_t(std::max_element(y.data.begin(), y.data.end()) - y.data.begin());
  auto report = nlohmann::json::parse(j.out);
  CHECK(report["schema"] == "mnet-report/1");
  CHECK(report["kind"] == "run");
  CHECK(report["threads"] == nlohmann::json::array({1}));
  CHECK(report["model"] == "tiny_custom");
  CHECK(report["weights"] == "random (seed 1)");
  CHECK(report["input_shape"] == nlohmann::json::array({1, 3, 32, 32}));
  CHECK(report["output_shape"] == nlohmann::json::array({1, 10, 1, 1}));
  CHECK(report["argmax"]["index"] == best);
  CHECK(report["argmax"]["c"] == best);
  CHECK(report["argmax"]["value"] == y.data[best]);
  CHECK(report["output_stats"]["max"] == y.data[best]);
  CHECK(report["output_stats"]["min"] == *std::min_element(y.data.begin(), y.data.end()));
  CHECK(report["output_stats"]["mean"].get<double>() == Approx(0.1));  // softmax over 10 classes
  CHECK(report["ms"].get<double>() > 0);

  CommandResult csv = run_mnet(run + " --format csv");
  REQUIRE(csv.exit_code == 0);
  CHECK_THAT(csv.out, StartsWith("model,source,weights,input,input_shape,output,output_shape,min,max,mean,nonfinite,"
                                 "argmax,argmax_value,ms,threads\ntiny_custom,"));
  CHECK(lines(csv.out) == 2);
  CommandResult md = run_mnet(run + " --format md");
  REQUIRE(md.exit_code == 0);
  CHECK_THAT(md.out, StartsWith("| what ") && Contains("| argmax "));
  // -o alone: the report (a table) goes to the file, stdout stays empty.
  CommandResult to_file = run_mnet(run + " -o " + tmp.file("run.txt"));
  REQUIRE(to_file.exit_code == 0);
  CHECK(to_file.out.empty());
  const std::string table = read_text(tmp.file("run.txt"));
  CHECK_THAT(table, Contains("argmax            " + std::to_string(best) + " (c " + std::to_string(best) + ", h 0, w 0)"));
  CHECK_THAT(table, Contains("output            " + tmp.file("y.npy") + " [1,10,1,1], node prob"));

  // A report over its own input is a usage error, and the input is left as it was.
  const std::string before = read_text(tmp.file("x.npy"));
  CommandResult over = run_mnet(run + " -o " + tmp.file("x.npy"));
  CHECK(over.exit_code == 2);
  CHECK(lines(over.err) == 1);
  CHECK_THAT(over.err, StartsWith("mnet: error: " + tmp.file("x.npy") + ": the report would overwrite"));
  CHECK(read_text(tmp.file("x.npy")) == before);
}

TEST_CASE("bad input gets one error line, exit code 3 and no output file") {
  TempDir tmp;
  std::string bad = tmp.write("bad.json", R"({"name": "x", "resolution": 8, "layers": [{"type": "conv", "out": 8, "kernel": 3, "stride": 0}]})");
  CommandResult r = run_mnet("profile " + bad + " --cost-only -o " + tmp.file("out.txt"));
  CHECK(r.exit_code == 3);
  CHECK(r.err == "mnet: error: " + bad + ": /layers/0 (conv), layer 'conv1': stride must be between 1 and 8, got 0\n");
  CHECK(!fs::exists(tmp.file("out.txt")));
  CommandResult missing = run_mnet("profile " + tmp.file("absent.json") + " --cost-only");
  CHECK(missing.exit_code == 3);
  CHECK_THAT(missing.err, StartsWith("mnet: error: " + tmp.file("absent.json")));
  CHECK(lines(missing.err) == 1);
}

TEST_CASE("an unwritable output path is a failure with exit code 1") {
  TempDir tmp;
  CommandResult r = run_mnet("profile " + config("mobilenet_v1.json") + " --cost-only -o " + tmp.file("no/such/dir/out.txt"));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, StartsWith("mnet: error: " + tmp.file("no/such/dir/out.txt")));
}

TEST_CASE("usage errors exit with code 2 and --help and --version exit 0") {
  CHECK(run_mnet("profile " + config("mobilenet_v1.json") + " --no-such-option").exit_code == 2);
  CHECK(run_mnet("profile").exit_code == 2);
  CHECK(run_mnet("").exit_code == 2);
  CHECK(run_mnet("profile " + config("mobilenet_v1.json") + " --format xml").exit_code == 2);
  CHECK(run_mnet("profile " + config("mobilenet_v1.json") + " --width 0").exit_code == 2);
  CommandResult help = run_mnet("profile --help");
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Contains("--cost-only"));
  CHECK_THAT(help.out, Contains("example:"));
  CommandResult version = run_mnet("--version");
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.out, Contains("OpenBLAS"));
}

// Issue 11: usage errors are one line, with the hint in it.
TEST_CASE("an unknown subcommand is named, with the subcommands there are, on one line") {
  CommandResult r = run_mnet("frobnicate " + config("mobilenet_v1.json"));
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "mnet: error: unknown subcommand 'frobnicate' (one of: profile, bench, compare, run, classify, import, info, "
        "calibrate, explain, eval, detect, segment, manifold, activations); run 'mnet --help' for the options\n");
  CommandResult none = run_mnet("");
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.err, StartsWith("mnet: error: a subcommand is required (one of: profile, bench,"));
  CHECK(lines(none.err) == 1);
  // An option that is no root option, without a subcommand, is named as such.
  for (const std::string& args : std::vector<std::string>{"--bogus", "--threads=2"}) {
    INFO(args);
    CommandResult bogus = run_mnet(args);
    CHECK(bogus.exit_code == 2);
    CHECK(bogus.out.empty());
    const std::string option = args.substr(0, args.find(' '));
    CHECK(bogus.err == "mnet: error: unknown option '" + option + "' before the subcommand (one of: profile, bench, "
                       "compare, run, classify, import, info, calibrate, explain, eval, detect, segment, manifold, "
                       "activations); run 'mnet --help' for the options\n");
  }
}

TEST_CASE("a usage error of a subcommand is one line that says where its options are") {
  CommandResult r = run_mnet("profile " + config("mobilenet_v1.json") + " --no-such-option");
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "mnet: error: The following argument was not expected: --no-such-option (run 'mnet profile --help' "
                 "for its options)\n");
  CommandResult missing = run_mnet("run " + config("tiny_custom.json"));
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, StartsWith("mnet: error: "));
  CHECK_THAT(missing.err, Contains("(run 'mnet run --help' for its options)"));
  CHECK(lines(missing.err) == 1);
}

TEST_CASE("the man page carries every subcommand's help, and no figure of the machine that built it") {
  CommandResult page = run_command("bash " + shell_quote(source_path("scripts/make_manpage.sh")) + " " + MNET_BINARY);
  INFO(page.err);
  REQUIRE(page.exit_code == 0);
  CHECK_THAT(page.out, StartsWith(".TH MNET 1"));
  CommandResult help = run_mnet("--help");
  REQUIRE(help.exit_code == 0);
  for (const char* c : {"profile", "bench", "compare", "run", "classify", "import", "info", "calibrate", "explain"}) {
    INFO(c);
    CHECK(help.out.find(std::string("\n  ") + c + " ") != std::string::npos);
    CHECK_THAT(page.out, Contains(std::string(".SH \"mnet ") + c + "\""));
    CommandResult sub = run_mnet(std::string(c) + " --help");
    // Each option line of the subcommand's help is in its section.
    std::string first_option = sub.out.substr(sub.out.find("Options:"));
    first_option = first_option.substr(0, first_option.find('\n', first_option.find("--help")));
    CHECK_THAT(page.out, Contains(first_option));
  }
  // As many sections as the root help lists subcommands.
  const std::string listed = help.out.substr(help.out.find("Subcommands:"));
  int in_help = 0, in_page = 0;
  for (size_t at = 0; (at = listed.find("\n  ", at)) != std::string::npos; ++at)
    if (std::islower(static_cast<unsigned char>(listed[at + 3]))) ++in_help;
  for (size_t at = 0; (at = page.out.find(".SH \"mnet ", at)) != std::string::npos; ++at) ++in_page;
  CHECK(in_help == 14);
  CHECK(in_page == in_help);
  CHECK_THAT(page.out, !Contains("kMaxMemoryShareOfRam), here"));
  CHECK_THAT(page.out, Contains(".SH \"EXIT STATUS\""));
}

TEST_CASE("the cost tables pasted in README.md and docs/ are what mnet prints now") {
  CommandResult check = run_command("/usr/bin/python3 " + shell_quote(source_path("scripts/update_docs.py")) +
                                    " --check --mnet " + MNET_BINARY);
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);
  CHECK(check.err.empty());
}

TEST_CASE("mnet runs under valgrind: it does not re-execute valgrind itself to set OpenMP's wait policy") {
#ifdef MNET_SANITIZED
  WARN("skipped: a sanitizer build does not run under valgrind");
#else
  if (run_command("command -v valgrind").exit_code != 0) {
    WARN("skipped: valgrind is not installed");
    return;
  }
  CommandResult r = run_command("valgrind --tool=none --error-exitcode=9 " + std::string(MNET_BINARY) + " --version");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, StartsWith("mnet "));
  CHECK_THAT(r.err, !Contains("cannot run"));
#endif
}

// ctest runs each test case by its name (catch_discover_tests): CMake cuts a name at ';', merges
// names between '[' and ']', and Catch reads a leading '-' as an option, so such a test case
// would never run under ctest (the suite's -w NoTests then fails the entry).
TEST_CASE("every test case has a name ctest can run it by") {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  CommandResult names = run_command(shell_quote(self) + " --list-test-names-only");  // exits with the count
  std::istringstream lines(names.out);
  int count = 0;
  for (std::string name; std::getline(lines, name);) {
    if (name.empty()) continue;
    ++count;
    INFO(name);
    CHECK(name.find_first_of(";[]\\") == std::string::npos);
    CHECK(name[0] != '-');
  }
  CHECK(count > 300);
}

TEST_CASE("bench --batch times whole batches: one row per batch size, images per second beside the latency") {
  CommandResult r = run_mnet("bench " + config("mobilenet_v3_small.json") +
                             " --resolution 96 --batch 1,4 --threads 1,2 --runs 2 --warmup 1 --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["results"].size() == 4);
  std::set<std::pair<int, int>> seen;
  for (const auto& row : j["results"]) {
    const int batch = row["batch"].get<int>();
    seen.insert({row["threads"].get<int>(), batch});
    CHECK(row["input_shape"] == nlohmann::json({batch, 3, 96, 96}));
    CHECK(row["images_per_s"].get<double>() == Approx(1000.0 * batch / row["median_ms"].get<double>()));
  }
  CHECK(seen == std::set<std::pair<int, int>>{{1, 1}, {1, 4}, {2, 1}, {2, 4}});
  CommandResult table = run_mnet("bench " + config("mobilenet_v3_small.json") + " --resolution 96 --batch 2 --runs 2 --warmup 1");
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Contains("  batch  ") && Contains("images/s"));
  CommandResult plain = run_mnet("bench " + config("mobilenet_v3_small.json") + " --resolution 96 --runs 2 --warmup 1");
  REQUIRE(plain.exit_code == 0);
  CHECK_THAT(plain.out, !Contains("images/s"));  // no batch column where none was asked for
  CHECK(run_mnet("bench " + config("mobilenet_v3_small.json") + " --batch 0").exit_code == 2);
  CommandResult too_big = run_mnet("bench " + config("mobilenet_v3_small.json") + " --batch " + std::to_string(kMaxBatch + 1));
  CHECK(too_big.exit_code == 2);
  CHECK_THAT(too_big.err, Contains("--batch"));
}

TEST_CASE("bench sweeps every list option: one row per model, width, resolution and thread count") {
  CommandResult r = run_mnet("bench " + config("mobilenet_v3_small.json") +
                             " --width 0.5,1 --resolution 64,96 --threads 1,2 --runs 2 --warmup 1 --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["results"].size() == 8);
  std::set<std::tuple<double, int64_t, int>> seen;
  for (const auto& row : j["results"]) {
    seen.insert({row["width"].get<double>(), row["input_shape"][2].get<int64_t>(), row["threads"].get<int>()});
    CHECK(row["startup"]["load_ms"].get<double>() > 0);
    CHECK(row["startup"]["init_ms"].get<double>() > 0);
    CHECK(row["startup"]["first_run_ms"].get<double>() > 0);
    CHECK(row["startup"]["planned_bytes"].get<int64_t>() > 0);
    CHECK(row["startup"]["peak_rss_bytes"].get<int64_t>() > 0);
  }
  CHECK(seen.size() == 8);
  CHECK(j["threads"] == nlohmann::json({1, 2}));
  // Half the width needs less memory at the same resolution.
  CHECK(j["results"][0]["startup"]["planned_bytes"] < j["results"][4]["startup"]["planned_bytes"]);
  // The table has a width column once widths are swept.
  CommandResult table = run_mnet("bench " + config("mobilenet_v3_small.json") + " --width 0.5 --resolution 64 --runs 2 --warmup 1");
  REQUIRE(table.exit_code == 0);
  // The header's cells in this order; their spacing follows the widest value (wider under ASan).
  const size_t header_start = table.out.find("\nmodel ") + 1;
  const std::string header = table.out.substr(header_start, table.out.find('\n', header_start) - header_start);
  size_t at = 0;
  for (const char* cell : {"width", "threads", "median ms", "init ms", "first ms", "peak RSS"}) {
    INFO(cell << " in: " << header);
    const size_t found = header.find(std::string("  ") + cell, at);
    CHECK(found != std::string::npos);
    if (found != std::string::npos) at = found + 2;
  }
  // Limits: each list at most kMaxSweepValues values, each value checked.
  CHECK(run_mnet("bench " + config("mobilenet_v3_small.json") + " --width 0.5,0").exit_code == 2);
  CHECK(run_mnet("bench " + config("mobilenet_v3_small.json") + " --resolution 64,0").exit_code == 2);
  std::string many = "1";
  for (int i = 2; i <= 65; ++i) many += "," + std::to_string(i);
  CommandResult too_many = run_mnet("bench " + config("mobilenet_v3_small.json") + " --resolution " + many);
  CHECK(too_many.exit_code == 2);
  CHECK_THAT(too_many.err, Contains("at most 64 values, got 65"));
}

TEST_CASE("threads take the same syntax everywhere: a list where a command measures, one count where it runs once") {
  CommandResult compare = run_mnet("compare " + config("tiny_custom.json") + " " + config("mobilenet_v3_small.json") +
                                   " --resolution 64 --threads 1,2 --runs 2 --warmup 1 --format json");
  INFO(compare.err);
  REQUIRE(compare.exit_code == 0);
  auto models = nlohmann::json::parse(compare.out)["models"];
  REQUIRE(models.size() == 4);
  CHECK(models[0]["latency"]["threads"] == 1);
  CHECK(models[1]["latency"]["threads"] == 2);
  CommandResult profile = run_mnet("profile " + config("tiny_custom.json") + " --threads 1,2 --runs 2");
  CHECK(profile.exit_code == 2);
  CHECK_THAT(profile.err, Contains("--threads: at most 1 value ('mnet profile' takes one thread count; bench, compare and "
                                   "calibrate take a list), got 2"));
  CHECK(run_mnet("profile " + config("tiny_custom.json") + " --threads 2 --runs 2 --warmup 1").exit_code == 0);
}

TEST_CASE("a mistyped subcommand or option gets a did-you-mean") {
  CommandResult sub = run_mnet("profiel " + config("tiny_custom.json"));
  CHECK(sub.exit_code == 2);
  CHECK_THAT(sub.err, Contains("unknown subcommand 'profiel'; did you mean 'profile'?"));
  CommandResult option = run_mnet("bench " + config("tiny_custom.json") + " --thread 2");
  CHECK(option.exit_code == 2);
  CHECK_THAT(option.err, Contains("--thread; did you mean '--threads'?"));
  CommandResult format = run_mnet("info " + config("tiny_custom.json") + " --fromat json");
  CHECK_THAT(format.err, Contains("did you mean '--format'?"));
  // Nothing close: no guess.
  CommandResult far = run_mnet("xyzzyq");
  CHECK(far.exit_code == 2);
  CHECK(far.err.find("did you mean") == std::string::npos);
}

TEST_CASE("the version line names the commit mnet was built from and the OpenBLAS it loads") {
  CommandResult r = run_mnet("--version");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, StartsWith("mnet " MNET_VERSION " ("));
  CHECK_THAT(r.out, Contains("\nOpenBLAS"));
}
