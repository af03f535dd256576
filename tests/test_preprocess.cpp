// io/preprocess: crops, resizes and normalisation bit-exact against the Python references.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "io/image.h"
#include "io/preprocess.h"

namespace fs = std::filesystem;

namespace {

const char* testdata() { return std::getenv("MNET_TESTDATA"); }

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// The same pattern as the throwaway script that produced the torchvision expectations below:
// numpy (x*37 + y*91 + c*53 + ((x*y) % 29) * 7) % 256 over an [h, w, 3] grid.
mnet::Image synthetic(int w, int h) {
  mnet::Image img;
  img.width = w;
  img.height = h;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < 3; ++c)
        img.rgb.push_back(uint8_t((x * 37 + y * 91 + c * 53 + ((x * y) % 29) * 7) % 256));
    }
  }
  return img;
}

mnet::Image solid(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  mnet::Image img;
  img.width = w;
  img.height = h;
  for (int i = 0; i < w * h; ++i) img.rgb.insert(img.rgb.end(), {r, g, b});
  return img;
}

// The [y0, y0 + n) x [x0, x0 + n) window of an image.
std::vector<uint8_t> window(const mnet::Image& img, int y0, int x0, int n) {
  std::vector<uint8_t> out;
  for (int y = y0; y < y0 + n; ++y) {
    const auto* row = &img.rgb[(size_t(y) * size_t(img.width) + size_t(x0)) * 3];
    out.insert(out.end(), row, row + size_t(n) * 3);
  }
  return out;
}

uint64_t fnv1a64(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

}  // namespace

TEST_CASE("tf_central_crop_resize reproduces inputs/*.rgb: BMPs exactly, JPEGs within 2 levels",
          "[preprocess]") {
  const char* dir = testdata();
  if (!dir) {
    WARN("MNET_TESTDATA not set: skipping the comparison with inputs/*.rgb");
    return;
  }
  int bmps = 0, jpegs = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "images")) {
    const std::string name = entry.path().stem().string();
    const std::string ext = entry.path().extension().string();
    const mnet::Image img = mnet::load_image(entry.path().string());
    for (int size : {128, 160, 192, 224}) {
      INFO(entry.path().filename().string() << " at " << size << "x" << size);
      const auto ref =
          read_bytes((fs::path(dir) / "inputs" /
                      (name + "_" + std::to_string(size) + "x" + std::to_string(size) + ".rgb"))
                         .string());
      const auto got = mnet::tf_central_crop_resize(img, size, 0.875);
      REQUIRE(got.size() == ref.size());
      if (ext == ".bmp") {
        CHECK(got == ref);
        ++bmps;
      } else {
        // stb_image's JPEG decoder (IDCT, chroma upsampling, colour conversion) is not
        // libjpeg-turbo's. Measured on parrot, owl and hot_dog at all four sizes: max abs
        // difference 2, mean abs difference 0.010-0.016 (0.4-0.9% of values differ); the raw
        // decodes themselves differ by at most 3 levels, mean 0.015.
        int max_diff = 0;
        double sum = 0;
        for (size_t i = 0; i < got.size(); ++i) {
          const int d = std::abs(int(got[i]) - int(ref[i]));
          max_diff = std::max(max_diff, d);
          sum += d;
        }
        CHECK(max_diff <= 2);
        CHECK(sum / double(got.size()) <= 0.025);
        ++jpegs;
      }
    }
  }
  CHECK(bmps == 5 * 4);
  CHECK(jpegs == 3 * 4);
}

TEST_CASE("tf_central_crop_resize truncates the crop offsets like tf.image.central_crop",
          "[preprocess]") {
  // 7 * (1 - 0.5) / 2 = 1.75: the crop starts at row and column 1 (not 2) and keeps 5 of 7.
  const mnet::Image img = synthetic(7, 7);
  CHECK(mnet::tf_central_crop_resize(img, 5, 0.5) == window(img, 1, 1, 5));
  // Same size and no crop: nothing to interpolate.
  CHECK(mnet::tf_central_crop_resize(img, 7, 1.0) == img.rgb);
}

TEST_CASE("tf_central_crop_resize samples at half-pixel centres and rounds halves up",
          "[preprocess]") {
  // One row [0, 2] stretched to 4: sources 0 (clamped from -0.25), 0.25, 0.75, 1.25 (both taps
  // at the last pixel) give 0, 0.5, 1.5, 2, which round half up to 0, 1, 2, 2.
  mnet::Image img;
  img.width = 2;
  img.height = 1;
  img.rgb = {0, 0, 0, 2, 2, 2};
  const auto out = mnet::tf_central_crop_resize(img, 4, 1.0);
  const uint8_t expected_row[] = {0, 1, 2, 2};
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      for (int c = 0; c < 3; ++c)
        CHECK(out[(size_t(y) * 4 + size_t(x)) * 3 + size_t(c)] == expected_row[x]);
    }
  }
}

TEST_CASE("both recipes keep a uniform image uniform", "[preprocess]") {
  const mnet::Image img = solid(37, 23, 10, 128, 250);
  const auto expect = solid(16, 16, 10, 128, 250).rgb;
  CHECK(mnet::tf_central_crop_resize(img, 16, 0.875) == expect);
  CHECK(mnet::resize_center_crop(img, 18, 16) == expect);
  CHECK(mnet::resize_center_crop(img, 5, 16) !=
        expect);  // crop larger than the image: zero padding
}

TEST_CASE("resize_center_crop matches torchvision 0.14 with Pillow 9.4 on small synthetic images",
          "[preprocess]") {
  // Expected values printed by torchvision: T.CenterCrop(C)(T.Resize(R)(PIL image of synthetic(w,
  // h))).
  SECTION(
      "downscaling 53x41 by about 6 to 9x7, crop 4 at left round(2.5) = 2, top round(1.5) = 2") {
    const std::vector<uint8_t> expected = {
        127, 124, 122, 127, 130, 125, 128, 129, 123, 122, 128, 132, 119, 123, 127, 142,
        122, 116, 128, 130, 126, 129, 128, 126, 135, 117, 114, 159, 87,  100, 126, 129,
        122, 121, 130, 134, 129, 130, 127, 126, 128, 122, 129, 128, 126, 123, 124, 129};
    CHECK(mnet::resize_center_crop(synthetic(53, 41), 7, 4) == expected);
  }
  SECTION("upscaling 5x7 to 9x12, crop 6") {
    const std::vector<uint8_t> expected = {
        183, 113, 150, 148, 124, 125, 97,  150, 86,  123, 111, 112, 137, 86,  139, 99,  112, 165,
        207, 62,  89,  137, 66,  119, 41,  94,  147, 70,  123, 158, 99,  149, 173, 128, 159, 202,
        115, 102, 146, 113, 125, 178, 102, 155, 208, 133, 186, 139, 164, 197, 89,  196, 128, 121,
        97,  150, 137, 130, 150, 162, 164, 142, 195, 155, 175, 128, 155, 188, 80,  189, 121, 114,
        154, 207, 60,  189, 143, 71,  225, 54,  107, 136, 89,  125, 72,  121, 146, 108, 139, 182,
        106, 159, 76,  131, 122, 98,  169, 83,  136, 130, 121, 109, 106, 146, 94,  144, 118, 132};
    CHECK(mnet::resize_center_crop(synthetic(5, 7), 9, 6) == expected);
  }
  SECTION(
      "a crop larger than the resized 6x4 image is zero-padded, 1 row on top and 0 columns left") {
    const mnet::Image img = synthetic(6, 4);
    std::vector<uint8_t> expected(7 * 7 * 3, 0);
    for (int y = 0; y < 4; ++y) {
      std::copy_n(&img.rgb[size_t(y) * 6 * 3], 6 * 3, &expected[size_t(y + 1) * 7 * 3]);
    }
    CHECK(mnet::resize_center_crop(img, 4, 7) == expected);
  }
}

TEST_CASE("resize_center_crop matches torchvision bit for bit on the BMP test images",
          "[preprocess]") {
  const char* dir = testdata();
  if (!dir) {
    WARN("MNET_TESTDATA not set: skipping the torchvision comparison on the test images");
    return;
  }
  // FNV-1a 64 of torchvision's T.CenterCrop(224)(T.Resize(256)(Image.open(f).convert("RGB"))).
  // The JPEGs are left out: there stb_image's decode differs from libjpeg-turbo's, and the
  // result differs from torchvision's by at most 2 levels, mean 0.012-0.016.
  const std::vector<std::pair<std::string, uint64_t>> expected = {
      {"bird.bmp", 0x7d3c7a07116e51afull},      {"cat.bmp", 0x8b60a09083c0036full},
      {"dragonfly.bmp", 0x2e3db3a45361ed28ull}, {"grace_hopper.bmp", 0x79aae9633f8bbd6bull},
      {"sunflower.bmp", 0xe8272c95b1dfee79ull},
  };
  for (const auto& [name, hash] : expected) {
    INFO(name);
    const mnet::Image img = mnet::load_image(std::string(dir) + "/images/" + name);
    CHECK(fnv1a64(mnet::resize_center_crop(img, 256, 224)) == hash);
  }
}

TEST_CASE("to_network_input returns CHW floats with (pixel - mean) / std per channel",
          "[preprocess]") {
  mnet::Preprocess p;
  p.mean = {10.0, 20.0, 30.0};
  p.std = {2.0, 4.0, 0.5};
  // 2x2 pixels, HWC.
  const std::vector<uint8_t> hwc = {0, 20, 31, 10, 24, 29, 12, 0, 30, 255, 255, 255};
  const auto x = mnet::to_network_input(hwc, 2, p);
  const std::vector<float> expected = {-5.0f, 0.0f,  1.0f,  122.5f,   // R plane
                                       0.0f,  1.0f,  -5.0f, 58.75f,   // G plane
                                       2.0f,  -2.0f, 0.0f,  450.0f};  // B plane
  CHECK(x == expected);

  mnet::Preprocess slim;  // the defaults map 0..255 onto -1..1
  const auto y =
      mnet::to_network_input({0, 255, 127, 0, 255, 127, 0, 255, 127, 0, 255, 127}, 2, slim);
  CHECK(y[0] == -1.0f);
  CHECK(y[4] == 1.0f);
  CHECK(y[8] == Approx(-0.5 / 127.5));
}

TEST_CASE("preprocess_image applies the recipe named by Preprocess::crop", "[preprocess]") {
  const mnet::Image img = synthetic(41, 29);
  mnet::Preprocess p;
  p.central_fraction = 0.8;
  CHECK(mnet::preprocess_image(img, 12, p) ==
        mnet::to_network_input(mnet::tf_central_crop_resize(img, 12, 0.8), 12, p));
  p.crop = "resize_center";
  p.resize = 14;
  CHECK(mnet::preprocess_image(img, 12, p) ==
        mnet::to_network_input(mnet::resize_center_crop(img, 14, 12), 12, p));
  p.crop = "stretch";
  CHECK_THROWS_AS(mnet::preprocess_image(img, 12, p), std::invalid_argument);
}

TEST_CASE("the preprocessing functions refuse out-of-range arguments as caller bugs",
          "[preprocess]") {
  const mnet::Image img = synthetic(8, 8);
  CHECK_THROWS_AS(mnet::tf_central_crop_resize(img, 0, 0.875), std::invalid_argument);
  CHECK_THROWS_AS(mnet::tf_central_crop_resize(img, 8, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(mnet::tf_central_crop_resize(img, 8, 1.5), std::invalid_argument);
  CHECK_THROWS_AS(mnet::tf_central_crop_resize(img, 8, std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(mnet::tf_central_crop_resize(mnet::Image{}, 8, 0.875), std::invalid_argument);
  CHECK_THROWS_AS(mnet::resize_center_crop(img, 0, 8), std::invalid_argument);
  CHECK_THROWS_AS(mnet::resize_center_crop(img, 8, mnet::kMaxResolution + 1),
                  std::invalid_argument);
  mnet::Image short_buffer = img;
  short_buffer.rgb.pop_back();
  CHECK_THROWS_AS(mnet::resize_center_crop(short_buffer, 8, 8), std::invalid_argument);
  CHECK_THROWS_AS(mnet::to_network_input(std::vector<uint8_t>(11), 2, mnet::Preprocess{}),
                  std::invalid_argument);
}
