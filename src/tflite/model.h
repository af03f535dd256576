// Reader for TensorFlow Lite models (schema version 3, file identifier "TFL3"), main subgraph
// only. Strict: anything malformed or outside the limits below throws
// InputError("PATH: tflite: <what is wrong>"); nothing from the file is trusted before checking.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "io/tensor_data.h"
#include "tflite/schema.h"

namespace mnet {

constexpr uint64_t kMaxTfliteBytes = uint64_t(512) << 20;
constexpr uint32_t kMaxTfliteTensors = 1 << 16;    // MobileNets have < 300
constexpr uint32_t kMaxTfliteOperators = 1 << 16;  // MobileNets have < 150
constexpr uint32_t kMaxTfliteBuffers = 1 << 17;
constexpr uint32_t kMaxTfliteOperatorCodes = 1 << 12;
constexpr uint32_t kMaxTfliteSubgraphs = 1 << 12;
constexpr uint32_t kMaxTfliteMetadata = 1 << 12;
constexpr uint32_t kMaxTfliteTensorRefs = 1 << 12;  // inputs/outputs of one operator or subgraph
constexpr uint32_t kMaxTfliteStringBytes = 1 << 16;
constexpr uint32_t kMaxTfliteLabels = 1 << 20;
// A custom operator's options (the detection post-process's FlexBuffer is about 400 bytes).
constexpr uint64_t kMaxTfliteCustomOptionsBytes = 1 << 16;
constexpr int kMaxTfliteTensorRank = 8;
// Tensor element counts are limited by kMaxTensorElements (io/tensor_data.h).

struct TfliteTensor {
  std::string name;
  std::vector<int32_t> shape;  // empty: a scalar (rank 0)
  int type = tflite_type::kFloat32;
  int buffer = 0;  // index into TfliteModel buffers; buffer 0 is the empty sentinel
  // Empty when the tensor is not quantized; one entry (per-tensor) or shape[quantized_dimension]
  // entries (per-channel). zero_point has as many entries as scale.
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int quantized_dimension = 0;
  bool is_variable = false;

  int64_t elements() const;
  bool quantized() const { return !scale.empty(); }
};

struct TfliteOperator {
  int opcode = 0;  // BuiltinOperator
  int opcode_version = 1;
  std::string custom_code;  // for tflite_op::kCustom
  std::vector<int> inputs;  // tensor indices; -1 marks an omitted optional input
  std::vector<int> outputs;
  int options_type = 0;  // BuiltinOptions union type; 0 when the operator has none

  // Decoded builtin options of the operators MobileNets use (conv, depthwise, pools, add, mul,
  // sub, fully connected, concatenation, softmax, reshape, mean); defaults for the others.
  TflitePadding padding = TflitePadding::kSame;
  int stride_w = 1, stride_h = 1;
  int dilation_w = 1, dilation_h = 1;
  int depth_multiplier = 1;
  int filter_width = 0, filter_height = 0;  // pools
  TfliteActivation activation = TfliteActivation::kNone;
  bool keep_dims = false;  // MEAN
  float beta = 1.0f;       // SOFTMAX
  // RESHAPE: the target shape when its options carry one; otherwise (has_new_shape false) it is
  // the constant second input.
  std::vector<int32_t> new_shape;
  bool has_new_shape = false;
  int axis = 0;  // CONCATENATION
  bool align_corners = false, half_pixel_centers = false;  // RESIZE_BILINEAR
  std::string custom_options;  // CUSTOM: the raw bytes (a FlexBuffer for TFLite_Detection_PostProcess)
};

struct TfliteModel {
  std::string path;
  uint32_t version = 0;
  std::string description;
  std::string subgraph_name;
  std::vector<TfliteTensor> tensors;
  std::vector<TfliteOperator> ops;  // execution order
  std::vector<int> inputs, outputs;  // tensor indices
  std::map<std::string, int> metadata;  // Model.metadata: name -> buffer index
  // Labels of the classifier output (one per output class, in order) when the model's
  // TFLITE_METADATA names a TENSOR_AXIS_LABELS file and that file is in the zip archive appended
  // to the model; empty otherwise.
  std::vector<std::string> labels;
  std::string labels_file;
  std::vector<std::string> notes;  // things skipped on purpose, e.g. extra subgraphs

  // Raw bytes of buffer `index` (empty for buffer 0 and for tensors computed at run time).
  std::string_view buffer(int index) const;
  // Raw constant data of tensor `index` (empty if it has none).
  std::string_view tensor_data(int index) const;
  size_t buffer_count() const { return buffer_spans.size(); }

  // The file's bytes and where each buffer lies in them (use buffer() / tensor_data()).
  std::string file_bytes;
  struct Span {
    uint64_t offset = 0, size = 0;
  };
  std::vector<Span> buffer_spans;
};

// Reads and validates a .tflite file (at most kMaxTfliteBytes): the main subgraph's tensors
// (shapes, types, quantization, constant-data sizes), operators (tensor references, options of
// the operators listed in TfliteOperator), inputs/outputs, metadata names and labels.
TfliteModel read_tflite(const std::string& path);

// A constant tensor as float: FLOAT32 as is; UINT8, INT8 and INT32 (biases) as
// scale * (q - zero_point), per-tensor or per-channel along quantized_dimension. Throws
// InputError("PATH: tflite: tensor N 'name': ...") if the tensor has no constant data, no
// quantization parameters (integer types), or another type.
TensorData dequantize(const TfliteModel& model, int tensor);

}  // namespace mnet
