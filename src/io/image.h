// Decoding JPEG, PNG and BMP images (stb_image) to RGB with bounded memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mnet {

constexpr uint64_t kMaxImageFileBytes = uint64_t(64) << 20;  // 64 MiB
// Checked against the header before anything is decoded.
constexpr int64_t kMaxImagePixels = int64_t(1) << 26;  // 64 Mi pixels
// stb_image's own per-side check (STBI_MAX_DIMENSIONS); it runs while reading the header.
constexpr int kMaxImageSide = 1 << 20;
// Cap on any single buffer stb_image allocates while decoding. The largest legitimate one is a
// 16-bit RGBA PNG's inflated rows: 8 bytes per pixel plus a filter byte per row.
constexpr size_t kMaxImageDecodeBytes = size_t(kMaxImagePixels) * 10;

// 8-bit RGB pixels, row-major from the top-left: rgb[(y * width + x) * 3 + c].
struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // [H, W, 3]
};

// Reads a JPEG, PNG or BMP file; grey and alpha images become RGB (alpha is dropped, not blended).
// No EXIF orientation is applied (neither Pillow's Image.open nor torchvision applies it).
// Throws InputError naming the file for unreadable, oversized, unsupported, truncated (a JPEG
// without its end-of-image marker, a PNG without IEND, a BMP short of its rows) or corrupt files.
Image load_image(const std::string& path);

// Same as load_image on bytes already in memory; `source` names them in error messages.
Image decode_image(const std::string& bytes, const std::string& source);

}  // namespace mnet
