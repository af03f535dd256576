// Latency statistics as every JSON report writes them (bench, compare, profile).
#pragma once
#include <nlohmann/json_fwd.hpp>

#include "profile/timings.h"

namespace mnet {

// {"runs", "median_ms", "p10_ms", "p90_ms", "min_ms", "max_ms"}
nlohmann::json latency_json(const LatencyStats& s);

}  // namespace mnet
