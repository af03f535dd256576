// The values of one layer description, free of any file format, and the rules for reading them.
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
  // Every value by key, for writing a description back out; marks nothing as read.
  const std::map<std::string, AttrValue>& values() const { return values_; }
  bool is_string(const std::string& key) const;

  int64_t require_int(const std::string& key);
  int64_t get_int(const std::string& key, int64_t fallback);
  // An integer within [lo, hi], checked in 64 bits before it is narrowed, so that 4294967304
  // never becomes 8: "stride must be between 1 and 8, got 4294967304".
  int require_int_in(const std::string& key, int64_t lo, int64_t hi);
  int get_int_in(const std::string& key, int fallback, int64_t lo, int64_t hi);
  int64_t require_int64_in(const std::string& key, int64_t lo, int64_t hi);
  double require_number(const std::string& key);
  double get_number(const std::string& key, double fallback);
  // A finite number within [lo, hi]: "eps must be between 1e-12 and 1, got 1e+300".
  double require_number_in(const std::string& key, double lo, double hi);
  double get_number_in(const std::string& key, double fallback, double lo, double hi);
  std::string require_string(const std::string& key);
  std::string get_string(const std::string& key, const std::string& fallback);
  bool get_bool(const std::string& key, bool fallback);
  // Lists, as the head rows take them ("features": ["a", "b"], "rates": [6, 12, 18]); an empty
  // JSON list reads as an empty list of either kind.
  std::vector<double> require_numbers(const std::string& key);
  std::vector<std::string> require_strings(const std::string& key);

  // Throws LayerError naming the first key nobody read.
  void check_all_read() const;

 private:
  const AttrValue& need(const std::string& key, AttrValue::Kind kind, const char* what);
  std::map<std::string, AttrValue> values_;
  std::set<std::string> read_;
};

// A number as error messages show it: 1e+300, 0.001, 4294967304.
std::string format_number(double v);

// The most characters of a value, key or name that an error quotes: a 5000-digit number or a
// megabyte-long key must still give one readable line.
constexpr size_t kMaxQuotedChars = 40;
// `s` cut to kMaxQuotedChars (at a UTF-8 character boundary), "..." marking the cut.
std::string cut_for_message(const std::string& s);

}  // namespace mnet
