// Bytes → decode_image (the in-memory core of load_image) → both preprocessing recipes.
// InputError is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "io/image.h"
#include "io/preprocess.h"

namespace {
// Small, odd output sizes: cheap per input, and they exercise the edge cases of both resamplers.
constexpr int kCropSize = 17;
constexpr int kResizeShorter = 19;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const mnet::Image img = mnet::decode_image(bytes, "fuzz.img");
    if (img.width < 1 || img.height < 1 || img.rgb.size() != size_t(img.width) * img.height * 3)
      __builtin_trap();  // decode_image promises a non-empty [H, W, 3] image
    mnet::Preprocess tf;  // TF-slim central crop
    mnet::preprocess_image(img, kCropSize, tf);
    mnet::Preprocess torch;
    torch.crop = "resize_center";
    torch.resize = kResizeShorter;
    mnet::preprocess_image(img, kCropSize, torch);
  } catch (const mnet::InputError&) {
  }
  return 0;
}
