// The HTML reports of profile and compare: self-contained, well-formed, one bar and one point per
// layer, shares that add up, tooltips that say what the JSON says; and through the built binary.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>

#include "config/config.h"
#include "cost/cost.h"
#include "profile/calibration_cache.h"
#include "report/envelope.h"
#include "report/html_report.h"
#include "report/profile_report.h"
#include "report/svg.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::string xml_problem(const std::string& text) {
  TempDir dir;
  const std::string file = dir.write("doc.html", text);
  CommandResult r = run_command("/usr/bin/python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' " +
                                shell_quote(file));
  return r.exit_code == 0 ? "" : r.err;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// Every value of attribute `name` on elements whose text starts with `prefix` (e.g. `<rect class="bar" data-metric="madds"`).
std::vector<std::string> attribute_values(const std::string& html, const std::string& element_start, const std::string& name) {
  std::vector<std::string> out;
  for (size_t at = html.find(element_start); at != std::string::npos; at = html.find(element_start, at + 1)) {
    const size_t end = html.find('>', at);
    const std::string tag = html.substr(at, end - at);
    const size_t a = tag.find(" " + name + "=\"");
    if (a == std::string::npos) continue;
    const size_t from = a + name.size() + 3;
    out.push_back(tag.substr(from, tag.find('"', from) - from));
  }
  return out;
}

// Nothing a browser would fetch: no remote src/href, no stylesheet link, no CSS import or url().
void require_self_contained(const std::string& html) {
  CHECK_FALSE(std::regex_search(html, std::regex(R"((src|href)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase)));
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(html.find("<script src") == std::string::npos);
}

CostReport v1_cost() { return analyze_cost(load_config(source_path("configs/mobilenet_v1.json"))); }

// Made-up but consistent timings: every layer 0.01 ms plus 1 ms per 100 M multiply-adds, BN and
// activations fused; a ceiling and (optionally) a bandwidth.
ProfileTimings fake_timings(const CostReport& cost, bool bandwidth) {
  ProfileTimings t;
  int max_node = 0;
  for (const auto& r : cost.layers) max_node = std::max(max_node, r.node);
  t.by_node.resize(size_t(max_node) + 1);
  for (const auto& r : cost.layers) {
    LayerTiming& lt = t.by_node[size_t(r.node)];
    if (r.type == "bn" || r.type == "relu6" || r.type == "relu") {
      lt.fused_into = "a conv";
      continue;
    }
    lt.median_ms = 0.01 + double(r.madds) / 1e8;
    t.layer_sum_ms += lt.median_ms;
  }
  t.machine.cpu = "Test CPU <&>";
  t.machine.threads = 1;
  t.machine.runs = 5;
  t.machine.ceiling = GemmCeiling{150, "conv1x1 512->512 at 28x28", "2026-01-01 00:00 UTC", "/tmp/c.json", bandwidth ? 12.5 : 0};
  t.model = latency_stats({5.0, 5.5, 6.0});
  return t;
}

}  // namespace

TEST_CASE("profile html is self-contained, well-formed XML, with every layer as one bar per chart", "[html]") {
  const CostReport cost = v1_cost();
  const std::string html = profile_html(cost, nullptr);
  CHECK_THAT(html, StartsWith("<!DOCTYPE html>"));
  require_self_contained(html);
  CHECK(xml_problem(html) == "");
  CHECK(count(html, "<g class=\"layer\"") == cost.layers.size());
  CHECK(attribute_values(html, "<rect class=\"bar\" data-metric=\"madds\"", "data-value").size() == 0);  // attrs follow geometry
  std::vector<std::string> madds = attribute_values(html, "<rect x=", "data-metric");
  CHECK(std::count(madds.begin(), madds.end(), "madds") == long(cost.layers.size()));
  CHECK(std::count(madds.begin(), madds.end(), "params") == long(cost.layers.size()));
  CHECK(std::count(madds.begin(), madds.end(), "time") == 0);  // cost only: no time panel
  CHECK_THAT(html, Contains("cost only: no time measured"));
  CHECK(html.find("Roofline") == std::string::npos);
  for (const auto& r : cost.layers) CHECK_THAT(html, Contains("data-node=\"" + std::to_string(r.node) + "\""));
  for (const auto& r : cost.layers) CHECK_THAT(html, Contains(xml_escape(r.name)));
  // The by-type bars carry the paper's Table 2 shares.
  CHECK_THAT(html, Contains("conv1x1 94.9%"));
}

TEST_CASE("profile html: the shares of each chart add up to 100 within rounding", "[html]") {
  const CostReport cost = v1_cost();
  const ProfileTimings t = fake_timings(cost, true);
  const std::string html = profile_html(cost, &t);
  for (const std::string metric : {"madds", "params", "time"}) {
    INFO(metric);
    double sum = 0;
    size_t bars = 0;
    for (size_t at = html.find("data-metric=\"" + metric + "\""); at != std::string::npos;
         at = html.find("data-metric=\"" + metric + "\"", at + 1)) {
      const size_t v = html.find("data-value=\"", at) + 12;
      sum += std::stod(html.substr(v, html.find('"', v) - v));
      ++bars;
    }
    CHECK(bars == cost.layers.size());
    // Each value is written to 4 decimals.
    CHECK(sum == Approx(100).margin(0.00005 * double(bars) + 1e-9));
  }
}

TEST_CASE("profile html: one roofline point per timed layer with multiply-adds, tooltips equal the JSON", "[html]") {
  const CostReport cost = v1_cost();
  const ProfileTimings t = fake_timings(cost, true);
  const std::string html = profile_html(cost, &t);
  CHECK(xml_problem(html) == "");
  size_t expected_points = 0;
  for (const auto& r : cost.layers)
    if (r.madds > 0 && t.by_node[size_t(r.node)].fused_into.empty()) ++expected_points;
  CHECK(count(html, "<g class=\"point\"") == expected_points);
  CHECK(count(html, "class=\"ceiling\"") == 1);
  CHECK(count(html, "class=\"bandwidth\"") == 1);
  CHECK_THAT(html, Contains("memory 12.5 GB/s"));
  CHECK_THAT(html, Contains("Test CPU &lt;&amp;&gt;"));

  // The numbers of each layer's tooltip are those of `mnet profile --format json`.
  const nlohmann::json j = nlohmann::json::parse(format_profile(cost, &t, Format::json, ReportContext{}));
  const std::vector<std::string> tips = attribute_values(html, "<g class=\"layer\"", "data-tip");
  REQUIRE(tips.size() == j["layers"].size());
  for (size_t i = 0; i < tips.size(); ++i) {
    const nlohmann::json& l = j["layers"][i];
    INFO(tips[i]);
    CHECK_THAT(tips[i], Contains(xml_escape(l["name"].get<std::string>())));
    CHECK_THAT(tips[i], Contains("MAdds " + with_commas(l["madds"].get<int64_t>())));
    CHECK_THAT(tips[i], Contains("params " + with_commas(l["params"].get<int64_t>())));
    if (l.contains("fused_into") && l["fused_into"].is_string() && !l["fused_into"].get<std::string>().empty()) {
      CHECK_THAT(tips[i], Contains("fused into"));
    } else {
      CHECK_THAT(tips[i], Contains("time " + fixed(l["median_ms"].get<double>(), 4) + " ms (" +
                                   fixed(l["time_pct"].get<double>(), 2) + " %)"));
    }
  }
}

TEST_CASE("profile html says why a roofline line is missing", "[html]") {
  const CostReport cost = v1_cost();
  ProfileTimings old_cache = fake_timings(cost, false);
  std::string html = profile_html(cost, &old_cache);
  CHECK(count(html, "class=\"bandwidth\"") == 0);
  CHECK(count(html, "class=\"ceiling\"") == 1);
  CHECK_THAT(html, Contains("Memory bandwidth not measured"));
  ProfileTimings none = fake_timings(cost, false);
  none.machine.ceiling = GemmCeiling{};
  html = profile_html(cost, &none);
  CHECK(count(html, "class=\"ceiling\"") == 0);
  CHECK_THAT(html, Contains("GEMM ceiling not measured: run mnet calibrate --threads 1"));
}

TEST_CASE("profile html of layer names with any bytes stays well-formed and runs no injected markup", "[html]") {
  CostReport cost = v1_cost();
  cost.model = "m</title><script>alert(1)</script>";
  cost.layers[0].name = "</svg>]]><script>x</script>\x01\xFF&'\"";
  cost.layers[1].name = "//]]></script><img src=http://example.com/x>";
  const std::string html = profile_html(cost, nullptr);
  CHECK(xml_problem(html) == "");
  CHECK(count(html, "<script") == 1);  // the page's own
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("src=http://example.com/x&gt;") != std::string::npos);  // shown as text, escaped
}

TEST_CASE("compare html: one point per model, by-type bars, the accuracy chart when given", "[html]") {
  std::vector<CompareRow> rows;
  for (const char* m : {"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large"})
    rows.push_back({analyze_cost(load_config(source_path(std::string("configs/") + m + ".json"))), std::string(m) + ".json",
                    std::nullopt});
  std::string html = compare_html(rows, nullptr);
  require_self_contained(html);
  CHECK(xml_problem(html) == "");
  CHECK(count(html, "<g class=\"point\"") == 3);
  CHECK_THAT(html, Contains("Multiply-adds vs params"));
  CHECK(html.find("Multiply-adds vs accuracy") == std::string::npos);

  MachineInfo machine;
  machine.cpu = "Test CPU";
  for (size_t i = 0; i < rows.size(); ++i) rows[i].latency = latency_stats({1.0 + double(i), 2.0 + double(i), 3.0 + double(i)});
  html = compare_html(rows, &machine, nullptr, std::string("mobilenet_v1.json"), {70.6, 72.0, std::nullopt});
  CHECK(xml_problem(html) == "");
  CHECK_THAT(html, Contains("Multiply-adds vs latency"));
  CHECK_THAT(html, Contains("median 3.000 ms (p10 2.200, p90 3.800)"));
  CHECK_THAT(html, Contains("Multiply-adds vs accuracy"));
  CHECK(count(html, "<g class=\"point\"") == 3 + 2);  // latency for all, accuracy for two
  CHECK_THAT(html, Contains("latency ×"));
  CHECK_THAT(html, Contains(">1.50×<"));  // V2's median over V1's
}

TEST_CASE("the calibration cache keeps the memory bandwidth, and reads entries from before it without one", "[html]") {
  TempDir dir;
  Calibration c;
  c.key = CalibrationKey{"cpu", 1, "blas", "core", "0.1.0"};
  c.ceiling_gflops = 100;
  c.ceiling_shape = "conv1x1 512->512 at 28x28";
  c.measured_at = "2026-01-01 00:00 UTC";
  c.shapes = {ShapeRate{c.ceiling_shape, 1000000, 0.02, 10, 100}};
  c.sgemm = ShapeRate{"sgemm 1024x1024x1024", 1073741824, 30, 10, 71.6};
  c.bandwidth_gbs = 12.5;
  CalibrationCache cache;
  put_calibration(cache, c);
  const std::string path = dir.file("calibration.json");
  write_calibration_cache(path, cache);
  CalibrationCache back = read_calibration_cache(path);
  REQUIRE(back.problem == "");
  REQUIRE(back.entries.size() == 1);
  CHECK(back.entries[0].bandwidth_gbs == 12.5);
  CHECK(gemm_ceiling(back.entries[0], path).bandwidth_gbs == 12.5);

  // An entry an older mnet wrote: no "stream_triad_gbs"; read, with no bandwidth.
  nlohmann::json old = nlohmann::json::parse(read_text(path));
  old["entries"][0].erase("stream_triad_gbs");
  write_bytes(path, old.dump());
  back = read_calibration_cache(path);
  REQUIRE(back.problem == "");
  CHECK(back.entries.at(0).bandwidth_gbs == 0);
  CHECK(back.entries.at(0).ceiling_gflops == 100);

  // Present but not a measurement: the cache is refused, saying where.
  old["entries"][0]["stream_triad_gbs"] = -1;
  write_bytes(path, old.dump());
  back = read_calibration_cache(path);
  CHECK_THAT(back.problem, Contains("/entries/0/stream_triad_gbs"));
}

// ---- through the binary --------------------------------------------------------------------------

TEST_CASE("mnet profile --format html -o and mnet compare --format html write the reports", "[html][e2e]") {
  TempDir dir;
  const std::string report = dir.file("v1.html");
  CommandResult r = run_mnet("profile " + shell_quote(source_path("configs/mobilenet_v1.json")) +
                             " --runs 2 --warmup 1 --format html -o " + shell_quote(report));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  const std::string html = read_text(report);
  require_self_contained(html);
  CHECK(xml_problem(html) == "");
  CHECK(count(html, "<g class=\"layer\"") == v1_cost().layers.size());
  CHECK_THAT(html, Contains("data-metric=\"time\""));
  CHECK_THAT(html, Contains("Roofline"));
  CHECK_THAT(html, Contains("GEMM ceiling not measured"));  // run_mnet's cache is empty

  r = run_mnet("profile " + shell_quote(source_path("configs/mobilenet_v3_small.json")) + " --cost-only --format html");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, StartsWith("<!DOCTYPE html>"));

  r = run_mnet("compare " + shell_quote(source_path("configs/mobilenet_v1.json")) + " " +
               shell_quote(source_path("configs/mobilenet_v2.json")) + " --cost-only --format html");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(xml_problem(r.out) == "");
  CHECK(count(r.out, "<g class=\"point\"") == 2);
}

TEST_CASE("format html is refused by commands that draw nothing", "[html][e2e]") {
  TempDir dir;
  CommandResult r = run_mnet("info " + shell_quote(source_path("configs/mobilenet_v1.json")) + " --format html -o " +
                             shell_quote(dir.file("x.html")));
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, StartsWith("mnet: error: --format"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(fs::is_empty(dir.path));
}
