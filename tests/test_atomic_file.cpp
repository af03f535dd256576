#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"
#include "testing.h"

namespace fs = std::filesystem;
using Catch::Contains;
using mnet::testing::read_bytes;
using mnet::testing::TempDir;
using mnet::testing::write_bytes;

TEST_CASE("write_file_atomic creates a file holding exactly the given bytes", "[io][atomic]") {
  TempDir tmp;
  const std::string bytes("a\0b\nc\xff", 6);
  mnet::write_file_atomic(tmp.file("out.bin"), bytes);
  CHECK(read_bytes(tmp.file("out.bin")) == bytes);
  CHECK(tmp.entries() == std::vector<std::string>{"out.bin"});
}

TEST_CASE("write_file_atomic replaces a longer existing file completely", "[io][atomic]") {
  TempDir tmp;
  write_bytes(tmp.file("out.txt"), std::string(1000, 'x'));
  mnet::write_file_atomic(tmp.file("out.txt"), "short");
  CHECK(read_bytes(tmp.file("out.txt")) == "short");
  CHECK(tmp.entries() == std::vector<std::string>{"out.txt"});
}

TEST_CASE("write_file_atomic writes an empty file", "[io][atomic]") {
  TempDir tmp;
  mnet::write_file_atomic(tmp.file("empty"), "");
  CHECK(fs::exists(tmp.file("empty")));
  CHECK(fs::file_size(tmp.file("empty")) == 0);
}

TEST_CASE("write_file_atomic gives the new file the permissions the umask allows", "[io][atomic]") {
  TempDir tmp;
  const mode_t mask = ::umask(022);
  ::umask(mask);
  mnet::write_file_atomic(tmp.file("out"), "x");
  struct stat st {};
  REQUIRE(::stat(tmp.file("out").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == (0666 & ~mask));
}

TEST_CASE("write_file_atomic into a missing directory throws RunError and creates nothing",
          "[io][atomic]") {
  TempDir tmp;
  const std::string path = tmp.file("no-such-dir/out.bin");
  REQUIRE_THROWS_AS(mnet::write_file_atomic(path, "data"), mnet::RunError);
  REQUIRE_THROWS_WITH(mnet::write_file_atomic(path, "data"),
                      Contains(path + ": cannot write: No such file or directory"));
  CHECK(tmp.entries().empty());
}

TEST_CASE("write_file_atomic onto a directory throws RunError and leaves no temp file",
          "[io][atomic]") {
  TempDir tmp;
  fs::create_directory(tmp.file("sub"));
  const std::string path = tmp.file("sub");
  REQUIRE_THROWS_AS(mnet::write_file_atomic(path, "data"), mnet::RunError);
  REQUIRE_THROWS_WITH(mnet::write_file_atomic(path, "data"),
                      Contains(path + ": cannot write: Is a directory"));
  CHECK(tmp.entries() == std::vector<std::string>{"sub"});
  CHECK(fs::is_empty(tmp.file("sub")));
}

TEST_CASE("read_file_bytes returns the whole file", "[io][atomic]") {
  TempDir tmp;
  std::string bytes(3 << 20, '\0');  // several read chunks
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = char(i * 7);
  write_bytes(tmp.file("in"), bytes);
  CHECK(mnet::read_file_bytes(tmp.file("in"), bytes.size()) == bytes);
  write_bytes(tmp.file("empty"), "");
  CHECK(mnet::read_file_bytes(tmp.file("empty"), 0).empty());
}

TEST_CASE("read_file_bytes names a missing file", "[io][atomic]") {
  TempDir tmp;
  const std::string path = tmp.file("missing.bin");
  REQUIRE_THROWS_AS(mnet::read_file_bytes(path, 100), mnet::InputError);
  REQUIRE_THROWS_WITH(mnet::read_file_bytes(path, 100),
                      Contains(path + ": cannot read: file does not exist"));
}

TEST_CASE("read_file_bytes refuses a directory", "[io][atomic]") {
  TempDir tmp;
  const std::string path = tmp.path.string();
  REQUIRE_THROWS_AS(mnet::read_file_bytes(path, 100), mnet::InputError);
  REQUIRE_THROWS_WITH(mnet::read_file_bytes(path, 100),
                      Contains(path + ": cannot read: is a directory"));
}

TEST_CASE("read_file_bytes refuses a file larger than the limit and names the limit",
          "[io][atomic]") {
  TempDir tmp;
  const std::string path = tmp.file("big");
  write_bytes(path, std::string(101, 'x'));
  REQUIRE_THROWS_AS(mnet::read_file_bytes(path, 100), mnet::InputError);
  REQUIRE_THROWS_WITH(mnet::read_file_bytes(path, 100),
                      Contains(path + ": file is 101 bytes, larger than the limit of 100 bytes"));
  CHECK(mnet::read_file_bytes(path, 101).size() == 101);
}

TEST_CASE("read_file_bytes reports an unreadable file", "[io][atomic]") {
  if (::geteuid() == 0) {
    WARN("running as root, which can read any file; skipping the permission check");
    return;
  }
  TempDir tmp;
  const std::string path = tmp.file("secret");
  write_bytes(path, "x");
  fs::permissions(path, fs::perms::none);
  REQUIRE_THROWS_AS(mnet::read_file_bytes(path, 100), mnet::InputError);
  REQUIRE_THROWS_WITH(mnet::read_file_bytes(path, 100),
                      Contains(path + ": cannot read: Permission denied"));
}
