// Reading the FlexBuffer map of scalars a TFLite custom operator keeps its options in
// (TFLite_Detection_PostProcess: max_detections, nms_iou_threshold, y_scale, ...).
#pragma once
#include <map>
#include <string>
#include <string_view>

namespace mnet {

// Far more keys than any custom operator's options (the detection post-process has 13).
constexpr size_t kMaxFlexbufferKeys = 256;

// One scalar of the map: ints, uints, floats and bools as a double; other types (strings,
// vectors, nested maps) are kept as `other`, for "is not a number" errors.
struct FlexScalar {
  enum class Kind { number, boolean, other } kind = Kind::other;
  double value = 0;
};

// The root map of `bytes` by key. Throws InputError "WHERE: custom options: ..." for bytes that
// are not a FlexBuffer map (every offset and width is checked against the buffer).
std::map<std::string, FlexScalar> read_flexbuffer_map(std::string_view bytes, const std::string& where);

}  // namespace mnet
