// The temporary files and folders mnet writes beside its outputs before renaming them into place.
// Their names say whose they are, `DIR/.NAME.mnet-tmp-PID-RANDOM`, so that
//  - a signal handler can remove the live ones of this process (a registry of fixed slots: the
//    handler may neither allocate nor lock), and
//  - a later run writing the same output removes those left by a process that no longer runs
//    (SIGKILL, a power cut).
#pragma once
#include <cstddef>
#include <string>

namespace mnet {

// How many temporaries may be live at once (an import's staging folder and the file being written
// into it need two).
constexpr size_t kMaxLiveTemps = 64;
// The longest temp path the registry can hold, with its NUL; the kernel refuses longer paths too.
constexpr size_t kMaxTempPathBytes = 4096;
// The output's name is cut to this many bytes inside the temp name, which must stay within
// NAME_MAX (255) with the ".mnet-tmp-PID-RANDOM" suffix.
constexpr size_t kMaxTempStemBytes = 200;

// A fresh temp path in the folder of `path`: DIR/.NAME.mnet-tmp-PID-RANDOM (not created).
std::string temp_path_beside(const std::string& path);

// Removes the temporaries beside `path` (files, or folders with what they hold) whose PID names a
// process that no longer exists. Best effort: what cannot be removed is left alone.
void remove_stale_temps(const std::string& path);

// While alive, `path` is in the registry the signal handler cleans: a file is unlinked, a folder
// emptied (one level deep) and removed. The owner still removes it on the ordinary error paths;
// the destructor only drops the registration. Register before creating, so that no moment exists
// where the temporary is on disk but unknown to the handler. Throws RunError naming `path` when
// the registry is full or the path too long.
class LiveTemp {
 public:
  LiveTemp(const std::string& path, bool is_folder);
  ~LiveTemp();
  LiveTemp(const LiveTemp&) = delete;
  LiveTemp& operator=(const LiveTemp&) = delete;

 private:
  size_t slot_;
};

// Removes every registered temporary. Async-signal-safe (system calls only).
void remove_live_temps();

// SIGINT, SIGTERM and SIGHUP remove the live temporaries and then end the process by the same
// signal, so the exit status still says what killed it. Signals the process was started with
// ignored (e.g. SIGINT of a background job) stay ignored.
void install_temp_cleanup_on_signals();

}  // namespace mnet
