// Measuring the GEMM ceiling, and the calibration cache file: where it lives, reading, writing.
#include "profile/calibrate.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "cost/cost.h"
#include "graph/registry.h"
#include "io/atomic_file.h"
#include "kernels/gemm.h"
#include "kernels/openblas.h"
#include "profile/profiler.h"
#include "run/executor.h"
#include "weights/weights.h"

namespace mnet {

namespace {

using nlohmann::json;

// A 1x1 convolution [in_c, hw, hw] -> [out_c, hw, hw]: a GEMM of M = out_c, N = hw², K = in_c.
struct ConvShape {
  int in_c, out_c, hw;
};
// Compute-bound: every GEMM dimension in the hundreds (K ≥ 256, N ≥ 196), 100-400 M multiply-adds,
// operands of 1-4 MB. V1's largest pointwise layers are 512->512 at 14x14 and 256->256 at 28x28.
constexpr ConvShape kConvShapes[] = {{512, 512, 28}, {512, 512, 14}, {256, 256, 56}, {1024, 1024, 14}};
constexpr int kSgemmSize = 1024;

// Each shape: kWarmup untimed runs, one probe, then enough timed runs to fill about kShapeBudgetMs
// (at least kMinRuns): ~1.5 s per thread count at 100 GFLOP/s, and still a few seconds at 10.
constexpr int kWarmup = 3;
constexpr double kShapeBudgetMs = 250;
constexpr int kMinRuns = 5;
constexpr int kMaxRuns = 200;

constexpr const char* kCacheFormatKey = "mnet_calibration_cache";
constexpr int kCacheFormat = 1;

std::string conv_shape_name(const ConvShape& s) {
  return "conv1x1 " + std::to_string(s.in_c) + "->" + std::to_string(s.out_c) + " at " + std::to_string(s.hw) +
         "x" + std::to_string(s.hw);
}

// One layer as a MobileNet's pointwise layer runs once BatchNorm is folded into it and ReLU6 fused:
// a 1x1 convolution with bias and activation.
Graph conv1x1_graph(const ConvShape& s) {
  Graph g;
  g.name = "calibration";
  g.source = "mnet calibrate";
  g.resolution = s.hw;
  g.set_input(Shape{s.in_c, s.hw, s.hw});
  Attrs a;
  a.set("out", AttrValue::of_int(s.out_c));
  a.set("kernel", AttrValue::of_int(1));
  a.set("bias", AttrValue::of_bool(true));
  a.set("act", AttrValue::of_string("relu6"));
  std::unique_ptr<Layer> layer = make_layer("conv", a);
  a.check_all_read();
  g.add("pointwise", std::move(layer), {0}, "calibration");
  return g;
}

ShapeRate time_shape(std::string shape, int64_t madds, const std::function<void()>& run) {
  LatencyStats probe = time_runs(run, TimingOptions{1, kWarmup});
  int runs = std::clamp(int(kShapeBudgetMs / std::max(probe.median, 1e-3)), kMinRuns, kMaxRuns);
  LatencyStats s = time_runs(run, TimingOptions{runs, 0});
  return ShapeRate{std::move(shape), madds, s.median, s.runs, gflops(madds, s.median)};
}

ShapeRate measure_conv1x1(const ConvShape& s, int threads) {
  Graph g = conv1x1_graph(s);
  WeightMap weights = random_weights(g, 1);
  Executor exec(g, weights, ExecOptions{threads});
  std::vector<float> input(size_t(g.input().out.elements()), 0.5f);  // [in_c, hw, hw]
  return time_shape(conv_shape_name(s), analyze_cost(g).madds, [&] { exec.run(input.data()); });
}

ShapeRate measure_sgemm(int threads) {
  const int n = kSgemmSize;
  std::vector<float> a(size_t(n) * n, 0.5f), b(size_t(n) * n, 0.25f), c(size_t(n) * n);  // [n, n] each
  set_blas_threads(threads);
  std::string shape = "sgemm " + std::to_string(n) + "x" + std::to_string(n) + "x" + std::to_string(n);
  return time_shape(shape, int64_t(n) * n * n, [&] {
    // OpenBLAS itself, whatever kernel the engine uses for its GEMMs.
    openblas::sgemm(n, n, n, a.data(), b.data(), c.data());
  });
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

// --- the cache file ---

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

// A measured rate or time: finite and above zero, never a default.
double positive_field(const json& object, const char* key, const std::string& where) {
  const json& v = field(object, key, where);
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() <= 0)
    throw BadCache{where + "/" + key + ": must be a positive number"};
  return v.get<double>();
}

const json& object_field(const json& object, const char* key, const std::string& where) {
  const json& v = field(object, key, where);
  if (!v.is_object()) throw BadCache{where + "/" + key + ": must be an object"};
  return v;
}

ShapeRate parse_rate(const json& j, const std::string& where) {
  return ShapeRate{string_field(j, "shape", where), int_field(j, "madds", where, 1), positive_field(j, "median_ms", where),
                   int(int_field(j, "runs", where, 1)), positive_field(j, "gflops", where)};
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
  c.ceiling_gflops = positive_field(j, "ceiling_gflops", where);
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

CalibrationKey current_calibration_key(int threads) {
  MachineInfo m = machine_info(threads, TimingOptions{});
  return CalibrationKey{m.cpu, threads, m.blas, m.blas_core, MNET_VERSION};
}

Calibration measure_calibration(int threads) {
  Calibration c;
  c.key = current_calibration_key(threads);
  c.measured_at = utc_now();
  for (const ConvShape& s : kConvShapes) {
    c.shapes.push_back(measure_conv1x1(s, threads));
    if (c.shapes.back().gflops > c.ceiling_gflops) {
      c.ceiling_gflops = c.shapes.back().gflops;
      c.ceiling_shape = c.shapes.back().shape;
    }
  }
  c.sgemm = measure_sgemm(threads);
  return c;
}

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
  return {{"cpu", c.key.cpu},
          {"threads", c.key.threads},
          {"openblas", c.key.blas},
          {"openblas_core", c.key.blas_core},
          {"mnet_version", c.key.mnet_version},
          {"ceiling_gflops", c.ceiling_gflops},
          {"ceiling_shape", c.ceiling_shape},
          {"measured_at", c.measured_at},
          {"shapes", shapes},
          {"sgemm", rate_json(c.sgemm)}};
}

GemmCeiling gemm_ceiling(const Calibration& c, const std::string& cache_file) {
  return GemmCeiling{c.ceiling_gflops, c.ceiling_shape, c.measured_at, cache_file};
}

}  // namespace mnet
