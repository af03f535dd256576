// io/atomic_file: bounded reads, atomic writes, symlinks, devices and FIFOs, temp files left by signals.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/temp_files.h"
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

// Issue 11: what -o may name besides a plain file, and the temporaries' names and cleanup.

TEST_CASE("write_file_atomic through a symlink replaces its target and keeps the link", "[io][atomic]") {
  TempDir tmp;
  fs::create_directory(tmp.file("data"));
  write_bytes(tmp.file("data/real.txt"), "old contents, longer than the new");
  fs::create_symlink("data/real.txt", tmp.file("link"));  // relative to the link's folder
  mnet::write_file_atomic(tmp.file("link"), "new");
  CHECK(fs::is_symlink(tmp.file("link")));
  CHECK(fs::read_symlink(tmp.file("link")) == "data/real.txt");
  CHECK(read_bytes(tmp.file("data/real.txt")) == "new");
  CHECK(tmp.entries() == std::vector<std::string>{"data", "link"});
  CHECK(std::distance(fs::directory_iterator(tmp.file("data")), fs::directory_iterator()) == 1);
}

TEST_CASE("write_file_atomic through a chain of symlinks and a dangling one creates the target", "[io][atomic]") {
  TempDir tmp;
  fs::create_symlink(tmp.file("missing.txt"), tmp.file("dangling"));  // absolute
  fs::create_symlink("dangling", tmp.file("outer"));
  mnet::write_file_atomic(tmp.file("outer"), "bytes");
  CHECK(fs::is_symlink(tmp.file("outer")));
  CHECK(fs::is_symlink(tmp.file("dangling")));
  CHECK(read_bytes(tmp.file("missing.txt")) == "bytes");
  CHECK(tmp.entries() == std::vector<std::string>{"dangling", "missing.txt", "outer"});
}

TEST_CASE("write_file_atomic refuses a symlink loop and names the limit", "[io][atomic]") {
  TempDir tmp;
  fs::create_symlink("b", tmp.file("a"));
  fs::create_symlink("a", tmp.file("b"));
  REQUIRE_THROWS_AS(mnet::write_file_atomic(tmp.file("a"), "x"), mnet::RunError);
  REQUIRE_THROWS_WITH(mnet::write_file_atomic(tmp.file("a"), "x"),
                      Contains(tmp.file("a") + ": cannot write: more than 40 symbolic links to follow (kMaxSymlinkHops)"));
  CHECK(tmp.entries() == std::vector<std::string>{"a", "b"});
}

TEST_CASE("write_file_atomic writes through to a FIFO, which stays a FIFO", "[io][atomic]") {
  TempDir tmp;
  const std::string fifo = tmp.file("pipe");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string bytes(200000, 'z');  // more than a pipe buffer: the writer must wait for the reader
  std::string received;
  std::thread reader([&] { received = read_bytes(fifo); });
  mnet::write_file_atomic(fifo, bytes);
  reader.join();
  CHECK(received == bytes);
  struct stat st {};
  REQUIRE(::lstat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK(tmp.entries() == std::vector<std::string>{"pipe"});
}

TEST_CASE("write_file_atomic writes through to /dev/null, which stays a character device", "[io][atomic]") {
  mnet::write_file_atomic("/dev/null", "discarded");
  struct stat st {};
  REQUIRE(::lstat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  // And through a link to it.
  TempDir tmp;
  fs::create_symlink("/dev/null", tmp.file("null"));
  mnet::write_file_atomic(tmp.file("null"), "discarded");
  CHECK(fs::is_symlink(tmp.file("null")));
  REQUIRE(::lstat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(tmp.entries() == std::vector<std::string>{"null"});
}


TEST_CASE("temp_path_beside names the output, this process and a random part", "[io][atomic]") {
  const std::string pid = std::to_string(::getpid());
  const std::string a = mnet::temp_path_beside("dir/sub/y.npy"), b = mnet::temp_path_beside("dir/sub/y.npy");
  CHECK_THAT(a, Catch::StartsWith("dir/sub/.y.npy.mnet-tmp-" + pid + "-"));
  CHECK(a.size() == std::string("dir/sub/.y.npy.mnet-tmp-" + pid + "-").size() + 8);
  CHECK(a != b);
  CHECK_THAT(mnet::temp_path_beside("y.npy"), Catch::StartsWith(".y.npy.mnet-tmp-" + pid + "-"));
  // A long name is cut so that the temp name stays within NAME_MAX.
  const std::string long_name(250, 'n');
  const std::string t = mnet::temp_path_beside("/tmp/" + long_name);
  CHECK(t.size() - 5 <= 255);
  CHECK_THAT(t, Catch::StartsWith("/tmp/." + long_name.substr(0, mnet::kMaxTempStemBytes) + ".mnet-tmp-"));
}

TEST_CASE("write_file_atomic removes the output's temporaries left by dead processes only", "[io][atomic]") {
  TempDir tmp;
  const std::string dead = std::to_string(mnet::testing::dead_pid()), live = std::to_string(::getppid());
  write_bytes(tmp.file(".y.npy.mnet-tmp-" + dead + "-abcdefgh"), "stale");
  fs::create_directory(tmp.file(".y.npy.mnet-tmp-" + dead + "-folder00"));  // an import's staging folder
  write_bytes(tmp.file(".y.npy.mnet-tmp-" + dead + "-folder00/weights.safetensors"), "stale");
  write_bytes(tmp.file(".y.npy.mnet-tmp-" + live + "-abcdefgh"), "another process is writing it");
  write_bytes(tmp.file(".z.npy.mnet-tmp-" + dead + "-abcdefgh"), "another output's");
  write_bytes(tmp.file(".y.npy.mnet-tmp-notapid-abcdefgh"), "not of our making");
  mnet::write_file_atomic(tmp.file("y.npy"), "fresh");
  CHECK(read_bytes(tmp.file("y.npy")) == "fresh");
  CHECK(tmp.entries() == std::vector<std::string>{".y.npy.mnet-tmp-" + live + "-abcdefgh",
                                                  ".y.npy.mnet-tmp-notapid-abcdefgh",
                                                  ".z.npy.mnet-tmp-" + dead + "-abcdefgh", "y.npy"});
}

TEST_CASE("remove_live_temps removes the registered files and folders and nothing else", "[io][atomic]") {
  TempDir tmp;
  const std::string folder = tmp.file(".m.mnet-tmp-1-folder00"), file = tmp.file(".y.mnet-tmp-1-file0000");
  {
    mnet::LiveTemp registered_folder(folder, true), registered_file(file, false);
    fs::create_directory(folder);
    write_bytes(folder + "/config.json", "{}");
    write_bytes(folder + "/weights.safetensors", "w");
    write_bytes(file, "partial");
    write_bytes(tmp.file("keep"), "not registered");
    mnet::remove_live_temps();
    CHECK(tmp.entries() == std::vector<std::string>{"keep"});
    // Registered again by name, as a signal in the middle of the next write would find it.
    write_bytes(file, "partial");
  }
  // Once the registration ends (the file was renamed into place), the name is the output's again.
  mnet::remove_live_temps();
  CHECK(tmp.entries() == std::vector<std::string>{".y.mnet-tmp-1-file0000", "keep"});
}

TEST_CASE("the temp registry refuses more than kMaxLiveTemps at once and names the limit", "[io][atomic]") {
  std::vector<std::unique_ptr<mnet::LiveTemp>> live;
  for (size_t i = 0; i < mnet::kMaxLiveTemps; ++i)
    live.push_back(std::make_unique<mnet::LiveTemp>("t" + std::to_string(i), false));
  REQUIRE_THROWS_AS(mnet::LiveTemp("one-more", false), mnet::RunError);
  REQUIRE_THROWS_WITH(mnet::LiveTemp("one-more", false),
                      Contains("one-more: cannot write: more than 64 temporary files at once (kMaxLiveTemps)"));
  live.pop_back();
  CHECK_NOTHROW(mnet::LiveTemp("one-more", false));
}
