// The parts of the TensorFlow Lite schema (schema.fbs, version 3, and the metadata schema) the
// reader uses: field ids, union type values, and the type, operator and activation enums.
#pragma once
#include <cstdint>
#include <string>

#include "tflite/flatbuffer.h"

namespace mnet {

// TensorType values (schema.fbs).
namespace tflite_type {
constexpr int kFloat32 = 0;
constexpr int kFloat16 = 1;
constexpr int kInt32 = 2;
constexpr int kUint8 = 3;
constexpr int kInt64 = 4;
constexpr int kString = 5;
constexpr int kBool = 6;
constexpr int kInt16 = 7;
constexpr int kComplex64 = 8;
constexpr int kInt8 = 9;
constexpr int kFloat64 = 10;
constexpr int kComplex128 = 11;
constexpr int kUint64 = 12;
constexpr int kResource = 13;
constexpr int kVariant = 14;
constexpr int kUint32 = 15;
constexpr int kUint16 = 16;
constexpr int kInt4 = 17;
}  // namespace tflite_type

// BuiltinOperator values (schema.fbs) of the operators MobileNets use, and a few neighbours.
namespace tflite_op {
constexpr int kAdd = 0;
constexpr int kAveragePool2d = 1;
constexpr int kConcatenation = 2;
constexpr int kConv2d = 3;
constexpr int kDepthwiseConv2d = 4;
constexpr int kDequantize = 6;
constexpr int kFullyConnected = 9;
constexpr int kLogistic = 14;
constexpr int kMaxPool2d = 17;
constexpr int kMul = 18;
constexpr int kRelu = 19;
constexpr int kRelu6 = 21;
constexpr int kReshape = 22;
constexpr int kResizeBilinear = 23;
constexpr int kSoftmax = 25;
constexpr int kCustom = 32;
constexpr int kPad = 34;
constexpr int kMean = 40;
constexpr int kSub = 41;
constexpr int kSqueeze = 43;
constexpr int kArgMax = 56;
constexpr int kQuantize = 114;
constexpr int kHardSwish = 117;
}  // namespace tflite_op

enum class TflitePadding { kSame = 0, kValid = 1 };

// ActivationFunctionType (schema.fbs).
enum class TfliteActivation {
  kNone = 0,
  kRelu = 1,
  kReluN1To1 = 2,
  kRelu6 = 3,
  kTanh = 4,
  kSignBit = 5,
};

// Field ids, union values and constants of the files, for the reader (tflite/model.cpp).
namespace tflite_schema {

constexpr uint32_t kSchemaVersion = 3;
constexpr const char* kFileIdentifier = "TFL3";
// Op codes at or above this live only in builtin_code (deprecated_builtin_code is an int8).
constexpr int kPlaceholderForGreaterOpCodes = 127;
// Buffer.offset values 0 and 1 mean "data is inline" (schema.fbs: "only valid if > 1").
constexpr uint64_t kMinExternalBufferOffset = 2;

// Field ids of the tables the reader reads (tensorflow/lite/schema/schema.fbs, schema version 3;
// a union takes two ids: its type, then its value).
namespace model_f {
constexpr FbField kVersion{0, "version"};
constexpr FbField kOperatorCodes{1, "operator_codes"};
constexpr FbField kSubgraphs{2, "subgraphs"};
constexpr FbField kDescription{3, "description"};
constexpr FbField kBuffers{4, "buffers"};
constexpr FbField kMetadataBuffer{5, "metadata_buffer"};
constexpr FbField kMetadata{6, "metadata"};
constexpr FbField kSignatureDefs{7, "signature_defs"};
}  // namespace model_f
namespace opcode_f {
constexpr FbField kDeprecatedBuiltinCode{0, "deprecated_builtin_code"};
constexpr FbField kCustomCode{1, "custom_code"};
constexpr FbField kVersion{2, "version"};
constexpr FbField kBuiltinCode{3, "builtin_code"};
}  // namespace opcode_f
namespace subgraph_f {
constexpr FbField kTensors{0, "tensors"};
constexpr FbField kInputs{1, "inputs"};
constexpr FbField kOutputs{2, "outputs"};
constexpr FbField kOperators{3, "operators"};
constexpr FbField kName{4, "name"};
}  // namespace subgraph_f
namespace tensor_f {
constexpr FbField kShape{0, "shape"};
constexpr FbField kType{1, "type"};
constexpr FbField kBuffer{2, "buffer"};
constexpr FbField kName{3, "name"};
constexpr FbField kQuantization{4, "quantization"};
constexpr FbField kIsVariable{5, "is_variable"};
constexpr FbField kSparsity{6, "sparsity"};
constexpr FbField kShapeSignature{7, "shape_signature"};
constexpr FbField kHasRank{8, "has_rank"};
}  // namespace tensor_f
namespace quant_f {
constexpr FbField kMin{0, "min"};
constexpr FbField kMax{1, "max"};
constexpr FbField kScale{2, "scale"};
constexpr FbField kZeroPoint{3, "zero_point"};
constexpr FbField kDetailsType{4, "details_type"};
constexpr FbField kQuantizedDimension{6, "quantized_dimension"};
}  // namespace quant_f
namespace op_f {
constexpr FbField kOpcodeIndex{0, "opcode_index"};
constexpr FbField kInputs{1, "inputs"};
constexpr FbField kOutputs{2, "outputs"};
constexpr FbField kBuiltinOptionsType{3, "builtin_options_type"};
constexpr FbField kBuiltinOptions{4, "builtin_options"};
constexpr FbField kCustomOptions{5, "custom_options"};
constexpr FbField kCustomOptionsFormat{6, "custom_options_format"};
constexpr FbField kMutatingVariableInputs{7, "mutating_variable_inputs"};
constexpr FbField kIntermediates{8, "intermediates"};
}  // namespace op_f
namespace buffer_f {
constexpr FbField kData{0, "data"};
constexpr FbField kOffset{1, "offset"};
constexpr FbField kSize{2, "size"};
}  // namespace buffer_f
namespace metadata_f {
constexpr FbField kName{0, "name"};
constexpr FbField kBuffer{1, "buffer"};
}  // namespace metadata_f

// Builtin option tables (each is its own schema table; ids restart at 0).
namespace conv_f {
constexpr FbField kPadding{0, "padding"};
constexpr FbField kStrideW{1, "stride_w"};
constexpr FbField kStrideH{2, "stride_h"};
constexpr FbField kActivation{3, "fused_activation_function"};
constexpr FbField kDilationW{4, "dilation_w_factor"};
constexpr FbField kDilationH{5, "dilation_h_factor"};
}  // namespace conv_f
namespace dwconv_f {
constexpr FbField kPadding{0, "padding"};
constexpr FbField kStrideW{1, "stride_w"};
constexpr FbField kStrideH{2, "stride_h"};
constexpr FbField kDepthMultiplier{3, "depth_multiplier"};
constexpr FbField kActivation{4, "fused_activation_function"};
constexpr FbField kDilationW{5, "dilation_w_factor"};
constexpr FbField kDilationH{6, "dilation_h_factor"};
}  // namespace dwconv_f
namespace pool_f {
constexpr FbField kPadding{0, "padding"};
constexpr FbField kStrideW{1, "stride_w"};
constexpr FbField kStrideH{2, "stride_h"};
constexpr FbField kFilterWidth{3, "filter_width"};
constexpr FbField kFilterHeight{4, "filter_height"};
constexpr FbField kActivation{5, "fused_activation_function"};
}  // namespace pool_f
constexpr FbField kFirstActivation{0, "fused_activation_function"};  // Add/Sub/Mul/FullyConnected
constexpr FbField kSoftmaxBeta{0, "beta"};
constexpr FbField kConcatAxis{0, "axis"};
constexpr FbField kConcatActivation{1, "fused_activation_function"};
constexpr FbField kReshapeNewShape{0, "new_shape"};
constexpr FbField kReducerKeepDims{0, "keep_dims"};
constexpr FbField kResizeAlignCorners{2, "align_corners"};  // 0 and 1: the deprecated new_height/width
constexpr FbField kResizeHalfPixelCenters{3, "half_pixel_centers"};

// BuiltinOptions union type values (position in the union, NONE = 0).
namespace options_type {
constexpr int kNone = 0;
constexpr int kConv2d = 1;
constexpr int kDepthwiseConv2d = 2;
constexpr int kPool2d = 5;
constexpr int kFullyConnected = 8;
constexpr int kSoftmax = 9;
constexpr int kConcatenation = 10;
constexpr int kAdd = 11;
constexpr int kResizeBilinear = 15;
constexpr int kReshape = 17;
constexpr int kMul = 21;
constexpr int kReducer = 27;
constexpr int kSub = 28;
}  // namespace options_type

// TFLite metadata (tensorflow_lite_support/metadata/metadata_schema.fbs), identifier "M001".
constexpr const char* kMetadataName = "TFLITE_METADATA";
constexpr const char* kMetadataIdentifier = "M001";
constexpr FbField kModelMetaSubgraphs{3, "subgraph_metadata"};
constexpr FbField kModelMetaFiles{6, "associated_files"};
constexpr FbField kSubgraphMetaOutputs{3, "output_tensor_metadata"};
constexpr FbField kSubgraphMetaFiles{4, "associated_files"};
constexpr FbField kTensorMetaFiles{6, "associated_files"};
constexpr FbField kFileName{0, "name"};
constexpr FbField kFileType{2, "type"};
constexpr int8_t kTensorAxisLabels = 2;  // AssociatedFileType

inline constexpr const char* kTypeNames[] = {
    "FLOAT32", "FLOAT16", "INT32",   "UINT8",      "INT64",  "STRING",
    "BOOL",    "INT16",   "COMPLEX64", "INT8",     "FLOAT64", "COMPLEX128",
    "UINT64",  "RESOURCE", "VARIANT", "UINT32",    "UINT16", "INT4"};
constexpr int kTypeCount = int(sizeof(kTypeNames) / sizeof(kTypeNames[0]));
static_assert(kTypeCount == tflite_type::kInt4 + 1);

// Bits per element; 0 for types without a fixed size (STRING, RESOURCE, VARIANT).
constexpr int type_bits(int type) {
  using namespace tflite_type;
  switch (type) {
    case kUint8: case kInt8: case kBool: return 8;
    case kFloat16: case kInt16: case kUint16: return 16;
    case kFloat32: case kInt32: case kUint32: return 32;
    case kInt64: case kFloat64: case kUint64: case kComplex64: return 64;
    case kComplex128: return 128;
    case kInt4: return 4;
    default: return 0;
  }
}

inline constexpr const char* kOpNames[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
    "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC",
    "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE",
    "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS",
    "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND",
    "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX",
    "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM",
    "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN",
    "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG",
    "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD",
    "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK",
    "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD",
    "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
    "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK",
    "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND",
    "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D",
    "CONV_3D"};
constexpr int kOpNameCount = int(sizeof(kOpNames) / sizeof(kOpNames[0]));
static_assert(kOpNameCount == 133);  // ADD = 0 ... CONV_3D = 132

}  // namespace tflite_schema

// "UINT8", "FLOAT32", ...; "TYPE_<n>" for values this reader does not know.
inline std::string tflite_type_name(int type) {
  using namespace tflite_schema;
  if (type >= 0 && type < kTypeCount) return kTypeNames[type];
  return "TYPE_" + std::to_string(type);
}

// "CONV_2D", ...; "BUILTIN_<n>" for values this reader does not know.
inline std::string tflite_op_name(int opcode) {
  using namespace tflite_schema;
  if (opcode >= 0 && opcode < kOpNameCount) return kOpNames[opcode];
  return "BUILTIN_" + std::to_string(opcode);
}

inline const char* tflite_activation_name(TfliteActivation a) {
  switch (a) {
    case TfliteActivation::kNone: return "NONE";
    case TfliteActivation::kRelu: return "RELU";
    case TfliteActivation::kReluN1To1: return "RELU_N1_TO_1";
    case TfliteActivation::kRelu6: return "RELU6";
    case TfliteActivation::kTanh: return "TANH";
    case TfliteActivation::kSignBit: return "SIGN_BIT";
  }
  return "?";
}

}  // namespace mnet
