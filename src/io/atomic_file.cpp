// Bounded reads and atomic writes, following symlinks and writing into devices and FIFOs as given.
#include "io/atomic_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/error.h"
#include "io/temp_files.h"

namespace mnet {
namespace {

constexpr mode_t kFallbackUmask = 022;
constexpr size_t kReadChunkBytes = size_t(1) << 20;
// As Linux's own limit on links followed in one lookup (MAXSYMLINKS).
constexpr int kMaxSymlinkHops = 40;

std::string errno_text(int err) { return std::strerror(err); }

// umask() can only be read by setting it, which races with other threads; Linux exposes it here.
mode_t current_umask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0) {
      try {
        return mode_t(std::stoul(line.substr(6), nullptr, 8)) & 0777;
      } catch (const std::exception&) {
        break;
      }
    }
  }
  return kFallbackUmask;
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= size_t(w);
  }
  return true;
}

// Writes to what is already there, without replacing it. Blocks until a FIFO has a reader, as
// `echo > fifo` does.
void write_through(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw RunError(path + ": cannot write: " + errno_text(errno));
  bool ok = write_all(fd, bytes.data(), bytes.size());
  int err = errno;
  ::close(fd);
  if (!ok) throw RunError(path + ": cannot write: " + errno_text(err));
}

// The N of "/proc/self/fd/N", else -1.
int own_fd_of(const std::string& p) {
  static const std::string kPrefix = "/proc/self/fd/";
  if (p.compare(0, kPrefix.size(), kPrefix) != 0 || p.size() == kPrefix.size() || p.size() > kPrefix.size() + 9) return -1;
  int fd = 0;
  for (size_t i = kPrefix.size(); i < p.size(); ++i) {
    if (p[i] < '0' || p[i] > '9') return -1;
    fd = fd * 10 + (p[i] - '0');
  }
  return fd;
}

// Where -o leads once symlinks in its last component are followed: a path naming no link (or
// nothing), or a descriptor this process has open, as /dev/stdout leads to /proc/self/fd/1.
// Links in the folders above are left to the kernel, which resolves them on open and rename.
struct Destination {
  std::string path;
  int fd = -1;
};

Destination follow_symlinks(const std::string& path) {
  std::string p = path;
  for (int hops = 0;; ++hops) {
    // Written to as it is: reopening would lose a `>>` append and cannot open a socket.
    int fd = own_fd_of(p);
    if (fd >= 0) {
      if (::fcntl(fd, F_GETFD) == -1) throw RunError(path + ": cannot write: " + errno_text(EBADF));
      return {p, fd};
    }
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return {p};
    if (hops == kMaxSymlinkHops)
      throw RunError(path + ": cannot write: more than " + std::to_string(kMaxSymlinkHops) +
                     " symbolic links to follow (kMaxSymlinkHops)");
    // /proc's links report size 0.
    std::vector<char> buf(std::max(size_t(st.st_size), size_t(PATH_MAX)) + 1);
    ssize_t n = ::readlink(p.c_str(), buf.data(), buf.size());
    if (n < 0) throw RunError(path + ": cannot write: " + errno_text(errno));
    if (size_t(n) == buf.size()) throw RunError(path + ": cannot write: the symbolic link changed while read");
    std::string link(buf.data(), size_t(n));
    if (link.empty()) throw RunError(path + ": cannot write: the symbolic link " + p + " is empty");
    p = link[0] == '/' ? link : parent_dir(p) + "/" + link;
  }
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
  auto fail = [&](int err) { throw RunError(path + ": cannot write: " + errno_text(err)); };

  // A symlink stays a link: the file it points at is replaced (or created, if it dangles).
  const Destination dest = follow_symlinks(path);
  if (dest.fd >= 0) {
    if (!write_all(dest.fd, bytes.data(), bytes.size())) fail(errno);
    return;
  }
  const std::string& target = dest.path;
  // A device, FIFO or socket gets the bytes written to it, as a shell redirection would: renaming
  // a file over it would turn /dev/null into a file.
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) fail(EISDIR);
    write_through(target, bytes);
    return;
  }
  remove_stale_temps(target);

  const std::string tmp = temp_path_beside(target);
  LiveTemp registered(tmp, false);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail(errno);

  auto abandon = [&](int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(err);
  };
  // Created 0600; give the output the permissions an ordinary new file would get.
  if (::fchmod(fd, 0666 & ~current_umask()) != 0) abandon(errno);
  if (!write_all(fd, bytes.data(), bytes.size())) abandon(errno);
  if (::fsync(fd) != 0) abandon(errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail(err);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail(err);
  }
  // Persist the rename itself. The new file is already complete and in place, so a failure here
  // is not worth reporting.
  int dir = ::open(parent_dir(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

std::string read_file_bytes(const std::string& path, uint64_t max_bytes) {
  auto fail = [&](const std::string& what) { throw InputError(path + ": " + what); };

  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever; the
  // regular-file check below then refuses it. Reads from regular files ignore the flag.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) fail("cannot read: file does not exist");
    fail("cannot read: " + errno_text(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0) fail("cannot read: " + errno_text(errno));
  if (S_ISDIR(st.st_mode)) fail("cannot read: is a directory, not a file");
  if (!S_ISREG(st.st_mode)) fail("cannot read: not a regular file");
  if (uint64_t(st.st_size) > max_bytes) {
    fail("file is " + std::to_string(st.st_size) + " bytes, larger than the limit of " +
         std::to_string(max_bytes) + " bytes");
  }

  // Read to EOF rather than trusting st_size, which can change under us; the limit still holds.
  std::string out;
  out.reserve(size_t(st.st_size));
  std::vector<char> chunk(kReadChunkBytes);
  for (;;) {
    ssize_t r = ::read(fd, chunk.data(), chunk.size());
    if (r < 0) {
      if (errno == EINTR) continue;
      fail("cannot read: " + errno_text(errno));
    }
    if (r == 0) break;
    if (uint64_t(out.size()) + uint64_t(r) > max_bytes) {
      fail("file grew past the limit of " + std::to_string(max_bytes) + " bytes while reading");
    }
    out.append(chunk.data(), size_t(r));
  }
  return out;
}

}  // namespace mnet
