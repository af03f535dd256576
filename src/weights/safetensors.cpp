// The safetensors reader (its JSON header parsed strictly) and writer.
#include "weights/safetensors.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <tuple>

#include "core/error.h"
#include "core/work_count.h"
#include "io/atomic_file.h"
#include "io/bytes.h"

namespace mnet {
namespace {

using nlohmann::json;

constexpr size_t kLengthFieldBytes = 8;
// The reference writer pads the header with spaces so the data buffer starts 8-byte aligned.
constexpr size_t kHeaderAlignment = 8;
constexpr const char* kMetadataKey = "__metadata__";
constexpr const char* kSupportedDtypes = "F32, F16, BF16, F64";

enum class Dtype { F32, F16, BF16, F64 };

struct DtypeInfo {
  const char* name;
  Dtype dtype;
  uint64_t bytes;
};
constexpr DtypeInfo kDtypes[] = {{"F32", Dtype::F32, 4},
                                 {"F16", Dtype::F16, 2},
                                 {"BF16", Dtype::BF16, 2},
                                 {"F64", Dtype::F64, 8}};

const DtypeInfo* find_dtype(const std::string& name) {
  for (const DtypeInfo& d : kDtypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

struct Entry {
  std::string name;
  const DtypeInfo* dtype = nullptr;
  std::vector<int64_t> shape;
  int64_t elements = 0;
  uint64_t begin = 0;
  uint64_t end = 0;
};

uint16_t load_le_u16(const char* p) { return uint16_t(load_le(p, 2)); }
uint32_t load_le_u32(const char* p) { return uint32_t(load_le(p, 4)); }
uint64_t load_le_u64(const char* p) { return load_le(p, 8); }
double load_le_f64(const char* p) {
  const uint64_t bits = load_le_u64(p);
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

float half_to_float(uint16_t h) {
  const bool negative = (h & 0x8000) != 0;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  float v;
  if (exponent == 0)
    v = std::ldexp(float(mantissa), -24);  // zero and subnormals
  else if (exponent == 0x1f)
    v = mantissa ? std::numeric_limits<float>::quiet_NaN() : INFINITY;
  else
    v = std::ldexp(float(mantissa | 0x400), exponent - 25);
  return negative ? -v : v;
}

float bits_to_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Names come from the file; keep control characters out of messages. Names are UTF-8 (the header
// is JSON), so bytes 0x80 and up stay as they are.
std::string printable(const std::string& s) { return mnet::printable(s, HighBytes::keep); }

std::string offsets_to_string(uint64_t b, uint64_t e) {
  return "[" + std::to_string(b) + ", " + std::to_string(e) + "]";
}

// The first key repeated within one JSON object, found in one linear pass. (nlohmann's parse
// callback could notice duplicates too, but its parser then rescans the enclosing object at the
// end of every object: quadratic in the tensors, 37 s for 50k of them.)
struct DuplicateKeyFinder : nlohmann::json_sax<json> {
  std::vector<std::set<std::string>> open_objects;
  std::string top_key, dup_key, dup_owner;  // dup_owner: the top-level key the duplicate is under
  bool dup = false;
  size_t dup_depth = 0;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    open_objects.emplace_back();
    return true;
  }
  bool key(string_t& key) override {
    count_work();
    if (open_objects.size() == 1) top_key = key;
    if (!open_objects.back().insert(key).second && !dup) {
      dup = true;
      dup_key = key;
      dup_owner = top_key;
      dup_depth = open_objects.size();
    }
    return true;
  }
  bool end_object() override {
    open_objects.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;  // not reached: the DOM parse before it has accepted the same bytes
  }
};

class Reader {
 public:
  Reader(std::string path, const SafetensorsEntryCheck& check) : path_(std::move(path)), check_(check) {}

  SafetensorsFile read(const std::string& bytes) {
    if (bytes.size() < kLengthFieldBytes) {
      throw header_error("file is " + std::to_string(bytes.size()) +
                         " bytes, shorter than the 8-byte header length field");
    }
    const uint64_t header_len = load_le_u64(bytes.data());
    const uint64_t after_length = bytes.size() - kLengthFieldBytes;
    if (header_len > kMaxSafetensorsHeaderBytes) {
      throw header_error("length " + std::to_string(header_len) + " exceeds the limit of " +
                         std::to_string(kMaxSafetensorsHeaderBytes) + " bytes");
    }
    if (header_len > after_length) {
      throw header_error("length " + std::to_string(header_len) + " is larger than the " +
                         std::to_string(after_length) + " bytes after the length field");
    }
    const char* header_begin = bytes.data() + kLengthFieldBytes;
    const json header = parse_header(header_begin, header_begin + header_len);

    const char* buffer = header_begin + header_len;
    const uint64_t buffer_len = after_length - header_len;
    SafetensorsFile file;
    std::vector<Entry> entries = parse_entries(header, buffer_len, &file.metadata);
    check_layout(&entries, buffer_len);
    if (check_) {
      for (const Entry& e : entries) check_(e.name, e.shape);
    }

    // Sizes are only trusted (and allocated) once every entry and the layout have been checked.
    for (const Entry& e : entries) {
      count_work();
      file.index.emplace(e.name, file.tensors.size());
      TensorData t;
      t.shape = e.shape;
      t.data.resize(size_t(e.elements));
      convert(e, buffer + e.begin, &t.data);
      file.tensors.emplace_back(e.name, std::move(t));
    }
    return file;
  }

 private:
  InputError header_error(const std::string& what) const {
    return InputError(path_ + ": header: " + what);
  }
  InputError tensor_error(const std::string& name, const std::string& what) const {
    return InputError(path_ + ": tensor '" + printable(name) + "': " + what);
  }

  json parse_header(const char* begin, const char* end) const {
    json header;
    try {
      header = json::parse(begin, end);
    } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
      std::string what = e.what();
      const size_t bracket = what.find("] ");
      if (bracket != std::string::npos) what = what.substr(bracket + 2);
      throw header_error("not valid JSON (" + printable(what) + ")");
    }
    if (!header.is_object()) {
      throw header_error(std::string("not a JSON object (found ") + header.type_name() + ")");
    }
    // nlohmann keeps the last of duplicate keys silently; a second, SAX pass notices them.
    DuplicateKeyFinder dups;
    json::sax_parse(begin, end, &dups);
    if (dups.dup) {
      if (dups.dup_depth == 1 && dups.dup_key == kMetadataKey) {
        throw header_error("'__metadata__' appears more than once");
      }
      if (dups.dup_depth == 1) throw tensor_error(dups.dup_key, "appears more than once in the header");
      if (dups.dup_owner == kMetadataKey) {
        throw header_error("__metadata__: key '" + printable(dups.dup_key) + "' appears more than once");
      }
      throw tensor_error(dups.dup_owner, "key '" + printable(dups.dup_key) + "' appears more than once");
    }
    return header;
  }

  // Reads a JSON number that must be a non-negative integer.
  uint64_t get_u64(const std::string& name, const json& v, const std::string& what) const {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer()) {
      if (v.get<int64_t>() >= 0) return uint64_t(v.get<int64_t>());  // "-0"
      throw tensor_error(name, what + " is negative (" + std::to_string(v.get<int64_t>()) +
                                   "), must be a non-negative integer");
    }
    // Only numbers are echoed: dumping any other value could recurse as deep as the header nests.
    const std::string found = v.is_number() ? v.dump() : std::string("a JSON ") + v.type_name();
    throw tensor_error(name, what + " is " + found + ", must be a non-negative integer");
  }

  std::vector<Entry> parse_entries(const json& header, uint64_t buffer_len,
                                   std::map<std::string, std::string>* metadata) const {
    std::vector<Entry> entries;
    for (const auto& item : header.items()) {
      count_work();
      const std::string& name = item.key();
      const json& v = item.value();
      if (name == kMetadataKey) {
        if (!v.is_object()) throw header_error("__metadata__ is not a JSON object");
        for (const auto& m : v.items()) {
          if (!m.value().is_string()) {
            throw header_error("__metadata__: value of '" + printable(m.key()) +
                               "' is not a string");
          }
          (*metadata)[m.key()] = m.value().get<std::string>();
        }
        continue;
      }
      if (!v.is_object()) throw tensor_error(name, "entry is not a JSON object");
      for (const auto& field : v.items()) {
        count_work();
        const std::string& k = field.key();
        if (k != "dtype" && k != "shape" && k != "data_offsets") {
          throw tensor_error(
              name, "unexpected key '" + printable(k) + "' (allowed: dtype, shape, data_offsets)");
        }
      }
      for (const char* k : {"dtype", "shape", "data_offsets"}) {
        if (!v.contains(k)) throw tensor_error(name, std::string("missing '") + k + "'");
      }

      Entry e;
      e.name = name;
      const json& dtype = v.at("dtype");
      if (!dtype.is_string()) throw tensor_error(name, "dtype is not a string");
      e.dtype = find_dtype(dtype.get<std::string>());
      if (e.dtype == nullptr) {
        throw tensor_error(name, "unsupported dtype '" + printable(dtype.get<std::string>()) +
                                     "' (supported: " + kSupportedDtypes + ")");
      }

      const json& shape = v.at("shape");
      if (!shape.is_array()) throw tensor_error(name, "shape is not a JSON array");
      for (size_t i = 0; i < shape.size(); ++i) {
        count_work();
        const std::string what = "shape dimension " + std::to_string(i);
        const uint64_t d = get_u64(name, shape[i], what);
        if (d > uint64_t(kMaxTensorElements)) {
          throw tensor_error(name, what + " is " + std::to_string(d) + ", more than the limit of " +
                                       std::to_string(kMaxTensorElements) + " elements");
        }
        e.shape.push_back(int64_t(d));
      }
      e.elements = checked_element_count(e.shape, kMaxTensorElements);
      if (e.elements < 0) {
        throw tensor_error(name, "shape " + shape_to_string(e.shape) + " has more than " +
                                     std::to_string(kMaxTensorElements) + " elements");
      }

      const json& offsets = v.at("data_offsets");
      if (!offsets.is_array() || offsets.size() != 2) {
        throw tensor_error(name, "data_offsets is not an array [begin, end]");
      }
      e.begin = get_u64(name, offsets[0], "data_offsets begin");
      e.end = get_u64(name, offsets[1], "data_offsets end");
      const std::string range = offsets_to_string(e.begin, e.end);
      if (e.begin > e.end) {
        throw tensor_error(name, "data_offsets " + range + ": begin is after end");
      }
      if (e.end > buffer_len) {
        throw tensor_error(name, "data_offsets " + range + " reach past the end of the " +
                                     std::to_string(buffer_len) + "-byte data buffer");
      }
      const uint64_t need = uint64_t(e.elements) * e.dtype->bytes;
      if (e.end - e.begin != need) {
        throw tensor_error(name, "data_offsets " + range + " span " +
                                     std::to_string(e.end - e.begin) + " bytes, but shape " +
                                     shape_to_string(e.shape) + " of " + e.dtype->name + " needs " +
                                     std::to_string(need) + " bytes");
      }
      entries.push_back(std::move(e));
    }
    return entries;
  }

  // Tensors must tile the buffer exactly: no overlaps, no gaps, no trailing bytes.
  void check_layout(std::vector<Entry>* entries, uint64_t buffer_len) const {
    std::sort(entries->begin(), entries->end(), [](const Entry& a, const Entry& b) {
      count_work();
      return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
    });
    uint64_t covered = 0;
    const Entry* prev = nullptr;
    for (const Entry& e : *entries) {
      count_work();
      if (e.begin < covered) {
        throw tensor_error(e.name, "data_offsets " + offsets_to_string(e.begin, e.end) +
                                       " overlap tensor '" + printable(prev->name) + "' at " +
                                       offsets_to_string(prev->begin, prev->end));
      }
      if (e.begin > covered) {
        throw tensor_error(e.name, "data_offsets " + offsets_to_string(e.begin, e.end) +
                                       " leave bytes [" + std::to_string(covered) + ", " +
                                       std::to_string(e.begin) +
                                       ") of the data buffer not covered by any tensor");
      }
      covered = e.end;
      prev = &e;
    }
    if (covered != buffer_len) {
      throw header_error("the data buffer is " + std::to_string(buffer_len) +
                         " bytes but the tensors cover only " + std::to_string(covered) +
                         " (trailing bytes not covered by any tensor)");
    }
  }

  void convert(const Entry& e, const char* src, std::vector<float>* dst) const {
    float* out = dst->data();
    const size_t n = dst->size();
    switch (e.dtype->dtype) {
      case Dtype::F32:
        for (size_t i = 0; i < n; ++i) out[i] = bits_to_float(load_le_u32(src + 4 * i));
        break;
      case Dtype::F16:
        for (size_t i = 0; i < n; ++i) out[i] = half_to_float(load_le_u16(src + 2 * i));
        break;
      case Dtype::BF16:
        for (size_t i = 0; i < n; ++i)
          out[i] = bits_to_float(uint32_t(load_le_u16(src + 2 * i)) << 16);
        break;
      case Dtype::F64:
        for (size_t i = 0; i < n; ++i) {
          const double d = load_le_f64(src + 8 * i);
          // Converting an out-of-range double to float is undefined behaviour.
          if (std::isfinite(d) && std::fabs(d) > double(FLT_MAX)) {
            throw tensor_error(e.name, "F64 value " + double_to_string(d) + " at element " +
                                           std::to_string(i) + " is outside the float32 range");
          }
          out[i] = float(d);
        }
        break;
    }
  }

  std::string path_;
  const SafetensorsEntryCheck& check_;
};

}  // namespace

const TensorData* SafetensorsFile::find(const std::string& name) const {
  count_work();
  auto it = index.find(name);
  return it == index.end() ? nullptr : &tensors[it->second].second;
}

SafetensorsFile read_safetensors(const std::string& path, const SafetensorsEntryCheck& check) {
  return Reader(path, check).read(read_file_bytes(path, kMaxSafetensorsFileBytes));
}

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& source,
                                  const SafetensorsEntryCheck& check) {
  return Reader(source, check).read(bytes);
}

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, const TensorData*>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // Keep the caller's order in the header so files are byte-for-byte reproducible.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (t == nullptr) {
      throw std::invalid_argument("write_safetensors: tensor '" + name + "' is null");
    }
    if (name == kMetadataKey) {
      throw std::invalid_argument("write_safetensors: '__metadata__' is not a valid tensor name");
    }
    if (!names.insert(name).second) {
      throw std::invalid_argument("write_safetensors: duplicate tensor name '" + name + "'");
    }
    const int64_t n = checked_element_count(t->shape, kMaxTensorElements);
    if (n < 0 || uint64_t(n) != t->data.size()) {
      throw std::invalid_argument("write_safetensors: tensor '" + name + "' has " +
                                  std::to_string(t->data.size()) + " values for shape " +
                                  shape_to_string(t->shape));
    }
    const uint64_t end = offset + 4 * uint64_t(n);
    header[name] = {{"dtype", "F32"}, {"shape", t->shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }

  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const nlohmann::json::type_error& e) {
    throw std::invalid_argument(std::string("write_safetensors: ") + e.what());
  }
  header_text.append((kHeaderAlignment - header_text.size() % kHeaderAlignment) % kHeaderAlignment,
                     ' ');

  std::string out;
  out.reserve(kLengthFieldBytes + header_text.size() + offset);
  append_le(&out, header_text.size(), 8);
  out += header_text;
  for (const auto& entry : tensors) {
    for (float f : entry.second->data) {
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      append_le(&out, bits, 4);
    }
  }
  write_file_atomic(path, out);
}

}  // namespace mnet
