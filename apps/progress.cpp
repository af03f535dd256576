#include "progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mnet::app {

bool progress_wanted(bool quiet) {
  if (quiet || !isatty(STDERR_FILENO)) return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

ProgressLine::ProgressLine(std::string what, int64_t total, std::string unit, bool enabled)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total), enabled_(enabled),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressLine::~ProgressLine() { finish(); }

namespace {

std::string seconds_text(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0f s", std::ceil(s));
  else std::snprintf(buf, sizeof buf, "%d min %02d s", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  return buf;
}

}  // namespace

void ProgressLine::update(int64_t done, const std::string& extra) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = total_ > 0 && done >= total_;
  if (drawn_ && !last && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  std::string line = what_ + " " + std::to_string(done);
  if (total_ > 0) line += "/" + std::to_string(total_);
  line += " " + unit_;
  if (elapsed > 0 && done > 0) {
    char rate[48];
    std::snprintf(rate, sizeof rate, ", %.3g %s/s", done / elapsed, unit_.c_str());
    line += rate;
    if (total_ > 0 && !last) line += ", " + seconds_text(elapsed / done * (total_ - done)) + " left";
  }
  if (!extra.empty()) line += ", " + extra;
  // \r and erase-to-end-of-line: a shorter line leaves nothing of the longer one before it.
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace mnet::app
