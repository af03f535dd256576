// Tests of the zip reader (tflite/zip.h) on archives built here: entries found with either offset
// convention, a missing entry, and damaged or unsupported archives refused with clear errors.
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "testing.h"
#include "tflite/zip.h"

using Catch::Contains;
using mnet::testing::le_bytes;

namespace {

const std::string kPrefix = "model.tflite: tflite: labels file 'labels.txt': ";

struct ZipFile {
  std::string name, data;
  uint32_t method = mnet::kZipMethodStored;
  uint32_t flags = 0;
  std::optional<uint32_t> crc;  // the data's CRC-32 unless set
  std::string extra;            // extra field, in both headers
};

// A zip archive after `leading` bytes (the model), as TFLite metadata writes it; offsets count
// from the start of the whole span, or from the archive's first byte.
struct ZipSpec {
  std::string leading = "TFL3 model bytes";
  std::vector<ZipFile> files;
  bool offsets_from_archive = false;
  std::string comment;

  std::string build() const {
    const uint64_t base = offsets_from_archive ? 0 : leading.size();
    std::string locals, directory;
    for (const ZipFile& f : files) {
      const uint32_t crc = f.crc ? *f.crc : mnet::zip_crc32(f.data);
      const uint64_t offset = base + locals.size();
      // Fields shared by both headers: version, flags, method, time, date, CRC, sizes, name length.
      std::string common = le_bytes(20, 2);
      common += le_bytes(f.flags, 2);
      common += le_bytes(f.method, 2);
      common += le_bytes(0, 4);
      common += le_bytes(crc, 4);
      common += le_bytes(f.data.size(), 4);
      common += le_bytes(f.data.size(), 4);
      common += le_bytes(f.name.size(), 2);
      common += le_bytes(f.extra.size(), 2);
      locals += le_bytes(0x04034b50, 4) + common + f.name + f.extra + f.data;
      directory += le_bytes(0x02014b50, 4) + le_bytes(20, 2) + common;
      directory += le_bytes(0, 2 + 2 + 2 + 4);  // comment length, disk, attributes
      directory += le_bytes(offset, 4) + f.name + f.extra;
    }
    std::string end = le_bytes(0x06054b50, 4) + le_bytes(0, 2) + le_bytes(0, 2);
    end += le_bytes(files.size(), 2);
    end += le_bytes(files.size(), 2);
    end += le_bytes(directory.size(), 4);
    end += le_bytes(base + locals.size(), 4);
    end += le_bytes(comment.size(), 2) + comment;
    return leading + locals + directory + end;
  }
};

ZipSpec labels_zip() {
  ZipSpec spec;
  spec.files.resize(2);
  spec.files[0].name = "readme.txt";
  spec.files[0].data = "not the labels";
  spec.files[1].name = "labels.txt";
  spec.files[1].data = "background\ncat\ndog\n";
  return spec;
}

// Overwrites `bytes` at `pos` with a little-endian value of `width` bytes.
void poke(std::string& bytes, size_t pos, uint64_t value, int width) {
  bytes.replace(pos, size_t(width), le_bytes(value, width));
}

// Position of the end-of-central-directory record of an archive built without a comment.
size_t eocd(const std::string& bytes) { return bytes.size() - 22; }

std::string labels_of(const std::string& bytes) {
  const std::optional<mnet::ZipArchive> zip = mnet::ZipArchive::find(bytes, kPrefix);
  REQUIRE(zip);
  const std::optional<mnet::ZipEntry> entry = zip->entry("labels.txt");
  REQUIRE(entry);
  return std::string(zip->stored_data(*entry));
}

void require_refused(const std::string& bytes, const std::string& fragment) {
  try {
    labels_of(bytes);
    FAIL("no InputError; expected one saying " << fragment);
  } catch (const mnet::InputError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.rfind(kPrefix, 0) == 0);
    CHECK_THAT(what, Contains(fragment));
  }
}

}  // namespace

TEST_CASE("zip_crc32 gives zip's check values", "[zip]") {
  CHECK(mnet::zip_crc32("") == 0u);
  CHECK(mnet::zip_crc32("123456789") == 0xCBF43926u);
  CHECK(mnet::zip_crc32("The quick brown fox jumps over the lazy dog") == 0x414FA339u);
}

TEST_CASE("a stored zip entry is found after the model's bytes", "[zip]") {
  ZipSpec spec = labels_zip();
  SECTION("offsets counted from the start of the span") {}
  SECTION("offsets counted from the archive's first byte") { spec.offsets_from_archive = true; }
  SECTION("an archive comment and extra fields") {
    spec.comment = "written by the metadata writer";
    spec.files[1].extra = std::string("\x01\x02\x03\x04", 4);
  }
  SECTION("nothing before the archive") { spec.leading.clear(); }
  CHECK(labels_of(spec.build()) == "background\ncat\ndog\n");
}

TEST_CASE("a missing zip entry or archive is reported as absent", "[zip]") {
  const std::string bytes = labels_zip().build();
  const std::optional<mnet::ZipArchive> zip = mnet::ZipArchive::find(bytes, kPrefix);
  REQUIRE(zip);
  CHECK_FALSE(zip->entry("labels.csv"));
  CHECK_FALSE(zip->entry(""));
  CHECK_FALSE(mnet::ZipArchive::find("TFL3 model bytes, long enough to hold a record", kPrefix));
  CHECK_FALSE(mnet::ZipArchive::find("short", kPrefix));
  // The end record cut off: the archive is no longer recognised.
  CHECK_FALSE(mnet::ZipArchive::find(bytes.substr(0, bytes.size() - 1), kPrefix));
}

TEST_CASE("damaged or unsupported zip archives are refused with a clear message", "[zip]") {
  ZipSpec spec = labels_zip();
  SECTION("truncated: the archive's start cut off") {
    const std::string bytes = spec.build();
    require_refused(bytes.substr(spec.leading.size() + 10), "central directory offset is wrong");
  }
  SECTION("truncated: a central directory entry runs past the end record") {
    std::string bytes = spec.build();
    const size_t directory = eocd(bytes) - (2 * 46 + 10 + 10);
    poke(bytes, directory + 28, 200, 2);  // the first entry's name length
    require_refused(bytes, "central directory entry 0 is truncated");
  }
  SECTION("a central directory larger than what precedes it") {
    std::string bytes = spec.build();
    poke(bytes, eocd(bytes) + 12, bytes.size(), 4);
    require_refused(bytes, "central directory size is wrong");
  }
  SECTION("a bad CRC-32") {
    spec.files[1].crc = mnet::zip_crc32(spec.files[1].data) ^ 1u;
    require_refused(spec.build(), "the zip entry's CRC-32 does not match its data");
  }
  SECTION("an encrypted entry") {
    spec.files[1].flags = 1;
    require_refused(spec.build(), "the zip entry is encrypted");
  }
  SECTION("a compressed entry read as stored") {
    spec.files[1].method = 8;
    require_refused(spec.build(), "compressed (method 8)");
  }
  SECTION("ZIP64 markers in the end record") {
    std::string bytes = spec.build();
    poke(bytes, eocd(bytes) + 16, 0xFFFFFFFF, 4);
    require_refused(bytes, "ZIP64, which is not supported");
    poke(bytes, eocd(bytes) + 16, spec.leading.size(), 4);
    poke(bytes, eocd(bytes) + 8, 0xFFFF, 2);
    poke(bytes, eocd(bytes) + 10, 0xFFFF, 2);
    require_refused(bytes, "ZIP64, which is not supported");
  }
  SECTION("an archive spanning several disks") {
    std::string bytes = spec.build();
    poke(bytes, eocd(bytes) + 4, 1, 2);
    require_refused(bytes, "spans several disks");
  }
  SECTION("an entry whose local header is not where the directory says") {
    std::string bytes = spec.build();
    bytes[spec.leading.size()] = 'X';  // the first local header's signature
    const std::optional<mnet::ZipArchive> zip = mnet::ZipArchive::find(bytes, kPrefix);
    REQUIRE(zip);
    CHECK_THROWS_WITH(zip->entry("readme.txt"), Contains("local header is malformed"));
    CHECK(zip->entry("labels.txt"));
  }
}
