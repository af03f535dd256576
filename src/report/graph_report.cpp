// The info report: the layer graph as a table, CSV, Markdown or JSON.
#include "report/graph_report.h"

#include <nlohmann/json.hpp>

namespace mnet {

namespace {

std::string graph_json(const Graph& g, const PlannedMemory& memory, const ReportContext& context) {
  nlohmann::json j;
  j["model"] = g.name;
  j["source"] = g.source;
  j["width"] = g.width;
  j["resolution"] = g.resolution;
  j["planned_memory"] = {{"peak_bytes", memory.peak_bytes}};
  j["outputs"] = nlohmann::json::array();  // the nodes a run returns, in order
  for (int o : g.output_nodes()) j["outputs"].push_back(g.nodes[size_t(o)].name);
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
  return json_text(report_json(context, "info", j));
}

// "; 2 outputs: boxes [1917,1,4], scores [1917,1,91]" for a graph with several, else "".
std::string outputs_text(const Graph& g) {
  const std::vector<int> outputs = g.output_nodes();
  if (outputs.size() < 2) return "";
  std::string text = "; " + std::to_string(outputs.size()) + " outputs:";
  for (size_t k = 0; k < outputs.size(); ++k)
    text += (k ? ", " : " ") + g.nodes[size_t(outputs[k])].name + " " + g.nodes[size_t(outputs[k])].out.str();
  return text;
}

}  // namespace

std::string format_graph(const Graph& g, const PlannedMemory& memory, Format format, const ReportContext& context) {
  if (format == Format::json) return graph_json(g, memory, context);
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
  if (format == Format::csv) {
    t.header.push_back("model");
    for (auto& row : t.rows) row.push_back(g.name);
    t.right_aligned.push_back(false);
    return t.render(format);
  }
  const std::string name = g.name + " (" + g.source + "), width " + fixed(g.width, 3) + ", resolution " +
                           std::to_string(g.resolution) + ", " + std::to_string(g.nodes.size()) + " nodes";
  const std::string planned = "planned peak memory at 1 thread " + memory.text + outputs_text(g);
  if (format == Format::md) return "**" + name + "**; " + planned + "\n\n" + t.render(format);
  return name + "\n" + planned + "\n\n" + t.render(format);
}

}  // namespace mnet
