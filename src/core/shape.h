// The shape of one activation tensor: channels, height, width.
#pragma once
#include <cstdint>
#include <string>

namespace mnet {

// The largest input side a description may ask for (resolution, a resize), checked before anything is allocated.
constexpr int kMaxResolution = 8192;

// Activation shape of one image (batch 1), channel-major as the engine stores it (NCHW, N = 1).
struct Shape {
  int c = 0;
  int h = 0;
  int w = 0;

  int64_t elements() const { return int64_t(c) * h * w; }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  // "[C,H,W]" as reports print it.
  std::string str() const {
    return "[" + std::to_string(c) + "," + std::to_string(h) + "," + std::to_string(w) + "]";
  }
};

}  // namespace mnet
