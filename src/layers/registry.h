// Every primitive layer type by its config name: building one from its attributes.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "graph/layer.h"

namespace mnet {

// Builds a primitive layer from its attributes; null if the type is unknown.
std::unique_ptr<Layer> make_layer(const std::string& type, Attrs& attrs);
// Every type's name, in the registry's order.
std::vector<std::string> layer_types();

}  // namespace mnet
