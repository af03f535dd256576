// The info report: the layer graph as a table, CSV, Markdown or JSON.
#include "report/graph_report.h"

#include <nlohmann/json.hpp>

namespace mnet {

namespace {

std::string graph_json(const Graph& g, const PlannedMemory& memory) {
  nlohmann::json j;
  j["model"] = g.name;
  j["source"] = g.source;
  j["width"] = g.width;
  j["resolution"] = g.resolution;
  j["planned_memory"] = {{"peak_bytes", memory.peak_bytes}};
  for (const auto& [part, bytes] : memory.parts_bytes) j["planned_memory"][part + "_bytes"] = bytes;
  j["nodes"] = nlohmann::json::array();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    nlohmann::json node = {{"index", i},
                           {"name", n.name},
                           {"type", n.layer ? n.layer->type() : "input"},
                           {"attributes", n.layer ? n.layer->summary() : ""},
                           {"inputs", nlohmann::json::array()},
                           {"out_shape", {n.out.c, n.out.h, n.out.w}},
                           {"weights", nlohmann::json::array()},
                           {"origin", n.origin}};
    for (int in : n.inputs) node["inputs"].push_back(g.nodes[in].name);
    for (const auto& w : g.weights_of(int(i))) node["weights"].push_back({{"name", w.name}, {"shape", w.shape}});
    j["nodes"].push_back(node);
  }
  return json_text(j);
}

}  // namespace

std::string format_graph(const Graph& g, const PlannedMemory& memory, Format format) {
  if (format == Format::json) return graph_json(g, memory);
  Table t;
  t.header = {"#", "name", "type", "attributes", "inputs", "out", "weights"};
  t.right_aligned = {true, false, false, false, false, false, false};
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    std::string inputs, weights;
    for (int in : n.inputs) inputs += (inputs.empty() ? "" : ",") + g.nodes[in].name;
    for (const auto& w : g.weights_of(int(i))) {
      std::string shape;
      for (int64_t d : w.shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
      weights += (weights.empty() ? "" : " ") + w.name.substr(n.name.size() + 1) + "[" + shape + "]";
    }
    t.add_row({std::to_string(i), n.name, n.layer ? n.layer->type() : "input", n.layer ? n.layer->summary() : "",
               inputs, n.out.str(), weights});
  }
  std::string head = format == Format::table
                         ? g.name + " (" + g.source + "), width " + fixed(g.width, 3) + ", resolution " +
                               std::to_string(g.resolution) + ", " + std::to_string(g.nodes.size()) + " nodes\n" +
                               "planned peak memory at 1 thread " + memory.text + "\n\n"
                         : "";
  return head + t.render(format);
}

}  // namespace mnet
