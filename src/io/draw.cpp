// Boxes, bitmap text, class-colour masks and PNG output (stb_easy_font, stb_image_write).
#include "io/draw.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"

// Static, so no other code can reach stb's process-wide settings; PNG to memory only.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb_image_write.h>
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

namespace mnet {

Rgb voc_colour(int class_index) {
  Rgb c{0, 0, 0};
  for (int shift = 7, label = class_index; label > 0 && shift >= 0; --shift, label >>= 3)
    for (int channel = 0; channel < 3; ++channel) c[size_t(channel)] |= uint8_t(((label >> channel) & 1) << shift);
  return c;
}

namespace {

void fill(Image& img, int x0, int y0, int x1, int y1, Rgb colour) {
  x0 = std::max(x0, 0), y0 = std::max(y0, 0);
  x1 = std::min(x1, img.width - 1), y1 = std::min(y1, img.height - 1);
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      uint8_t* p = img.rgb.data() + (size_t(y) * size_t(img.width) + size_t(x)) * 3;
      p[0] = colour[0], p[1] = colour[1], p[2] = colour[2];
    }
}

}  // namespace

void draw_rectangle(Image& img, int x0, int y0, int x1, int y1, Rgb colour, int thickness) {
  const int t = std::max(thickness, 1) - 1;
  fill(img, x0, y0, x1, y0 + t, colour);
  fill(img, x0, y1 - t, x1, y1, colour);
  fill(img, x0, y0, x0 + t, y1, colour);
  fill(img, x1 - t, y0, x1, y1, colour);
}

int draw_text(Image& img, int x, int y, const std::string& text, Rgb colour, Rgb background, int scale) {
  // stb_easy_font gives axis-aligned quads (4 vertices of 16 bytes: x, y, z, colour) per stroke;
  // about 270 bytes per character.
  std::string printable = text.substr(0, 200);
  for (char& ch : printable)
    if (ch < 32 || ch > 126) ch = '?';
  std::vector<char> quads(printable.size() * 300 + 300);
  const int count = stb_easy_font_print(0, 0, printable.data(), nullptr, quads.data(), int(quads.size()));
  const int width = stb_easy_font_width(printable.data()) * scale, height = 12 * scale;
  const int pad = scale;
  fill(img, x, y, x + width + 2 * pad, y + height - 1, background);
  for (int q = 0; q < count; ++q) {
    const float* v = reinterpret_cast<const float*>(quads.data() + q * 64);
    const float qx0 = v[0], qy0 = v[1], qx1 = v[8], qy1 = v[9];  // vertices 0 and 2: opposite corners
    fill(img, x + pad + int(qx0 * scale), y + pad + int(qy0 * scale), x + pad + int(qx1 * scale) - 1,
         y + pad + int(qy1 * scale) - 1, colour);
  }
  return height;
}

void blend_class_map(Image& img, const ClassMap& map, double alpha) {
  if (map.width <= 0 || map.height <= 0) return;
  for (int y = 0; y < img.height; ++y) {
    const int my = std::min(map.height - 1, int((int64_t(y) * map.height) / img.height));
    for (int x = 0; x < img.width; ++x) {
      const int mx = std::min(map.width - 1, int((int64_t(x) * map.width) / img.width));
      const int c = map.classes[size_t(my) * size_t(map.width) + size_t(mx)];
      if (c == 0) continue;
      const Rgb colour = voc_colour(c);
      uint8_t* p = img.rgb.data() + (size_t(y) * size_t(img.width) + size_t(x)) * 3;
      for (int k = 0; k < 3; ++k) p[k] = uint8_t(std::lround((1 - alpha) * p[k] + alpha * colour[size_t(k)]));
    }
  }
}

std::string encode_png(const Image& img) {
  std::string bytes;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), size_t(size));
  };
  if (!stbi_write_png_to_func(append, &bytes, img.width, img.height, 3, img.rgb.data(), img.width * 3))
    throw RunError("cannot encode a " + std::to_string(img.width) + "x" + std::to_string(img.height) + " PNG");
  return bytes;
}

void write_png(const std::string& path, const Image& img) { write_file_atomic(path, encode_png(img)); }

}  // namespace mnet
