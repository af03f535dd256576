// Reader of stored entries of a zip archive ending a byte span (the labels TFLite metadata
// appends to a model); see zip.h.
#include "tflite/zip.h"

#include "core/error.h"
#include "io/bytes.h"

namespace mnet {

namespace {

// Zip structures (PKWARE APPNOTE): end of central directory, central and local file headers.
constexpr uint32_t kZipEocdSignature = 0x06054b50;
constexpr uint32_t kZipCentralSignature = 0x02014b50;
constexpr uint32_t kZipLocalSignature = 0x04034b50;
constexpr uint64_t kZipEocdBytes = 22;
constexpr uint64_t kZipMaxCommentBytes = 0xFFFF;
constexpr uint64_t kZipCentralBytes = 46;
constexpr uint64_t kZipLocalBytes = 30;
constexpr uint32_t kZipFlagEncrypted = 1;
constexpr uint32_t kZip64Marker16 = 0xFFFF;
constexpr uint32_t kZip64Marker32 = 0xFFFFFFFF;

// Callers check that the bytes read lie inside `b`.
uint32_t read_le32(std::string_view b, uint64_t pos) { return uint32_t(load_le(b.data() + pos, 4)); }
uint32_t read_le16(std::string_view b, uint64_t pos) { return uint32_t(load_le(b.data() + pos, 2)); }

}  // namespace

uint32_t zip_crc32(std::string_view data) {
  constexpr uint32_t kPolynomial = 0xEDB88320u;  // zip's CRC-32, reflected
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (kPolynomial & (0u - (crc & 1u)));
  }
  return ~crc;
}

void ZipArchive::fail(const std::string& what) const { throw InputError(prefix_ + what); }

std::optional<ZipArchive> ZipArchive::find(std::string_view bytes, std::string error_prefix) {
  if (bytes.size() < kZipEocdBytes) return std::nullopt;
  // The end-of-central-directory record ends the archive, followed only by its comment.
  ZipArchive zip(bytes, std::move(error_prefix));
  bool found = false;
  const uint64_t last = bytes.size() - kZipEocdBytes;
  const uint64_t stop = last > kZipMaxCommentBytes ? last - kZipMaxCommentBytes : 0;
  for (uint64_t p = last + 1; p-- > stop;) {
    if (read_le32(bytes, p) == kZipEocdSignature &&
        read_le16(bytes, p + 20) == bytes.size() - p - kZipEocdBytes) {
      zip.eocd_ = p;
      found = true;
      break;
    }
  }
  if (!found) return std::nullopt;
  const uint64_t eocd = zip.eocd_;
  const uint32_t disk = read_le16(bytes, eocd + 4), cd_disk = read_le16(bytes, eocd + 6);
  const uint32_t entries_here = read_le16(bytes, eocd + 8), entries = read_le16(bytes, eocd + 10);
  const uint64_t cd_size = read_le32(bytes, eocd + 12), cd_offset = read_le32(bytes, eocd + 16);
  if (disk != 0 || cd_disk != 0 || entries_here != entries) {
    zip.fail("the appended zip archive spans several disks");
  }
  if (entries == kZip64Marker16 || cd_offset == kZip64Marker32 || cd_size == kZip64Marker32) {
    zip.fail("the appended zip archive is ZIP64, which is not supported");
  }
  if (cd_size > eocd) zip.fail("the appended zip's central directory size is wrong");
  zip.cd_start_ = eocd - cd_size;
  // Offsets in an appended archive may be relative to the archive, not to the whole span.
  if (cd_offset > zip.cd_start_) zip.fail("the appended zip's central directory offset is wrong");
  zip.archive_base_ = zip.cd_start_ - cd_offset;
  zip.entries_ = entries;
  return zip;
}

std::optional<ZipEntry> ZipArchive::entry(std::string_view name) const {
  const std::string_view file = bytes_;
  uint64_t p = cd_start_;
  for (uint32_t i = 0; i < entries_; ++i) {
    if (eocd_ - p < kZipCentralBytes || read_le32(file, p) != kZipCentralSignature) {
      fail("the appended zip's central directory entry " + std::to_string(i) + " is malformed");
    }
    const uint32_t flags = read_le16(file, p + 8);
    ZipEntry e;
    e.method = read_le16(file, p + 10);
    e.crc32 = read_le32(file, p + 16);
    e.compressed_size = read_le32(file, p + 20);
    e.size = read_le32(file, p + 24);
    const uint64_t name_len = read_le16(file, p + 28), extra_len = read_le16(file, p + 30),
                   comment_len = read_le16(file, p + 32);
    const uint64_t local_rel = read_le32(file, p + 42);
    const uint64_t entry_bytes = kZipCentralBytes + name_len + extra_len + comment_len;
    if (entry_bytes > eocd_ - p) {
      fail("the appended zip's central directory entry " + std::to_string(i) + " is truncated");
    }
    const std::string_view entry_name = file.substr(size_t(p + kZipCentralBytes), name_len);
    p += entry_bytes;
    if (entry_name != name) continue;

    if (flags & kZipFlagEncrypted) fail("the zip entry is encrypted");
    if (local_rel > cd_start_ - archive_base_) fail("the zip entry's offset is wrong");
    const uint64_t local = archive_base_ + local_rel;
    if (cd_start_ - local < kZipLocalBytes || read_le32(file, local) != kZipLocalSignature) {
      fail("the zip entry's local header is malformed");
    }
    const uint64_t data = local + kZipLocalBytes + read_le16(file, local + 26) +
                          read_le16(file, local + 28);
    if (data > cd_start_ || e.compressed_size > cd_start_ - data) {
      fail("the zip entry's data runs into the central directory");
    }
    e.data = file.substr(size_t(data), size_t(e.compressed_size));
    return e;
  }
  return std::nullopt;
}

std::string_view ZipArchive::stored_data(const ZipEntry& entry) const {
  if (entry.method != kZipMethodStored) {
    fail("the zip entry is compressed (method " + std::to_string(entry.method) +
         "); only stored entries are read");
  }
  if (entry.size != entry.compressed_size) fail("the stored zip entry's sizes differ");
  if (zip_crc32(entry.data) != entry.crc32) fail("the zip entry's CRC-32 does not match its data");
  return entry.data;
}

}  // namespace mnet
