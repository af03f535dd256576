// Config text → graph (layer building, shape inference, declared weights) → analytic cost.
// InputError is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"
#include "core/error.h"
#include "cost/cost.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    mnet::Graph g = mnet::parse_config(text, "fuzz.json");
    for (int i = 0; i < int(g.nodes.size()); ++i) g.weights_of(i);
    mnet::analyze_cost(g);
  } catch (const mnet::InputError&) {
  }
  return 0;
}
