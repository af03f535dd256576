// mnet detect MODEL IMAGES...: objects with labels, scores and boxes, from an SSD .tflite whose
// graph ends in TFLite_Detection_PostProcess (run by mnet: postprocess/detection.h); --draw
// writes the boxes and labels onto the image as PNG. Failed images are reported and the rest go
// on (exit 1 if any failed).
#include <cmath>

#include "common.h"
#include "core/error.h"
#include "io/draw.h"
#include "io/image.h"
#include "postprocess/detection.h"
#include "report/detection_report.h"
#include "run/executor.h"
#include "vision.h"

namespace mnet::app {

namespace {

// Bright, distinct colours for boxes, by class.
Rgb box_colour(int class_index) {
  static const Rgb kColours[] = {{230, 25, 75},  {60, 180, 75},  {255, 225, 25}, {0, 130, 200}, {245, 130, 48},
                                 {145, 30, 180}, {70, 240, 240}, {240, 50, 230}, {210, 245, 60}, {250, 190, 212}};
  return kColours[size_t(class_index) % (sizeof kColours / sizeof kColours[0])];
}

void draw_detections(Image& img, const std::vector<DetectedObject>& objects) {
  const int thickness = std::max(2, std::min(img.width, img.height) / 150);
  const int scale = std::max(1, std::min(img.width, img.height) / 200);
  // The lowest score first, so the best box and its label end on top.
  for (size_t k = objects.size(); k-- > 0;) {
    const DetectedObject& o = objects[k];
    const Rgb colour = box_colour(o.class_index);
    const int x0 = int(std::lround(o.xmin)), y0 = int(std::lround(o.ymin));
    const int x1 = int(std::lround(o.xmax)), y1 = int(std::lround(o.ymax));
    draw_rectangle(img, x0, y0, x1, y1, colour, thickness);
    char score[16];
    std::snprintf(score, sizeof score, " %.2f", double(o.score));
    const int text_height = 12 * scale;
    // The label sits on the box's top edge, inside the image.
    const int ty = std::max(0, std::min(y0 - text_height, img.height - text_height));
    draw_text(img, std::max(0, x0), ty, o.label + score, Rgb{0, 0, 0}, colour, scale);
  }
}

}  // namespace

Command make_detect_command(CLI::App& root) {
  auto model = std::make_shared<ModelOptions>();
  auto engine = std::make_shared<EngineOptions>();
  auto images = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<OutputOptions>();
  auto threshold = std::make_shared<double>(0.3);
  auto top = std::make_shared<int>(0);
  auto labels_file = std::make_shared<std::string>();
  auto draw = std::make_shared<std::string>();
  auto threads_list = std::make_shared<std::vector<int>>(std::vector<int>{1});
  auto quiet = std::make_shared<bool>(false);
  CLI::App* app = root.add_subcommand(
      "detect",
      "Detect objects (JPEG, PNG, BMP): label, score and box in the image's pixels per object.\n"
      "  The model is an SSD .tflite ending in TFLite_Detection_PostProcess (anchor decoding and fast NMS, run by\n"
      "  mnet with the model's own options); each image is stretched whole to the model's input, as it was trained.\n"
      "  Labels: --labels, the model's own, or coco_labels.txt beside the model (or one folder up).\n"
      "  example: mnet detect ssd_mobilenet_v2_coco_quant_postprocess.tflite pets.jpg --draw pets_boxes.png\n"
      "  example: mnet detect ssd.tflite a.jpg b.jpg --threshold 0.5 --format csv -o objects.csv");
  model->add_to(*app);
  app->add_option("images", *images, "Images (JPEG, PNG, BMP)")->required();
  app->add_option("--threshold", *threshold, "List objects scoring at least this")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--top", *top, "At most this many objects per image, best first (0: all above the threshold)")
      ->capture_default_str()
      ->check(CLI::Range(0, kMaxDetections));
  app->add_option("--labels", *labels_file, "Labels file, one per line, line k = class k (default: see above)");
  app->add_option("--draw", *draw,
                  "Write the image with boxes and labels drawn as PNG (several images: FILE's stem + the image's "
                  "stem + .png)");
  app->add_option("--weights", engine->weights, "Weights (.safetensors) overriding the model's own");
  engine->add_checks_to(*app);
  add_threads_option(*app, *threads_list, true);
  add_quiet_flag(*app, *quiet);
  out->add_to(*app);
  auto run = [model, engine, images, out, threshold, top, labels_file, draw, threads_list, quiet]() {
    const int threads = threads_list->front();
    LoadOptions load = engine->load_options();
    load.before_weights = [&](const Graph& graph) {
      engine->check_memory_for(graph, {ExecOptions{threads}}, model->model);
    };
    Model m = load_model(model->model, model->overrides(), load);
    const DetectionPostprocess& post = m.detection;
    const Graph& g = m.graph;
    if (post.anchors.empty())
      throw InputError(model->model + ": not a detector: mnet detect takes an SSD .tflite whose graph ends in "
                                      "TFLite_Detection_PostProcess (this model has " +
                       std::to_string(g.output_nodes().size()) + " output(s), first " + g.output().name + " " +
                       g.output().out.str() + ")");
    if (m.weights_source.empty()) throw InputError(model->model + ": no weights: detection needs the model's own or --weights");
    const std::vector<std::string> labels =
        vision_labels(m, *labels_file, model->model, "coco_labels.txt", post.options.num_classes);
    Executor exec(g, m.weights, ExecOptions{threads});
    const Shape& in = g.input().out;
    if (in.c != 3 || in.h != in.w) throw InputError(g.source + ": detect needs a [3, S, S] input, got " + in.str());
    // The post-process reads the graph's outputs by name (the importer makes them these two).
    size_t boxes = 0, scores = 0;
    for (size_t k = 0; k < exec.outputs().size(); ++k) {
      if (exec.outputs()[k].name == post.boxes_output) boxes = k;
      if (exec.outputs()[k].name == post.scores_output) scores = k;
    }

    VisionReport report;
    report.model_path = model->model;
    report.model_name = g.name;
    report.input_size = in.h;
    report.threshold = *threshold;
    report.top = *top;
    report.threads = threads;
    const auto analyse = [&](Image& img, VisionResult& r) {
      const std::vector<float> x = stretched_input(img, g);
      const std::vector<ExecOutput> outputs = exec.run_all(x.data());
      for (const Detection& d : postprocess_detections(post, outputs[boxes].data, outputs[scores].data)) {
        if (d.score < *threshold || (*top > 0 && int(r.objects.size()) >= *top)) continue;
        DetectedObject o;
        o.class_index = d.class_index;
        o.label = label_of(labels, d.class_index);
        o.score = d.score;
        o.box = d.box;
        // The input was the whole image stretched: back to pixels by scaling each axis.
        o.xmin = double(d.box.xmin) * img.width, o.xmax = double(d.box.xmax) * img.width;
        o.ymin = double(d.box.ymin) * img.height, o.ymax = double(d.box.ymax) * img.height;
        r.objects.push_back(std::move(o));
      }
    };
    for_each_image(*images, "detect", *quiet, *draw, report, analyse,
                   [](Image& img, const VisionResult& r) { draw_detections(img, r.objects); });
    emit(*out, format_vision(report, out->parsed(), report_context({threads})));
    return report.failed() ? kExitFailure : kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
