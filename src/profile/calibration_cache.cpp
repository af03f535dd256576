// The calibration cache file as JSON: its path from the environment, reading with every field
// checked, writing atomically.
#include "profile/calibration_cache.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "graph/attrs.h"  // format_number
#include "io/atomic_file.h"

namespace mnet {

namespace {

using nlohmann::json;

constexpr const char* kCacheFormatKey = "mnet_calibration_cache";
constexpr int kCacheFormat = 1;


json rate_json(const ShapeRate& r) {
  return {{"shape", r.shape}, {"madds", r.madds}, {"median_ms", r.median_ms}, {"runs", r.runs}, {"gflops", r.gflops}};
}

// What is wrong with a cache file's content, at which JSON location.
struct BadCache {
  std::string what;
};

const json& field(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) throw BadCache{where + ": missing '" + key + "'"};
  return *it;
}

std::string string_field(const json& object, const char* key, const std::string& where) {
  const json& v = field(object, key, where);
  if (!v.is_string()) throw BadCache{where + "/" + key + ": must be a string"};
  return v.get<std::string>();
}

int64_t int_field(const json& object, const char* key, const std::string& where, int64_t min) {
  const json& v = field(object, key, where);
  if (!v.is_number_integer() || v.get<int64_t>() < min)
    throw BadCache{where + "/" + key + ": must be an integer of at least " + std::to_string(min)};
  return v.get<int64_t>();
}

// A measured rate or time: finite and within [lo, hi], never a default.
double measured_field(const json& object, const char* key, const std::string& where, double lo, double hi) {
  const json& v = field(object, key, where);
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < lo || v.get<double>() > hi)
    throw BadCache{where + "/" + key + ": must be a number between " + format_number(lo) + " and " + format_number(hi)};
  return v.get<double>();
}

const json& object_field(const json& object, const char* key, const std::string& where) {
  const json& v = field(object, key, where);
  if (!v.is_object()) throw BadCache{where + "/" + key + ": must be an object"};
  return v;
}

ShapeRate parse_rate(const json& j, const std::string& where) {
  return ShapeRate{string_field(j, "shape", where), int_field(j, "madds", where, 1), measured_field(j, "median_ms", where, kMinCachedMs, kMaxCachedMs),
                   int(int_field(j, "runs", where, 1)), measured_field(j, "gflops", where, kMinCachedGflops, kMaxCachedGflops)};
}

Calibration parse_calibration(const json& j, const std::string& where) {
  if (!j.is_object()) throw BadCache{where + ": must be an object"};
  Calibration c;
  c.key.cpu = string_field(j, "cpu", where);
  int64_t threads = int_field(j, "threads", where, 1);
  if (threads > 1024) throw BadCache{where + "/threads: must be at most 1024"};
  c.key.threads = int(threads);
  c.key.blas = string_field(j, "openblas", where);
  c.key.blas_core = string_field(j, "openblas_core", where);
  c.key.mnet_version = string_field(j, "mnet_version", where);
  c.ceiling_gflops = measured_field(j, "ceiling_gflops", where, kMinCachedGflops, kMaxCachedGflops);
  c.ceiling_shape = string_field(j, "ceiling_shape", where);
  c.measured_at = string_field(j, "measured_at", where);
  const json& shapes = field(j, "shapes", where);
  if (!shapes.is_array()) throw BadCache{where + "/shapes: must be an array"};
  for (size_t i = 0; i < shapes.size(); ++i) {
    std::string at = where + "/shapes/" + std::to_string(i);
    if (!shapes[i].is_object()) throw BadCache{at + ": must be an object"};
    c.shapes.push_back(parse_rate(shapes[i], at));
  }
  c.sgemm = parse_rate(object_field(j, "sgemm", where), where + "/sgemm");
  // Optional: an entry written before mnet calibrate measured it has none (no roofline memory line).
  if (j.contains("stream_triad_gbs")) c.bandwidth_gbs = measured_field(j, "stream_triad_gbs", where, kMinCachedGbs, kMaxCachedGbs);
  return c;
}

std::vector<Calibration> parse_cache(const std::string& text) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) throw BadCache{"not valid JSON"};
  if (!root.is_object()) throw BadCache{"/: must be an object"};
  auto format = root.find(kCacheFormatKey);
  if (format == root.end() || *format != kCacheFormat)
    throw BadCache{std::string("/") + kCacheFormatKey + ": must be " + std::to_string(kCacheFormat)};
  const json& entries = field(root, "entries", "");
  if (!entries.is_array()) throw BadCache{"/entries: must be an array"};
  std::vector<Calibration> out;
  for (size_t i = 0; i < entries.size(); ++i) out.push_back(parse_calibration(entries[i], "/entries/" + std::to_string(i)));
  return out;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

std::string calibration_cache_path(const std::string& mnet_cache_dir, const std::string& xdg_cache_home,
                                   const std::string& home) {
  namespace fs = std::filesystem;
  if (!mnet_cache_dir.empty()) return (fs::path(mnet_cache_dir) / "calibration.json").string();
  if (!xdg_cache_home.empty() && xdg_cache_home[0] == '/')
    return (fs::path(xdg_cache_home) / "mnet" / "calibration.json").string();
  if (!home.empty()) return (fs::path(home) / ".cache" / "mnet" / "calibration.json").string();
  return "";
}

std::string calibration_cache_path() {
  return calibration_cache_path(env("MNET_CACHE_DIR"), env("XDG_CACHE_HOME"), env("HOME"));
}

CalibrationCache read_calibration_cache(const std::string& path) {
  CalibrationCache cache;
  std::error_code ec;
  if (std::filesystem::symlink_status(path, ec).type() == std::filesystem::file_type::not_found) return cache;
  try {
    cache.entries = parse_cache(read_file_bytes(path, kMaxCalibrationCacheBytes));
  } catch (const InputError& e) {
    cache.problem = e.what();
  } catch (const BadCache& e) {
    cache.problem = path + ": not a calibration cache: " + e.what;
  }
  return cache;
}

std::optional<Calibration> find_calibration(const CalibrationCache& cache, const CalibrationKey& key) {
  for (const auto& c : cache.entries)
    if (c.key == key) return c;
  return std::nullopt;
}

void put_calibration(CalibrationCache& cache, const Calibration& c) {
  auto& e = cache.entries;
  e.erase(std::remove_if(e.begin(), e.end(), [&](const Calibration& old) { return old.key == c.key; }), e.end());
  e.push_back(c);
}

void create_cache_folder(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(path).parent_path();
  std::error_code ec;
  if (dir.empty() || fs::is_directory(dir, ec)) return;
  fs::create_directories(dir, ec);
  if (ec) throw RunError(dir.string() + ": cannot create the calibration cache folder: " + ec.message());
}

void write_calibration_cache(const std::string& path, const CalibrationCache& cache) {
  create_cache_folder(path);
  json entries = json::array();
  for (const auto& c : cache.entries) entries.push_back(calibration_json(c));
  json root = {{kCacheFormatKey, kCacheFormat}, {"entries", entries}};
  // Indented as reports write JSON; bytes that are not UTF-8 become U+FFFD rather than an exception.
  write_file_atomic(path, root.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

nlohmann::json calibration_json(const Calibration& c) {
  json shapes = json::array();
  for (const auto& s : c.shapes) shapes.push_back(rate_json(s));
  json j = {{"cpu", c.key.cpu},
            {"threads", c.key.threads},
            {"openblas", c.key.blas},
            {"openblas_core", c.key.blas_core},
            {"mnet_version", c.key.mnet_version},
            {"ceiling_gflops", c.ceiling_gflops},
            {"ceiling_shape", c.ceiling_shape},
            {"measured_at", c.measured_at},
            {"shapes", shapes},
            {"sgemm", rate_json(c.sgemm)}};
  if (c.bandwidth_gbs > 0) j["stream_triad_gbs"] = c.bandwidth_gbs;
  return j;
}

}  // namespace mnet
