// cost/cost_by_part: a detector's or segmenter's cost split into backbone and head by the config
// row each layer came from.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "cost/cost_by_part.h"
#include "graph_testing.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;

TEST_CASE("cost_by_part puts the layers of ssd_head, aspp and lraspp rows in the head and the rest in the backbone") {
  Graph g = parse_config(net(3, 32, R"({"type": "conv_bn", "name": "c1", "out": 8, "kernel": 3, "stride": 2},
      {"type": "conv", "name": "c2", "out": 16, "kernel": 1},
      {"type": "ssd_head", "name": "h", "features": ["c2"], "anchors": 2, "classes": 3})"), "t.json");
  CHECK(part_of(g.nodes[size_t(g.find("c1.bn"))]) == "backbone");
  CHECK(part_of(g.nodes[size_t(g.find("c2"))]) == "backbone");
  CHECK(part_of(g.nodes[size_t(g.find("h.cls0"))]) == "head");
  CHECK(part_of(g.input()) == "backbone");
  const CostReport cost = analyze_cost(g);
  const std::vector<PartCostRow> parts = cost_by_part(g, cost);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].part == "backbone");
  CHECK(parts[0].madds == 16 * 16 * 8 * 27 + 16 * 16 * 16 * 8);
  CHECK(parts[0].params == 8 * 27 + 16 * 8);
  CHECK(parts[1].part == "head");
  CHECK(parts[1].layers == 2);
  CHECK(parts[1].madds == 16 * 16 * (2 * 3 + 2 * 4) * 16 * 9);
  CHECK(parts[1].params == (2 * 3 + 2 * 4) * (16 * 9 + 1));
  CHECK(parts[0].madds + parts[1].madds == cost.madds);
  CHECK(parts[0].madds_pct + parts[1].madds_pct == Approx(100));
  CHECK(parts[0].params_pct + parts[1].params_pct == Approx(100));
  CHECK(is_head_row("aspp"));
  CHECK(is_head_row("lraspp"));
  CHECK_FALSE(is_head_row("bneck"));
}

TEST_CASE("a model without a head row has one part, the backbone") {
  Graph g = load_config(source_path("configs/mobilenet_v2.json"));
  const CostReport cost = analyze_cost(g);
  const std::vector<PartCostRow> parts = cost_by_part(g, cost);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].part == "backbone");
  CHECK(parts[0].madds == cost.madds);
  CHECK(parts[0].madds_pct == Approx(100));
}

TEST_CASE("compare and profile show the head beside the backbone: V2 Table 5's SSD against SSDLite") {
  const std::string ssd = shell_quote(source_path("configs/ssd_mobilenet_v2.json"));
  const std::string lite = shell_quote(source_path("configs/ssdlite_mobilenet_v2.json"));
  CommandResult compare = run_mnet("compare " + ssd + " " + lite + " --cost-only");
  INFO(compare.err);
  REQUIRE(compare.exit_code == 0);
  CHECK_THAT(compare.out, Contains("head MAdds  head params  head MAdds %"));
  CHECK_THAT(compare.out, Contains("1,207,513,792   14,773,173"));
  CHECK_THAT(compare.out, Contains("171,484,672    2,096,501"));
  CommandResult json = run_mnet("compare " + ssd + " " + lite + " --cost-only --format json");
  REQUIRE(json.exit_code == 0);
  auto parts = nlohmann::json::parse(json.out)["models"][1]["by_part"];
  REQUIRE(parts.size() == 2);
  CHECK(parts[1]["part"] == "head");
  CHECK(parts[1]["params"] == 2096501);
  CommandResult profile = run_mnet("profile " + lite + " --cost-only");
  REQUIRE(profile.exit_code == 0);
  CHECK_THAT(profile.out, Contains("\nBy part (the head a detection or segmentation row adds, against its backbone)\n"));
  CHECK_THAT(profile.out, Contains("head          84  171,484,672    23.34  2,096,501     48.91"));
  // A classifier is all backbone: no head columns, no by-part table.
  CommandResult v1 = run_mnet("compare " + shell_quote(source_path("configs/mobilenet_v1.json")) + " --cost-only");
  CHECK(v1.out.find("head MAdds") == std::string::npos);
}
