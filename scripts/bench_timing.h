// Timing shared by the kernel benchmarks in scripts/ (not part of the build).
#pragma once
#include <algorithm>
#include <ctime>
#include <functional>

inline double bench_now_seconds(bool thread_cpu_time) {
  timespec t{};
  clock_gettime(thread_cpu_time ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// Best time of several batches, each repeated until it lasts at least 10 ms. With one thread the
// clock is the thread's CPU time, so other processes on the machine do not inflate the figures.
inline double best_seconds(const std::function<void()>& run, bool thread_cpu_time) {
  run();
  int reps = 1;
  double best = 1e30;
  for (int batch = 0; batch < 10; ++batch) {
    for (;;) {
      const double start = bench_now_seconds(thread_cpu_time);
      for (int r = 0; r < reps; ++r) run();
      const double seconds = bench_now_seconds(thread_cpu_time) - start;
      if (seconds >= 0.01) {
        best = std::min(best, seconds / reps);
        break;
      }
      reps *= 2;
    }
  }
  return best;
}
