// The calibration cache file: where it lives, reading it (a damaged one reads as empty, saying
// why) and writing it atomically.
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "profile/calibrate.h"

namespace mnet {

constexpr uint64_t kMaxCalibrationCacheBytes = 1 << 20;
// A cached rate or time outside these is not a measurement of this engine on a CPU: the entry is
// refused (GFLOP/s in [kMinCachedGflops, kMaxCachedGflops], times in [kMinCachedMs, kMaxCachedMs]).
constexpr double kMinCachedGflops = 1e-6;
constexpr double kMaxCachedGflops = 1e6;
constexpr double kMinCachedMs = 1e-6;
constexpr double kMaxCachedMs = 1e7;
// A cached memory bandwidth ("stream_triad_gbs", optional: caches before it lack it) in
// [kMinCachedGbs, kMaxCachedGbs] GB/s.
constexpr double kMinCachedGbs = 1e-3;
constexpr double kMaxCachedGbs = 1e5;

// The cache file: $MNET_CACHE_DIR/calibration.json, else $XDG_CACHE_HOME/mnet/calibration.json,
// else $HOME/.cache/mnet/calibration.json. Empty variables count as unset, a relative
// XDG_CACHE_HOME is ignored (as the XDG spec says); "" when none applies.
std::string calibration_cache_path(const std::string& mnet_cache_dir, const std::string& xdg_cache_home,
                                   const std::string& home);
std::string calibration_cache_path();  // from the environment

// The entries of a cache file. A missing file is an empty cache; an unreadable or malformed one
// is also read as empty, with `problem` saying what is wrong ("PATH: ...").
struct CalibrationCache {
  std::vector<Calibration> entries;
  std::string problem;
};
CalibrationCache read_calibration_cache(const std::string& path);

// The entry for `key`, if the cache has one.
std::optional<Calibration> find_calibration(const CalibrationCache& cache, const CalibrationKey& key);

// Adds `c` to the entries, replacing any with the same key.
void put_calibration(CalibrationCache& cache, const Calibration& c);

// Creates the folder of the cache file `path` if it does not exist. Throws RunError naming it.
void create_cache_folder(const std::string& path);
// Writes the entries atomically, creating the folder if needed. Throws RunError naming the path.
void write_calibration_cache(const std::string& path, const CalibrationCache& cache);

// One entry as the cache file and `mnet calibrate --format json` write it.
nlohmann::json calibration_json(const Calibration& c);

}  // namespace mnet
