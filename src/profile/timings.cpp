// Statistics and rates computed from measured times.
#include "profile/timings.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mnet {

LatencyStats latency_stats(std::vector<double> samples) {
  LatencyStats s;
  s.runs = int(samples.size());
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / double(samples.size());
  if (samples.size() > 1) {
    double squares = 0;
    for (double x : samples) squares += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(squares / double(samples.size() - 1));
  }
  auto at = [&](double q) {
    double pos = q * double(samples.size() - 1);
    size_t lo = size_t(pos);
    size_t hi = std::min(lo + 1, samples.size() - 1);
    return samples[lo] + (samples[hi] - samples[lo]) * (pos - double(lo));
  };
  s.median = at(0.5);
  s.p10 = at(0.1);
  s.p90 = at(0.9);
  s.min = samples.front();
  s.max = samples.back();
  return s;
}

double gflops(int64_t madds, double ms) { return ms > 0 ? 2.0 * double(madds) / (ms * 1e6) : 0.0; }

double ceiling_fraction(double achieved_gflops, const GemmCeiling& ceiling) {
  return ceiling.gflops > 0 ? achieved_gflops / ceiling.gflops : 0.0;
}

}  // namespace mnet
