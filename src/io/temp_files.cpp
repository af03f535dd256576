// The temporary-file registry and its signal handlers.
#include "io/temp_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "core/error.h"

namespace mnet {
namespace {

constexpr const char* kTempMarker = ".mnet-tmp-";
constexpr size_t kRandomChars = 8;
// Removing entries while reading a folder may make getdents skip some; rereading a few times
// from the start catches them.
constexpr int kMaxFolderPasses = 8;

enum SlotState : int { kFree = 0, kClaimed = 1, kLiveFile = 2, kLiveFolder = 3 };

struct Slot {
  std::atomic<int> state{kFree};
  char path[kMaxTempPathBytes];
};
Slot g_slots[kMaxLiveTemps];
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler reads the slot states");

std::string folder_of(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash + 1);
}

// ".NAME.mnet-tmp-": what every temporary of `path` starts with, NAME cut to kMaxTempStemBytes.
std::string temp_prefix(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return "." + name.substr(0, kMaxTempStemBytes) + kTempMarker;
}

std::string random_chars() {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string s(kRandomChars, 'x');
  for (char& c : s) c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
  return s;
}

// The PID in "PID-RANDOM", or 0 when the text is not of that form.
pid_t pid_of(const char* rest) {
  long long pid = 0;
  const char* p = rest;
  for (; *p >= '0' && *p <= '9'; ++p) {
    pid = pid * 10 + (*p - '0');
    if (pid > 0x7fffffff) return 0;
  }
  if (p == rest || *p != '-') return 0;
  return pid_t(pid);
}

// Empties a folder one level deep (files and empty subfolders). Async-signal-safe.
void empty_folder(const char* path) {
  int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  alignas(8) char buf[4096];
  for (int pass = 0; pass < kMaxFolderPasses; ++pass) {
    if (::lseek(fd, 0, SEEK_SET) != 0) break;
    int removed = 0;
    ssize_t n;
    while ((n = ::getdents64(fd, buf, sizeof buf)) > 0) {
      for (ssize_t off = 0; off < n;) {
        const auto* d = reinterpret_cast<const struct dirent64*>(buf + off);
        off += d->d_reclen;
        const char* name = d->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
        if (::unlinkat(fd, name, 0) == 0 || ::unlinkat(fd, name, AT_REMOVEDIR) == 0) ++removed;
      }
    }
    if (removed == 0) break;
  }
  ::close(fd);
}

void on_fatal_signal(int sig) {
  remove_live_temps();
  // End by the same signal: the default action, once the handler returns and unblocks it.
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

std::string temp_path_beside(const std::string& path) {
  std::string folder = folder_of(path);
  if (folder == ".") folder.clear();
  return folder + temp_prefix(path) + std::to_string(::getpid()) + "-" + random_chars();
}

void remove_stale_temps(const std::string& path) {
  namespace fs = std::filesystem;
  const std::string prefix = temp_prefix(path);
  const pid_t self = ::getpid();
  std::error_code ec;
  fs::directory_iterator it(folder_of(path), ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    pid_t pid = pid_of(name.c_str() + prefix.size());
    // Only a PID that names no process at all: a live one may be another mnet writing right now.
    if (pid <= 0 || pid == self || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

LiveTemp::LiveTemp(const std::string& path, bool is_folder) {
  if (path.size() >= kMaxTempPathBytes)
    throw RunError(path + ": cannot write: the temporary path is longer than " +
                   std::to_string(kMaxTempPathBytes - 1) + " bytes (kMaxTempPathBytes)");
  for (size_t i = 0; i < kMaxLiveTemps; ++i) {
    int expected = kFree;
    if (!g_slots[i].state.compare_exchange_strong(expected, kClaimed)) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].state.store(is_folder ? kLiveFolder : kLiveFile, std::memory_order_release);
    slot_ = i;
    return;
  }
  throw RunError(path + ": cannot write: more than " + std::to_string(kMaxLiveTemps) +
                 " temporary files at once (kMaxLiveTemps)");
}

LiveTemp::~LiveTemp() { g_slots[slot_].state.store(kFree, std::memory_order_release); }

void remove_live_temps() {
  // Files first: those inside a staging folder go before the folder.
  for (Slot& s : g_slots)
    if (s.state.load(std::memory_order_acquire) == kLiveFile) ::unlink(s.path);
  for (Slot& s : g_slots) {
    if (s.state.load(std::memory_order_acquire) != kLiveFolder) continue;
    empty_folder(s.path);
    ::rmdir(s.path);
  }
}

void install_temp_cleanup_on_signals() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_IGN) continue;
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigfillset(&sa.sa_mask);  // one cleanup at a time, however many signals arrive
    ::sigaction(sig, &sa, nullptr);
  }
}

}  // namespace mnet
