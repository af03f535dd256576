// From an image to the network's input: TF-slim central crop or torchvision resize + centre crop,
// then (pixel - mean) / std per channel.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/shape.h"
#include "io/image.h"

namespace mnet {

// How an image becomes the network's input: x = (pixel - mean[c]) / std[c], pixels in 0..255.
struct Preprocess {
  std::string crop = "central_fraction";  // TF-slim evaluation; or "resize_center" (torchvision)
  double central_fraction = 0.875;
  int resize = 0;                         // shorter side before the centre crop ("resize_center")
  std::array<double, 3> mean{127.5, 127.5, 127.5};
  std::array<double, 3> std{127.5, 127.5, 127.5};
};

// The two recipes return [size, size, 3] uint8 RGB. Arguments out of range (size or resize
// outside 1..kMaxResolution, central_fraction outside (0, 1], an empty image, an unknown crop)
// are caller bugs and throw std::invalid_argument; the config loader validates them first.

// TF-slim evaluation: tf.image.central_crop(img, central_fraction), then bilinear resize with
// half-pixel centres and no antialiasing (TF2 tf.image.resize(..., "bilinear")), rounded half
// up. Bit-exact with the test data's preprocess.py for the same decoded pixels.
std::vector<uint8_t> tf_central_crop_resize(const Image& img, int size, double central_fraction);

// torchvision on a PIL image: Resize(resize_shorter) then CenterCrop(crop). The resize is
// Pillow's antialiased bilinear (triangle filter widened by the downscale factor, 22-bit
// fixed-point weights, horizontal pass first through a uint8 intermediate), so the result is
// bit-exact with torchvision 0.14 + Pillow 9.4 for the same decoded pixels. A crop larger than
// the resized image is zero-padded as torchvision does. Only the cropped window is computed.
std::vector<uint8_t> resize_center_crop(const Image& img, int resize_shorter, int crop);

// [size, size, 3] uint8 -> [3, size, size] float, x = (pixel - mean[c]) / std[c].
std::vector<float> to_network_input(const std::vector<uint8_t>& hwc, int size, const Preprocess& p);

// The recipe named by p.crop, then to_network_input.
std::vector<float> preprocess_image(const Image& img, int size, const Preprocess& p);

}  // namespace mnet
