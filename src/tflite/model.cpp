// The TFLite model reader: the flatbuffer tables of a .tflite file (schema ids in schema.h)
// into a checked TfliteModel, labels from the zip archive appended to it (zip.h).
#include "tflite/model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/bytes.h"
#include "tflite/flatbuffer.h"
#include "tflite/zip.h"

namespace mnet {

namespace {

using namespace tflite_schema;

constexpr uint32_t kMaxMetadataEntries = 1 << 10;
constexpr uint32_t kMaxQuantChannels = 1 << 20;
// Decode budget: real files decode each vector once, so a few times the file size is ample.
constexpr uint64_t kDecodeBudgetPerByte = 4;
constexpr uint64_t kDecodeBudgetSlack = uint64_t(64) << 20;

std::string num(int64_t v) { return std::to_string(v); }

// A float as "%g" writes it: 3e+38, 1e-30, nan (std::to_string writes 1e-30 as 0.000000).
std::string real(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string shape_string(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(char(c));
    } else {
      out += '?';
    }
  }
  return out + "'";
}

uint32_t read_le32(std::string_view b, uint64_t pos) { return uint32_t(load_le(b.data() + pos, 4)); }

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)), prefix_(path_ + ": tflite: ") {}

  TfliteModel read() {
    TfliteModel m;
    m.path = path_;
    m.file_bytes = read_file_bytes(path_, kMaxTfliteBytes);
    const std::string_view file = m.file_bytes;
    Flatbuffer fb(file, prefix_, file.size() * kDecodeBudgetPerByte + kDecodeBudgetSlack);
    const FbTable root = fb.root(kFileIdentifier, "TensorFlow Lite model", "model");

    m.version = root.scalar<uint32_t>(model_f::kVersion, 0);
    if (m.version != kSchemaVersion) {
      fail("schema version " + num(m.version) + " is not supported (only " +
           num(kSchemaVersion) + ")");
    }
    m.description = root.string(model_f::kDescription, kMaxTfliteStringBytes).value_or("");
    read_buffers(root, &m);
    const std::vector<OpCode> opcodes = read_opcodes(root);

    const std::vector<FbTable> subgraphs =
        root.tables(model_f::kSubgraphs, kMaxTfliteSubgraphs, "subgraph");
    if (subgraphs.empty()) fail("the model has no subgraphs");
    if (subgraphs.size() > 1) {
      m.notes.push_back("the model has " + num(int64_t(subgraphs.size())) +
                        " subgraphs; only subgraph 0 (the main graph) is read");
    }
    const FbTable& sg = subgraphs[0];
    m.subgraph_name = sg.string(subgraph_f::kName, kMaxTfliteStringBytes).value_or("");
    for (const FbTable& t : sg.tables(subgraph_f::kTensors, kMaxTfliteTensors, "tensor")) {
      m.tensors.push_back(read_tensor(t, int(m.tensors.size()), m));
    }
    m.inputs = tensor_refs(sg, subgraph_f::kInputs, m, false);
    m.outputs = tensor_refs(sg, subgraph_f::kOutputs, m, false);
    for (const FbTable& t : sg.tables(subgraph_f::kOperators, kMaxTfliteOperators, "operator")) {
      m.ops.push_back(read_operator(t, int(m.ops.size()), opcodes, m));
    }
    read_metadata(root, &m);
    // Unused fields are still bounds-checked, so damage there is reported too.
    root.check_vector(model_f::kMetadataBuffer, sizeof(int32_t));
    root.check_vector(model_f::kSignatureDefs, sizeof(uint32_t));
    read_labels(&m);
    return m;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw InputError(prefix_ + what); }

  void read_buffers(const FbTable& root, TfliteModel* m) {
    const std::string_view file = m->file_bytes;
    for (const FbTable& b : root.tables(model_f::kBuffers, kMaxTfliteBuffers, "buffer")) {
      TfliteModel::Span span;
      const std::optional<std::string_view> data = b.bytes(buffer_f::kData, kMaxTfliteBytes);
      const uint64_t offset = b.scalar<uint64_t>(buffer_f::kOffset, 0);
      const uint64_t size = b.scalar<uint64_t>(buffer_f::kSize, 0);
      if (offset >= kMinExternalBufferOffset) {
        if (data && !data->empty()) b.fail("has both inline data and an external offset");
        if (offset > file.size() || size > file.size() - offset) {
          b.fail("external data of " + std::to_string(size) + " bytes at offset " +
                 std::to_string(offset) + " lies outside the " + std::to_string(file.size()) +
                 "-byte file");
        }
        span.offset = offset;
        span.size = size;
      } else if (data) {
        span.offset = uint64_t(data->data() - file.data());
        span.size = data->size();
      }
      m->buffer_spans.push_back(span);
    }
  }

  struct OpCode {
    int code = 0;
    int version = 1;
    std::string custom_code;
  };

  std::vector<OpCode> read_opcodes(const FbTable& root) const {
    std::vector<OpCode> codes;
    for (const FbTable& c :
         root.tables(model_f::kOperatorCodes, kMaxTfliteOperatorCodes, "operator code")) {
      const int deprecated = c.scalar<int8_t>(opcode_f::kDeprecatedBuiltinCode, 0);
      const int builtin = c.scalar<int32_t>(opcode_f::kBuiltinCode, 0);
      if (deprecated < 0 || builtin < 0) {
        c.fail("negative builtin code (deprecated_builtin_code " + num(deprecated) +
               ", builtin_code " + num(builtin) + ")");
      }
      // Files before schema 3a only have the int8 field (builtin_code reads as 0); newer ones
      // set both, the int8 one capped at PLACEHOLDER_FOR_GREATER_OP_CODES. The larger of the
      // two is the operator either way, as in the TFLite runtime.
      if (builtin != 0 && builtin < kPlaceholderForGreaterOpCodes && deprecated != builtin) {
        c.fail("deprecated_builtin_code " + num(deprecated) + " contradicts builtin_code " +
               num(builtin));
      }
      OpCode oc;
      oc.code = std::max(deprecated, builtin);
      oc.version = c.scalar<int32_t>(opcode_f::kVersion, 1);
      if (oc.code == tflite_op::kCustom) {
        oc.custom_code = c.string(opcode_f::kCustomCode, kMaxTfliteStringBytes).value_or("");
      }
      codes.push_back(std::move(oc));
    }
    return codes;
  }

  TfliteTensor read_tensor(const FbTable& table, int index, const TfliteModel& m) {
    TfliteTensor t;
    t.name = table.string(tensor_f::kName, kMaxTfliteStringBytes).value_or("");
    const FbTable tt = table.renamed("tensor " + num(index) + " " + quoted(t.name));
    t.shape = tt.scalars<int32_t>(tensor_f::kShape, kMaxTfliteTensorRank);
    std::vector<int64_t> dims(t.shape.begin(), t.shape.end());
    for (int32_t d : t.shape) {
      if (d < 0) {
        tt.fail("shape " + shape_string(t.shape) +
                " has a negative (dynamic) dimension, which is not supported");
      }
    }
    const int64_t elements = checked_element_count(dims, kMaxTensorElements);
    if (elements < 0) {
      tt.fail("shape " + shape_string(t.shape) + " has more than " + num(kMaxTensorElements) +
              " elements");
    }
    t.type = tt.scalar<int8_t>(tensor_f::kType, int8_t(tflite_type::kFloat32));
    if (t.type < 0 || t.type >= kTypeCount) tt.fail("unknown tensor type " + num(t.type));
    const uint32_t buffer = tt.scalar<uint32_t>(tensor_f::kBuffer, 0);
    if (buffer >= m.buffer_spans.size()) {
      tt.fail("buffer " + num(buffer) + " does not exist (the model has " +
              num(int64_t(m.buffer_spans.size())) + " buffers)");
    }
    t.buffer = int(buffer);
    t.is_variable = tt.scalar<bool>(tensor_f::kIsVariable, false);
    if (tt.has(tensor_f::kSparsity)) tt.fail("sparse tensors are not supported");
    tt.check_vector(tensor_f::kShapeSignature, sizeof(int32_t));
    tt.scalar<bool>(tensor_f::kHasRank, false);

    const uint64_t held = m.buffer_spans[buffer].size;
    const int bits = type_bits(t.type);
    if (held != 0 && bits != 0) {
      const uint64_t needed = (uint64_t(elements) * uint64_t(bits) + 7) / 8;
      if (held != needed) {
        tt.fail("buffer " + num(buffer) + " holds " + num(int64_t(held)) + " bytes, shape " +
                shape_string(t.shape) + " of " + tflite_type_name(t.type) + " needs " +
                num(int64_t(needed)));
      }
    }
    if (auto q = tt.table(tensor_f::kQuantization, tt.where() + " quantization")) {
      read_quantization(*q, &t);
    }
    return t;
  }

  void read_quantization(const FbTable& q, TfliteTensor* t) {
    if (const int details = q.scalar<uint8_t>(quant_f::kDetailsType, 0); details != 0) {
      q.fail("custom quantization details (union type " + num(details) + ") are not supported");
    }
    q.check_vector(quant_f::kMin, sizeof(float));
    q.check_vector(quant_f::kMax, sizeof(float));
    std::vector<float> scale = q.scalars<float>(quant_f::kScale, kMaxQuantChannels);
    bool has_zero_point = false;
    std::vector<int64_t> zero_point =
        q.scalars<int64_t>(quant_f::kZeroPoint, kMaxQuantChannels, &has_zero_point);
    // As the TFLite interpreter: no scales means not quantized (min/max alone are only hints).
    if (scale.empty()) return;
    if (!has_zero_point) q.fail("has " + num(int64_t(scale.size())) + " scales but no zero points");
    if (zero_point.size() != scale.size()) {
      q.fail("has " + num(int64_t(scale.size())) + " scales but " +
             num(int64_t(zero_point.size())) + " zero points");
    }
    const int qdim = q.scalar<int32_t>(quant_f::kQuantizedDimension, 0);
    const int rank = int(t->shape.size());
    if (scale.size() > 1) {
      if (qdim < 0 || qdim >= rank) {
        q.fail("quantized_dimension " + num(qdim) + " is outside the shape " +
               shape_string(t->shape));
      }
      if (int64_t(scale.size()) != t->shape[size_t(qdim)]) {
        q.fail(num(int64_t(scale.size())) + " per-channel scales, but dimension " + num(qdim) +
               " of shape " + shape_string(t->shape) + " has " + num(t->shape[size_t(qdim)]) +
               " channels");
      }
    } else if (qdim < 0 || (rank > 0 && qdim >= rank)) {
      q.fail("quantized_dimension " + num(qdim) + " is outside the shape " +
             shape_string(t->shape));
    }
    for (size_t i = 0; i < scale.size(); ++i) {
      if (!std::isfinite(scale[i]) || scale[i] < 0) {
        q.fail("scale " + num(int64_t(i)) + " is " + std::to_string(scale[i]) +
               ", not a finite non-negative number");
      }
    }
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    if (t->type == tflite_type::kUint8) lo = 0, hi = 255;
    if (t->type == tflite_type::kInt8) lo = -128, hi = 127;
    if (t->type == tflite_type::kInt16) lo = -32768, hi = 32767;
    // dequantize computes q - zero_point in int64 (found by tests/fuzz/fuzz_tflite: INT64_MIN).
    if (t->type == tflite_type::kInt32) lo = INT32_MIN, hi = INT32_MAX;
    for (size_t i = 0; i < zero_point.size(); ++i) {
      if (zero_point[i] < lo || zero_point[i] > hi) {
        q.fail("zero point " + num(zero_point[i]) + " is outside the range of " +
               tflite_type_name(t->type));
      }
    }
    t->scale = std::move(scale);
    t->zero_point = std::move(zero_point);
    t->quantized_dimension = qdim;
  }

  std::vector<int> tensor_refs(const FbTable& table, FbField f, const TfliteModel& m,
                               bool optional_allowed) const {
    std::vector<int> refs;
    for (int32_t r : table.scalars<int32_t>(f, kMaxTfliteTensorRefs)) {
      if ((r < 0 && !(optional_allowed && r == -1)) || r >= int64_t(m.tensors.size())) {
        table.fail(f, "refers to tensor " + num(r) + ", but the subgraph has " +
                          num(int64_t(m.tensors.size())) + " tensors");
      }
      refs.push_back(r);
    }
    return refs;
  }

  TfliteOperator read_operator(const FbTable& table, int index, const std::vector<OpCode>& opcodes,
                               const TfliteModel& m) const {
    TfliteOperator op;
    const uint32_t code_index = table.scalar<uint32_t>(op_f::kOpcodeIndex, 0);
    if (code_index >= opcodes.size()) {
      table.fail("opcode_index " + num(code_index) + " does not exist (the model has " +
                 num(int64_t(opcodes.size())) + " operator codes)");
    }
    op.opcode = opcodes[code_index].code;
    op.custom_code = opcodes[code_index].custom_code;
    op.opcode_version = opcodes[code_index].version;
    const FbTable t = table.renamed("operator " + num(index) + " (" + tflite_op_name(op.opcode) +
                                    (op.custom_code.empty() ? "" : " " + quoted(op.custom_code)) +
                                    ")");
    op.inputs = tensor_refs(t, op_f::kInputs, m, true);
    op.outputs = tensor_refs(t, op_f::kOutputs, m, false);
    op.options_type = t.scalar<uint8_t>(op_f::kBuiltinOptionsType, 0);
    t.check_vector(op_f::kCustomOptions, 1);
    if (op.opcode == tflite_op::kCustom)
      op.custom_options = std::string(t.bytes(op_f::kCustomOptions, kMaxTfliteCustomOptionsBytes).value_or(""));
    t.scalar<int8_t>(op_f::kCustomOptionsFormat, 0);
    t.check_vector(op_f::kMutatingVariableInputs, 1);
    t.check_vector(op_f::kIntermediates, sizeof(int32_t));
    read_options(t, &op);
    return op;
  }

  // Expected BuiltinOptions type of the operators whose options are decoded; -1 for others.
  static int expected_options(int opcode) {
    using namespace tflite_op;
    switch (opcode) {
      case kConv2d: return options_type::kConv2d;
      case kDepthwiseConv2d: return options_type::kDepthwiseConv2d;
      case kAveragePool2d: case kMaxPool2d: return options_type::kPool2d;
      case kFullyConnected: return options_type::kFullyConnected;
      case kSoftmax: return options_type::kSoftmax;
      case kConcatenation: return options_type::kConcatenation;
      case kAdd: return options_type::kAdd;
      case kReshape: return options_type::kReshape;
      case kMul: return options_type::kMul;
      case kMean: return options_type::kReducer;
      case kSub: return options_type::kSub;
      case kResizeBilinear: return options_type::kResizeBilinear;
      default: return -1;
    }
  }

  static TflitePadding padding(const FbTable& o, FbField f) {
    const int p = o.scalar<int8_t>(f, 0);
    if (p != int(TflitePadding::kSame) && p != int(TflitePadding::kValid)) {
      o.fail(f, "unknown padding " + num(p));
    }
    return TflitePadding(p);
  }

  static TfliteActivation activation(const FbTable& o, FbField f) {
    const int a = o.scalar<int8_t>(f, 0);
    if (a < int(TfliteActivation::kNone) || a > int(TfliteActivation::kSignBit)) {
      o.fail(f, "unknown activation function " + num(a));
    }
    return TfliteActivation(a);
  }

  static int positive(const FbTable& o, FbField f, int32_t default_value) {
    const int32_t v = o.scalar<int32_t>(f, default_value);
    if (v < 1) o.fail(f, "is " + num(v) + ", must be at least 1");
    return v;
  }

  void read_options(const FbTable& t, TfliteOperator* op) const {
    const int expected = expected_options(op->opcode);
    if (expected < 0) return;
    const std::optional<FbTable> o = t.table(op_f::kBuiltinOptions, t.where() + " options");
    if (o && op->options_type != expected) {
      t.fail("builtin options have union type " + num(op->options_type) + ", expected " +
             num(expected));
    }
    using namespace tflite_op;
    const bool needs_options = op->opcode == kConv2d || op->opcode == kDepthwiseConv2d ||
                               op->opcode == kAveragePool2d || op->opcode == kMaxPool2d ||
                               op->opcode == kSoftmax;
    if (!o) {
      if (needs_options) t.fail("has no builtin options (strides, padding or beta unknown)");
      return;
    }
    switch (op->opcode) {
      case kConv2d:
        op->padding = padding(*o, conv_f::kPadding);
        op->stride_w = positive(*o, conv_f::kStrideW, 0);
        op->stride_h = positive(*o, conv_f::kStrideH, 0);
        op->activation = activation(*o, conv_f::kActivation);
        op->dilation_w = positive(*o, conv_f::kDilationW, 1);
        op->dilation_h = positive(*o, conv_f::kDilationH, 1);
        break;
      case kDepthwiseConv2d:
        op->padding = padding(*o, dwconv_f::kPadding);
        op->stride_w = positive(*o, dwconv_f::kStrideW, 0);
        op->stride_h = positive(*o, dwconv_f::kStrideH, 0);
        op->depth_multiplier = o->scalar<int32_t>(dwconv_f::kDepthMultiplier, 0);
        if (op->depth_multiplier < 0) {
          o->fail(dwconv_f::kDepthMultiplier, "is negative (" + num(op->depth_multiplier) + ")");
        }
        op->activation = activation(*o, dwconv_f::kActivation);
        op->dilation_w = positive(*o, dwconv_f::kDilationW, 1);
        op->dilation_h = positive(*o, dwconv_f::kDilationH, 1);
        break;
      case kAveragePool2d:
      case kMaxPool2d:
        op->padding = padding(*o, pool_f::kPadding);
        op->stride_w = positive(*o, pool_f::kStrideW, 0);
        op->stride_h = positive(*o, pool_f::kStrideH, 0);
        op->filter_width = positive(*o, pool_f::kFilterWidth, 0);
        op->filter_height = positive(*o, pool_f::kFilterHeight, 0);
        op->activation = activation(*o, pool_f::kActivation);
        break;
      case kFullyConnected:
      case kAdd:
      case kMul:
      case kSub:
        op->activation = activation(*o, kFirstActivation);
        break;
      case kConcatenation:
        op->axis = o->scalar<int32_t>(kConcatAxis, 0);
        op->activation = activation(*o, kConcatActivation);
        break;
      case kSoftmax:
        op->beta = o->scalar<float>(kSoftmaxBeta, 0.0f);
        if (!std::isfinite(op->beta)) o->fail(kSoftmaxBeta, "is not finite");
        break;
      case kReshape: {
        bool present = false;
        op->new_shape = o->scalars<int32_t>(kReshapeNewShape, kMaxTfliteTensorRank, &present);
        op->has_new_shape = present;
        for (int32_t d : op->new_shape) {
          if (d < -1) o->fail(kReshapeNewShape, "has dimension " + num(d));
        }
        break;
      }
      case kMean:
        op->keep_dims = o->scalar<bool>(kReducerKeepDims, false);
        break;
      case kResizeBilinear:
        op->align_corners = o->scalar<bool>(kResizeAlignCorners, false);
        op->half_pixel_centers = o->scalar<bool>(kResizeHalfPixelCenters, false);
        break;
      default:
        break;
    }
  }

  void read_metadata(const FbTable& root, TfliteModel* m) const {
    for (const FbTable& e : root.tables(model_f::kMetadata, kMaxTfliteMetadata, "metadata")) {
      const std::string name = e.string(metadata_f::kName, kMaxTfliteStringBytes).value_or("");
      const uint32_t buffer = e.scalar<uint32_t>(metadata_f::kBuffer, 0);
      if (buffer >= m->buffer_spans.size()) {
        e.fail(quoted(name) + " refers to buffer " + num(buffer) + ", but the model has " +
               num(int64_t(m->buffer_spans.size())) + " buffers");
      }
      m->metadata.emplace(name, int(buffer));
    }
  }

  // The first TENSOR_AXIS_LABELS file of the main subgraph's outputs (or of the model) named in
  // the TFLITE_METADATA flatbuffer, and the output it annotates (-1: the model).
  std::optional<std::pair<std::string, int>> labels_file_name(const TfliteModel& m) const {
    auto it = m.metadata.find(kMetadataName);
    if (it == m.metadata.end()) return std::nullopt;
    const std::string_view bytes = m.buffer(it->second);
    Flatbuffer fb(bytes, prefix_ + "metadata " + quoted(kMetadataName) + " (buffer " +
                             num(it->second) + "): ",
                  bytes.size() * kDecodeBudgetPerByte + kDecodeBudgetSlack);
    const FbTable root =
        fb.root(kMetadataIdentifier, "TFLite metadata flatbuffer", "model metadata");
    auto first_labels = [](const FbTable& t, FbField f) -> std::optional<std::string> {
      for (const FbTable& file : t.tables(f, kMaxMetadataEntries, t.where() + " associated file")) {
        if (file.scalar<int8_t>(kFileType, 0) == kTensorAxisLabels) {
          return file.string(kFileName, kMaxTfliteStringBytes).value_or("");
        }
      }
      return std::nullopt;
    };
    const std::vector<FbTable> subgraphs =
        root.tables(kModelMetaSubgraphs, kMaxMetadataEntries, "subgraph metadata");
    if (!subgraphs.empty()) {
      const std::vector<FbTable> outputs =
          subgraphs[0].tables(kSubgraphMetaOutputs, kMaxMetadataEntries, "output metadata");
      for (size_t i = 0; i < outputs.size(); ++i) {
        if (auto name = first_labels(outputs[i], kTensorMetaFiles)) {
          return std::make_pair(*name, int(i));
        }
      }
      if (auto name = first_labels(subgraphs[0], kSubgraphMetaFiles)) {
        return std::make_pair(*name, -1);
      }
    }
    if (auto name = first_labels(root, kModelMetaFiles)) return std::make_pair(*name, -1);
    return std::nullopt;
  }

  // The bytes of `name` in the zip archive appended to the model (TFLite metadata packs
  // associated files this way), or nullopt with a note if it is compressed.
  std::optional<std::string_view> zip_entry(std::string_view file, const std::string& name,
                                            TfliteModel* m) const {
    const std::string what = "labels file " + quoted(name) + " named in the metadata: ";
    const std::optional<ZipArchive> zip = ZipArchive::find(file, prefix_ + what);
    if (!zip) fail(what + "no zip archive is appended to the model");
    const std::optional<ZipEntry> entry = zip->entry(name);
    if (!entry) fail(what + "the appended zip archive has no such entry");
    if (entry->method != kZipMethodStored) {
      m->notes.push_back("labels file " + quoted(name) + " is compressed (zip method " +
                         num(entry->method) + "); only stored entries are read, labels skipped");
      return std::nullopt;
    }
    return zip->stored_data(*entry);
  }

  void read_labels(TfliteModel* m) const {
    const auto named = labels_file_name(*m);
    if (!named) return;
    const auto bytes = zip_entry(m->file_bytes, named->first, m);
    if (!bytes) return;
    std::vector<std::string> labels;
    size_t start = 0;
    while (start < bytes->size()) {
      size_t end = bytes->find('\n', start);
      if (end == std::string_view::npos) end = bytes->size();
      std::string_view line = bytes->substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (labels.size() >= kMaxTfliteLabels) {
        fail("labels file " + quoted(named->first) + " has more than " + num(kMaxTfliteLabels) +
             " lines");
      }
      labels.emplace_back(line);
      start = end + 1;
    }
    m->labels_file = named->first;
    m->labels = std::move(labels);
    const int output = named->second;
    if (output >= 0 && size_t(output) < m->outputs.size()) {
      const TfliteTensor& t = m->tensors[size_t(m->outputs[size_t(output)])];
      if (t.shape.empty() || int64_t(m->labels.size()) != t.shape.back()) {
        m->notes.push_back("labels file " + quoted(named->first) + " has " +
                           num(int64_t(m->labels.size())) + " labels, output " +
                           quoted(t.name) + " has shape " + shape_string(t.shape));
      }
    }
  }

  std::string path_;
  std::string prefix_;
};

}  // namespace

int64_t TfliteTensor::elements() const {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

std::string_view TfliteModel::buffer(int index) const {
  if (index < 0 || size_t(index) >= buffer_spans.size()) return {};
  const Span& s = buffer_spans[size_t(index)];
  return std::string_view(file_bytes).substr(size_t(s.offset), size_t(s.size));
}

std::string_view TfliteModel::tensor_data(int index) const {
  if (index < 0 || size_t(index) >= tensors.size()) return {};
  return buffer(tensors[size_t(index)].buffer);
}

TfliteModel read_tflite(const std::string& path) { return Reader(path).read(); }

TensorData dequantize(const TfliteModel& model, int tensor) {
  const std::string prefix = model.path + ": tflite: ";
  if (tensor < 0 || size_t(tensor) >= model.tensors.size()) {
    throw InputError(prefix + "tensor " + num(tensor) + " does not exist (the model has " +
                     num(int64_t(model.tensors.size())) + " tensors)");
  }
  const TfliteTensor& t = model.tensors[size_t(tensor)];
  auto fail = [&](const std::string& what) {
    throw InputError(prefix + "tensor " + num(tensor) + " " + quoted(t.name) + ": " + what);
  };
  const std::string_view data = model.tensor_data(tensor);
  if (data.empty()) fail("has no constant data to dequantize");

  TensorData out;
  out.shape.assign(t.shape.begin(), t.shape.end());
  const int64_t n = t.elements();
  out.data.resize(size_t(n));
  // read_tflite checked that the buffer holds exactly n elements of the tensor's type.
  // Weights and biases must be finite: one NaN or infinity turns every output into NaN.
  auto not_finite = [&](int64_t i, const std::string& how) {
    fail("element " + num(i) + " " + how + " is " + real(out.data[size_t(i)]) +
         ", weights and biases must be finite floats");
  };
  if (t.type == tflite_type::kFloat32) {
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t bits = read_le32(data, uint64_t(i) * 4);
      std::memcpy(&out.data[size_t(i)], &bits, sizeof(float));
      if (!std::isfinite(out.data[size_t(i)])) not_finite(i, "(FLOAT32)");
    }
    return out;
  }
  int bytes = 0;
  if (t.type == tflite_type::kUint8 || t.type == tflite_type::kInt8) bytes = 1;
  if (t.type == tflite_type::kInt32) bytes = 4;
  if (bytes == 0) fail("type " + tflite_type_name(t.type) + " cannot be dequantized");
  if (!t.quantized()) fail(tflite_type_name(t.type) + " tensor has no quantization parameters");
  for (size_t c = 0; c < t.scale.size(); ++c) {
    if (!(t.scale[c] > 0) || !std::isfinite(t.scale[c])) {
      fail("quantization scale " + num(int64_t(c)) + " is " + real(t.scale[c]) +
           ", dequantizing needs a finite positive scale");
    }
  }

  // Per-channel: channel of element i is (i / inner) % channels, inner = product of the
  // dimensions after the quantized one.
  const bool per_channel = t.scale.size() > 1;
  int64_t inner = 1, channels = 1;
  if (per_channel) {
    channels = t.shape[size_t(t.quantized_dimension)];
    for (size_t d = size_t(t.quantized_dimension) + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t q;
    if (t.type == tflite_type::kUint8) {
      q = uint8_t(data[size_t(i)]);
    } else if (t.type == tflite_type::kInt8) {
      q = int8_t(data[size_t(i)]);
    } else {
      q = int32_t(read_le32(data, uint64_t(i) * 4));
    }
    const size_t c = per_channel ? size_t((i / inner) % channels) : 0;
    out.data[size_t(i)] = float(double(t.scale[c]) * double(q - t.zero_point[c]));
    if (!std::isfinite(out.data[size_t(i)])) {
      not_finite(i, "(" + num(q) + " - zero point " + num(t.zero_point[c]) + ") * scale " +
                        real(t.scale[c]));
    }
  }
  return out;
}

}  // namespace mnet
