// Bytes → a relative path (up to the first NUL byte) and the bytes to write (the rest) →
// write_file_atomic, as `-o PATH` calls it, inside a private folder that holds a file, a folder,
// symlinks to each, a dangling link, a link loop, a link to /dev/null and a stale temp file. A
// RunError is the expected answer to a path that cannot be written; after every input no temp file
// of this process may be left, the links must still be links and /dev/null a device, and a
// written regular file must hold exactly the bytes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace {

// Paths longer than this only repeat what the kernel says about long names (ENAMETOOLONG).
constexpr size_t kMaxFuzzPathBytes = 1024;

fs::path g_root;

void remove_root() {
  std::error_code ec;
  fs::remove_all(g_root, ec);
}

// The private folder; on tmpfs where there is one, as fsync costs nothing there.
void make_root() {
  std::error_code ec;
  fs::path base = fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0 ? fs::path("/dev/shm")
                                                                                       : fs::temp_directory_path();
  g_root = base / ("mnet-fuzz-output-" + std::to_string(::getpid()));
  fs::remove_all(g_root, ec);
  fs::create_directories(g_root);
  std::atexit(remove_root);
}

// The working directory is the private folder while one input runs, so that the fuzzed paths
// are relative to it; libFuzzer reads its corpus by relative paths in between.
struct InRoot {
  int saved = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  InRoot() {
    if (saved < 0 || ::chdir(g_root.c_str()) != 0) __builtin_trap();
  }
  ~InRoot() {
    if (::fchdir(saved) != 0) __builtin_trap();
    ::close(saved);
  }
};

void write(const fs::path& p, const std::string& bytes) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, bytes.data(), bytes.size()) != ssize_t(bytes.size())) __builtin_trap();
  ::close(fd);
}

void reset_folder() {
  for (const auto& e : fs::directory_iterator(g_root)) fs::remove_all(e.path());
  fs::create_directory("dir");
  write("dir/file", "original");
  fs::create_symlink("dir/file", "link");
  fs::create_symlink("dir", "dirlink");
  fs::create_symlink("made_by_link", "dangling");
  fs::create_symlink("loop_b", "loop_a");
  fs::create_symlink("loop_a", "loop_b");
  fs::create_symlink("/dev/null", "null");
  // PID 999999999 is above Linux's pid_max (4194304): no process has it.
  write(".out.mnet-tmp-999999999-abcdefgh", "stale");
}

bool is_link(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// Whether a temp file of this process (".NAME.mnet-tmp-PID-" and 8 letters or digits) is left
// anywhere in the folder. `output` is the name just written, which may look like one.
bool own_temp_left(const std::string& output) {
  const std::string mine = ".mnet-tmp-" + std::to_string(::getpid()) + "-";
  for (auto it = fs::recursive_directory_iterator(g_root); it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(mine);
    if (name == output || name[0] != '.' || at == std::string::npos || name.size() != at + mine.size() + 8) continue;
    if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789", at + mine.size()) == std::string::npos) return true;
  }
  return false;
}

// The path with "..", empty and leading-slash components dropped: it stays inside the folder
// except through the fixtures' links, which lead to /dev/null at most.
std::string confined(const std::string& raw) {
  std::string out, part;
  auto flush = [&] {
    if (!part.empty() && part != "..") out += (out.empty() ? "" : "/") + part;
    part.clear();
  };
  for (char c : raw) {
    if (c == '/') flush();
    else part += c;
  }
  flush();
  return out.empty() ? "out" : out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (g_root.empty()) make_root();
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string path = confined(input.substr(0, std::min(nul, kMaxFuzzPathBytes)));
  const std::string bytes = nul == std::string::npos ? std::string() : input.substr(nul + 1);

  bool written = false;
  {
    InRoot in_root;
    reset_folder();
    try {
      mnet::write_file_atomic(path, bytes);
      written = true;
    } catch (const mnet::RunError&) {
    }
  }
  // Checked from libFuzzer's working directory, where a crash report must land.
  if (own_temp_left(fs::path(path).filename().string())) __builtin_trap();
  for (const char* link : {"link", "dirlink", "dangling", "loop_a", "loop_b", "null"})
    if (!is_link(g_root / link)) __builtin_trap();
  struct stat st {};
  if (::stat("/dev/null", &st) != 0 || !S_ISCHR(st.st_mode)) __builtin_trap();
  const fs::path written_path = g_root / path;
  if (written && ::stat(written_path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    std::string back;
    try {
      back = mnet::read_file_bytes(written_path.string(), bytes.size());
    } catch (const mnet::InputError&) {
      __builtin_trap();
    }
    if (back != bytes) __builtin_trap();
  }
  return 0;
}
