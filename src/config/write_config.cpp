// ModelSpec → config JSON text, the inverse of config.cpp's reading for primitive layers.
#include "config/write_config.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "config/build_graph.h"
#include "core/error.h"
#include "core/work_count.h"

namespace mnet {

namespace {

using nlohmann::json;

// JSON has no NaN or infinity (the library would write null, which no reader takes for a number).
double finite(const ModelSpec& spec, const std::string& where, const std::string& key, double v) {
  if (!std::isfinite(v))
    throw InputError(spec.source + ": " + where + ": '" + cut_for_message(key) + "' is " + format_number(v) +
                     ", which a JSON config cannot hold");
  return v;
}

json value_json(const ModelSpec& spec, const std::string& where, const std::string& key, const AttrValue& v) {
  switch (v.kind) {
    case AttrValue::Kind::integer: return v.i;
    case AttrValue::Kind::number: return finite(spec, where, key, v.f);
    case AttrValue::Kind::string: return v.s;
    case AttrValue::Kind::boolean: return v.b;
    case AttrValue::Kind::numbers: {
      json a = json::array();
      for (double d : v.numbers) a.push_back(finite(spec, where, key, d));
      return a;
    }
    case AttrValue::Kind::strings: return v.strings;
  }
  return nullptr;  // not reached: every kind is handled above
}

json layer_json(const ModelSpec& spec, const LayerSpec& layer) {
  const std::string where = layer_location(layer.origin, layer.type, layer.name);
  json j = {{"type", layer.type}, {"name", layer.name}};
  if (!layer.inputs.empty()) j["inputs"] = layer.inputs;
  for (const auto& [key, value] : layer.attrs.values()) {
    count_work();
    // The reader takes these three keys as the layer's own fields, never as attributes.
    if (j.contains(key) || key == "inputs")
      throw InputError(spec.source + ": " + where + ": attribute '" + key + "' would be read as the layer's own field");
    j[key] = value_json(spec, where, key, value);
  }
  return j;
}

json preprocess_json(const ModelSpec& spec, const Preprocess& p) {
  json j = {{"crop", p.crop}, {"central_fraction", finite(spec, "/preprocess", "central_fraction", p.central_fraction)}};
  if (p.resize != 0) j["resize"] = p.resize;
  for (const char* key : {"mean", "std"}) {
    json a = json::array();
    for (double d : key == std::string("mean") ? p.mean : p.std) a.push_back(finite(spec, "/preprocess", key, d));
    j[key] = a;
  }
  return j;
}

}  // namespace

std::string write_config(const ModelSpec& spec) {
  json c;
  c["name"] = spec.name;
  if (!spec.description.empty()) c["description"] = spec.description;
  c["resolution"] = spec.resolution;
  if (spec.width != 1.0) c["width"] = finite(spec, "/width", "width", spec.width);
  if (spec.input_channels != 3) c["input_channels"] = spec.input_channels;
  c["preprocess"] = preprocess_json(spec, spec.preprocess);
  if (!spec.weights.empty()) c["weights"] = spec.weights;
  if (!spec.labels.empty()) c["labels"] = spec.labels;
  json layers = json::array();
  for (const LayerSpec& layer : spec.layers) layers.push_back(layer_json(spec, layer));
  c["layers"] = std::move(layers);
  if (!spec.outputs.empty()) c["outputs"] = spec.outputs;
  // Names and descriptions from a model file may hold any bytes; invalid UTF-8 becomes U+FFFD.
  return c.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace mnet
