// A layer description's values (Attrs) with the reading rules every layer type shares.
#include "graph/attrs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace mnet {

AttrValue AttrValue::of_int(int64_t v) {
  AttrValue a;
  a.kind = Kind::integer;
  a.i = v;
  a.f = double(v);
  return a;
}
AttrValue AttrValue::of_number(double v) {
  AttrValue a;
  a.kind = Kind::number;
  a.f = v;
  return a;
}
AttrValue AttrValue::of_string(std::string v) {
  AttrValue a;
  a.kind = Kind::string;
  a.s = std::move(v);
  return a;
}
AttrValue AttrValue::of_bool(bool v) {
  AttrValue a;
  a.kind = Kind::boolean;
  a.b = v;
  return a;
}

bool Attrs::is_string(const std::string& key) const {
  auto it = values_.find(key);
  return it != values_.end() && it->second.kind == AttrValue::Kind::string;
}

const AttrValue& Attrs::need(const std::string& key, AttrValue::Kind kind, const char* what) {
  auto it = values_.find(key);
  if (it == values_.end()) throw LayerError("missing field '" + key + "' (" + what + ")");
  read_.insert(key);
  const AttrValue& v = it->second;
  bool ok = v.kind == kind || (kind == AttrValue::Kind::number && v.kind == AttrValue::Kind::integer);
  if (!ok) throw LayerError("'" + key + "' must be " + what);
  return v;
}

int64_t Attrs::require_int(const std::string& key) {
  return need(key, AttrValue::Kind::integer, "an integer").i;
}
int64_t Attrs::get_int(const std::string& key, int64_t fallback) {
  return has(key) ? require_int(key) : fallback;
}
int64_t Attrs::require_int64_in(const std::string& key, int64_t lo, int64_t hi) {
  int64_t v = require_int(key);
  if (v < lo || v > hi)
    throw LayerError(key + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                     std::to_string(v));
  return v;
}
int Attrs::require_int_in(const std::string& key, int64_t lo, int64_t hi) {
  // The range itself must fit an int, or the narrowing below could still wrap.
  lo = std::max<int64_t>(lo, std::numeric_limits<int>::min());
  hi = std::min<int64_t>(hi, std::numeric_limits<int>::max());
  return int(require_int64_in(key, lo, hi));
}
int Attrs::get_int_in(const std::string& key, int fallback, int64_t lo, int64_t hi) {
  return has(key) ? require_int_in(key, lo, hi) : fallback;
}
double Attrs::require_number(const std::string& key) {
  const AttrValue& v = need(key, AttrValue::Kind::number, "a number");
  if (!std::isfinite(v.f)) throw LayerError("'" + key + "' must be a finite number");
  return v.f;
}
double Attrs::get_number(const std::string& key, double fallback) {
  return has(key) ? require_number(key) : fallback;
}
double Attrs::require_number_in(const std::string& key, double lo, double hi) {
  double v = require_number(key);
  if (!(v >= lo && v <= hi))
    throw LayerError(key + " must be between " + format_number(lo) + " and " + format_number(hi) + ", got " +
                     format_number(v));
  return v;
}
double Attrs::get_number_in(const std::string& key, double fallback, double lo, double hi) {
  return has(key) ? require_number_in(key, lo, hi) : fallback;
}
std::string Attrs::require_string(const std::string& key) {
  return need(key, AttrValue::Kind::string, "a string").s;
}
std::string Attrs::get_string(const std::string& key, const std::string& fallback) {
  return has(key) ? require_string(key) : fallback;
}
bool Attrs::get_bool(const std::string& key, bool fallback) {
  return has(key) ? need(key, AttrValue::Kind::boolean, "true or false").b : fallback;
}

std::vector<double> Attrs::require_numbers(const std::string& key) {
  return need(key, AttrValue::Kind::numbers, "a list of numbers").numbers;
}
std::vector<std::string> Attrs::require_strings(const std::string& key) {
  auto it = values_.find(key);
  if (it != values_.end() && it->second.kind == AttrValue::Kind::numbers && it->second.numbers.empty()) {
    read_.insert(key);
    return {};
  }
  return need(key, AttrValue::Kind::strings, "a list of strings").strings;
}

void Attrs::check_all_read() const {
  for (const auto& kv : values_)
    if (!read_.count(kv.first)) throw LayerError("unknown key '" + cut_for_message(kv.first) + "'");
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string cut_for_message(const std::string& s) {
  if (s.size() <= kMaxQuotedChars) return s;
  size_t n = kMaxQuotedChars;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

}  // namespace mnet
