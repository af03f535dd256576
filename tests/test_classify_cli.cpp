// End-to-end: `mnet classify`, `mnet import` and `mnet profile` on the real TFLite models of
// $MNET_TESTDATA against the TensorFlow Lite runtime's reference outputs, and
// scripts/fetch_models.sh on a local mirror.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <set>

#include "config/config.h"
#include "weights/weights.h"
#include "testing.h"
#include "tflite_builder.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using nlohmann::json;

namespace {

const char* const kClassifiers[] = {"mobilenet_v1_0.25_128_quant", "mobilenet_v1_0.5_160_quant",
                                    "mobilenet_v1_0.75_192_quant", "mobilenet_v2_1.0_224_quant",
                                    "tf2_mobilenet_v2_1.0_224_ptq", "mobilenet_v3_small_1.0_224_quant"};
const char* const kImageFiles[] = {"bird.bmp",      "cat.bmp",   "dragonfly.bmp", "grace_hopper.bmp",
                                   "sunflower.bmp", "owl.jpg",   "parrot.jpg",    "hot_dog.jpg"};

std::string shq(const std::string& s) { return "'" + s + "'"; }
std::string model_path(const std::string& name) { return testdata() + "/models/" + name + ".tflite"; }
std::string image_path(const std::string& file) { return testdata() + "/images/" + file; }
bool carries_labels(const std::string& model) { return model.find("v3_small") == std::string::npos; }
std::string labels_option(const std::string& model) {
  return carries_labels(model) ? "" : " --labels " + shq(testdata() + "/imagenet_labels.txt");
}
std::string stem(const std::string& path) {
  std::string base = fs::path(path).filename().string();
  return base.substr(0, base.rfind('.'));
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string fetch_script() { return "bash " + shq(source_path("scripts/fetch_models.sh")); }

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

void put_le(std::string& s, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}
void put_be32(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(char((v >> (8 * i)) & 0xff));
}

// A 24-bit uncompressed BMP of w x h pixels with a colour gradient.
std::string bmp(int w, int h) {
  const int row = (w * 3 + 3) / 4 * 4;
  std::string s = "BM";
  put_le(s, uint32_t(54 + row * h), 4);
  put_le(s, 0, 4);
  put_le(s, 54, 4);
  put_le(s, 40, 4);
  put_le(s, uint32_t(w), 4);
  put_le(s, uint32_t(h), 4);
  put_le(s, 1, 2);
  put_le(s, 24, 2);
  put_le(s, 0, 4);
  put_le(s, uint32_t(row * h), 4);
  put_le(s, 2835, 4);
  put_le(s, 2835, 4);
  put_le(s, 0, 4);
  put_le(s, 0, 4);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      s.push_back(char(x * 255 / w));  // B
      s.push_back(char(y * 255 / h));  // G
      s.push_back(char(128));          // R
    }
    s.append(size_t(row - w * 3), '\0');
  }
  return s;
}

uint32_t crc32(const std::string& bytes) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
  }
  return c ^ 0xffffffffu;
}

// The PNG signature and an IHDR chunk (8-bit RGB) declaring w x h pixels, with a correct CRC,
// and nothing after it: the header alone, no pixel data.
std::string png_header(uint32_t w, uint32_t h) {
  std::string chunk = "IHDR";
  put_be32(chunk, w);
  put_be32(chunk, h);
  chunk += std::string("\x08\x02\x00\x00\x00", 5);  // bit depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
  std::string s = "\x89PNG\r\n\x1a\n";
  put_be32(s, 13);
  s += chunk;
  put_be32(s, crc32(chunk));
  return s;
}

// tiny_custom (10 classes) with weights whose classifier ignores the image: fc weights 0 and
// biases giving classes 3 and 7 the same highest score and class 5 the next.
std::string tied_weights(const TempDir& tmp) {
  Graph g = load_config(source_path("configs/tiny_custom.json"));
  WeightMap w = random_weights(g, 7);
  REQUIRE(w.count("fc.weight") == 1);
  REQUIRE(w.count("fc.bias") == 1);
  std::fill(w["fc.weight"].begin(), w["fc.weight"].end(), 0.0f);
  w["fc.bias"] = {0, 0, 0, 2, 0, 1, 0, 2, 0, 0};
  save_weights(g, w, tmp.file("tied.safetensors"));
  return tmp.file("tied.safetensors");
}

// Scores never increase down the list, and equal scores come in ascending class index.
void check_order(const json& top) {
  for (size_t i = 1; i < top.size(); ++i) {
    INFO("entries " << i - 1 << " and " << i << ": " << top[i - 1].dump() << " " << top[i].dump());
    double prev = top[i - 1]["score"], cur = top[i]["score"];
    CHECK(cur <= prev);
    if (cur == prev) CHECK(top[i - 1]["index"].get<int>() < top[i]["index"].get<int>());
  }
}

// tiny_custom without its final softmax: its output is the fc layer's 10 logits, which makes it no
// classifier until labels are given.
std::string logits_config(const TempDir& tmp) {
  json config = json::parse(read_text(source_path("configs/tiny_custom.json")));
  REQUIRE(config["layers"].back()["type"] == "softmax");
  config["layers"].erase(config["layers"].size() - 1);
  return tmp.write("tiny_logits.json", config.dump());
}


}  // namespace

TEST_CASE("mnet classify gives the TFLite runtime's top-1 for every model and test image", "[classify]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping classify on the real models");
    return;
  }
  std::string images;
  for (const char* file : kImageFiles) images += " " + shq(image_path(file));
  for (const char* model : kClassifiers) {
    CommandResult r = run_mnet("classify " + shq(model_path(model)) + images + " --format json --top 5" +
                               labels_option(model));
    INFO(model << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    json j = json::parse(r.out);
    CHECK(j["model"] == model);
    REQUIRE(j["results"].size() == std::size(kImageFiles));
    for (size_t i = 0; i < std::size(kImageFiles); ++i) {
      const json& result = j["results"][i];
      CHECK(result["image"] == image_path(kImageFiles[i]));
      auto ref = json::parse(read_text(testdata() + "/reference/" + model + "__" + stem(kImageFiles[i]) + ".json"));
      const json& top = result["top"];
      INFO(kImageFiles[i] << ": mnet " << top.dump() << "\nreference " << ref["top5"].dump());
      REQUIRE(top.size() == 5);
      CHECK(top[0]["index"] == ref["top5"][0]["index"]);
      // With --labels (V3-small) the labels are the same file the reference was labelled from.
      CHECK(top[0]["label"] == ref["top5"][0]["label"]);
      check_order(top);
    }
  }
}

TEST_CASE("a model that carries its labels prints them without --labels", "[classify]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping the label check");
    return;
  }
  CommandResult r = run_mnet("classify " + shq(model_path("mobilenet_v2_1.0_224_quant")) + " " +
                             shq(image_path("cat.bmp")) + " --top 1");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("286  Egyptian cat"));
  // V3-small has none, so without --labels its classes are numbered.
  CommandResult v3 = run_mnet("classify " + shq(model_path("mobilenet_v3_small_1.0_224_quant")) + " " +
                              shq(image_path("cat.bmp")) + " --top 1 --format json");
  REQUIRE(v3.exit_code == 0);
  CHECK(json::parse(v3.out)["results"][0]["top"][0]["label"] == "class 286");
}

TEST_CASE("classify --top 3 lists 3 classes and breaks ties by ascending class index", "[classify]") {
  TempDir tmp;
  std::string weights = tied_weights(tmp);
  std::string image = tmp.write("gradient.bmp", bmp(40, 40));
  CommandResult r = run_mnet("classify " + shq(source_path("configs/tiny_custom.json")) + " " + shq(image) +
                             " --weights " + shq(weights) + " --top 3 --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json top = json::parse(r.out)["results"][0]["top"];
  REQUIRE(top.size() == 3);
  CHECK(top[0]["index"] == 3);
  CHECK(top[1]["index"] == 7);
  CHECK(top[2]["index"] == 5);
  CHECK(top[0]["score"] == top[1]["score"]);
  CHECK(top[1]["score"].get<double>() > top[2]["score"].get<double>());
  CHECK(top[0]["label"] == "class 3");

  CommandResult table = run_mnet("classify " + shq(source_path("configs/tiny_custom.json")) + " " + shq(image) +
                                 " --weights " + shq(weights) + " --top 3");
  REQUIRE(table.exit_code == 0);
  std::vector<std::string> rows = lines_of(table.out);
  REQUIRE(rows.size() == 6);  // heading, image, 3 classes, the images/s
  CHECK(rows[1] == image);
  CHECK_THAT(rows[2], Contains("  3  class 3"));
  CHECK_THAT(rows[3], Contains("  7  class 7"));
  CHECK_THAT(rows[4], Contains("  5  class 5"));
  CHECK_THAT(rows[5], StartsWith("1 image in "));
}

TEST_CASE("classify --format json writes labels that are not UTF-8 with U+FFFD in their place", "[classify]") {
  TempDir tmp;
  std::string weights = tied_weights(tmp);
  std::string image = tmp.write("gradient.bmp", bmp(40, 40));
  std::string labels;
  for (int i = 0; i < 10; ++i) labels += (i == 3 ? std::string("caf\xe9 latin-1") : "label " + std::to_string(i)) + "\n";
  std::string labels_file = tmp.write("labels.txt", labels);
  CommandResult r = run_mnet("classify " + shq(source_path("configs/tiny_custom.json")) + " " + shq(image) +
                             " --weights " + shq(weights) + " --labels " + shq(labels_file) + " --top 1 --format json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json top = json::parse(r.out)["results"][0]["top"];
  CHECK(top[0]["index"] == 3);
  CHECK(top[0]["label"] == "caf\xef\xbf\xbd latin-1");
}

TEST_CASE("classify --top 3 on a real model lists 3 classes in non-increasing score, ties by index", "[classify]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping --top 3 on a real model");
    return;
  }
  CommandResult r = run_mnet("classify " + shq(model_path("mobilenet_v2_1.0_224_quant")) + " " +
                             shq(image_path("bird.bmp")) + " " + shq(image_path("parrot.jpg")) +
                             " --top 3 --format json");
  REQUIRE(r.exit_code == 0);
  const json j = json::parse(r.out);
  for (const json& result : j["results"]) {
    REQUIRE(result["top"].size() == 3);
    check_order(result["top"]);
  }
}

TEST_CASE("classify reports each bad image on one stderr line, prints the good ones, and exits 1", "[classify]") {
  TempDir tmp;
  std::string weights = tied_weights(tmp);
  std::string good1 = tmp.write("good1.bmp", bmp(40, 30));
  std::string empty = tmp.write("empty.jpg", "");
  std::string text = tmp.write("notes.jpg", "this is a text file, not a JPEG\n");
  std::string missing = tmp.file("missing.png");
  std::string good2 = tmp.write("good2.bmp", bmp(33, 50));
  std::string model = shq(source_path("configs/tiny_custom.json")) + " --weights " + shq(weights);
  // With the real models too where the test data is present.
  if (!testdata().empty()) {
    model = shq(model_path("mobilenet_v1_0.25_128_quant"));
    good1 = image_path("cat.bmp");
    good2 = image_path("owl.jpg");
  }
  const std::string images = shq(good1) + " " + shq(empty) + " " + shq(text) + " " + shq(missing) + " " +
                             shq(good2);

  CommandResult r = run_mnet("classify " + model + " " + images + " --top 2 --format json");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  std::vector<std::string> err = lines_of(r.err);
  REQUIRE(err.size() == 3);
  CHECK_THAT(err[0], StartsWith("mnet: error: " + empty + ": "));
  CHECK_THAT(err[1], StartsWith("mnet: error: " + text + ": "));
  CHECK_THAT(err[2], StartsWith("mnet: error: " + missing + ": "));
  json results = json::parse(r.out)["results"];
  REQUIRE(results.size() == 5);
  CHECK(results[0]["image"] == good1);
  CHECK(results[0]["top"].size() == 2);
  CHECK(results[4]["image"] == good2);
  CHECK(results[4]["top"].size() == 2);
  for (int i : {1, 2, 3}) {
    CHECK_FALSE(results[i].contains("top"));
    CHECK(results[i].contains("error"));
  }
  if (!testdata().empty()) {
    CHECK(results[0]["top"][0]["index"] == 286);  // Egyptian cat
    CHECK(results[4]["top"][0]["index"] == 288);  // lynx (the reference's top-1 for this small V1)
  }

  CommandResult table = run_mnet("classify " + model + " " + images + " --top 2");
  CHECK(table.exit_code == 1);
  CHECK(lines_of(table.err).size() == 3);
  std::vector<std::string> rows = lines_of(table.out);
  // Heading, image + 2 classes for each good image, image + its error for each bad one, images/s:
  // a failed image is never silently missing from the report.
  REQUIRE(rows.size() == 1 + 3 + 2 * 3 + 3 + 1);
  CHECK(rows[1] == good1);
  CHECK(rows[4] == empty);
  CHECK_THAT(rows[5], StartsWith("  error: "));
  CHECK(rows[8] == missing);
  CHECK_THAT(rows[9], StartsWith("  error: "));
  CHECK(rows[10] == good2);
  CHECK_THAT(rows.back(), StartsWith("2 images in ") && Contains(", 3 failed"));
}

TEST_CASE("a PNG whose header declares 100000x100000 pixels is refused by kMaxImagePixels", "[classify]") {
  REQUIRE(crc32("123456789") == 0xcbf43926u);  // the CRC-32 check value PNG's CRC is defined by
  TempDir tmp;
  std::string weights = tied_weights(tmp);
  std::string huge = tmp.write("huge.png", png_header(100000, 100000));
  std::string good = tmp.write("good.bmp", bmp(40, 40));
  CommandResult r = run_mnet("classify " + shq(source_path("configs/tiny_custom.json")) + " --weights " +
                             shq(weights) + " " + shq(huge) + " " + shq(good) + " --format json");
  CHECK(r.exit_code == 1);
  std::vector<std::string> err = lines_of(r.err);
  REQUIRE(err.size() == 1);
  CHECK_THAT(err[0], StartsWith("mnet: error: " + huge + ": "));
  CHECK_THAT(err[0], Contains("100000x100000"));
  CHECK_THAT(err[0], Contains("kMaxImagePixels"));
  json results = json::parse(r.out)["results"];
  REQUIRE(results.size() == 2);
  CHECK(results[1]["top"].size() == 5);
}

TEST_CASE("classify with a config that names no weights exits 3 saying so", "[classify]") {
  TempDir tmp;
  std::string image = tmp.write("a.bmp", bmp(40, 40));
  std::string config = source_path("configs/mobilenet_v2.json");
  CommandResult r = run_mnet("classify " + shq(config) + " " + shq(image));
  CHECK(r.exit_code == 3);
  CHECK(r.out.empty());
  REQUIRE(lines_of(r.err).size() == 1);
  CHECK_THAT(r.err, StartsWith("mnet: error: " + config + ": no weights"));
  CHECK_THAT(r.err, Contains("--weights"));
}

TEST_CASE("an imported model folder classifies like its .tflite, by folder or by config.json", "[classify][import]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping import + classify");
    return;
  }
  const std::string images = shq(image_path("cat.bmp")) + " " + shq(image_path("hot_dog.jpg"));
  for (const char* model : {"mobilenet_v3_small_1.0_224_quant", "mobilenet_v1_0.25_128_quant"}) {
    INFO(model);
    TempDir tmp;
    const std::string dir = tmp.file("imported");
    CommandResult imp = run_mnet("import " + shq(model_path(model)) + " --out " + shq(dir) + labels_option(model));
    INFO(imp.err);
    REQUIRE(imp.exit_code == 0);
    CHECK(imp.out.empty());
    CHECK(listing(dir) == std::set<std::string>{"config.json", "labels.txt", "weights.safetensors"});
    CHECK(listing(tmp.path) == std::set<std::string>{"imported"});  // no staging folder left
    CHECK(lines_of(read_text(dir + "/labels.txt")).size() == 1001);

    auto top = [&](const std::string& what) {
      CommandResult r = run_mnet("classify " + shq(what) + " " + images + " --format json --top 5" +
                                 (what == model_path(model) ? labels_option(model) : ""));
      INFO(what << "\n" << r.err);
      REQUIRE(r.exit_code == 0);
      std::vector<json> tops;
      const json j = json::parse(r.out);
      for (const json& result : j["results"]) tops.push_back(result["top"][0]);
      return tops;
    };
    std::vector<json> direct = top(model_path(model));
    std::vector<json> by_folder = top(dir + "/");
    std::vector<json> by_config = top(dir + "/config.json");
    REQUIRE(direct.size() == 2);
    for (size_t i = 0; i < direct.size(); ++i) {
      CHECK(by_folder[i]["index"] == direct[i]["index"]);
      CHECK(by_folder[i]["label"] == direct[i]["label"]);
      CHECK(by_config[i]["index"] == direct[i]["index"]);
      CHECK(by_config[i]["label"] == direct[i]["label"]);
    }
    CHECK(direct[0]["label"] == "Egyptian cat");
  }
}

TEST_CASE("import refuses a non-empty folder with exit 1 and leaves it as it was", "[classify][import]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping the import refusal");
    return;
  }
  TempDir tmp;
  fs::create_directories(tmp.path / "taken");
  tmp.write("taken/mine.txt", "my own file\n");
  CommandResult r = run_mnet("import " + shq(model_path("mobilenet_v1_0.25_128_quant")) + " --out " +
                             shq(tmp.file("taken")));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, StartsWith("mnet: error: " + tmp.file("taken")));
  CHECK(listing(tmp.path / "taken") == std::set<std::string>{"mine.txt"});
  CHECK(read_text(tmp.file("taken/mine.txt")) == "my own file\n");
  CHECK(listing(tmp.path) == std::set<std::string>{"taken"});
}

TEST_CASE("import of a truncated .tflite exits 3 and leaves no output or staging folder", "[classify][import]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping the truncated import");
    return;
  }
  TempDir tmp;
  std::string whole = read_text(model_path("mobilenet_v2_1.0_224_quant"));
  std::string half = tmp.write("half.tflite", whole.substr(0, whole.size() / 2));
  CommandResult r = run_mnet("import " + shq(half) + " --out " + shq(tmp.file("out")));
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, StartsWith("mnet: error: " + half + ": "));
  CHECK(listing(tmp.path) == std::set<std::string>{"half.tflite"});  // no out/, no .out.tmp-*
}

TEST_CASE("mnet profile on a .tflite times the model with its own weights", "[classify][profile]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping profile of a .tflite");
    return;
  }
  CommandResult r = run_mnet("profile " + shq(model_path("mobilenet_v1_0.25_128_quant")) + " --runs 3 --warmup 1");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("random weights") == std::string::npos);
  CHECK_THAT(r.out, Contains("mobilenet_v1_0.25_128_quant"));
  CHECK_THAT(r.out, Contains("3 runs after 1 warm-up"));
  // A config without weights does say so: the check above can fail.
  CommandResult random = run_mnet("profile " + shq(source_path("configs/tiny_custom.json")) + " --runs 1 --warmup 0");
  REQUIRE(random.exit_code == 0);
  CHECK_THAT(random.err, Contains("random weights"));
}

TEST_CASE("classify writes table, json, csv and md, with the images per second, and -o writes the file", "[classify]") {
  TempDir tmp;
  const std::string model = shq(source_path("configs/tiny_custom.json")) + " --weights " + shq(tied_weights(tmp));
  const std::string a = tmp.write("a.bmp", bmp(40, 40)), b = tmp.write("b.bmp", bmp(20, 30));
  const std::string images = " " + shq(a) + " " + shq(b) + " --top 2";

  CommandResult table = run_mnet("classify " + model + images);
  INFO(table.err);
  REQUIRE(table.exit_code == 0);
  CHECK(table.err.empty());  // no progress line on a pipe
  std::vector<std::string> rows = lines_of(table.out);
  REQUIRE(rows.size() == 1 + 2 * 3 + 1);
  CHECK_THAT(rows.back(), StartsWith("2 images in ") && Contains(" images/s (1 thread); decode+preprocess ") &&
                              Contains(" s, inference "));

  CommandResult j = run_mnet("classify " + model + images + " --format json");
  REQUIRE(j.exit_code == 0);
  const json report = json::parse(j.out);
  CHECK(report["schema"] == "mnet-report/1");
  CHECK(report["kind"] == "classify");
  CHECK(report["threads"] == json::array({1}));
  CHECK(report["model"] == "tiny_custom");
  CHECK(report["images"] == 2);
  CHECK(report["failed"] == 0);
  CHECK(report["seconds"].get<double>() > 0);
  CHECK(report["images_per_second"].get<double>() == Approx(2 / report["seconds"].get<double>()));
  CHECK(report["decode_preprocess_seconds"].get<double>() > 0);
  CHECK(report["inference_seconds"].get<double>() > 0);
  CHECK(report["decode_preprocess_seconds"].get<double>() + report["inference_seconds"].get<double>() <=
        report["seconds"].get<double>());
  REQUIRE(report["results"].size() == 2);
  CHECK(report["results"][1]["image"] == b);
  CHECK(report["results"][1]["top"][1]["rank"] == 2);
  CHECK(report["results"][1]["top"][1]["index"] == 7);

  CommandResult csv = run_mnet("classify " + model + images + " --format csv");
  REQUIRE(csv.exit_code == 0);
  rows = lines_of(csv.out);
  REQUIRE(rows.size() == 1 + 2 * 2);
  CHECK(rows[0] == "model,image,rank,index,label,score,error");
  CHECK_THAT(rows[1], StartsWith("tiny_custom," + a + ",1,3,class 3,0."));
  CHECK_THAT(rows[4], StartsWith("tiny_custom," + b + ",2,7,class 7,0."));
  CHECK(rows[4].back() == ',');  // no error

  CommandResult md = run_mnet("classify " + model + images + " --format md");
  REQUIRE(md.exit_code == 0);
  rows = lines_of(md.out);
  REQUIRE(rows.size() == 1 + 1 + 2 + 2 * 2 + 1 + 1);  // model, blank, header and rule, rows, blank, timing
  CHECK_THAT(rows[0], StartsWith("tiny_custom ("));
  CHECK_THAT(rows[2], StartsWith("| image ") && Contains("| rank |") && Contains("| error "));
  CHECK_THAT(rows[4], StartsWith("| " + a + " |") && Contains("| class 3 "));
  CHECK_THAT(rows.back(), StartsWith("2 images in "));

  fs::create_directories(tmp.path / "out");
  CommandResult to_file = run_mnet("classify " + model + images + " --format csv -o " + shq(tmp.file("out/c.csv")));
  REQUIRE(to_file.exit_code == 0);
  CHECK(to_file.out.empty());
  CHECK(read_text(tmp.file("out/c.csv")) == csv.out);  // CSV carries no timing: the same bytes
}

TEST_CASE("classify with -o and every image failed still writes the file, with each error in it", "[classify]") {
  TempDir tmp;
  const std::string model = shq(source_path("configs/tiny_custom.json")) + " --weights " + shq(tied_weights(tmp));
  const std::string text = tmp.write("notes.jpg", "not a picture\n"), missing = tmp.file("missing.png");
  fs::create_directories(tmp.path / "out");
  for (const char* format : {"csv", "json", "table"}) {
    INFO(format);
    const std::string file = tmp.file(std::string("out/c.") + format);
    CommandResult r = run_mnet("classify " + model + " " + shq(text) + " " + shq(missing) + " --format " + format +
                               " -o " + shq(file));
    CHECK(r.exit_code == 1);  // the model was fine; the work failed
    CHECK(lines_of(r.err).size() == 2);
    CHECK(r.out.empty());
    REQUIRE(fs::exists(file));
    const std::string written = read_text(file);
    CHECK_THAT(written, Contains(text) && Contains(missing) && Contains("not a JPEG, PNG or BMP image"));
    if (std::string(format) == "csv") {
      CHECK(lines_of(written).size() == 3);
      CHECK_THAT(written, Contains("tiny_custom," + missing + ",,,,,"));
    } else if (std::string(format) == "json") {
      const json j = json::parse(written);
      CHECK(j["images"] == 0);
      CHECK(j["failed"] == 2);
      CHECK(j["results"][1]["error"].get<std::string>().rfind(missing + ": ", 0) == 0);
    } else {
      CHECK_THAT(lines_of(written).back(), StartsWith("0 images in ") && Contains("2 failed"));
    }
  }
}

TEST_CASE("classify takes folders: every image under them in sorted order, an empty folder is an error line", "[classify]") {
  TempDir tmp;
  const std::string model = shq(source_path("configs/tiny_custom.json")) + " --weights " + shq(tied_weights(tmp));
  fs::create_directories(tmp.path / "photos/b");
  fs::create_directories(tmp.path / "none/deeper");
  tmp.write("photos/c.BMP", bmp(10, 10));
  tmp.write("photos/b/x.bmp", bmp(12, 10));
  tmp.write("photos/a.bmp", bmp(10, 12));
  tmp.write("photos/notes.txt", "no image\n");
  tmp.write("photos/.hidden.bmp", bmp(10, 10));
  tmp.write("none/deeper/readme.md", "no image either\n");
  const std::string single = tmp.write("single.bmp", bmp(16, 16));
  const std::string photos = tmp.file("photos"), none = tmp.file("none");

  CommandResult r = run_mnet("classify " + model + " " + shq(photos) + " " + shq(none) + " " + shq(single) +
                             " --top 1 --format json");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  REQUIRE(lines_of(r.err).size() == 1);
  CHECK(r.err == "mnet: error: " + none + ": no images (.jpg, .jpeg, .png or .bmp) in this folder or below\n");
  const json results = json::parse(r.out)["results"];
  std::vector<std::string> order;
  for (const json& result : results) order.push_back(result["image"]);
  CHECK(order == std::vector<std::string>{photos + "/a.bmp", photos + "/b/x.bmp", photos + "/c.BMP", none, single});
  CHECK(results[3].contains("error"));
  CHECK(results[4]["top"].size() == 1);

  // Nothing at all to classify: bad input, one line, nothing written.
  fs::create_directories(tmp.path / "out");
  CommandResult empty = run_mnet("classify " + model + " " + shq(none) + " -o " + shq(tmp.file("out/c.txt")));
  require_clean_rejection(empty, 3, none + ": ", "no images", tmp.path / "out");
}

TEST_CASE("a model that neither ends in a softmax nor has labels is refused by classify, naming the model", "[classify]") {
  TempDir tmp;
  const std::string weights = tied_weights(tmp);
  const std::string config = logits_config(tmp);
  const std::string image = tmp.write("a.bmp", bmp(40, 40));
  fs::create_directories(tmp.path / "out");
  CommandResult r = run_mnet("classify " + shq(config) + " --weights " + shq(weights) + " " + shq(image) + " -o " +
                             shq(tmp.file("out/c.txt")));
  require_clean_rejection(r, 3, config + ": output is a 10-wide vector with no labels, not a classifier's class scores",
                          "`--raw` prints the vector", tmp.path / "out");

  // With one label per class it is a classifier: the scores are the softmax of the logits.
  std::string labels;
  for (int i = 0; i < 10; ++i) labels += "label " + std::to_string(i) + "\n";
  const std::string labels_file = tmp.write("labels.txt", labels);
  CommandResult labelled = run_mnet("classify " + shq(config) + " --weights " + shq(weights) + " " + shq(image) +
                                    " --labels " + shq(labels_file) + " --top 1 --format json");
  INFO(labelled.err);
  REQUIRE(labelled.exit_code == 0);
  const json top = json::parse(labelled.out)["results"][0]["top"][0];
  CHECK(top["label"] == "label 3");

  // --raw prints the logits themselves (fc biases 0,0,0,2,0,1,0,2,0,0 and zero weights), no softmax.
  CommandResult raw = run_mnet("classify " + shq(config) + " --weights " + shq(weights) + " " + shq(image) +
                               " --raw --format json");
  INFO(raw.err);
  REQUIRE(raw.exit_code == 0);
  const json out = json::parse(raw.out)["results"][0]["outputs"][0];
  CHECK(out["name"] == "fc");
  CHECK(out["shape"] == json::array({10, 1, 1}));
  CHECK(out["values"] == json::array({0, 0, 0, 2, 0, 1, 0, 2, 0, 0}));
  double sum = 0;
  for (double v : out["values"]) sum += std::exp(v);
  CHECK(top["score"].get<double>() == Approx(std::exp(2.0) / sum));
}

TEST_CASE("classify --raw prints the output values in every format", "[classify]") {
  TempDir tmp;
  const std::string model = shq(source_path("configs/tiny_custom.json")) + " --weights " + shq(tied_weights(tmp));
  const std::string image = tmp.write("a.bmp", bmp(40, 40));
  CommandResult ranked = run_mnet("classify " + model + " " + shq(image) + " --top 10 --format json");
  CommandResult raw = run_mnet("classify " + model + " " + shq(image) + " --raw --format json");
  REQUIRE(ranked.exit_code == 0);
  REQUIRE(raw.exit_code == 0);
  // The model ends in a softmax: its raw output is the probabilities ranked by classify.
  const json values = json::parse(raw.out)["results"][0]["outputs"][0]["values"];
  REQUIRE(values.size() == 10);
  // Parsed once and kept: a range-for over a member of a temporary would read freed memory.
  const json ranked_json = json::parse(ranked.out);
  for (const json& p : ranked_json["results"][0]["top"])
    CHECK(values[p["index"].get<size_t>()].get<double>() == Approx(p["score"].get<double>()));

  CommandResult csv = run_mnet("classify " + model + " " + shq(image) + " --raw --format csv");
  REQUIRE(csv.exit_code == 0);
  std::vector<std::string> rows = lines_of(csv.out);
  REQUIRE(rows.size() == 1 + 10);
  CHECK(rows[0] == "model,image,output,index,value,error");
  CHECK_THAT(rows[4], StartsWith("tiny_custom," + image + ",prob,3,"));

  CommandResult table = run_mnet("classify " + model + " " + shq(image) + " --raw");
  REQUIRE(table.exit_code == 0);
  rows = lines_of(table.out);
  REQUIRE(rows.size() == 4);  // heading, image, its values on one line, images/s
  CHECK_THAT(rows[2], StartsWith("  prob [10,1,1]: "));
  CHECK(std::count(rows[2].begin(), rows[2].end(), ' ') == 3 + 10);
}

TEST_CASE("classify refuses the embedding extractor with exit 3 and prints its vector with --raw", "[classify]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping the embedding extractor");
    return;
  }
  TempDir tmp;
  fs::create_directories(tmp.path / "out");
  const std::string model = model_path("mobilenet_v1_1.0_224_quant_embedding_extractor");
  CommandResult r = run_mnet("classify " + shq(model) + " " + shq(image_path("cat.bmp")) + " -o " + shq(tmp.file("out/c")));
  require_clean_rejection(r, 3, model + ": output is a 1024-wide vector with no labels, not a classifier's class scores",
                          "`--raw` prints the vector", tmp.path / "out");

  CommandResult raw = run_mnet("classify " + shq(model) + " " + shq(image_path("cat.bmp")) + " " +
                               shq(image_path("owl.jpg")) + " --raw --format json");
  INFO(raw.err);
  REQUIRE(raw.exit_code == 0);
  const json results = json::parse(raw.out)["results"];
  REQUIRE(results.size() == 2);
  for (const json& result : results) {
    CHECK(result["outputs"][0]["shape"] == json::array({1024, 1, 1}));
    CHECK(result["outputs"][0]["values"].size() == 1024);
  }
  CHECK(results[0]["outputs"][0]["values"] != results[1]["outputs"][0]["values"]);
}

TEST_CASE("classify takes one thread count: 2 runs, a list of two is a usage error naming --threads", "[classify]") {
  TempDir tmp;
  const std::string model = shq(source_path("configs/tiny_custom.json")) + " --weights " + shq(tied_weights(tmp));
  const std::string image = tmp.write("a.bmp", bmp(40, 40));
  CommandResult two = run_mnet("classify " + model + " " + shq(image) + " --threads 2 --format json");
  INFO(two.err);
  REQUIRE(two.exit_code == 0);
  CHECK(json::parse(two.out)["threads"] == json::array({2}));
  CHECK_THAT(run_mnet("classify " + model + " " + shq(image) + " --threads 2").out, Contains("(2 threads)"));
  CommandResult list = run_mnet("classify " + model + " " + shq(image) + " --threads 1,2");
  CHECK(list.exit_code == 2);
  CHECK(list.out.empty());
  CHECK(lines_of(list.err).size() == 1);
  CHECK_THAT(list.err, StartsWith("mnet: error: --threads") && Contains("mnet classify --help"));
}

TEST_CASE("classify draws a progress line on a terminal only, and none with --quiet", "[classify]") {
  TempDir tmp;
  const std::string model = shq(source_path("configs/tiny_custom.json")) + " --weights " + shq(tied_weights(tmp));
  const std::string images = shq(tmp.write("a.bmp", bmp(40, 40))) + " " + shq(tmp.write("b.bmp", bmp(30, 40)));
  // On a pipe (how run_mnet captures stderr): nothing but what was there before.
  CommandResult piped = run_mnet("classify " + model + " " + images);
  REQUIRE(piped.exit_code == 0);
  CHECK(piped.err.empty());
  // On a terminal: script(1) runs it on a pseudo-terminal and copies what it drew.
  auto on_terminal = [&](const std::string& extra) {
    return run_command("TERM=xterm script -qec " +
                       shell_quote(std::string(MNET_BINARY) + " classify " + model + " " + images + extra) + " /dev/null");
  };
  CommandResult tty = on_terminal("");
  if (tty.exit_code != 0 || tty.out.find("images/s") == std::string::npos) {
    WARN("script(1) could not run mnet on a pseudo-terminal here (exit " << tty.exit_code << "): " << tty.err);
    return;
  }
  CHECK_THAT(tty.out, Contains("\rclassify 1/2 images"));
  CHECK_THAT(tty.out, Contains("\r\033[K"));  // erased before the report
  CommandResult quiet = on_terminal(" --quiet");
  REQUIRE(quiet.exit_code == 0);
  CHECK_THAT(quiet.out, Contains("images/s"));
  CHECK(quiet.out.find("classify 1/2") == std::string::npos);
}

TEST_CASE("import --format and -o write a report of what it imported, and the stderr line stays", "[classify][import]") {
  TempDir tmp;
  const std::string model = tmp.write("c.tflite", mnet::testing::tfl::classifier("cat\ndog\nowl\n").bytes());
  CommandResult r = run_mnet("import " + shq(model) + " --out " + shq(tmp.file("m")) + " --format json -o " +
                             shq(tmp.file("import.json")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, StartsWith("mnet: imported " + model + " into " + tmp.file("m")));
  const json j = json::parse(read_text(tmp.file("import.json")));
  CHECK(j["schema"] == "mnet-report/1");
  CHECK(j["kind"] == "import");
  CHECK(j["source"] == model);
  CHECK(j["target"] == tmp.file("m"));
  CHECK_THAT(r.err, Contains("(" + std::to_string(j["layers"].get<int>()) + " layers)"));
  CHECK(j["parameters"] == 0);  // pooling and softmax have no weights
  CHECK(j["weights_bytes"] == int64_t(fs::file_size(tmp.path / "m" / "weights.safetensors")));
  CHECK(j["labels"] == 3);
  CHECK(j["labels_source"] == "metadata (labels.txt)");
  CHECK(j["notes"].is_array());

  CommandResult csv = run_mnet("import " + shq(model) + " --out " + shq(tmp.file("m2")) + " --format csv");
  REQUIRE(csv.exit_code == 0);
  std::vector<std::string> rows = lines_of(csv.out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == "source,target,model,layers,parameters,weights_bytes,labels,labels_source,notes");
  CHECK_THAT(rows[1], StartsWith(model + "," + tmp.file("m2") + ","));
  CommandResult table = run_mnet("import " + shq(model) + " --out " + shq(tmp.file("m3")) + " --format table");
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Contains("labels   3 from metadata (labels.txt)"));
  CommandResult md = run_mnet("import " + shq(model) + " --out " + shq(tmp.file("m4")) + " --format md");
  REQUIRE(md.exit_code == 0);
  CHECK_THAT(md.out, StartsWith("| what ") && Contains("| layers "));

  // A failed import writes no report either.
  fs::create_directories(tmp.path / "out");
  const std::string half = tmp.write("half.tflite", read_text(model).substr(0, 40));
  CommandResult bad = run_mnet("import " + shq(half) + " --out " + shq(tmp.file("out/m")) + " --format json -o " +
                               shq(tmp.file("out/import.json")));
  require_clean_rejection(bad, 3, half + ": ", "tflite", tmp.path / "out");
}

TEST_CASE("fetch_models.sh --list names the official URLs and fetches nothing", "[fetch]") {
  TempDir tmp;
  CommandResult r = run_command(fetch_script() + " --list --out " + shq(tmp.file("models")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("https://storage.googleapis.com/download.tensorflow.org/models/mobilenet_v1_2018_08_02/"
                             "mobilenet_v1_1.0_224_quant.tgz"));
  CHECK_THAT(r.out, Contains("https://storage.googleapis.com/download.tensorflow.org/models/mobilenet_v1_2018_02_22/"
                             "mobilenet_v1_0.25_128.tgz"));
  CHECK_THAT(r.out, Contains("https://storage.googleapis.com/download.tensorflow.org/models/tflite_11_05_08/"
                             "mobilenet_v2_1.0_224_quant.tgz"));
  CHECK_THAT(r.out, Contains("https://storage.googleapis.com/mobilenet_v3/checkpoints/v3-small_224_1.0_uint8.tgz"));
  CHECK_THAT(r.out, Contains(tmp.file("models") + "/mobilenet_v3_small_1.0_224_quant.tflite"));
  CHECK(lines_of(r.out).size() == 16 + 16 + 2 + 6 + 1);
  CHECK_FALSE(fs::exists(tmp.path / "models"));

  CommandResult v2 = run_command(fetch_script() + " --list v2");
  CHECK(lines_of(v2.out).size() == 2);
  CommandResult unknown = run_command(fetch_script() + " --list mobilenet_v9");
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Contains("mobilenet_v9"));
}

TEST_CASE("fetch_models.sh --mirror copies the models, checked, into --out", "[fetch]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping fetch_models.sh from the test data mirror");
    return;
  }
  TempDir tmp;
  const std::string out = tmp.file("models");
  CommandResult r = run_command(fetch_script() + " --mirror " + shq(testdata() + "/models") + " --out " + shq(out) +
                              " mobilenet_v1_0.25_128_quant mobilenet_v2_1.0_224_quant"
                              " mobilenet_v3_small_1.0_224_quant");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(listing(out) == std::set<std::string>{"mobilenet_v1_0.25_128_quant.tflite", "mobilenet_v2_1.0_224_quant.tflite",
                                              "mobilenet_v3_small_1.0_224_quant.tflite"});
  for (const auto& name : listing(out))
    CHECK(read_text(out + "/" + name) == read_text(testdata() + "/models/" + name));
  // The labels come from the test data's root folder.
  CommandResult labels = run_command(fetch_script() + " --mirror " + shq(testdata()) + " --out " + shq(out) +
                                   " imagenet_labels");
  CHECK(labels.exit_code == 0);
  CHECK(read_text(out + "/imagenet_labels.txt") == read_text(testdata() + "/imagenet_labels.txt"));

  // What it fetched is what mnet classifies.
  CommandResult c = run_mnet("classify " + shq(out + "/mobilenet_v3_small_1.0_224_quant.tflite") + " " +
                             shq(image_path("bird.bmp")) + " --labels " + shq(out + "/imagenet_labels.txt") +
                             " --top 1");
  CHECK(c.exit_code == 0);
  CHECK_THAT(c.out, Contains("20  chickadee"));
}

TEST_CASE("fetch_models.sh takes the .tflite out of a mirrored .tgz archive", "[fetch]") {
  if (testdata().empty()) {
    WARN("MNET_TESTDATA not set: skipping fetch_models.sh from an archive");
    return;
  }
  TempDir tmp;
  // The upstream layout: v3-small_224_1.0_uint8.tgz holds v3-small_224_1.0_uint8/<same>.tflite and more.
  const fs::path inner = tmp.path / "mirror" / "v3-small_224_1.0_uint8";
  fs::create_directories(inner);
  fs::copy_file(model_path("mobilenet_v3_small_1.0_224_quant"), inner / "v3-small_224_1.0_uint8.tflite");
  tmp.write("mirror/v3-small_224_1.0_uint8/v3-small_224_1.0_uint8_info.txt", "checkpoint notes\n");
  REQUIRE(run_command("tar -czf " + shq(tmp.file("mirror/v3-small_224_1.0_uint8.tgz")) + " -C " +
                    shq(tmp.file("mirror")) + " v3-small_224_1.0_uint8")
              .exit_code == 0);
  fs::remove_all(inner);

  CommandResult r = run_command(fetch_script() + " --mirror " + shq(tmp.file("mirror")) + " --out " +
                              shq(tmp.file("out")) + " mobilenet_v3_small_1.0_224_quant");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(listing(tmp.path / "out") == std::set<std::string>{"mobilenet_v3_small_1.0_224_quant.tflite"});
  CHECK(read_text(tmp.file("out/mobilenet_v3_small_1.0_224_quant.tflite")) ==
        read_text(model_path("mobilenet_v3_small_1.0_224_quant")));
}

TEST_CASE("fetch_models.sh exits 1 naming each file it could not get, and leaves no partial file", "[fetch]") {
  TempDir tmp;
  fs::create_directories(tmp.path / "mirror");
  tmp.write("mirror/mobilenet_v2_1.0_224.tflite", "<html>not found</html>\n");  // not a TFLite file
  tmp.write("mirror/mobilenet_v3_large_1.0_224_quant.tflite", std::string("\x1c\0\0\0TFL3", 8) + std::string(64, '\0'));
  CommandResult r = run_command(fetch_script() + " --mirror " + shq(tmp.file("mirror")) + " --out " +
                              shq(tmp.file("out")) +
                              " mobilenet_v2_1.0_224 mobilenet_v1_1.0_224_quant mobilenet_v3_large_1.0_224_quant");
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("mobilenet_v2_1.0_224: the result is not a TensorFlow Lite model"));
  CHECK_THAT(r.err, Contains("mobilenet_v1_1.0_224_quant: not in the mirror"));
  CHECK_THAT(r.err, Contains("could not get 2 of 3: mobilenet_v1_1.0_224_quant mobilenet_v2_1.0_224"));
  // Only the file that passed the check arrived; no temporary files are left.
  CHECK(listing(tmp.path / "out") == std::set<std::string>{"mobilenet_v3_large_1.0_224_quant.tflite"});
}
