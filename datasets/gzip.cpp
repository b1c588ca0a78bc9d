#include "datasets/gzip.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <iomanip>
#include <memory>
#include <sstream>

#include "core/error.h"

// stb_image's zlib decoder, compiled into this file alone: io/image.cpp compiles its own copy
// of stb with every function static (it explains why), so none of them can be called from
// here. STBI_ONLY_ZLIB turns every image decoder off and keeps the inflater; STB_IMAGE_STATIC
// keeps this copy local too. The pragmas keep stb's code out of our warnings.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STB_IMAGE_STATIC
#define STBI_ONLY_ZLIB
#define STBI_SUPPORT_ZLIB
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace dlcam::datasets::detail {

namespace {

constexpr std::array<uint32_t, 256> makeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = makeCrcTable();

// Header flags (RFC 1952, 2.3.1). Bit 0 (FTEXT) is only a hint; bits 5 to 7 are reserved.
constexpr uint8_t kHeaderCrc = 0x02, kExtra = 0x04, kName = 0x08, kComment = 0x10, kReserved = 0xE0;
constexpr size_t kFixedHeader = 10;  // ID1 ID2 CM FLG MTIME(4) XFL OS
constexpr size_t kTrailer = 8;       // CRC-32 and ISIZE (the input's length mod 2^32), little-endian
// Deflate cannot expand data more than 1032 times: a bound on the output for a corrupt ISIZE.
constexpr uint64_t kMaxDeflateRatio = 1032;

uint8_t byteAt(std::string_view bytes, size_t at) { return static_cast<uint8_t>(bytes[at]); }
uint32_t readLe16(std::string_view bytes, size_t at) { return byteAt(bytes, at) | byteAt(bytes, at + 1) << 8; }
uint32_t readLe32(std::string_view bytes, size_t at) {
  return readLe16(bytes, at) | static_cast<uint32_t>(readLe16(bytes, at + 2)) << 16;
}

std::string hex(uint32_t value, int digits) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(digits) << std::setfill('0') << value;
  return out.str();
}

template <typename... Args>
[[noreturn]] void failGzip(const char* what, const std::string& path, const Args&... why) {
  fail(what, ": ", path, ": ", why...);
}

}  // namespace

bool isGzip(std::string_view bytes) {
  return bytes.size() >= 2 && byteAt(bytes, 0) == 0x1f && byteAt(bytes, 1) == 0x8b;
}

uint32_t crc32(std::string_view bytes) {
  uint32_t c = 0xFFFFFFFFu;
  for (char b : bytes) c = kCrcTable[(c ^ static_cast<uint8_t>(b)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string gunzip(std::string_view bytes, const std::string& path, const char* what) {
  if (!isGzip(bytes)) failGzip(what, path, "not a gzip file (it does not start with 1f 8b)");
  if (bytes.size() < kFixedHeader + kTrailer)
    failGzip(what, path, "truncated gzip file (", bytes.size(), " bytes; header and trailer alone take 18)");
  const uint8_t method = byteAt(bytes, 2), flags = byteAt(bytes, 3);
  if (method != 8) failGzip(what, path, "gzip compression method ", int(method), ", expected 8 (deflate)");
  if (flags & kReserved) failGzip(what, path, "gzip header has reserved flags set (", hex(flags, 2), ")");

  // The optional header fields, in the order RFC 1952 puts them; none may run into the trailer.
  const size_t end = bytes.size() - kTrailer;
  size_t pos = kFixedHeader;
  if (flags & kExtra) {
    if (pos + 2 > end || pos + 2 + readLe16(bytes, pos) > end)
      failGzip(what, path, "truncated gzip header (the extra field runs past the data)");
    pos += 2 + readLe16(bytes, pos);
  }
  for (const auto& [flag, field] : {std::pair{kName, "file name"}, std::pair{kComment, "comment"}}) {
    if (!(flags & flag)) continue;
    const size_t zero = bytes.find('\0', pos);
    if (zero == std::string_view::npos || zero >= end)
      failGzip(what, path, "truncated gzip header (the ", field, " has no end)");
    pos = zero + 1;
  }
  if (flags & kHeaderCrc) {
    if (pos + 2 > end) failGzip(what, path, "truncated gzip header (no room for the header CRC)");
    const uint32_t stored = readLe16(bytes, pos), actual = crc32(bytes.substr(0, pos)) & 0xFFFF;
    if (stored != actual)
      failGzip(what, path, "gzip header CRC mismatch (stored ", hex(stored, 4), ", computed ", hex(actual, 4), ")");
    pos += 2;
  }

  // The inflater is handed the trailer too. It stops at the last block's end code by itself,
  // but the stb_image in Debian 12 (2.27) reports "bad huffman code" when fewer than 16 bits
  // are left after a code (a zlib stream in a PNG always has its 4-byte checksum after it).
  const std::string_view deflate = bytes.substr(pos);
  if (deflate.size() > static_cast<size_t>(INT_MAX))
    failGzip(what, path, "gzip data of ", deflate.size(), " bytes is more than the inflater takes (2 GiB)");
  const uint32_t storedCrc = readLe32(bytes, end), storedSize = readLe32(bytes, end + 4);
  // Start with the size the trailer promises, so the output is allocated once.
  const uint64_t sizeHint =
      std::clamp<uint64_t>(storedSize, 1, std::min<uint64_t>(kMaxDeflateRatio * deflate.size() + 64, INT_MAX));
  int outLength = 0;
  std::unique_ptr<char, decltype(&std::free)> out(
      stbi_zlib_decode_malloc_guesssize_headerflag(deflate.data(), static_cast<int>(deflate.size()),
                                                   static_cast<int>(sizeHint), &outLength, 0),
      &std::free);
  if (!out) failGzip(what, path, "corrupt or truncated gzip data (the inflater says: ", stbi_failure_reason(), ")");

  std::string result(out.get(), static_cast<size_t>(outLength));
  if (static_cast<uint32_t>(outLength) != storedSize)
    failGzip(what, path, "the gzip trailer gives a length of ", storedSize, " bytes but the data inflates to ",
             outLength, " (a truncated file, or more than one gzip member)");
  const uint32_t actualCrc = crc32(result);
  if (actualCrc != storedCrc)
    failGzip(what, path, "gzip CRC-32 mismatch (the trailer says ", hex(storedCrc, 8), ", the data gives ",
             hex(actualCrc, 8), "): the file is corrupt");
  return result;
}

}  // namespace dlcam::datasets::detail
