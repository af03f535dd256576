#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"

namespace mnet {

// A rule a layer's description breaks ("stride must be 1 or 2, got 0"). The config parser adds
// the file, the JSON location and the layer's name in front.
class LayerError : public std::runtime_error {
 public:
  explicit LayerError(const std::string& message) : std::runtime_error(one_line(message)) {}
};

// One config value, already free of JSON so that layers never see the JSON library.
struct AttrValue {
  enum class Kind { integer, number, string, boolean, numbers, strings };
  Kind kind = Kind::integer;
  int64_t i = 0;
  double f = 0;
  std::string s;
  bool b = false;
  std::vector<double> numbers;
  std::vector<std::string> strings;

  static AttrValue of_int(int64_t v);
  static AttrValue of_number(double v);
  static AttrValue of_string(std::string v);
  static AttrValue of_bool(bool v);
};

// The keys of one layer's description. Every getter marks its key as read; keys nobody read are
// reported as unknown, so a typo like "strides" never silently becomes the default.
class Attrs {
 public:
  void set(const std::string& key, AttrValue v) { values_[key] = std::move(v); }
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  bool is_string(const std::string& key) const;

  int64_t require_int(const std::string& key);
  int64_t get_int(const std::string& key, int64_t fallback);
  double require_number(const std::string& key);
  double get_number(const std::string& key, double fallback);
  std::string require_string(const std::string& key);
  std::string get_string(const std::string& key, const std::string& fallback);
  bool get_bool(const std::string& key, bool fallback);
  std::vector<double> get_numbers(const std::string& key);
  std::vector<std::string> get_strings(const std::string& key);

  // Throws LayerError naming the first key nobody read.
  void check_all_read() const;

 private:
  const AttrValue& need(const std::string& key, AttrValue::Kind kind, const char* what);
  std::map<std::string, AttrValue> values_;
  std::set<std::string> read_;
};

}  // namespace mnet
