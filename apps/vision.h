// What mnet detect and mnet segment share: the whole image stretched to the model's input, the
// labels found for the model, where a drawn PNG goes, and the walk over the images.
#pragma once
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/draw.h"
#include "io/image.h"
#include "io/preprocess.h"
#include "model/model.h"
#include "progress.h"
#include "report/detection_report.h"

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

// Every image in turn: loaded, `analyse`d into its result and, with `draw_to` (--draw / --mask),
// `draw`n onto and written as PNG. An image that cannot be read or run is one error line on
// stderr and a result with its error; the rest go on. Fills report.results and report.seconds,
// with a progress line named `command` on a terminal.
inline void for_each_image(const std::vector<std::string>& images, const std::string& command, bool quiet,
                           const std::string& draw_to, VisionReport& report,
                           const std::function<void(Image&, VisionResult&)>& analyse,
                           const std::function<void(Image&, const VisionResult&)>& draw) {
  std::map<std::string, int> stems;
  for (const std::string& image : images) ++stems[std::filesystem::path(image).stem().string()];
  ProgressLine progress(command, int64_t(images.size()), "images", progress_wanted(quiet));
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < images.size(); ++i) {
    VisionResult r;
    r.image = images[i];
    try {
      Image img = load_image(r.image);
      r.width = img.width;
      r.height = img.height;
      analyse(img, r);
      if (!draw_to.empty()) {
        const std::string path =
            drawn_path(draw_to, r.image, i, images.size(), stems[std::filesystem::path(r.image).stem().string()] > 1);
        draw(img, r);
        write_png(path, img);
        r.drawn = path;
      }
    } catch (const InputError& e) {
      r.error = e.what();
    } catch (const RunError& e) {
      r.error = e.what();
    }
    if (!r.error.empty()) {
      progress.finish();
      std::fprintf(stderr, "mnet: error: %s\n", r.error.c_str());
    }
    report.results.push_back(std::move(r));
    progress.update(int64_t(i + 1));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.finish();
}

}  // namespace mnet::app
