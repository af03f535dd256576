// SSD post-processing (postprocess/detection.h): anchor decoding, IoU and fast NMS worked by hand;
// then, with MNET_TESTDATA, the TFLite runtime's own outputs: the decode + NMS of its stored
// pre-NMS tensors reproduced exactly, the imported SSD MobileNet V2 run by mnet giving the same
// detections above 0.3 on all 10 images, the whole-image preprocessing, and `mnet detect`.
#include <catch2/catch.hpp>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/build_graph.h"
#include "io/image.h"
#include "io/preprocess.h"
#include "postprocess/detection.h"
#include "run/executor.h"
#include "tflite/flexbuffer.h"
#include "tflite/import.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

namespace {

const char* const kSsd = "mobilenet_ssd_v2_coco_quant_postprocess";
const char* const kImages[] = {"bird", "bird_segmentation", "cat", "dragonfly", "grace_hopper",
                               "hot_dog", "owl", "parrot", "pets", "sunflower"};

Box box_of(const nlohmann::json& b) {
  return Box{b[0].get<float>(), b[1].get<float>(), b[2].get<float>(), b[3].get<float>()};
}

// The uint8 file's values as the runtime dequantizes them: (q - zero_point) · scale.
std::vector<float> dequantized(const std::string& file, double scale, int zero_point) {
  const std::string bytes = read_bytes(file);
  std::vector<float> v(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) v[i] = float((int(uint8_t(bytes[i])) - zero_point) * scale);
  return v;
}

}  // namespace

TEST_CASE("decode_boxes applies the centre-size encoding to each anchor as TFLite does") {
  DetectionOptions o;  // scales 10, 10, 5, 5
  // Anchor at (0.5, 0.25), 0.2 high, 0.4 wide; offsets ty 1, tx -2, th 5·ln 2, tw 0.
  const std::vector<float> anchors{0.5f, 0.25f, 0.2f, 0.4f};
  const std::vector<float> enc{1.0f, -2.0f, float(5 * std::log(2.0)), 0.0f};
  const std::vector<Box> boxes = decode_boxes(enc.data(), anchors, o);
  REQUIRE(boxes.size() == 1);
  // yc = 0.1·0.2 + 0.5 = 0.52, xc = -0.2·0.4 + 0.25 = 0.17, h = 2·0.2 = 0.4, w = 0.4.
  CHECK(boxes[0].ymin == Approx(0.32).margin(1e-6));
  CHECK(boxes[0].ymax == Approx(0.72).margin(1e-6));
  CHECK(boxes[0].xmin == Approx(-0.03).margin(1e-6));
  CHECK(boxes[0].xmax == Approx(0.37).margin(1e-6));
}

TEST_CASE("intersection_over_union: overlap over union, nothing for boxes without area") {
  CHECK(intersection_over_union(Box{0, 0, 1, 1}, Box{0, 0.5f, 1, 1.5f}) == Approx(1.0 / 3));
  CHECK(intersection_over_union(Box{0, 0, 1, 1}, Box{2, 2, 3, 3}) == 0);
  CHECK(intersection_over_union(Box{0, 0, 0, 1}, Box{0, 0, 1, 1}) == 0);
  CHECK(intersection_over_union(Box{0, 0, 1, 1}, Box{0, 0, 1, 1}) == 1);
}

TEST_CASE("fast_nms: best class per anchor, score order, suppression above the IoU threshold only") {
  DetectionOptions o;
  o.num_classes = 3;
  o.max_detections = 10;
  o.nms_iou_threshold = 0.5f;
  o.nms_score_threshold = 0.1f;
  const std::vector<Box> boxes{
      Box{0, 0, 1, 1},        // 0
      Box{0, 0.25f, 1, 1.25f},  // 1: IoU 0.6 with 0
      Box{0, 0.5f, 1, 1.5f},  // 2: IoU 1/3 with 0, 0.6 with 1
      Box{5, 5, 6, 6},        // 3: alone
      Box{7, 7, 8, 8},        // 4: below the score threshold
  };
  // Columns: background, then 3 classes. Anchor 3 ties classes 1 and 2: the first wins.
  const std::vector<float> scores{0.99f, 0.2f, 0.9f, 0.1f,   // 0: class 1 (0.9); background ignored
                                  0.0f,  0.8f, 0.0f, 0.0f,   // 1: class 0 (0.8)
                                  0.0f,  0.0f, 0.0f, 0.7f,   // 2: class 2 (0.7)
                                  0.0f,  0.0f, 0.6f, 0.6f,   // 3: class 1 (0.6)
                                  0.0f,  0.05f, 0.0f, 0.0f}; // 4: 0.05 < 0.1
  const std::vector<Detection> d = fast_nms(boxes, scores.data(), o);
  // 0 selected, 1 suppressed by 0 (0.6 > 0.5) whatever its class, 2 kept (1/3 with 0; its
  // suppressor 1 was dropped), 3 kept, 4 under the threshold.
  REQUIRE(d.size() == 3);
  CHECK(d[0].class_index == 1);
  CHECK(d[0].score == 0.9f);
  CHECK(d[1].class_index == 2);
  CHECK(d[1].box.xmin == 0.5f);
  CHECK(d[2].class_index == 1);
  CHECK(d[2].score == 0.6f);
  // IoU exactly at the threshold does not suppress.
  o.nms_iou_threshold = 0.6f;
  CHECK(fast_nms(boxes, scores.data(), o).size() == 4);  // 1 survives 0, 2 survives 1 (0.6 is not > 0.6)
  // At most max_detections, the best first; equal scores keep the anchors' order (stable).
  o.max_detections = 1;
  CHECK(fast_nms(boxes, scores.data(), o).front().score == 0.9f);
  const std::vector<Box> two{Box{0, 0, 1, 1}, Box{3, 3, 4, 4}};
  const std::vector<float> tied{0, 0.5f, 0, 0, 0, 0, 0.5f, 0};
  o.max_detections = 2;
  const std::vector<Detection> t = fast_nms(two, tied.data(), o);
  REQUIRE(t.size() == 2);
  CHECK(t[0].class_index == 0);
  CHECK(t[1].class_index == 1);
}

TEST_CASE("decode + fast NMS of the runtime's stored pre-NMS tensors give its four outputs exactly", "[detection]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping the comparison with the TFLite runtime's detections");
    return;
  }
  const ImportedModel ssd = import_tflite(testdata() + "/models/" + kSsd + ".tflite");
  const DetectionPostprocess& p = ssd.detection;
  REQUIRE(p.anchor_count() == 1917);
  CHECK(p.options.max_detections == 20);
  CHECK(p.options.num_classes == 90);
  CHECK(p.options.nms_iou_threshold == Approx(0.6));
  CHECK(p.options.y_scale == 10);
  CHECK(p.options.h_scale == 5);
  for (const char* image : kImages) {
    INFO(image);
    const auto ref = nlohmann::json::parse(read_text(testdata() + "/reference/" + kSsd + "__" + image + ".json"));
    const auto& pre = ref["pre_nms"];
    const auto tensor = [&](const char* name) {
      const auto& t = pre[name];
      return dequantized(testdata() + "/" + t["file"].get<std::string>(), t["scale"].get<double>(),
                         t["zero_point"].get<int>());
    };
    const std::vector<float> enc = tensor("box_encodings"), scores = tensor("class_scores");
    const std::vector<Detection> d = postprocess_detections(p, enc.data(), scores.data());
    const auto& outputs = ref["outputs"];
    const auto& boxes = outputs[0]["values"][0];
    const auto& classes = outputs[1]["values"][0];
    const auto& values = outputs[2]["values"][0];
    REQUIRE(d.size() == size_t(outputs[3]["values"][0].get<float>()));
    for (size_t i = 0; i < d.size(); ++i) {
      INFO("detection " << i);
      const Box b = box_of(boxes[i]);
      CHECK(d[i].box.ymin == Approx(b.ymin).margin(1e-6));
      CHECK(d[i].box.xmin == Approx(b.xmin).margin(1e-6));
      CHECK(d[i].box.ymax == Approx(b.ymax).margin(1e-6));
      CHECK(d[i].box.xmax == Approx(b.xmax).margin(1e-6));
      CHECK(d[i].class_index == int(classes[i].get<float>()));
      CHECK(d[i].score == values[i].get<float>());
    }
  }
}

TEST_CASE("the imported SSD MobileNet V2 run by mnet finds the runtime's detections above 0.3 on all 10 images",
          "[detection]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping the comparison with the TFLite runtime's detections");
    return;
  }
  if (!simd_lowered_to().empty()) {
    WARN("MNET_SIMD=" << simd_lowered_to() << ": the agreement with the runtime's detections is measured at the CPU's best level (tests/testing.h, simd_lowered_to)");
    return;
  }
  const ImportedModel ssd = import_tflite(testdata() + "/models/" + kSsd + ".tflite");
  const Graph g = build_graph(ssd.spec);
  REQUIRE(g.output_nodes().size() == 2);
  Executor exec(g, ssd.weights, ExecOptions{2});
  REQUIRE(exec.outputs()[0].name == ssd.detection.boxes_output);
  REQUIRE(exec.outputs()[0].shape == (Shape{1917, 1, 4}));
  REQUIRE(exec.outputs()[1].shape == (Shape{1917, 1, 91}));
  int matched = 0;
  double worst_iou = 1, worst_score = 0;
  int64_t same_boxes = 0, same_scores = 0, box_values = 0, score_values = 0;
  for (const char* image : kImages) {
    INFO(image);
    const auto ref = nlohmann::json::parse(read_text(testdata() + "/reference/" + kSsd + "__" + image + ".json"));
    const std::string rgb = read_bytes(testdata() + "/inputs/" + image + "_full_300x300.rgb");
    REQUIRE(rgb.size() == size_t(300 * 300 * 3));
    const std::vector<float> x = to_network_input(std::vector<uint8_t>(rgb.begin(), rgb.end()), 300, g.preprocess);
    const std::vector<ExecOutput> out = exec.run_all(x.data());
    // How many of the 8-bit values before NMS land on the runtime's level.
    for (const char* name : {"box_encodings", "class_scores"}) {
      const auto& t = ref["pre_nms"][name];
      const std::string q = read_bytes(testdata() + "/" + t["file"].get<std::string>());
      const bool boxes = name[0] == 'b';
      const float* v = out[boxes ? 0 : 1].data;
      const double scale = t["scale"].get<double>();
      const int zero_point = t["zero_point"].get<int>();
      for (size_t i = 0; i < q.size(); ++i) {
        const bool same = std::lround(v[i] / scale) + zero_point == int(uint8_t(q[i]));
        (boxes ? same_boxes : same_scores) += same;
        (boxes ? box_values : score_values) += 1;
      }
    }
    std::vector<Detection> mine;
    for (const Detection& d : postprocess_detections(ssd.detection, out[0].data, out[1].data))
      if (d.score > 0.3f) mine.push_back(d);
    const auto& expected = ref["detections"];
    CHECK(mine.size() == expected.size());
    for (const auto& e : expected) {
      const Box want = box_of(e["box"]);
      double best = 0;
      const Detection* match = nullptr;
      for (const Detection& d : mine)
        if (d.class_index == e["class_id"].get<int>() && intersection_over_union(d.box, want) > best) {
          best = intersection_over_union(d.box, want);
          match = &d;
        }
      INFO("reference " << e["label"].get<std::string>() << " " << e["score"].get<double>() << ": best IoU " << best);
      CHECK(best >= 0.9);
      if (match) {
        ++matched;
        worst_iou = std::min(worst_iou, best);
        worst_score = std::max(worst_score, std::abs(double(match->score) - e["score"].get<double>()));
      }
    }
  }
  CHECK(matched == 13);  // the reference's detections above 0.3 on the 10 images (testdata README)
  UNSCOPED_INFO("SSD agreement: " << matched << " of 13 detections matched, worst IoU " << worst_iou
                << ", largest score difference " << worst_score << "; pre-NMS uint8 levels equal: boxes "
                << double(same_boxes) / double(box_values) << ", scores " << double(same_scores) / double(score_values));
  SUCCEED();
}

namespace {


std::string ssd_path() { return testdata() + "/models/" + kSsd + ".tflite"; }

}  // namespace

TEST_CASE("detect's preprocessing stretches the whole image as inputs/<image>_full_<S>x<S>.rgb: BMPs exactly",
          "[detection]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping the comparison with inputs/*_full_*.rgb");
    return;
  }
  int bmps = 0;
  for (const char* image : kImages) {
    const std::string folder = std::string(image) == "bird_segmentation" || std::string(image) == "pets" ? "scenes" : "images";
    for (const char* ext : {".bmp", ".jpg"}) {
      const std::string path = testdata() + "/" + folder + "/" + image + ext;
      if (!fs::exists(path)) continue;
      const Image img = load_image(path);
      for (int size : {300, 513}) {
        INFO(path << " at " << size);
        const std::string ref = read_bytes(testdata() + "/inputs/" + image + "_full_" + std::to_string(size) + "x" +
                                           std::to_string(size) + ".rgb");
        const std::vector<uint8_t> got = tf_central_crop_resize(img, size, 1.0);
        REQUIRE(got.size() == ref.size());
        if (std::string(ext) == ".bmp") {
          CHECK(got == std::vector<uint8_t>(ref.begin(), ref.end()));
          ++bmps;
        } else {
          // stb_image's JPEG decoder is not libjpeg-turbo's (tests/test_preprocess.cpp): a level or two.
          int worst = 0;
          for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(int(got[i]) - int(uint8_t(ref[i]))));
          CHECK(worst <= 3);
        }
      }
    }
  }
  CHECK(bmps == 6 * 2);
}

TEST_CASE("mnet detect lists the objects, draws them into a PNG that decodes back, and reports failed images",
          "[detection][cli]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping mnet detect on the shared SSD");
    return;
  }
  TempDir tmp;
  const std::string pets = testdata() + "/scenes/pets.jpg", cat = testdata() + "/images/cat.bmp";
  const std::string args = "detect " + shell_quote(ssd_path()) + " " + shell_quote(pets) + " " + shell_quote(cat);
  CommandResult r = run_mnet(args + " --draw " + shell_quote(tmp.file("boxes.png")) + " --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["kind"] == "detect");
  REQUIRE(j["results"].size() == 2);
  const auto& dogs = j["results"][0]["detections"];
  REQUIRE(dogs.size() == 2);
  CHECK(dogs[0]["label"] == "dog");  // coco_labels.txt found one folder up from models/
  CHECK(dogs[1]["label"] == "dog");
  CHECK(j["results"][1]["detections"][0]["label"] == "cat");
  CHECK(j["results"][1]["detections"][0]["box_pixels"]["xmin"].get<double>() == Approx(42).margin(3));
  // Two images: one PNG each, named by the image; same size as the image, boxes drawn in.
  for (const auto& [name, source] : {std::pair<std::string, std::string>{"boxes.pets.png", pets}, {"boxes.cat.png", cat}}) {
    INFO(name);
    REQUIRE(fs::exists(tmp.file(name)));
    const Image drawn = load_image(tmp.file(name)), original = load_image(source);
    CHECK(drawn.width == original.width);
    CHECK(drawn.height == original.height);
    CHECK(drawn.rgb != original.rgb);
  }
  // --threshold, --top and csv.
  r = run_mnet("detect " + shell_quote(ssd_path()) + " " + shell_quote(pets) + " --top 1 --format csv");
  REQUIRE(r.exit_code == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);  // header + one dog
  r = run_mnet("detect " + shell_quote(ssd_path()) + " " + shell_quote(pets) + " --threshold 0.99");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Matchers::Contains("(none at or above 0.99)"));
  // A missing image: its own error line, the others still listed, exit 1.
  r = run_mnet("detect " + shell_quote(ssd_path()) + " " + shell_quote(tmp.file("no.jpg")) + " " + shell_quote(cat) +
               " " + shell_quote(tmp.file("also_no.png")));
  CHECK(r.exit_code == 1);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 2);
  CHECK_THAT(r.err, Catch::Matchers::Contains("mnet: error: " + tmp.file("no.jpg")));
  CHECK_THAT(r.err, Catch::Matchers::Contains("mnet: error: " + tmp.file("also_no.png")));
  CHECK_THAT(r.out, Catch::Matchers::Contains("cat"));
}

TEST_CASE("mnet detect refuses a classifier and labels too few for the classes, in one line", "[detection][cli]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping mnet detect's refusals on the shared models");
    return;
  }
  TempDir tmp;
  const fs::path out = tmp.path / "out";
  fs::create_directory(out);
  const std::string classifier = testdata() + "/models/mobilenet_v2_1.0_224_quant.tflite";
  const std::string cat = testdata() + "/images/cat.bmp";
  CommandResult r = run_mnet("detect " + shell_quote(classifier) + " " + shell_quote(cat) + " --draw " +
                             shell_quote((out / "x.png").string()));
  require_clean_rejection(r, 3, classifier, "not a detector", out);
  const std::string labels = tmp.write("three.txt", "a\nb\nc\n");
  r = run_mnet("detect " + shell_quote(ssd_path()) + " " + shell_quote(cat) + " --labels " + shell_quote(labels));
  require_clean_rejection(r, 3, labels, "has 3 labels, the model has 90 classes", out);
}

TEST_CASE("read_flexbuffer_map refuses bytes that are no FlexBuffer map in one line naming the operator") {
  const std::string where = "m.tflite: tflite: operator 98 (TFLite_Detection_PostProcess)";
  for (const std::string& bytes : {std::string(""), std::string("\x01\x02", 2), std::string("\x05\x24\x01", 3),
                                  std::string("\xff\xff\xff\xff\x24\x04", 6)}) {
    INFO(bytes.size() << " bytes");
    REQUIRE_INPUT_ERROR(read_flexbuffer_map(bytes, where), where + ": custom options: ");
  }
}
