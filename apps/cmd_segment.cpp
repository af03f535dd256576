// mnet segment MODEL IMAGES...: the share of pixels per class of a segmenter's class map (the arg
// max over its output's channels: postprocess/segmentation.h); --mask writes the class colours
// blended over the image as PNG. Failed images are reported and the rest go on (exit 1 if any
// failed).

#include "common.h"
#include "core/error.h"
#include "io/draw.h"
#include "io/image.h"
#include "postprocess/segmentation.h"
#include "report/detection_report.h"
#include "run/executor.h"
#include "vision.h"

namespace mnet::app {

namespace {

// How strongly the class colours cover the image.
constexpr double kMaskAlpha = 0.55;

// The mask over the image, and a legend of the classes present (background left out) at the top left.
void draw_mask(Image& img, const ClassMap& map, const std::vector<SegmentedClass>& classes) {
  blend_class_map(img, map, kMaskAlpha);
  const int scale = std::max(1, std::min(img.width, img.height) / 200);
  int y = 0;
  for (const SegmentedClass& c : classes) {
    if (c.index == 0) continue;
    const Rgb colour = voc_colour(c.index);
    // Dark text on light colours, white on dark.
    const bool light = colour[0] * 299 + colour[1] * 587 + colour[2] * 114 > 128000;
    y += draw_text(img, 0, y, c.label, light ? Rgb{0, 0, 0} : Rgb{255, 255, 255}, colour, scale);
  }
}

}  // namespace

Command make_segment_command(CLI::App& root) {
  auto model = std::make_shared<ModelOptions>();
  auto engine = std::make_shared<EngineOptions>();
  auto images = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<OutputOptions>();
  auto labels_file = std::make_shared<std::string>();
  auto mask = std::make_shared<std::string>();
  auto threads_list = std::make_shared<std::vector<int>>(std::vector<int>{1});
  auto quiet = std::make_shared<bool>(false);
  CLI::App* app = root.add_subcommand(
      "segment",
      "Segment images (JPEG, PNG, BMP): each class's share of the pixels, from the arg max over the model's classes.\n"
      "  The model's one output is a [classes, H, W] map (a DeepLab .tflite's ARG_MAX runs in mnet); each image is\n"
      "  stretched whole to the model's input. Labels: --labels, the model's own, or pascal_voc_segmentation_labels.txt\n"
      "  beside the model (or one folder up).\n"
      "  example: mnet segment deeplabv3_mnv2_pascal_quant.tflite bird.jpg --mask bird_mask.png\n"
      "  example: mnet segment deeplab.tflite *.jpg --format json -o classes.json");
  model->add_to(*app);
  app->add_option("images", *images, "Images (JPEG, PNG, BMP)")->required();
  app->add_option("--labels", *labels_file, "Labels file, one per line, line k = class k (default: see above)");
  app->add_option("--mask", *mask,
                  "Write the image with the class colours blended over it as PNG (several images: FILE's stem + the "
                  "image's stem + .png)");
  app->add_option("--weights", engine->weights, "Weights (.safetensors) overriding the model's own");
  engine->add_checks_to(*app);
  add_threads_option(*app, *threads_list, true);
  add_quiet_flag(*app, *quiet);
  out->add_to(*app);
  auto run = [model, engine, images, out, labels_file, mask, threads_list, quiet]() {
    const int threads = threads_list->front();
    LoadOptions load = engine->load_options();
    load.before_weights = [&](const Graph& graph) {
      engine->check_memory_for(graph, {ExecOptions{threads}}, model->model);
    };
    Model m = load_model(model->model, model->overrides(), load);
    const Graph& g = m.graph;
    const Shape& map_shape = g.output().out;
    // A segmenter's output is one map of class scores: several classes over more than one pixel.
    if (g.output_nodes().size() != 1 || map_shape.c < 2 || map_shape.h < 2 || map_shape.w < 2)
      throw InputError(model->model + ": not a segmenter: mnet segment takes a model with one output of class "
                                      "scores [classes, H, W], this one has " +
                       std::to_string(g.output_nodes().size()) + " output(s), first " + g.output().name + " " +
                       map_shape.str());
    if (m.weights_source.empty()) throw InputError(model->model + ": no weights: segmentation needs the model's own or --weights");
    const std::vector<std::string> labels =
        vision_labels(m, *labels_file, model->model, "pascal_voc_segmentation_labels.txt", map_shape.c);
    Executor exec(g, m.weights, ExecOptions{threads});
    const Shape& in = g.input().out;
    if (in.c != 3 || in.h != in.w) throw InputError(g.source + ": segment needs a [3, S, S] input, got " + in.str());

    VisionReport report;
    report.segmentation = true;
    report.model_path = model->model;
    report.model_name = g.name;
    report.input_size = in.h;
    report.map_width = map_shape.w;
    report.map_height = map_shape.h;
    report.threads = threads;
    ClassMap map;  // the last image's, for drawing it
    const auto analyse = [&](Image& img, VisionResult& r) {
      const std::vector<float> x = stretched_input(img, g);
      map = argmax_classes(exec.run(x.data()), map_shape);
      for (const ClassShare& share : class_shares(map, map_shape.c))
        r.classes.push_back(SegmentedClass{share.index, label_of(labels, share.index), share.pixels, share.fraction});
    };
    for_each_image(*images, "segment", *quiet, *mask, report, analyse,
                   [&](Image& img, const VisionResult& r) { draw_mask(img, map, r.classes); });
    emit(*out, format_vision(report, out->parsed(), report_context({threads})));
    return report.failed() ? kExitFailure : kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
