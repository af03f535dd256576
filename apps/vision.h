// What mnet detect and mnet segment share: the whole image stretched to the model's input, the
// labels found for the model, and where a drawn PNG goes.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/image.h"
#include "io/preprocess.h"
#include "model/model.h"

namespace mnet::app {

// The detectors and segmenters were trained on (and the shared references made from) the whole
// image stretched to S×S, aspect ratio not kept: TF's half-pixel bilinear resize of the uncropped
// image, rounded to 8 bits (tf_central_crop_resize with fraction 1), then the model's mean/std.
inline std::vector<float> stretched_input(const Image& img, const Graph& g) {
  const Shape& in = g.input().out;
  return to_network_input(tf_central_crop_resize(img, in.h, 1.0), in.h, g.preprocess);
}

// The class names: --labels, else the model's own, else `default_name` beside the model or one
// folder up (the shared test data keeps coco_labels.txt beside models/); empty when none is found.
// A file with fewer than `classes` lines is refused, naming it.
inline std::vector<std::string> vision_labels(const Model& m, const std::string& labels_option, const std::string& model_path,
                                              const std::string& default_name, int classes) {
  std::string file = labels_option;
  std::vector<std::string> labels;
  if (file.empty() && !m.labels.empty()) {
    labels = m.labels;
    file = model_path + ": labels in the model";
  } else {
    if (file.empty()) {
      const std::filesystem::path folder = std::filesystem::path(model_path).parent_path();
      std::error_code ec;
      for (const std::filesystem::path& candidate : {folder / default_name, folder.parent_path() / default_name})
        if (std::filesystem::is_regular_file(candidate, ec)) {
          file = candidate.string();
          break;
        }
      if (file.empty()) return {};
    }
    labels = read_labels(file);
  }
  if (int64_t(labels.size()) < classes)
    throw InputError(file + ": has " + std::to_string(labels.size()) + " labels, the model has " + std::to_string(classes) +
                     " classes");
  labels.resize(size_t(classes));  // the VOC file ends in a note after a blank line
  return labels;
}

inline std::string label_of(const std::vector<std::string>& labels, int index) {
  return index >= 0 && size_t(index) < labels.size() ? labels[size_t(index)] : "class " + std::to_string(index);
}

// --draw / --mask OUT: with one image OUT itself; with several, OUT's stem, the image's stem and
// .png ("out.png", "photos/cat.jpg" → "out.cat.png"), the image's position added when two images
// share a stem.
inline std::string drawn_path(const std::string& out, const std::string& image, size_t index, size_t images,
                              bool stem_shared) {
  if (images == 1) return out;
  std::filesystem::path base(out);
  const std::string stem = base.extension() == ".png" ? base.replace_extension().string() : out;
  std::string name = std::filesystem::path(image).stem().string();
  if (stem_shared) name += "_" + std::to_string(index + 1);
  return stem + "." + name + ".png";
}

}  // namespace mnet::app
