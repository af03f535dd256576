// Image decoding through stb_image, with every allocation bounded.
#include "io/image.h"

#include <cstdlib>
#include <memory>

#include "core/error.h"
#include "io/atomic_file.h"

namespace mnet {
namespace {

// Every buffer stb_image asks for goes through these: a corrupt PNG whose zlib stream inflates
// far past the declared image size would otherwise grow one buffer towards 4 GiB.
// Zeroed: stb_image 2.27 decodes a JPEG scan with Huffman tables no DHT segment defined, reading
// them from uninitialised memory (found by tests/fuzz/fuzz_image: out-of-bounds symbol index).
// An all-zero table decodes every code as symbol 0, which is harmless.
void* capped_malloc(size_t n) { return n <= kMaxImageDecodeBytes ? std::calloc(1, n) : nullptr; }
void* capped_realloc(void* p, size_t n) {
  return n <= kMaxImageDecodeBytes ? std::realloc(p, n) : nullptr;
}

}  // namespace
}  // namespace mnet

#define STBI_MALLOC(sz) mnet::capped_malloc(sz)
#define STBI_REALLOC(p, newsz) mnet::capped_realloc(p, newsz)
#define STBI_FREE(p) std::free(p)
#define STBI_MAX_DIMENSIONS mnet::kMaxImageSide
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
// Static, so no other code can reach stb's process-wide settings (e.g. vertical flip).
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_image.h>
#pragma GCC diagnostic pop

namespace mnet {
namespace {

std::string stb_reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown error";
}

struct StbFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

// Bounds-checked header reads; bytes past the end read as 0.
struct Bytes {
  const std::string& b;
  uint32_t u8(size_t i) const { return i < b.size() ? uint32_t(uint8_t(b[i])) : 0; }
  uint32_t be16(size_t i) const { return u8(i) << 8 | u8(i + 1); }
  uint32_t be32(size_t i) const { return be16(i) << 16 | be16(i + 2); }
  uint32_t le16(size_t i) const { return u8(i) | u8(i + 1) << 8; }
  uint32_t le32(size_t i) const { return le16(i) | le16(i + 2) << 16; }
};

enum class Format { kUnknown, kJpeg, kPng, kBmp };

constexpr char kPngSignature[] = "\x89PNG\r\n\x1a\n";
constexpr size_t kPngSignatureBytes = 8;

// Where the bytes after a JPEG's start-of-image marker begin, or 0 if stb_image would not take
// the data for a JPEG (it wants FF, any more FF fill bytes, then D8).
size_t jpeg_soi_end(const std::string& b) {
  if (b.empty() || uint8_t(b[0]) != 0xFF) return 0;
  size_t i = 1;
  while (i < b.size() && uint8_t(b[i]) == 0xFF) ++i;
  return i < b.size() && uint8_t(b[i]) == 0xD8 ? i + 1 : 0;
}

Format sniff(const std::string& b) {
  if (b.compare(0, kPngSignatureBytes, kPngSignature, kPngSignatureBytes) == 0) return Format::kPng;
  if (jpeg_soi_end(b) != 0) return Format::kJpeg;
  if (b.compare(0, 2, "BM") == 0) return Format::kBmp;
  return Format::kUnknown;
}

// The segments of a JPEG up to its first scan: the frame size and where the scan data starts.
struct JpegHeader {
  int64_t width = -1, height = -1;
  size_t scan_data = 0;  // 0: no start-of-scan marker found
  bool cut = false;      // the file ends inside the segments before the scan
};

JpegHeader jpeg_header(const std::string& b) {
  const Bytes r{b};
  JpegHeader out;
  for (size_t i = jpeg_soi_end(b);;) {
    if (i + 4 > b.size()) {
      out.cut = true;
      break;
    }
    if (r.u8(i) != 0xFF) {  // stb skips stray bytes between segments
      ++i;
      continue;
    }
    const uint32_t marker = r.u8(i + 1);
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {  // markers without a length
      i += 2;
      continue;
    }
    const size_t len = r.be16(i + 2);
    if (len < 2) break;
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof && out.width < 0 && i + 9 <= b.size()) {
      out.height = r.be16(i + 5);
      out.width = r.be16(i + 7);
    }
    if (marker == 0xDA) {
      out.scan_data = i + 2 + len;
      break;
    }
    i += 2 + len;
  }
  return out;
}

// stb_image 2.27 (Debian 12) trusts the code counts of a JPEG Huffman table: counts summing past
// 256 overflow its tables with bytes from the file (stb issue #1289, fixed in 2.28). This
// replays stb's marker walk (stbi__decode_jpeg_header, stbi__decode_jpeg_image,
// stbi__process_marker) over every segment it could parse and finds such a table first. Where
// stb would stop with an error the walk may go on; that only changes which error is reported.
// Returns the offset of the first bad DHT segment, or 0.
size_t jpeg_bad_huffman_table(const std::string& b) {
  constexpr uint32_t kNone = 0xFF;  // STBI__MARKER_none
  constexpr int kMaxCodes = 256;
  const Bytes r{b};
  size_t pos = 0;
  auto get_marker = [&] {  // stbi__get_marker
    uint32_t x = r.u8(pos++);
    if (x != 0xFF) return kNone;
    while (x == 0xFF) x = r.u8(pos++);
    return x;
  };
  // One segment that carries a length; false where stb stops with an error.
  size_t bad = 0;
  auto segment = [&](uint32_t m) {
    const bool known = m == 0xC4 || m == 0xDB || m == 0xDD || (m >= 0xE0 && m <= 0xEF) || m == 0xFE;
    const int len = int(r.be16(pos));
    if (!known || len < 2) return false;
    if (m == 0xC4) {
      size_t p = pos + 2;
      for (int left = len - 2; left > 0;) {
        const uint32_t q = r.u8(p++);
        if (q >> 4 > 1 || (q & 15) > 3) return false;
        int n = 0;
        for (int i = 0; i < 16; ++i) n += int(r.u8(p++));
        if (n > kMaxCodes) {
          bad = pos - 2;
          return false;
        }
        p += size_t(n);
        left -= 17 + n;
      }
    }
    pos += size_t(len);
    return true;
  };

  // stb's entropy decoder stops at the first FF not followed by a stuffed 00, a restart marker
  // or more FF fill; the byte after is the next marker. kNone: the data ends first.
  auto marker_after_scan = [&] {
    while (pos < b.size()) {
      if (r.u8(pos++) != 0xFF) continue;
      uint32_t c = r.u8(pos++);
      while (c == 0xFF) c = r.u8(pos++);
      if (c != 0x00 && !(c >= 0xD0 && c <= 0xD7)) return c;
    }
    return kNone;
  };

  if (get_marker() != 0xD8) return 0;  // stb does not take it for a JPEG
  // Up to the frame header, stb skips stray bytes between segments.
  uint32_t m = get_marker();
  while (m != 0xC0 && m != 0xC1 && m != 0xC2) {
    if (!segment(m)) return bad;
    m = get_marker();
    while (m == kNone) {
      if (pos >= b.size()) return 0;
      m = get_marker();
    }
  }
  pos += r.be16(pos);
  for (m = get_marker(); m != 0xD9;) {
    if (m == 0xDA) {
      pos += r.be16(pos);
      m = marker_after_scan();
      if (m == kNone) return 0;
      continue;
    }
    if (m == 0xDC) {  // DNL
      pos += 4;
    } else if (!segment(m)) {
      return bad;
    }
    m = get_marker();
  }
  return 0;
}

// The size a PNG or JPEG header declares, when stbi_info refused it: stb_image turns down huge
// PNG and JPEG headers itself, and then reports only "unknown image type".
bool declared_size(const std::string& b, int64_t* w, int64_t* h) {
  const Bytes r{b};
  const Format f = sniff(b);
  if (f == Format::kPng && b.size() >= 24 && b.compare(12, 4, "IHDR") == 0) {
    *w = r.be32(16);
    *h = r.be32(20);
    return true;
  }
  if (f == Format::kJpeg) {
    const JpegHeader j = jpeg_header(b);
    *w = j.width;
    *h = j.height;
    return j.width >= 0;
  }
  return false;
}

// Whether a file whose header stbi_info refused simply ends inside that header.
bool header_cut_short(const std::string& b) {
  constexpr size_t kPngHeaderBytes = kPngSignatureBytes + 25;  // + the IHDR chunk
  constexpr size_t kBmpFileHeaderBytes = 14;
  switch (sniff(b)) {
    case Format::kPng:
      return b.size() < kPngHeaderBytes;
    case Format::kJpeg:
      return jpeg_header(b).cut;
    case Format::kBmp:
      return b.size() < kBmpFileHeaderBytes + 4 ||
             b.size() < kBmpFileHeaderBytes + Bytes{b}.le32(kBmpFileHeaderBytes);
    case Format::kUnknown:
      break;
  }
  return false;
}

// Why the file is cut short, or "" if it is complete. stb_image decodes missing BMP rows and
// JPEG scan data as zeros instead of failing, so truncation is checked from the headers.
std::string truncation(const std::string& b, int64_t width, int64_t height) {
  const Bytes r{b};
  switch (sniff(b)) {
    case Format::kPng: {
      // Chunks are length, type, data, CRC; a missing CRC after the IEND type is forgiven.
      for (size_t i = kPngSignatureBytes; i + 8 <= b.size();) {
        if (b.compare(i + 4, 4, "IEND") == 0) return "";
        i += 12 + size_t(r.be32(i));
      }
      return "truncated: the PNG ends before its IEND chunk";
    }
    case Format::kJpeg: {
      const size_t scan = jpeg_header(b).scan_data;
      // Entropy-coded data escapes 0xFF, so the first FF D9 after the first scan is the EOI.
      if (scan == 0 || b.find("\xFF\xD9", scan) == std::string::npos) {
        return "truncated: the JPEG has no end-of-image marker after its scan data";
      }
      return "";
    }
    case Format::kBmp: {
      const uint64_t offset = r.le32(10);
      const uint32_t header = r.le32(14);
      const uint64_t bpp = header == 12 ? r.le16(24) : r.le16(28);
      const uint64_t stride = (uint64_t(width) * bpp + 31) / 32 * 4;
      const uint64_t end = offset + stride * uint64_t(height);
      if (b.size() < end) {
        return "truncated: the BMP's pixel rows end at byte " + std::to_string(end) +
               ", the file has " + std::to_string(b.size()) + " bytes";
      }
      return "";
    }
    case Format::kUnknown:
      break;
  }
  return "";
}

}  // namespace

Image decode_image(const std::string& bytes, const std::string& source) {
  auto fail = [&](const std::string& what) { throw InputError(source + ": " + what); };

  if (bytes.empty()) fail("file is empty, not a JPEG, PNG or BMP image");
  if (bytes.size() > kMaxImageFileBytes) {
    fail("image is " + std::to_string(bytes.size()) +
         " bytes, over kMaxImageFileBytes = " + std::to_string(kMaxImageFileBytes));
  }
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = int(bytes.size());

  // Header only: the size is known before any pixel buffer exists.
  auto check_declared = [&](int64_t w, int64_t h) {
    const std::string dims = std::to_string(w) + "x" + std::to_string(h);
    if (w <= 0 || h <= 0) fail("image declares " + dims + " pixels");
    if (w > kMaxImagePixels / h) {  // w * h > kMaxImagePixels without overflow
      fail("image declares " + dims +
           " pixels, over kMaxImagePixels = " + std::to_string(kMaxImagePixels));
    }
    if (w > kMaxImageSide || h > kMaxImageSide) {
      fail("image declares " + dims +
           " pixels, a side over kMaxImageSide = " + std::to_string(kMaxImageSide));
    }
  };
  if (const size_t at = jpeg_bad_huffman_table(bytes)) {
    fail("corrupt JPEG: the Huffman table segment at byte " + std::to_string(at) +
         " declares more than 256 codes");
  }
  int info_w = 0, info_h = 0, comp = 0;
  if (!stbi_info_from_memory(data, len, &info_w, &info_h, &comp)) {
    int64_t dw = 0, dh = 0;
    if (declared_size(bytes, &dw, &dh)) check_declared(dw, dh);
    const Format f = sniff(bytes);
    if (f == Format::kUnknown)
      fail("not a JPEG, PNG or BMP image (stb_image: " + stb_reason() + ")");
    const std::string kind = f == Format::kPng ? "PNG" : f == Format::kJpeg ? "JPEG" : "BMP";
    if (header_cut_short(bytes)) fail("truncated: the file ends inside its " + kind + " header");
    fail("corrupt or unsupported " + kind + " header");
  }
  // stbi_info reports a top-down BMP's height as negative.
  const int64_t w = info_w, h = info_h < 0 ? -int64_t(info_h) : int64_t(info_h);
  check_declared(w, h);
  const std::string truncated = truncation(bytes, w, h);
  if (!truncated.empty()) fail(truncated);

  const std::string dims = std::to_string(w) + "x" + std::to_string(h);
  int dw = 0, dh = 0, dc = 0;
  constexpr int kRgb = 3;
  std::unique_ptr<stbi_uc, StbFree> px(stbi_load_from_memory(data, len, &dw, &dh, &dc, kRgb));
  if (!px) {
    std::string reason = stb_reason();
    if (reason == "outofmem") {
      reason +=
          "; buffers are capped at kMaxImageDecodeBytes = " + std::to_string(kMaxImageDecodeBytes) +
          " bytes";
    }
    fail("cannot decode the " + dims + " image, the file is corrupt (stb_image: " + reason + ")");
  }
  if (dw != w || dh != h) {
    fail("header declares " + dims + " pixels but the image decodes to " + std::to_string(dw) +
         "x" + std::to_string(dh));
  }

  Image img;
  img.width = dw;
  img.height = dh;
  img.rgb.assign(px.get(), px.get() + size_t(dw) * size_t(dh) * kRgb);
  return img;
}

Image load_image(const std::string& path) {
  return decode_image(read_file_bytes(path, kMaxImageFileBytes), path);
}

}  // namespace mnet
