// Drawing results on an image for people to look at: boxes with label text (detections), a
// colour mask blended over the image (segmentation), and writing the result as PNG.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "io/image.h"
#include "postprocess/segmentation.h"

namespace mnet {

using Rgb = std::array<uint8_t, 3>;

// The PASCAL VOC colour map (the benchmark's own bit-interleaving of the class index): class 0
// black, 1 dark red, 2 dark green, ... as every VOC visualisation shows them.
Rgb voc_colour(int class_index);

// A rectangle outline `thickness` pixels wide inside [x0, x1] × [y0, y1], clipped to the image.
void draw_rectangle(Image& img, int x0, int y0, int x1, int y1, Rgb colour, int thickness);

// Text in stb_easy_font's bitmap font, `scale` pixels per font pixel, on a filled background
// box whose top-left corner is (x, y); clipped to the image. Returns the box's height.
int draw_text(Image& img, int x, int y, const std::string& text, Rgb colour, Rgb background, int scale);

// Each image pixel takes the class of the map pixel it stretches from (nearest, the map covering
// the whole image) and is mixed with that class's colour: (1 − alpha)·pixel + alpha·colour.
// Background (class 0) stays as it is.
void blend_class_map(Image& img, const ClassMap& map, double alpha);

// A PNG of the image, written atomically. Throws RunError naming the file when it cannot be written.
void write_png(const std::string& path, const Image& img);
// The PNG bytes alone (tests decode them back).
std::string encode_png(const Image& img);

}  // namespace mnet
