// The calibration cache file: where it lives, which entry counts for this machine, round trips,
// and damaged files read as empty with what is wrong.
#include <catch2/catch.hpp>

#include "profile/calibration_cache.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

Calibration sample(int threads, double ceiling) {
  Calibration c;
  c.key = CalibrationKey{"Test CPU 9000", threads, "OpenBLAS 0.3.21 test", "Haswell", "0.1.0"};
  c.ceiling_gflops = ceiling;
  c.ceiling_shape = "conv1x1 512->512 at 28x28";
  c.shapes = {ShapeRate{"conv1x1 512->512 at 28x28", 205520896, 2.0, 50, 2.0 * 205520896 / 2.0e6}};
  c.sgemm = ShapeRate{"sgemm 1024x1024x1024", 1073741824, 20.0, 10, 2.0 * 1073741824 / 20.0e6};
  c.measured_at = "2025-01-02 03:04 UTC";
  return c;
}

}  // namespace

TEST_CASE("the calibration cache lives in MNET_CACHE_DIR, else XDG_CACHE_HOME/mnet, else ~/.cache/mnet") {
  CHECK(calibration_cache_path("/c", "/x", "/h") == "/c/calibration.json");
  CHECK(calibration_cache_path("/c/", "/x", "/h") == "/c/calibration.json");
  CHECK(calibration_cache_path("", "/x", "/h") == "/x/mnet/calibration.json");
  CHECK(calibration_cache_path("", "", "/h") == "/h/.cache/mnet/calibration.json");
  CHECK(calibration_cache_path("", "relative", "/h") == "/h/.cache/mnet/calibration.json");  // XDG: ignored
  CHECK(calibration_cache_path("", "", "").empty());
}

TEST_CASE("a cached ceiling counts only for the same CPU, threads, OpenBLAS and mnet version") {
  CalibrationCache cache;
  put_calibration(cache, sample(1, 200));
  put_calibration(cache, sample(2, 350));
  CalibrationKey key = sample(1, 0).key;
  REQUIRE(find_calibration(cache, key));
  CHECK(find_calibration(cache, key)->ceiling_gflops == 200);

  CalibrationKey two = key;
  two.threads = 2;
  CHECK(find_calibration(cache, two)->ceiling_gflops == 350);
  // Any one field different: no ceiling.
  for (auto change : std::vector<void (*)(CalibrationKey&)>{
           [](CalibrationKey& k) { k.threads = 4; },
           [](CalibrationKey& k) { k.cpu = "Another CPU"; },
           [](CalibrationKey& k) { k.blas = "OpenBLAS 0.3.26 test"; },
           [](CalibrationKey& k) { k.blas_core = "SkylakeX"; },
           [](CalibrationKey& k) { k.mnet_version = "0.2.0"; },
       }) {
    CalibrationKey other = key;
    change(other);
    CHECK_FALSE(find_calibration(cache, other));
  }

  // Re-measuring replaces the entry of the same key and keeps the others.
  put_calibration(cache, sample(1, 210));
  CHECK(cache.entries.size() == 2);
  CHECK(find_calibration(cache, key)->ceiling_gflops == 210);
}

TEST_CASE("the calibration cache round-trips through its file and is written into a new folder") {
  TempDir tmp;
  std::string path = tmp.file("new/folder/calibration.json");
  CalibrationCache cache;
  put_calibration(cache, sample(1, 200.5));
  put_calibration(cache, sample(2, 350.25));
  write_calibration_cache(path, cache);
  CalibrationCache back = read_calibration_cache(path);
  CHECK(back.problem.empty());
  REQUIRE(back.entries.size() == 2);
  const Calibration& c = back.entries[1];
  CHECK(c.key == sample(2, 0).key);
  CHECK(c.ceiling_gflops == 350.25);
  CHECK(c.ceiling_shape == "conv1x1 512->512 at 28x28");
  CHECK(c.measured_at == "2025-01-02 03:04 UTC");
  REQUIRE(c.shapes.size() == 1);
  CHECK(c.shapes[0].runs == 50);
  CHECK(c.sgemm.madds == 1073741824);
  CHECK(c.sgemm.median_ms == 20.0);
  CHECK(std::distance(fs::directory_iterator(tmp.path / "new/folder"), fs::directory_iterator()) == 1);  // no temp file left
}

TEST_CASE("a missing cache is empty and says nothing — a corrupt one is empty and says what is wrong") {
  TempDir tmp;
  CalibrationCache missing = read_calibration_cache(tmp.file("calibration.json"));
  CHECK(missing.entries.empty());
  CHECK(missing.problem.empty());

  std::string good = [&] {
    CalibrationCache c;
    put_calibration(c, sample(1, 200));
    write_calibration_cache(tmp.file("good.json"), c);
    return read_text(tmp.file("good.json"));
  }();
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    REQUIRE(s.find(from) != std::string::npos);
    return s.replace(s.find(from), from.size(), to);
  };
  struct Case {
    std::string content, problem;
  };
  std::vector<Case> cases = {
      {"", "not a calibration cache: not valid JSON"},
      {"{\"mnet_calibration_cache\": 1, \"entries\": [", "not a calibration cache: not valid JSON"},
      {std::string("\x00\xff\xfe", 3), "not a calibration cache: not valid JSON"},
      {"[]", "not a calibration cache: /: must be an object"},
      {"{\"entries\": []}", "/mnet_calibration_cache: must be 1"},
      {"{\"mnet_calibration_cache\": 2, \"entries\": []}", "/mnet_calibration_cache: must be 1"},
      {"{\"mnet_calibration_cache\": 1, \"entries\": {}}", "/entries: must be an array"},
      {"{\"mnet_calibration_cache\": 1, \"entries\": [7]}", "/entries/0: must be an object"},
      {replaced("\"ceiling_gflops\": 200.0", "\"ceiling_gflops\": -1"), "/entries/0/ceiling_gflops: must be a number between 1e-06 and 1000000"},
      {replaced("\"ceiling_gflops\": 200.0", "\"ceiling_gflops\": \"fast\""), "/entries/0/ceiling_gflops: must be a number between 1e-06 and 1000000"},
      {replaced("\"ceiling_gflops\": 200.0,", ""), "/entries/0: missing 'ceiling_gflops'"},
      {replaced("\"ceiling_gflops\": 200.0", "\"ceiling_gflops\": 1e-300"), "/entries/0/ceiling_gflops: must be a number between"},
      {replaced("\"ceiling_gflops\": 200.0", "\"ceiling_gflops\": 1e308"), "/entries/0/ceiling_gflops: must be a number between"},
      {replaced("\"median_ms\": 20.0", "\"median_ms\": 1e300"), "/entries/0/sgemm/median_ms: must be a number between 1e-06 and 10000000"},
      {replaced("\"threads\": 1", "\"threads\": 0"), "/entries/0/threads: must be an integer of at least 1"},
      {replaced("\"cpu\": \"Test CPU 9000\"", "\"cpu\": 9000"), "/entries/0/cpu: must be a string"},
      {replaced("\"runs\": 10", "\"runs\": 1.5"), "/entries/0/sgemm/runs: must be an integer of at least 1"},
  };
  for (const auto& c : cases) {
    INFO(c.content);
    std::string path = tmp.write("calibration.json", c.content);
    CalibrationCache cache = read_calibration_cache(path);
    CHECK(cache.entries.empty());
    CHECK_THAT(cache.problem, StartsWith(path + ": "));
    CHECK_THAT(cache.problem, Contains(c.problem));
  }

  fs::create_directory(tmp.path / "folder.json");
  CalibrationCache folder = read_calibration_cache(tmp.file("folder.json"));
  CHECK(folder.entries.empty());
  CHECK_THAT(folder.problem, Contains("is a directory"));
}

