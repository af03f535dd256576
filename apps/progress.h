// One updating status line on stderr while a long command works ("classify 37/200 images,
// 12.3 images/s, 13 s left"), like curl's or pv's. Only on a terminal: on a pipe or a file, and
// with --quiet, nothing is printed, so logs and scripts see exactly what they saw before.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace mnet::app {

// Whether a command should draw a progress line: stderr is a terminal, TERM is not "dumb", and the
// user did not ask for --quiet.
bool progress_wanted(bool quiet);

class ProgressLine {
 public:
  // `what`: the command ("classify"); `total`: how many `unit`s ("images", "runs") are to be done,
  // 0 when unknown (a --duration run: then no time left is shown); `enabled`: progress_wanted().
  ProgressLine(std::string what, int64_t total, std::string unit, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // `done` units finished; `extra` is appended ("top-1 71.2 %"). Redraws at most 10 times a second
  // (and always for the last unit), so calling it per unit costs nothing measurable.
  void update(int64_t done, const std::string& extra = "");
  // Erases the line, so what the command prints next starts on a clean line. Also done by the
  // destructor, and on an exception unwinding past it.
  void finish();

 private:
  std::string what_;
  std::string unit_;
  int64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace mnet::app
