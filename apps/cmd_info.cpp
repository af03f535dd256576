// mnet info MODEL: the graph, every node with its input/output shapes and declared weights.
#include "common.h"
#include "report/graph_report.h"
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
    emit(*out, format_graph(g, planned_memory(memory), out->parsed(), report_context()));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
