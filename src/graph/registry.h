#pragma once
#include <memory>
#include <string>
#include <vector>

#include "graph/layer.h"

namespace mnet {

// Builds a primitive layer from its attributes; null if the type is unknown.
std::unique_ptr<Layer> make_layer(const std::string& type, Attrs& attrs);
std::vector<std::string> layer_types();

}  // namespace mnet
