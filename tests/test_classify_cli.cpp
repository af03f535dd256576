// End-to-end: `mnet classify`, `mnet import` and `mnet profile` on the real TFLite models of
// $MNET_TESTDATA against the TensorFlow Lite runtime's reference outputs, and
// scripts/fetch_models.sh on a local mirror.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <set>

#include "config/config.h"
#include "weights/weights.h"
#include "testing.h"

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
  REQUIRE(rows.size() == 5);  // heading, image, 3 classes
  CHECK(rows[1] == image);
  CHECK_THAT(rows[2], Contains("  3  class 3"));
  CHECK_THAT(rows[3], Contains("  7  class 7"));
  CHECK_THAT(rows[4], Contains("  5  class 5"));
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
  REQUIRE(rows.size() == 7);  // heading, then image + 2 classes for each good image
  CHECK(rows[1] == good1);
  CHECK(rows[4] == good2);
  CHECK(table.out.find(missing) == std::string::npos);
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
