// ModelSpec → mnet config JSON text: what `mnet import` saves as a folder's config.json.
#pragma once
#include <string>

#include "graph/spec.h"

namespace mnet {

// Primitive layers with their names and explicit inputs; load_config reads the text back into the
// graph build_graph makes of the spec. Throws InputError for a value JSON cannot hold (NaN, inf).
std::string write_config(const ModelSpec& spec);

}  // namespace mnet
