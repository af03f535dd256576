// Reader of stored (uncompressed) entries of a zip archive at the end of a byte span: TFLite
// metadata appends a model's associated files (labels) to it this way.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mnet {

// zip's CRC-32 (PKWARE APPNOTE: reflected polynomial 0xEDB88320), as stored in zip headers.
uint32_t zip_crc32(std::string_view data);

// One entry of the archive as its central directory and local header describe it.
struct ZipEntry {
  uint32_t method = 0;  // kZipMethodStored, or a compression method (8: deflate)
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0, size = 0;
  std::string_view data;  // the entry's bytes as stored (compressed_size of them)
};

constexpr uint32_t kZipMethodStored = 0;

// A zip archive that ends a byte span, anything before it (a .tflite model) left alone. Offsets
// in the archive may count from the span's start or from the archive's. Single-disk, non-ZIP64,
// unencrypted archives only. Nothing is trusted unchecked: errors throw
// InputError(error_prefix + what), e.g. "the appended zip archive is ZIP64, which is not supported".
class ZipArchive {
 public:
  // The archive ending `bytes` (which must outlive it), or nullopt if no end-of-central-directory
  // record ends them. Throws if the record is there but this reader cannot use it.
  static std::optional<ZipArchive> find(std::string_view bytes, std::string error_prefix);

  // The entry named `name`, nullopt if the archive has none. Throws if a central directory entry
  // before it is malformed, or if it is encrypted or its data lies outside the archive.
  std::optional<ZipEntry> entry(std::string_view name) const;

  // The data of a stored entry, after checking its sizes and CRC-32. Throws for other methods.
  std::string_view stored_data(const ZipEntry& entry) const;

 private:
  ZipArchive(std::string_view bytes, std::string error_prefix)
      : bytes_(bytes), prefix_(std::move(error_prefix)) {}
  [[noreturn]] void fail(const std::string& what) const;

  std::string_view bytes_;
  std::string prefix_;
  uint64_t eocd_ = 0;          // position of the end-of-central-directory record
  uint64_t cd_start_ = 0;      // position of the central directory
  uint64_t archive_base_ = 0;  // what the archive's offsets count from
  uint32_t entries_ = 0;
};

}  // namespace mnet
