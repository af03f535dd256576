// ModelSpec → Graph: the checks of a model's top-level values and the one path by which a
// primitive layer joins a graph (through the layer registry), for imported models and configs alike.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/spec.h"

namespace mnet {

// Checks every value of the spec and builds its graph with inferred shapes. Every problem is an
// InputError as config errors read: "SOURCE: /layers/7 (conv 'name'): what is wrong".
Graph build_graph(const ModelSpec& spec, const ConfigOverrides& overrides = {});

// The steps of build_graph that the config reader (config/config.cpp) shares.

// "/layers/7 (conv 'name')", or "/layers/7 (conv)" for a layer without a name.
std::string layer_location(const std::string& origin, const std::string& type, const std::string& name);
// Adds a primitive layer reading `inputs` to g; returns its node. `where` (a layer_location)
// names it in errors, followed by ", layer 'NAME'" when it does not hold the name already.
int add_layer(Graph& g, const std::string& source, const std::string& where, const std::string& type,
              const std::string& name, Attrs attrs, std::vector<int> inputs);
// InputErrors "SOURCE: WHERE: ..." for a value outside its range.
void check_resolution(const std::string& source, const std::string& where, int64_t resolution);
void check_width(const std::string& source, const std::string& where, double width);
// preprocess mean or std (`key`), per channel: "SOURCE: /preprocess/std/0: std must be between ...".
void check_preprocess_channels(const std::string& source, const std::string& key, const std::array<double, 3>& values);
// `file` as named beside `source` (unchanged if absolute).
std::string file_beside(const std::string& source, const std::string& file);

}  // namespace mnet
