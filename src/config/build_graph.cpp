// ModelSpec → Graph: the checks of a model's top-level values and the one path by which a
// primitive layer joins a graph, for imported models and configs alike.
#include "config/build_graph.h"

#include <filesystem>

#include "core/error.h"
#include "core/work_count.h"
#include "graph/registration.h"
#include "layers/registry.h"

namespace mnet {

namespace {

[[noreturn]] void fail_at(const std::string& source, const std::string& where, const std::string& msg) {
  throw InputError(source + ": " + where + ": " + msg);
}

void check_preprocess(const std::string& source, const Preprocess& p) {
  if (p.crop != "central_fraction" && p.crop != "resize_center")
    fail_at(source, "/preprocess/crop", "must be \"central_fraction\" (TF-slim) or \"resize_center\" (torchvision)");
  if (!(p.central_fraction > 0 && p.central_fraction <= 1))
    fail_at(source, "/preprocess/central_fraction", "must be a number in (0, 1]");
  if (p.resize < 0 || p.resize > kMaxResolution)
    fail_at(source, "/preprocess/resize",
            "must be an integer between 1 and " + std::to_string(kMaxResolution) + ", got " + std::to_string(p.resize));
  check_preprocess_channels(source, "mean", p.mean);
  check_preprocess_channels(source, "std", p.std);
  if (p.crop == "resize_center" && p.resize == 0)
    fail_at(source, "/preprocess", "crop \"resize_center\" needs 'resize' (the shorter side before cropping)");
}

}  // namespace

std::string layer_location(const std::string& origin, const std::string& type, const std::string& name) {
  return origin + " (" + cut_for_message(type) + (name.empty() ? "" : " '" + cut_for_message(name) + "'") + ")";
}

int add_layer(Graph& g, const std::string& source, const std::string& where, const std::string& type,
              const std::string& name, Attrs attrs, std::vector<int> inputs) {
  try {
    std::unique_ptr<Layer> layer = make_layer(type, attrs);
    if (!layer) throw LayerError("unknown layer type '" + type + "' (layers: " + join_names(layer_types()) + ")");
    attrs.check_all_read();
    return g.add(name, std::move(layer), std::move(inputs), where);
  } catch (const LayerError& e) {
    const std::string quoted = "'" + cut_for_message(name) + "'";
    const std::string suffix = where.find(quoted) == std::string::npos ? ", layer " + quoted : "";
    throw InputError(source + ": " + where + suffix + ": " + e.what());
  }
}

void check_resolution(const std::string& source, const std::string& where, int64_t resolution) {
  if (resolution < 1 || resolution > kMaxResolution)
    fail_at(source, where, "resolution must be between 1 and " + std::to_string(kMaxResolution) + ", got " +
                               std::to_string(resolution));
}

void check_width(const std::string& source, const std::string& where, double width) {
  if (!(width > 0 && width <= kMaxWidth))  // NaN fails too
    fail_at(source, where, "width must be in (0, " + format_number(kMaxWidth) + "], got " + format_number(width));
}

void check_preprocess_channels(const std::string& source, const std::string& key, const std::array<double, 3>& values) {
  // (pixel - mean) / std must stay a finite float of a sensible size.
  const bool mean = key == "mean";
  const double lo = mean ? -kMaxPreprocessMean : kMinPreprocessStd;
  const double hi = mean ? kMaxPreprocessMean : kMaxPreprocessStd;
  for (int c = 0; c < 3; ++c)
    if (!(values[c] >= lo && values[c] <= hi))
      fail_at(source, "/preprocess/" + key + "/" + std::to_string(c),
              key + " must be between " + format_number(lo) + " and " + format_number(hi) + ", got " +
                  format_number(values[c]));
}

std::string file_beside(const std::string& source, const std::string& file) {
  std::filesystem::path p = file;
  if (p.is_relative()) p = std::filesystem::path(source).parent_path() / p;
  return p.lexically_normal().string();
}

Graph build_graph(const ModelSpec& spec, const ConfigOverrides& overrides) {
  const std::string& source = spec.source;
  Graph g;
  g.source = source;
  g.name = spec.name;
  if (overrides.resolution) check_resolution(source, "--resolution", *overrides.resolution);
  else check_resolution(source, "/resolution", spec.resolution);
  g.resolution = int(overrides.resolution ? *overrides.resolution : spec.resolution);
  g.width = overrides.width ? *overrides.width : spec.width;
  check_width(source, overrides.width ? "--width" : "/width", g.width);
  if (spec.input_channels < 1 || spec.input_channels > kMaxInputChannels)
    fail_at(source, "/input_channels", "must be an integer between 1 and " + std::to_string(kMaxInputChannels) +
                                           ", got " + std::to_string(spec.input_channels));
  check_preprocess(source, spec.preprocess);
  g.preprocess = spec.preprocess;
  if (!spec.labels.empty()) g.labels = file_beside(source, spec.labels);
  if (!spec.weights.empty()) g.weights = file_beside(source, spec.weights);

  if (spec.layers.empty()) fail_at(source, "/layers", "a model needs at least one layer");
  if (spec.layers.size() > size_t(kMaxNodes))
    fail_at(source, "/layers", "too many layers (limit kMaxNodes = " + std::to_string(kMaxNodes) + ")");
  g.set_input(Shape{int(spec.input_channels), g.resolution, g.resolution});
  int last = 0;  // the node a layer without inputs reads
  for (const LayerSpec& layer : spec.layers) {
    count_work();
    const std::string where = layer_location(layer.origin, layer.type, layer.name);
    if (layer.name.empty()) fail_at(source, where, "'name' must be a non-empty string");
    std::vector<int> inputs;
    for (const std::string& in : layer.inputs) {
      const int node = g.find(in);
      if (node < 0)
        fail_at(source, where, "input '" + cut_for_message(in) +
                                   "' is not an earlier layer (layers may only read layers above them)");
      inputs.push_back(node);
    }
    if (inputs.empty()) inputs.push_back(last);
    last = add_layer(g, source, where, layer.type, layer.name, layer.attrs, std::move(inputs));
  }
  try {
    if (!spec.outputs.empty()) g.set_outputs(spec.outputs);
  } catch (const LayerError& e) {
    fail_at(source, "/outputs", e.what());
  }
  return g;
}

}  // namespace mnet
