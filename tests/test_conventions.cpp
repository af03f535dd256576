// One set of conventions for every subcommand (issue 15): each takes --format table|json|csv|md
// and -o FILE, writes the report to the file and nothing to stdout, and each JSON report is in the
// documented envelope (docs/report.schema.json).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "io/npy.h"
#include "testing.h"

using namespace mnet::testing;
using Catch::Matchers::Contains;

namespace {

std::string config(const std::string& name) { return shell_quote(source_path("configs/" + name)); }

// Each subcommand with the arguments of a small, quick invocation; empty where it needs the
// shared test data and it is absent.
struct Invocation {
  std::string command, args;
};

std::vector<Invocation> invocations(const TempDir& tmp) {
  const std::string tiny = config("tiny_custom.json");
  const std::string timed = " --runs 1 --warmup 0";
  std::vector<Invocation> list = {
      {"info", tiny},
      {"profile", tiny + timed},
      {"bench", tiny + timed},
      {"compare", tiny + " " + config("mobilenet_v3_small.json") + " --resolution 64" + timed},
      {"explain", "conv --in 8 --out 16 --size 14"},
      {"calibrate", "--threads 1"},
  };
  const std::string data = testdata();
  if (!data.empty()) {
    const std::string v1 = shell_quote(data + "/models/mobilenet_v1_0.25_128_quant.tflite");
    const std::string cat = shell_quote(data + "/images/cat.bmp");
    const std::string labels = tmp.write("labels.csv", "path,label\n" + data + "/images/cat.bmp,286\n");
    list.push_back({"classify", v1 + " " + cat});
    list.push_back({"eval", v1 + " " + shell_quote(labels)});
    list.push_back({"detect", shell_quote(data + "/models/mobilenet_ssd_v2_coco_quant_postprocess.tflite") + " " + cat});
    list.push_back({"segment", shell_quote(data + "/models/deeplabv3_mnv2_dm05_pascal_quant.tflite") + " " + cat});
    list.push_back({"import", v1 + " --out " + shell_quote(tmp.file("imported-FORMAT"))});
  }
  return list;
}

}  // namespace

TEST_CASE("every subcommand writes every format to -o and nothing to stdout, its JSON in the envelope") {
  TempDir tmp;
  // run needs an input tensor: tiny_custom takes [1, 3, 32, 32].
  mnet::write_npy(tmp.file("x.npy"), {{1, 3, 32, 32}, std::vector<float>(3 * 32 * 32, 0.5f)});
  std::vector<Invocation> list = invocations(tmp);
  list.push_back({"run", config("tiny_custom.json") + " --input " + shell_quote(tmp.file("x.npy")) + " --output " +
                             shell_quote(tmp.file("y-FORMAT.npy"))});
  if (testdata().empty()) WARN("classify, eval, detect, segment and import skipped: MNET_TESTDATA is not set");
  std::vector<std::string> json_files;
  for (const Invocation& inv : list)
    for (const std::string format : {"table", "json", "csv", "md"}) {
      std::string args = inv.args;
      if (const size_t at = args.find("FORMAT"); at != std::string::npos) args.replace(at, 6, format);
      const std::string out = tmp.file(inv.command + "." + format);
      CommandResult r = run_mnet(inv.command + " " + args + " --format " + format + " -o " + shell_quote(out));
      INFO("mnet " << inv.command << " " << args << " --format " << format << "\nstderr: " << r.err);
      REQUIRE(r.exit_code == 0);
      CHECK(r.out.empty());
      const std::string text = read_text(out);
      CHECK(!text.empty());
      if (format == "json") {
        nlohmann::json j = nlohmann::json::parse(text);
        CHECK(j["schema"] == "mnet-report/1");
        CHECK(j["kind"] == inv.command);
        CHECK(j["command_line"][1] == inv.command);
        json_files.push_back(out);
      }
      if (format == "csv") CHECK(text.find('\n') != std::string::npos);
    }
  if (!have_jsonschema()) {
    WARN("schema check skipped: /usr/bin/python3 has no jsonschema module (scripts/install_deps.sh --test installs it)");
    return;
  }
  const std::string problems = json_schema_problems(source_path("docs/report.schema.json"), json_files);
  INFO(problems);
  CHECK(problems.empty());
}
