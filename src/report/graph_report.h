// What `mnet info` prints: every node with its inputs, output shape and declared weights, and the
// planned peak memory.
#pragma once
#include <string>

#include "graph/graph.h"
#include "report/envelope.h"
#include "report/table.h"
#include "run/executor.h"

namespace mnet {

// `memory`: the plan of one executor at one thread (what `mnet run` needs).
// JSON in the report envelope (kind "info").
std::string format_graph(const Graph& graph, const PlannedMemory& memory, Format format, const ReportContext& context);

}  // namespace mnet
