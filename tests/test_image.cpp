// io/image: BMP, PNG and JPEG decoding, and hostile image files.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/error.h"
#include "io/image.h"
#include "testing.h"

namespace fs = std::filesystem;
using Catch::Contains;
using mnet::testing::read_bytes;
using mnet::testing::TempDir;
using mnet::testing::write_bytes;

namespace {

std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }
std::string le16(uint32_t v) { return {char(v), char(v >> 8)}; }
std::string le32(uint32_t v) { return le16(v) + le16(v >> 16); }

uint32_t crc32(const std::string& bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

std::string png_chunk(const std::string& type, const std::string& data) {
  return be32(uint32_t(data.size())) + type + data + be32(crc32(type + data));
}

std::string png_ihdr(uint32_t w, uint32_t h, int color_type) {
  const std::string signature("\x89PNG\r\n\x1a\n", 8);
  const std::string ihdr = be32(w) + be32(h) + std::string{char(8), char(color_type), 0, 0, 0};
  return signature + png_chunk("IHDR", ihdr);
}

// An 8-bit PNG (color type 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA) with stored (uncompressed)
// deflate blocks, so the test needs no encoder.
std::string png_file(int w, int h, int color_type, const std::vector<uint8_t>& pixels) {
  const int channels = color_type == 0 ? 1 : color_type == 2 ? 3 : color_type == 4 ? 2 : 4;
  REQUIRE(pixels.size() == size_t(w) * size_t(h) * size_t(channels));
  std::string raw;
  for (int y = 0; y < h; ++y) {
    raw += '\0';  // filter: none
    raw.append(reinterpret_cast<const char*>(&pixels[size_t(y) * size_t(w) * size_t(channels)]),
               size_t(w) * size_t(channels));
  }
  std::string z = "\x78\x01";
  constexpr size_t kStoredMax = 65535;
  for (size_t at = 0; at < raw.size() || at == 0; at += kStoredMax) {
    const size_t n = std::min(kStoredMax, raw.size() - at);
    const bool last = at + n >= raw.size();
    z += char(last ? 1 : 0);
    z += le16(uint32_t(n)) + le16(uint32_t(~n & 0xFFFF));
    z += raw.substr(at, n);
  }
  uint32_t a = 1, b = 0;
  for (unsigned char ch : raw) {
    a = (a + ch) % 65521;
    b = (b + a) % 65521;
  }
  z += be32(b << 16 | a);
  return png_ihdr(uint32_t(w), uint32_t(h), color_type) + png_chunk("IDAT", z) +
         png_chunk("IEND", "");
}

// A 24-bit BMP; bottom-up rows unless top_down.
std::string bmp_file(int w, int h, const std::vector<uint8_t>& rgb, bool top_down = false) {
  REQUIRE(rgb.size() == size_t(w) * size_t(h) * 3);
  const size_t stride = (size_t(w) * 3 + 3) / 4 * 4;
  std::string pixels;
  for (int r = 0; r < h; ++r) {
    const int y = top_down ? r : h - 1 - r;
    std::string row;
    for (int x = 0; x < w; ++x) {
      const uint8_t* p = &rgb[(size_t(y) * size_t(w) + size_t(x)) * 3];
      row += {char(p[2]), char(p[1]), char(p[0])};
    }
    row.resize(stride, '\0');
    pixels += row;
  }
  constexpr uint32_t kHeaders = 14 + 40;
  std::string f = "BM" + le32(uint32_t(kHeaders + pixels.size())) + le32(0) + le32(kHeaders);
  f += le32(40) + le32(uint32_t(w)) + le32(uint32_t(top_down ? -h : h)) + le16(1) + le16(24) +
       le32(0) + le32(uint32_t(pixels.size())) + le32(2835) + le32(2835) + le32(0) + le32(0);
  return f + pixels;
}

// Distinct values in every pixel and channel.
std::vector<uint8_t> pattern(int w, int h, int channels) {
  std::vector<uint8_t> v(size_t(w) * size_t(h) * size_t(channels));
  for (size_t i = 0; i < v.size(); ++i) v[i] = uint8_t(i * 37 + 11);
  return v;
}

const char* testdata() { return std::getenv("MNET_TESTDATA"); }

}  // namespace

TEST_CASE("load_image reads a bottom-up 24-bit BMP top row first, in RGB order", "[image]") {
  TempDir tmp;
  const auto rgb = pattern(3, 2, 3);
  write_bytes(tmp.file("a.bmp"), bmp_file(3, 2, rgb));
  const mnet::Image img = mnet::load_image(tmp.file("a.bmp"));
  CHECK(img.width == 3);
  CHECK(img.height == 2);
  CHECK(img.rgb == rgb);
}

TEST_CASE("load_image reads a top-down BMP the same way", "[image]") {
  TempDir tmp;
  const auto rgb = pattern(5, 3, 3);
  write_bytes(tmp.file("a.bmp"), bmp_file(5, 3, rgb, /*top_down=*/true));
  CHECK(mnet::load_image(tmp.file("a.bmp")).rgb == rgb);
}

TEST_CASE("load_image reads an RGB PNG exactly", "[image]") {
  TempDir tmp;
  const auto rgb = pattern(4, 3, 3);
  write_bytes(tmp.file("a.png"), png_file(4, 3, 2, rgb));
  const mnet::Image img = mnet::load_image(tmp.file("a.png"));
  CHECK(img.width == 4);
  CHECK(img.height == 3);
  CHECK(img.rgb == rgb);
}

TEST_CASE("load_image turns a grayscale PNG into RGB by repeating the grey level", "[image]") {
  TempDir tmp;
  const auto grey = pattern(3, 2, 1);
  write_bytes(tmp.file("grey.png"), png_file(3, 2, 0, grey));
  const mnet::Image img = mnet::load_image(tmp.file("grey.png"));
  REQUIRE(img.rgb.size() == 3 * 2 * 3);
  for (size_t i = 0; i < grey.size(); ++i) {
    CHECK(img.rgb[i * 3 + 0] == grey[i]);
    CHECK(img.rgb[i * 3 + 1] == grey[i]);
    CHECK(img.rgb[i * 3 + 2] == grey[i]);
  }
}

TEST_CASE("load_image drops the alpha channel of RGBA and grey+alpha PNGs", "[image]") {
  TempDir tmp;
  const auto rgba = pattern(3, 2, 4);
  write_bytes(tmp.file("rgba.png"), png_file(3, 2, 6, rgba));
  const mnet::Image img = mnet::load_image(tmp.file("rgba.png"));
  REQUIRE(img.rgb.size() == 3 * 2 * 3);
  for (size_t i = 0; i < 6; ++i) {
    for (size_t c = 0; c < 3; ++c) CHECK(img.rgb[i * 3 + c] == rgba[i * 4 + c]);
  }

  const auto ga = pattern(2, 2, 2);
  write_bytes(tmp.file("ga.png"), png_file(2, 2, 4, ga));
  const mnet::Image g = mnet::load_image(tmp.file("ga.png"));
  REQUIRE(g.rgb.size() == 2 * 2 * 3);
  for (size_t i = 0; i < 4; ++i) {
    for (size_t c = 0; c < 3; ++c) CHECK(g.rgb[i * 3 + c] == ga[i * 2]);
  }
}

TEST_CASE("load_image refuses a PNG header declaring 100000x100000 pixels before decoding",
          "[image]") {
  TempDir tmp;
  // Header only: decoding would fail differently (no IDAT), so the message proves the order.
  const std::string path = tmp.file("huge.png");
  write_bytes(path, png_ihdr(100000, 100000, 2) + png_chunk("IEND", ""));
  CHECK_THROWS_MATCHES(mnet::load_image(path), mnet::InputError,
                       Catch::Matchers::Message(
                           path + ": image declares 100000x100000 pixels, over kMaxImagePixels = " +
                           std::to_string(mnet::kMaxImagePixels)));
}

TEST_CASE("load_image refuses a BMP header declaring more than kMaxImagePixels", "[image]") {
  TempDir tmp;
  std::string bmp = bmp_file(1, 1, {1, 2, 3});
  const std::string huge_w = le32(20000), huge_h = le32(20000);
  bmp.replace(18, 4, huge_w);
  bmp.replace(22, 4, huge_h);
  const std::string path = tmp.file("huge.bmp");
  write_bytes(path, bmp);
  CHECK_THROWS_WITH(mnet::load_image(path),
                    Contains(path) && Contains("20000x20000") && Contains("kMaxImagePixels"));
}

TEST_CASE("load_image refuses a JPEG header declaring 65535x65535 pixels", "[image]") {
  TempDir tmp;
  // SOI, then a baseline SOF0 for a 3-component 65535x65535 image.
  const std::string jpeg(
      "\xFF\xD8\xFF\xC0\x00\x11\x08\xFF\xFF\xFF\xFF\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 21);
  const std::string path = tmp.file("huge.jpg");
  write_bytes(path, jpeg);
  CHECK_THROWS_WITH(mnet::load_image(path),
                    Contains(path) && Contains("65535x65535") && Contains("kMaxImagePixels"));
}

// A DHT segment (from its FF C4 marker) whose 16 code counts sum to 510.
std::string dht_over_256_codes() {
  std::string seg(1, '\0');  // table class 0, id 0
  for (int i = 0; i < 16; ++i) seg += char(i < 14 ? 0 : 255);
  seg += std::string(510, 'A');
  const size_t len = 2 + seg.size();
  return std::string("\xFF\xC4", 2) + char(len >> 8) + char(len & 0xFF) + seg;
}

TEST_CASE("load_image refuses a JPEG Huffman table of over 256 codes before stb_image reads it",
          "[image]") {
  // stb_image 2.27 writes such a table past its arrays (stb issue #1289); ASan catches it.
  TempDir tmp;
  const std::string soi("\xFF\xD8", 2);
  const std::string sof("\xFF\xC0\x00\x0B\x08\x00\x08\x00\x08\x01\x01\x11\x00", 13);
  const std::string sos("\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00", 10);
  const std::string scan("\x12\x34\xFF\x00\x56\xFF\xD0\x78", 8);  // a stuffed FF, a restart
  const std::string eoi("\xFF\xD9", 2);

  SECTION("in the header") {
    const std::string path = tmp.file("header.jpg");
    write_bytes(path, soi + dht_over_256_codes() + sof + sos + scan + eoi);
    CHECK_THROWS_WITH(mnet::load_image(path),
                      Contains(path + ": corrupt JPEG: the Huffman table segment at byte 2"));
  }
  SECTION("between scans") {
    const std::string path = tmp.file("between.jpg");
    write_bytes(path, soi + sof + sos + scan + dht_over_256_codes() + sos + scan + eoi);
    CHECK_THROWS_WITH(mnet::load_image(path), Contains("Huffman table"));
  }
  SECTION("but not inside an APP segment, which stb_image skips") {
    const std::string app_data = "Exif" + dht_over_256_codes();
    const size_t len = 2 + app_data.size();
    const std::string app =
        std::string("\xFF\xE1", 2) + char(len >> 8) + char(len & 0xFF) + app_data;
    const std::string path = tmp.file("app.jpg");
    write_bytes(path, soi + app + sof);
    CHECK_THROWS_WITH(mnet::load_image(path), Contains(path + ": ") && !Contains("Huffman"));
  }
}

TEST_CASE("load_image names the file when it is empty, truncated or not an image", "[image]") {
  TempDir tmp;
  const std::string png = png_file(16, 16, 2, pattern(16, 16, 3));
  const std::string bmp = bmp_file(16, 16, pattern(16, 16, 3));
  std::mt19937 rng(1234);
  std::string noise(4096, '\0');
  for (char& c : noise) c = char(rng());

  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"empty.png", "", "file is empty"},
      {"sig-only.png", png.substr(0, 8), "truncated"},
      {"bad-colour-type.png", png_ihdr(4, 4, 7) + png_chunk("IEND", ""),
       "corrupt or unsupported PNG header"},
      {"header-only.png", png.substr(0, 33), "truncated"},
      {"half.png", png.substr(0, png.size() / 2), "truncated"},
      {"no-iend.png", png.substr(0, png.size() - 12), "truncated"},
      {"header-only.bmp", bmp.substr(0, 54), "truncated"},
      {"half.bmp", bmp.substr(0, bmp.size() / 2), "truncated"},
      {"last-byte-missing.bmp", bmp.substr(0, bmp.size() - 1), "truncated"},
      {"noise.jpg", noise, "not a JPEG, PNG or BMP image (stb_image: "},
      {"text.png", "this is not an image\n", "not a JPEG, PNG or BMP image (stb_image: "},
      {"soi-only.jpg", "\xFF\xD8", "truncated"},
  };
  for (const auto& [name, bytes, problem] : cases) {
    INFO(name);
    const std::string path = tmp.file(name);
    write_bytes(path, bytes);
    CHECK_THROWS_AS(mnet::load_image(path), mnet::InputError);
    CHECK_THROWS_WITH(mnet::load_image(path), Contains(path + ": ") && Contains(problem));
  }
}

TEST_CASE("load_image refuses a JPEG cut short in its headers or its scan data", "[image]") {
  const char* dir = testdata();
  if (!dir) {
    WARN("MNET_TESTDATA not set: skipping the truncated-JPEG check");
    return;
  }
  TempDir tmp;
  const std::string jpeg = read_bytes(std::string(dir) + "/images/hot_dog.jpg");
  REQUIRE(jpeg.size() > 1000);
  for (size_t keep : {jpeg.size() / 10, jpeg.size() / 2, jpeg.size() - 2}) {
    INFO("first " << keep << " bytes");
    const std::string path = tmp.file("cut.jpg");
    write_bytes(path, jpeg.substr(0, keep));
    CHECK_THROWS_WITH(mnet::load_image(path), Contains(path + ": ") && Contains("truncated"));
  }
}

TEST_CASE("load_image refuses a directory, a missing file and a file over kMaxImageFileBytes",
          "[image]") {
  TempDir tmp;
  CHECK_THROWS_AS(mnet::load_image(tmp.path.string()), mnet::InputError);
  CHECK_THROWS_WITH(mnet::load_image(tmp.path.string()),
                    Contains(tmp.path.string()) && Contains("directory"));
  CHECK_THROWS_WITH(mnet::load_image(tmp.file("missing.png")), Contains(tmp.file("missing.png")));

  // Sparse, so it costs no disk space; the size is refused before anything is read.
  const std::string big = tmp.file("big.bmp");
  write_bytes(big, "BM");
  fs::resize_file(big, mnet::kMaxImageFileBytes + 1);
  CHECK_THROWS_WITH(mnet::load_image(big), Contains(big) && Contains("larger than the limit"));
}

TEST_CASE("decode_image gives an image or an InputError for every corruption of a valid file",
          "[image]") {
  std::vector<std::pair<std::string, std::string>> seeds = {
      {"png", png_file(23, 17, 2, pattern(23, 17, 3))},
      {"bmp", bmp_file(23, 17, pattern(23, 17, 3))},
  };
  if (const char* dir = testdata())
    seeds.push_back({"jpg", read_bytes(std::string(dir) + "/images/owl.jpg")});

  constexpr int kMutationsPerSeed = 300;
  constexpr size_t kHeaderBytes = 200;
  std::mt19937 rng(20240601);
  int decoded = 0, refused = 0;
  for (const auto& [kind, seed] : seeds) {
    REQUIRE(!seed.empty());
    for (int i = 0; i < kMutationsPerSeed; ++i) {
      std::string bytes = seed;
      const int flips = 1 + int(rng() % 8);
      for (int f = 0; f < flips; ++f) {
        // Half of the flips hit the first bytes, where the headers are.
        const size_t span = rng() % 2 ? std::min<size_t>(bytes.size(), kHeaderBytes) : bytes.size();
        const size_t at = rng() % span;
        bytes[at] = char(bytes[at] ^ char(1 + rng() % 255));
      }
      if (rng() % 3 == 0) bytes.resize(rng() % bytes.size());
      try {
        const mnet::Image img = mnet::decode_image(bytes, "mutant." + kind);
        CHECK(img.rgb.size() == size_t(img.width) * size_t(img.height) * 3);
        ++decoded;
      } catch (const mnet::InputError& e) {
        CHECK_THAT(e.what(), Contains("mutant." + kind + ": "));
        ++refused;
      }
    }
  }
  CHECK(decoded > 0);
  CHECK(refused > 0);
}

TEST_CASE("load_image decodes the test images to the sizes the test data README lists", "[image]") {
  const char* dir = testdata();
  if (!dir) {
    WARN("MNET_TESTDATA not set: skipping the test-image decode check");
    return;
  }
  const std::vector<std::tuple<std::string, int, int>> images = {
      {"cat.bmp", 512, 341},       {"bird.bmp", 512, 343},      {"grace_hopper.bmp", 512, 600},
      {"dragonfly.bmp", 512, 418}, {"sunflower.bmp", 512, 340}, {"parrot.jpg", 512, 929},
      {"owl.jpg", 512, 384},       {"hot_dog.jpg", 512, 384},
  };
  for (const auto& [name, w, h] : images) {
    INFO(name);
    const mnet::Image img = mnet::load_image(std::string(dir) + "/images/" + name);
    CHECK(img.width == w);
    CHECK(img.height == h);
    CHECK(img.rgb.size() == size_t(w) * size_t(h) * 3);
  }
}
