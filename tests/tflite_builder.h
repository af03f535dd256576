// Builds small .tflite files for tests: a minimal flatbuffer writer (written from the format
// description, independent of the reader under test) and a model made of tensors and operators,
// optionally with TFLite metadata naming a labels file in an appended stored zip. Field ids follow
// tensorflow/lite/schema/schema.fbs (version 3) and tflite_support's metadata_schema.fbs, as
// tests/fuzz/make_tflite_seeds.py does.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mnet::testing::tfl {

// A flatbuffer object: a table (inline scalars and child objects by field id), a string, a
// vector of scalars (raw little-endian bytes) or a vector of tables.
struct Fb;
using FbPtr = std::shared_ptr<Fb>;
struct Fb {
  enum Kind { kTable, kString, kScalars, kTables } kind = kTable;
  std::map<int, std::string> scalars;  // table: field id → little-endian bytes (1, 2, 4 or 8)
  std::map<int, FbPtr> children;       // table: field id → object
  std::string bytes;                   // string / scalars: the contents
  uint32_t count = 0;                  // scalars: elements
  size_t align = 4;                    // scalars: alignment of the first element
  std::vector<FbPtr> items;            // tables

  template <typename T>
  Fb& scalar(int id, T v) {
    std::string b(sizeof(T), '\0');
    std::memcpy(&b[0], &v, sizeof(T));
    scalars[id] = b;
    return *this;
  }
  Fb& child(int id, FbPtr c) {
    children[id] = std::move(c);
    return *this;
  }
};

inline FbPtr table() { return std::make_shared<Fb>(); }
inline FbPtr string(const std::string& s) {
  auto f = std::make_shared<Fb>();
  f->kind = Fb::kString;
  f->bytes = s;
  return f;
}
template <typename T>
FbPtr scalars(const std::vector<T>& v, size_t align = 4) {
  auto f = std::make_shared<Fb>();
  f->kind = Fb::kScalars;
  f->bytes.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(&f->bytes[0], v.data(), f->bytes.size());
  f->count = uint32_t(v.size());
  f->align = std::max(align, sizeof(T));
  return f;
}
inline FbPtr raw_bytes(const std::string& b) {
  auto f = std::make_shared<Fb>();
  f->kind = Fb::kScalars;
  f->bytes = b;
  f->count = uint32_t(b.size());
  f->align = 16;
  return f;
}
inline FbPtr tables(std::vector<FbPtr> items) {
  auto f = std::make_shared<Fb>();
  f->kind = Fb::kTables;
  f->items = std::move(items);
  return f;
}

// Writes front to back: each object before the children it points to (uoffsets go forward).
class FbWriter {
 public:
  std::string finish(const FbPtr& root, const std::string& identifier) {
    b_ = std::string(4, '\0') + identifier;
    patch(0, write(*root));
    return b_;
  }

 private:
  std::string b_;
  void pad(size_t n, size_t extra = 0) {
    while ((b_.size() + extra) % n) b_.push_back('\0');
  }
  void put32(size_t at, uint32_t v) { std::memcpy(&b_[at], &v, 4); }
  void append32(uint32_t v) {
    b_.append(4, '\0');
    put32(b_.size() - 4, v);
  }
  void patch(size_t at, size_t target) { put32(at, uint32_t(target - at)); }

  size_t write(const Fb& o) {
    switch (o.kind) {
      case Fb::kString: {
        pad(4);
        size_t pos = b_.size();
        append32(uint32_t(o.bytes.size()));
        b_ += o.bytes;
        b_.push_back('\0');
        return pos;
      }
      case Fb::kScalars: {
        pad(std::max<size_t>(o.align, 4), 4);
        size_t pos = b_.size();
        append32(o.count);
        b_ += o.bytes;
        return pos;
      }
      case Fb::kTables: {
        pad(4);
        size_t pos = b_.size();
        append32(uint32_t(o.items.size()));
        b_.append(4 * o.items.size(), '\0');
        for (size_t i = 0; i < o.items.size(); ++i) patch(pos + 4 + 4 * i, write(*o.items[i]));
        return pos;
      }
      case Fb::kTable: break;
    }
    // Fields by size, largest first, after the 4-byte offset to the vtable.
    std::vector<std::pair<size_t, int>> by_size;
    int max_id = -1;
    for (const auto& [id, bytes] : o.scalars) by_size.push_back({bytes.size(), id}), max_id = std::max(max_id, id);
    for (const auto& [id, child] : o.children) by_size.push_back({4, id}), max_id = std::max(max_id, id);
    std::sort(by_size.begin(), by_size.end(),
              [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    std::map<int, uint16_t> at;
    size_t off = 4;
    for (const auto& [size, id] : by_size) {
      while (off % size) ++off;
      at[id] = uint16_t(off);
      off += size;
    }
    pad(2);
    const size_t vtable = b_.size();
    auto put16 = [&](uint16_t v) { b_.append(reinterpret_cast<const char*>(&v), 2); };
    put16(uint16_t(4 + 2 * (max_id + 1)));
    put16(uint16_t(off));
    for (int id = 0; id <= max_id; ++id) put16(at.count(id) ? at[id] : 0);
    pad(8);
    const size_t pos = b_.size();
    b_.append(off, '\0');
    put32(pos, uint32_t(int32_t(pos - vtable)));
    for (const auto& [id, bytes] : o.scalars) std::memcpy(&b_[pos + at[id]], bytes.data(), bytes.size());
    for (const auto& [id, child] : o.children) patch(pos + at[id], write(*child));
    return pos;
  }
};

// TensorType, BuiltinOperator and BuiltinOptions values used below.
constexpr int8_t kFloat32 = 0, kInt32 = 2, kUint8 = 3;
constexpr int kAdd = 0, kAveragePool = 1, kConv = 3, kMul = 18, kRelu = 19, kReshape = 22, kSoftmax = 25;
constexpr uint8_t kConvOptions = 1, kPoolOptions = 5, kSoftmaxOptions = 9, kAddOptions = 11, kMulOptions = 21;
constexpr int8_t kNone = 0, kActRelu = 1, kActRelu6 = 3;

struct Tensor {
  Tensor(std::string name_, std::vector<int32_t> shape_, int8_t type_ = kFloat32, std::string data_ = "",
         std::vector<float> scale_ = {}, std::vector<int64_t> zero_point_ = {})
      : name(std::move(name_)), shape(std::move(shape_)), type(type_), data(std::move(data_)),
        scale(std::move(scale_)), zero_point(std::move(zero_point_)) {}
  std::string name;
  std::vector<int32_t> shape;
  int8_t type = kFloat32;
  std::string data;  // constant bytes; empty: computed at run time
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
};

struct Operator {
  int opcode;
  std::vector<int32_t> inputs, outputs;
  uint8_t options_type = 0;
  FbPtr options;
};

inline std::string f32(const std::vector<float>& v) {
  std::string b(v.size() * 4, '\0');
  if (!v.empty()) std::memcpy(&b[0], v.data(), b.size());
  return b;
}

inline uint32_t zip_crc32(const std::string& bytes) {
  uint32_t c = 0xffffffff;
  for (unsigned char x : bytes) {
    c ^= x;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320 & (0u - (c & 1)));
  }
  return ~c;
}

struct Model {
  std::vector<Tensor> tensors;
  std::vector<Operator> ops;
  std::vector<int32_t> inputs, outputs;
  std::string labels;  // non-empty: metadata names "labels.txt", appended as a stored zip entry

  int tensor(Tensor t) {
    tensors.push_back(std::move(t));
    return int(tensors.size()) - 1;
  }
  int constant(const std::string& name, std::vector<int32_t> shape, const std::vector<float>& values) {
    return tensor({name, std::move(shape), kFloat32, f32(values)});
  }
  void op(int opcode, std::vector<int32_t> in, std::vector<int32_t> out, uint8_t options_type = 0,
          FbPtr options = nullptr) {
    ops.push_back({opcode, std::move(in), std::move(out), options_type, std::move(options)});
  }
  // CONV_2D with SAME padding, stride 1 and a fused activation.
  void conv(int in, int weight, int bias, int out, int8_t act = kNone) {
    auto o = table();
    o->scalar<int8_t>(0, 0).scalar<int32_t>(1, 1).scalar<int32_t>(2, 1).scalar<int8_t>(3, act);
    op(kConv, {in, weight, bias}, {out}, kConvOptions, o);
  }
  void binary(int opcode, int a, int b, int out, int8_t act = kNone) {
    auto o = table();
    o->scalar<int8_t>(0, act);
    op(opcode, {a, b}, {out}, opcode == kAdd ? kAddOptions : kMulOptions, o);
  }
  void global_pool(int in, int size, int out) {
    auto o = table();
    o->scalar<int8_t>(0, 1).scalar<int32_t>(1, size).scalar<int32_t>(2, size).scalar<int32_t>(3, size);
    o->scalar<int32_t>(4, size).scalar<int8_t>(5, 0);
    op(kAveragePool, {in}, {out}, kPoolOptions, o);
  }
  void softmax(int in, int out) {
    auto o = table();
    o->scalar<float>(0, 1.0f);
    op(kSoftmax, {in}, {out}, kSoftmaxOptions, o);
  }

  std::string bytes() const {
    std::vector<int> codes;  // distinct opcodes, in order of first use
    for (const Operator& o : ops)
      if (std::find(codes.begin(), codes.end(), o.opcode) == codes.end()) codes.push_back(o.opcode);
    std::vector<FbPtr> buffers{table()}, fb_tensors, fb_ops, fb_codes;
    for (const Tensor& t : tensors) {
      auto ft = table();
      ft->child(0, scalars(t.shape)).scalar<int8_t>(1, t.type).child(3, string(t.name));
      if (!t.data.empty()) {
        auto b = table();
        b->child(0, raw_bytes(t.data));
        buffers.push_back(b);
        ft->scalar<uint32_t>(2, uint32_t(buffers.size() - 1));
      }
      if (!t.scale.empty()) {
        auto q = table();
        q->child(2, scalars(t.scale)).child(3, scalars(t.zero_point));
        ft->child(4, q);
      }
      fb_tensors.push_back(ft);
    }
    for (const Operator& o : ops) {
      auto fo = table();
      const auto index = std::find(codes.begin(), codes.end(), o.opcode) - codes.begin();
      fo->scalar<uint32_t>(0, uint32_t(index)).child(1, scalars(o.inputs)).child(2, scalars(o.outputs));
      if (o.options) fo->scalar<uint8_t>(3, o.options_type).child(4, o.options);
      fb_ops.push_back(fo);
    }
    for (int c : codes) {
      auto fc = table();
      fc->scalar<int8_t>(0, int8_t(std::min(c, 127))).scalar<int32_t>(2, 1).scalar<int32_t>(3, c);
      fb_codes.push_back(fc);
    }
    auto sg = table();
    sg->child(0, tables(fb_tensors)).child(1, scalars(inputs)).child(2, scalars(outputs)).child(3, tables(fb_ops));
    sg->child(4, string("main"));
    auto root = table();
    root->scalar<uint32_t>(0, 3).child(1, tables(fb_codes)).child(2, tables({sg})).child(3, string("mnet test"));
    if (!labels.empty()) {
      // TFLITE_METADATA: subgraph 0's output 0 names labels.txt as TENSOR_AXIS_LABELS.
      auto file = table();
      file->child(0, string("labels.txt")).scalar<int8_t>(2, 2);
      auto out_meta = table();
      out_meta->child(0, string("prob")).child(6, tables({file}));
      auto sg_meta = table();
      sg_meta->child(3, tables({out_meta}));
      auto meta = table();
      meta->child(0, string("test")).child(3, tables({sg_meta}));
      auto b = table();
      b->child(0, raw_bytes(FbWriter().finish(meta, "M001")));
      buffers.push_back(b);
      auto entry = table();
      entry->child(0, string("TFLITE_METADATA")).scalar<uint32_t>(1, uint32_t(buffers.size() - 1));
      root->child(6, tables({entry}));
    }
    root->child(4, tables(buffers));
    std::string flat = FbWriter().finish(root, "TFL3");
    return labels.empty() ? flat : flat + stored_zip(flat.size());
  }

 private:
  // One stored entry "labels.txt" holding `labels`, offsets relative to the whole file.
  std::string stored_zip(size_t base) const {
    auto le = [](uint64_t v, int n) {
      std::string s;
      for (int i = 0; i < n; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
      return s;
    };
    const std::string name = "labels.txt";
    const uint32_t crc = zip_crc32(labels), size = uint32_t(labels.size());
    std::string local = le(0x04034b50, 4) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(crc, 4) + le(size, 4) +
                        le(size, 4) + le(name.size(), 2) + le(0, 2) + name + labels;
    std::string central = le(0x02014b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(crc, 4) +
                          le(size, 4) + le(size, 4) + le(name.size(), 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2) +
                          le(0, 4) + le(base, 4) + name;
    std::string eocd = le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(1, 2) + le(1, 2) + le(central.size(), 4) +
                       le(base + local.size(), 4) + le(0, 2);
    return local + central + eocd;
  }
};

// V3's squeeze-excite on a [1, 4, 4, 3] float input, then a 1x1 CONV_2D, with the gate's steps
// and the output names chosen by the test.
struct SqueezeExciteSpec {
  std::vector<float> add_constant{3.0f};     // empty: the ADD's second operand is a computed tensor
  std::vector<float> mul_constant{1.0f / 6};
  int8_t add_activation = kActRelu6;
  bool constant_first = false;               // ADD(3, y) instead of ADD(y, 3)
  std::string se_name = "block/se";          // the squeeze-excite's output tensor
  std::string conv_name = "block/se.fc1";    // the conv's: its weights collide with SE's fc1
};

inline const std::vector<float> kW1 = {0.5f, -0.25f, 1.0f, -1.0f, 0.75f, 0.125f}, kB1 = {0.1f, -0.2f};
inline const std::vector<float> kW2 = {1.5f, -0.5f, -2.0f, 0.25f, 0.5f, 1.0f}, kB2 = {0.3f, -0.6f, 1.2f};
inline const std::vector<float> kW3 = {1.0f, 2.0f, -1.0f, -0.5f, 0.25f, 3.0f}, kB3 = {-0.4f, 0.9f};

inline Model squeeze_excite_model(const SqueezeExciteSpec& spec) {
  Model m;
  const int x = m.tensor({"input", {1, 4, 4, 3}});
  const int pool = m.tensor({"pool", {1, 1, 1, 3}});
  m.global_pool(x, 4, pool);
  const int fc1 = m.tensor({"fc1", {1, 1, 1, 2}});
  m.conv(pool, m.constant("w1", {2, 1, 1, 3}, kW1), m.constant("b1", {2}, kB1), fc1, kActRelu);
  const int fc2 = m.tensor({"fc2", {1, 1, 1, 3}});
  m.conv(fc1, m.constant("w2", {3, 1, 1, 2}, kW2), m.constant("b2", {3}, kB2), fc2);
  const int three = spec.add_constant.empty() ? pool : m.constant("three", {}, spec.add_constant);
  const int added = m.tensor({"added", {1, 1, 1, 3}});
  if (spec.constant_first) m.binary(kAdd, three, fc2, added, spec.add_activation);
  else m.binary(kAdd, fc2, three, added, spec.add_activation);
  const int sixth = m.constant("sixth", spec.mul_constant.size() == 1 ? std::vector<int32_t>{}
                                                                       : std::vector<int32_t>{int32_t(spec.mul_constant.size())},
                               spec.mul_constant);
  const int gate = m.tensor({"gate", {1, 1, 1, 3}});
  m.binary(kMul, added, sixth, gate);
  const int scaled = m.tensor({spec.se_name, {1, 4, 4, 3}});
  m.binary(kMul, x, gate, scaled);
  const int out = m.tensor({spec.conv_name, {1, 4, 4, 2}});
  m.conv(scaled, m.constant("w3", {2, 1, 1, 3}, kW3), m.constant("b3", {2}, kB3), out);
  m.inputs = {x};
  m.outputs = {out};
  return m;
}

// A 3-class classifier: [1, 4, 4, 3] float → AVERAGE_POOL_2D → RESHAPE [1, 3] → SOFTMAX "prob",
// with `labels` (one per line) in its metadata when not empty.
inline Model classifier(const std::string& labels) {
  Model m;
  const int x = m.tensor({"input", {1, 4, 4, 3}});
  const int pool = m.tensor({"pool", {1, 1, 1, 3}});
  m.global_pool(x, 4, pool);
  const int flat = m.tensor({"flat", {1, 3}});
  m.op(kReshape, {pool}, {flat});
  const int prob = m.tensor({"prob", {1, 3}});
  m.softmax(flat, prob);
  m.inputs = {x};
  m.outputs = {prob};
  m.labels = labels;
  return m;
}

}  // namespace mnet::testing::tfl
