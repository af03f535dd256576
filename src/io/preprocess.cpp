// Resizing, cropping and normalising images bit-exactly as the Python references do.
#include "io/preprocess.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

// Bit-exactness with the Python references relies on every double operation being rounded on its
// own: -std=c++17 (no GNU extensions) keeps GCC's -ffp-contract=off, so no FMAs are formed.

namespace mnet {
namespace {

constexpr int kChannels = 3;

[[noreturn]] void bad_arg(const std::string& fn, const std::string& what) {
  throw std::invalid_argument(fn + ": " + what);
}

void check_image(const std::string& fn, const Image& img) {
  if (img.width <= 0 || img.height <= 0 ||
      img.rgb.size() != size_t(img.width) * size_t(img.height) * kChannels) {
    bad_arg(fn, "image is empty or its pixel buffer is not width x height x 3");
  }
}

void check_side(const std::string& fn, const char* what, int v) {
  if (v < 1 || v > kMaxResolution) {
    bad_arg(fn, std::string(what) + " = " + std::to_string(v) + " is outside 1.." +
                    std::to_string(kMaxResolution));
  }
}

// ---- TF-slim: central crop + half-pixel bilinear (preprocess.py) ----

struct HalfPixelAxis {
  std::vector<int> i0, i1;
  std::vector<double> t;
};

HalfPixelAxis half_pixel_axis(int in, int out) {
  HalfPixelAxis a;
  a.i0.resize(size_t(out));
  a.i1.resize(size_t(out));
  a.t.resize(size_t(out));
  const double scale = double(in) / double(out);
  for (int d = 0; d < out; ++d) {
    const double src = std::max((double(d) + 0.5) * scale - 0.5, 0.0);
    const int i0 = std::min(int(std::floor(src)), in - 1);
    a.i0[d] = i0;
    a.i1[d] = std::min(i0 + 1, in - 1);
    a.t[d] = src - i0;
  }
  return a;
}

uint8_t round_half_up(double v) { return uint8_t(std::clamp(std::floor(v + 0.5), 0.0, 255.0)); }

// ---- torchvision on PIL: Pillow's antialiased bilinear (libImaging/Resample.c) ----

constexpr int kPilPrecisionBits = 32 - 8 - 2;

double pil_bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Pillow's precompute_coeffs + normalize_coeffs_8bpc, for outputs [first, first + count) only.
struct PilAxis {
  int ksize = 0;
  std::vector<int> start, len;  // source taps of output j: [start[j], start[j] + len[j])
  std::vector<int32_t> k;       // count x ksize fixed-point weights
};

PilAxis pil_bilinear_axis(int in, int64_t out, int64_t first, int count) {
  const double scale = double(in) / double(out);
  const double filterscale = std::max(scale, 1.0);
  const double support =
      1.0 * filterscale;  // the triangle's support is 1, widened when downscaling
  const double ss = 1.0 / filterscale;
  PilAxis a;
  a.ksize = int(std::ceil(support)) * 2 + 1;
  a.start.resize(size_t(count));
  a.len.resize(size_t(count));
  a.k.assign(size_t(count) * size_t(a.ksize), 0);
  std::vector<double> w(size_t(a.ksize));
  for (int j = 0; j < count; ++j) {
    const double center = (double(first + j) + 0.5) * scale;
    int xmin = int(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = int(center + support + 0.5);
    if (xmax > in) xmax = in;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[x] = pil_bilinear_filter((double(x + xmin) - center + 0.5) * ss);
      ww += w[x];
    }
    int32_t* k = &a.k[size_t(j) * size_t(a.ksize)];
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? w[x] / ww : w[x];
      k[x] = v < 0 ? int32_t(-0.5 + v * (1 << kPilPrecisionBits))
                   : int32_t(0.5 + v * (1 << kPilPrecisionBits));
    }
    a.start[j] = xmin;
    a.len[j] = xmax;
  }
  return a;
}

uint8_t pil_clip8(int64_t acc) {
  return uint8_t(std::clamp<int64_t>(acc >> kPilPrecisionBits, 0, 255));
}

// One output axis of torchvision's center_crop: outputs [pad, pad + count) come from resized
// pixels [first, first + count); the rest is the zero padding added when crop > n.
struct CropAxis {
  int pad = 0;
  int64_t first = 0;
  int count = 0;
};

CropAxis center_crop_axis(int64_t n, int crop) {
  if (crop > n) return {int((crop - n) / 2), 0, int(n)};
  // int(round((n - crop) / 2.0)): Python rounds halves to even.
  const int64_t d = n - crop;
  int64_t off = d / 2;
  if (d % 2 == 1 && off % 2 == 1) ++off;
  return {0, off, crop};
}

}  // namespace

std::vector<uint8_t> tf_central_crop_resize(const Image& img, int size, double central_fraction) {
  const std::string fn = "tf_central_crop_resize";
  check_image(fn, img);
  check_side(fn, "size", size);
  if (!(central_fraction > 0.0 && central_fraction <= 1.0)) {
    bad_arg(fn, "central_fraction = " + std::to_string(central_fraction) + " is outside (0, 1]");
  }
  const int H = img.height, W = img.width;
  // tf.image.central_crop; the kept size H - 2 * top is at least central_fraction * H > 0.
  const int top = int((double(H) - double(H) * central_fraction) / 2);
  const int left = int((double(W) - double(W) * central_fraction) / 2);
  const HalfPixelAxis ys = half_pixel_axis(H - 2 * top, size);
  const HalfPixelAxis xs = half_pixel_axis(W - 2 * left, size);

  auto px = [&](int y, int x, int c) {
    return double(img.rgb[((size_t(top + y) * size_t(W)) + size_t(left + x)) * kChannels + c]);
  };
  std::vector<uint8_t> out(size_t(size) * size_t(size) * kChannels);
  for (int y = 0; y < size; ++y) {
    const int y0 = ys.i0[y], y1 = ys.i1[y];
    const double ty = ys.t[y];
    for (int x = 0; x < size; ++x) {
      const int x0 = xs.i0[x], x1 = xs.i1[x];
      const double tx = xs.t[x];
      for (int c = 0; c < kChannels; ++c) {
        const double p00 = px(y0, x0, c), p01 = px(y0, x1, c), p10 = px(y1, x0, c),
                     p11 = px(y1, x1, c);
        const double t = p00 + (p01 - p00) * tx;
        const double b = p10 + (p11 - p10) * tx;
        out[(size_t(y) * size_t(size) + size_t(x)) * kChannels + c] =
            round_half_up(t + (b - t) * ty);
      }
    }
  }
  return out;
}

std::vector<uint8_t> resize_center_crop(const Image& img, int resize_shorter, int crop) {
  const std::string fn = "resize_center_crop";
  check_image(fn, img);
  check_side(fn, "resize_shorter", resize_shorter);
  check_side(fn, "crop", crop);

  // torchvision's _compute_resized_output_size: the longer side is truncated, not rounded.
  const int64_t w = img.width, h = img.height;
  const int64_t r = resize_shorter;
  int64_t new_w = r, new_h = r;
  if (w <= h) {
    new_h = int64_t(double(r * h) / double(w));
  } else {
    new_w = int64_t(double(r * w) / double(h));
  }
  const CropAxis ax = center_crop_axis(new_w, crop);
  const CropAxis ay = center_crop_axis(new_h, crop);
  const PilAxis hx = pil_bilinear_axis(img.width, new_w, ax.first, ax.count);
  const PilAxis vy = pil_bilinear_axis(img.height, new_h, ay.first, ay.count);

  // Pillow resizes horizontally first into a uint8 image of just the rows the vertical pass
  // reads. When a side keeps its size Pillow skips that pass; the pass would be the identity
  // anyway (weights exactly 1 and 0), so both passes always run here.
  const int row0 = vy.start.front();
  const int rows = vy.start.back() + vy.len.back() - row0;
  const size_t tmp_stride = size_t(ax.count) * kChannels;
  std::vector<uint8_t> tmp(size_t(rows) * tmp_stride);
  for (int row = 0; row < rows; ++row) {
    const uint8_t* src = &img.rgb[size_t(row0 + row) * size_t(img.width) * kChannels];
    uint8_t* dst = &tmp[size_t(row) * tmp_stride];
    for (int j = 0; j < ax.count; ++j) {
      const int32_t* k = &hx.k[size_t(j) * size_t(hx.ksize)];
      for (int c = 0; c < kChannels; ++c) {
        int64_t acc = int64_t(1) << (kPilPrecisionBits - 1);
        for (int t = 0; t < hx.len[j]; ++t)
          acc += int64_t(src[size_t(hx.start[j] + t) * kChannels + c]) * k[t];
        dst[size_t(j) * kChannels + c] = pil_clip8(acc);
      }
    }
  }

  std::vector<uint8_t> out(size_t(crop) * size_t(crop) * kChannels, 0);
  for (int i = 0; i < ay.count; ++i) {
    const int32_t* k = &vy.k[size_t(i) * size_t(vy.ksize)];
    const int first_row = vy.start[i] - row0;
    uint8_t* dst = &out[(size_t(ay.pad + i) * size_t(crop) + size_t(ax.pad)) * kChannels];
    for (size_t e = 0; e < tmp_stride; ++e) {
      int64_t acc = int64_t(1) << (kPilPrecisionBits - 1);
      for (int t = 0; t < vy.len[i]; ++t)
        acc += int64_t(tmp[size_t(first_row + t) * tmp_stride + e]) * k[t];
      dst[e] = pil_clip8(acc);
    }
  }
  return out;
}

std::vector<float> to_network_input(const std::vector<uint8_t>& hwc, int size,
                                    const Preprocess& p) {
  const std::string fn = "to_network_input";
  check_side(fn, "size", size);
  const size_t plane = size_t(size) * size_t(size);
  if (hwc.size() != plane * kChannels) {
    bad_arg(fn, "got " + std::to_string(hwc.size()) + " bytes, not " + std::to_string(size) + "x" +
                    std::to_string(size) + "x3");
  }
  for (double s : p.std) {
    if (!(s > 0)) bad_arg(fn, "every std must be positive");
  }
  std::vector<float> out(plane * kChannels);
  for (int c = 0; c < kChannels; ++c) {
    const double mean = p.mean[c], sd = p.std[c];
    float* dst = &out[size_t(c) * plane];
    for (size_t i = 0; i < plane; ++i) dst[i] = float((double(hwc[i * kChannels + c]) - mean) / sd);
  }
  return out;
}

std::vector<float> preprocess_image(const Image& img, int size, const Preprocess& p) {
  if (p.crop == "central_fraction")
    return to_network_input(tf_central_crop_resize(img, size, p.central_fraction), size, p);
  if (p.crop == "resize_center")
    return to_network_input(resize_center_crop(img, p.resize, size), size, p);
  bad_arg("preprocess_image",
          "unknown crop \"" + p.crop + "\" (central_fraction or resize_center)");
}

}  // namespace mnet
