// What `mnet calibrate` prints: the measured ceilings per thread count and where they were cached.
#pragma once
#include <string>
#include <vector>

#include "profile/calibrate.h"
#include "report/envelope.h"
#include "report/table.h"

namespace mnet {

// Table (the machine, what the ceiling is, one row per thread count) or JSON
// ({"cache_file", "results": [entries as the cache holds them]}).
// JSON in the report envelope (kind "calibrate"); CSV one row per thread count.
std::string format_calibration(const std::vector<Calibration>& results, const std::string& cache_file, Format format,
                               const ReportContext& context);

}  // namespace mnet
