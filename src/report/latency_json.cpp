// Latency statistics as JSON.
#include "report/latency_json.h"

#include <nlohmann/json.hpp>

namespace mnet {

nlohmann::json latency_json(const LatencyStats& s) {
  return {{"runs", s.runs}, {"median_ms", s.median}, {"p10_ms", s.p10}, {"p90_ms", s.p90},
          {"min_ms", s.min},  {"max_ms", s.max}};
}

}  // namespace mnet
