#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/error.h"

namespace mnet {
namespace {

constexpr mode_t kFallbackUmask = 022;
constexpr size_t kReadChunkBytes = size_t(1) << 20;

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

}  // namespace

void write_file_atomic(const std::string& path, const std::string& bytes) {
  auto fail = [&](int err) { throw RunError(path + ": cannot write: " + errno_text(err)); };

  std::string tmp = path + ".tmp.XXXXXX";
  std::vector<char> tmpl(tmp.begin(), tmp.end());
  tmpl.push_back('\0');
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) fail(errno);
  tmp = tmpl.data();

  auto abandon = [&](int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(err);
  };
  // mkstemp creates 0600; give the output the permissions an ordinary new file would get.
  if (::fchmod(fd, 0666 & ~current_umask()) != 0) abandon(errno);
  if (!write_all(fd, bytes.data(), bytes.size())) abandon(errno);
  if (::fsync(fd) != 0) abandon(errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail(err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail(err);
  }
  // Persist the rename itself. The new file is already complete and in place, so a failure here
  // is not worth reporting.
  int dir = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
