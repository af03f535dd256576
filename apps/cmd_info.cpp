// mnet info MODEL: the graph, every node with its input/output shapes and declared weights.
#include <nlohmann/json.hpp>

#include "common.h"
#include "run/executor.h"

namespace mnet::app {

Command make_info_command(CLI::App& root) {
  auto model = std::make_shared<ModelOptions>();
  auto out = std::make_shared<OutputOptions>();
  CLI::App* app = root.add_subcommand("info", "Print the layer graph with inferred shapes and declared weights.\n"
                                              "  example: mnet info configs/mobilenet_v2.json --format json");
  model->add_to(*app);
  out->add_to(*app);
  auto run = [model, out]() {
    Graph g = load_graph(model->model, model->overrides());
    // What `mnet run` at one thread would need.
    const MemoryEstimate memory = estimate_memory(g, {ExecOptions{}});
    if (out->parsed() == Format::json) {
      nlohmann::json j;
      j["model"] = g.name;
      j["source"] = g.source;
      j["width"] = g.width;
      j["resolution"] = g.resolution;
      j["planned_memory"] = {{"peak_bytes", memory.peak()}};
      for (const auto& [part, bytes] : planned_memory(memory).parts_bytes) j["planned_memory"][part + "_bytes"] = bytes;
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
      emit(*out, json_text(j));
      return kExitOk;
    }
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
    std::string head = out->parsed() == Format::table
                           ? g.name + " (" + g.source + "), width " + fixed(g.width, 3) + ", resolution " +
                                 std::to_string(g.resolution) + ", " + std::to_string(g.nodes.size()) + " nodes\n" +
                                 "planned peak memory at 1 thread " + planned_memory(memory).text + "\n\n"
                           : "";
    emit(*out, head + t.render(out->parsed()));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
