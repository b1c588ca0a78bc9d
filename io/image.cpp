#include "io/image.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string_view>

#include "core/error.h"
#include "core/limits.h"
#include "io/atomic_write.h"
#include "io/file_check.h"

// stb is compiled into this file from Debian's headers rather than linked from its libstb.a:
// the two headers are all that any platform needs (several distributions ship stb as headers
// only), and with STB_*_STATIC every stb function is local to this file, so an application
// that embeds its own copy of stb (many libraries do) still links, and a shared libdlcam does
// not need a position-independent libstb.a. The pragmas keep stb's code out of our warnings
// when its headers are not in a system include directory.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STBI_FAILURE_USERMSG
// Only the decoders for the formats that images for networks come in. stb_image's GIF, PSD,
// TGA, HDR and PIC decoders are compiled out: they are rarely needed, and each has had
// memory-safety bugs reachable from a crafted file. GIF, PSD, HDR and PIC files are refused by
// name; a TGA file, which has no signature, gets stb's "not of any known type".
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
// stb's internal assertions are off in every build, as a Release build (NDEBUG) has them:
// the fuzz and sanitizer builds then test the decoder that ships. One fires on a corrupt JPEG
// bitstream (stbi__jpeg_huff_decode, a symbol that does not match its code) where the
// decoder goes on harmlessly and fails later with "Corrupt JPEG"; a memory error past a
// failed assertion would still be caught by the sanitizers.
#define STBI_ASSERT(x) ((void)0)
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace dlcam {

namespace {

std::string readFileBytes(const std::string& path) {
  requireReadableFile(path, "image");
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > static_cast<uintmax_t>(INT64_MAX / 2)) fail("readImage: ", path, ": the file is too large");
  if (!ec) checkMemoryCap(static_cast<int64_t>(size), Device::CPU, detail::cat("readImage: ", path, ": reading the file"));
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("readImage: ", path, ": cannot open the file (", std::strerror(errno), ")");
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) fail("readImage: ", path, ": reading the file failed");
  return bytes;
}

// Netpbm gray maps (PGM) and pixmaps (PPM), plain (P2, P3: decimal text) and raw (P5, P6:
// binary), with 8- or 16-bit samples. stb_image 2.27 reads only the raw ones and takes the low byte of a 16-bit
// sample (the file's are big-endian), so dlcam reads all four itself. Samples are scaled from
// 0…maxval to 0…255 and rounded, as the format defines a sample's intensity as value/maxval.
class PnmReader {
 public:
  PnmReader(const std::string& path, std::string_view bytes) : path_(path), bytes_(bytes) {}

  static bool handles(std::string_view bytes) {
    return bytes.size() >= 2 && bytes[0] == 'P' && std::string_view("2356").find(bytes[1]) != std::string_view::npos;
  }

  Image read() {
    const char kind = bytes_[1];
    const bool plain = kind == '2' || kind == '3';
    const int64_t channels = kind == '3' || kind == '6' ? 3 : 1;
    pos_ = 2;
    if (pos_ < bytes_.size() && !isSpace(bytes_[pos_]) && bytes_[pos_] != '#')
      malformed("expected whitespace after the magic number");
    const int64_t width = headerNumber("width", 1, kMaxDimension);
    const int64_t height = headerNumber("height", 1, kMaxDimension);
    const int64_t maxval = headerNumber("maxval", 1, 65535);
    const int64_t samples = height * width * channels;

    if (plain) {
      // Each sample takes at least one character: checked before allocating for a corrupt size.
      if (bytes_.size() - pos_ < static_cast<size_t>(samples))
        truncated(detail::cat(samples, " samples cannot fit in the ", bytes_.size() - pos_, " bytes left"));
      Image image(height, width, channels);
      image.bitsPerSample = maxval > 255 ? 16 : 8;
      for (int64_t i = 0; i < samples; ++i) {
        const int64_t value = number("sample", 65535);
        if (value < 0) truncated(detail::cat("expected ", samples, " samples, found ", i));
        image.pixels[static_cast<size_t>(i)] = scaled(value, maxval, i);
      }
      return image;
    }
    // One whitespace character ends the header of a raw file; the samples follow.
    if (pos_ >= bytes_.size() || !isSpace(bytes_[pos_])) malformed("expected one whitespace character after maxval");
    ++pos_;
    const int64_t bytesPerSample = maxval > 255 ? 2 : 1;
    const auto needed = static_cast<size_t>(samples * bytesPerSample);
    if (bytes_.size() - pos_ < needed)
      truncated(detail::cat("the samples need ", needed, " bytes, the file has ", bytes_.size() - pos_));
    Image image(height, width, channels);
    image.bitsPerSample = maxval > 255 ? 16 : 8;
    const auto* raw = reinterpret_cast<const unsigned char*>(bytes_.data() + pos_);
    for (int64_t i = 0; i < samples; ++i) {
      const int64_t value = bytesPerSample == 1 ? raw[i] : raw[2 * i] << 8 | raw[2 * i + 1];  // big-endian
      image.pixels[static_cast<size_t>(i)] = scaled(value, maxval, i);
    }
    return image;
  }

 private:
  // stb_image's limit too: larger sizes are corrupt headers, not images.
  static constexpr int64_t kMaxDimension = 1 << 24;

  static bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
  static bool isDigit(char c) { return c >= '0' && c <= '9'; }
  std::string kindName() const { return bytes_[1] == '2' || bytes_[1] == '5' ? "PGM" : "PPM"; }

  [[noreturn]] void malformed(const std::string& what) const {
    fail("readImage: ", path_, ": malformed ", kindName(), " (P", bytes_[1], ") file: ", what, " at byte ", pos_);
  }

  // Whitespace and '#' comments (to the end of the line) may separate any two numbers.
  void skipSpaceAndComments() {
    while (pos_ < bytes_.size()) {
      if (isSpace(bytes_[pos_])) {
        ++pos_;
      } else if (bytes_[pos_] == '#') {
        while (pos_ < bytes_.size() && bytes_[pos_] != '\n' && bytes_[pos_] != '\r') ++pos_;
      } else {
        break;
      }
    }
  }

  // A decimal number after whitespace, or -1 when the text ends first.
  int64_t number(const std::string& what, int64_t maxValue) {
    skipSpaceAndComments();
    if (pos_ >= bytes_.size()) return -1;
    if (!isDigit(bytes_[pos_])) {
      const auto c = static_cast<unsigned char>(bytes_[pos_]);
      malformed("expected the " + what + ", found " +
                (std::isprint(c) ? "'" + std::string(1, static_cast<char>(c)) + "'" : "byte " + std::to_string(c)));
    }
    int64_t value = 0;
    while (pos_ < bytes_.size() && isDigit(bytes_[pos_])) {
      value = value * 10 + (bytes_[pos_++] - '0');
      if (value > maxValue) malformed("the " + what + " is larger than " + std::to_string(maxValue));
    }
    return value;
  }

  int64_t headerNumber(const std::string& what, int64_t minValue, int64_t maxValue) {
    const int64_t value = number(what, maxValue);
    if (value < 0) malformed("the file ends before the " + what);
    if (value < minValue) malformed("the " + what + " must be at least " + std::to_string(minValue));
    return value;
  }

  [[noreturn]] void truncated(const std::string& what) const {
    fail("readImage: ", path_, ": truncated ", kindName(), " file: ", what);
  }

  uint8_t scaled(int64_t value, int64_t maxval, int64_t index) const {
    if (value > maxval)
      fail("readImage: ", path_, ": ", kindName(), " sample ", index, " is ", value, ", above the file's maxval ", maxval);
    return static_cast<uint8_t>((value * 255 + maxval / 2) / maxval);
  }

  const std::string& path_;
  std::string_view bytes_;
  size_t pos_ = 0;
};

uint8_t byteAt(std::string_view bytes, size_t i) { return i < bytes.size() ? static_cast<uint8_t>(bytes[i]) : 0; }

// stb_image 2.27 (Debian 12's) does not check that a JPEG Huffman table (a DHT segment)
// defines at most 256 codes, and writes past the end of its table when one defines more
// (found by fuzz/fuzz_image; stb 2.28 checks). Every table is checked here first, read the
// way stb reads it: 17 bytes of header and code counts, then the codes, for as long as the
// segment's length lasts (bytes past the end of the file read as 0, as stb reads them).
void checkJpegHuffmanTables(const std::string& path, std::string_view bytes) {
  // stb skips any number of 0xFF fill bytes before a marker, the first one (SOI) too.
  size_t pos = 0;
  while (pos < bytes.size() && byteAt(bytes, pos) == 0xFF) ++pos;
  if (pos == 0 || byteAt(bytes, pos) != 0xD8) return;  // not a JPEG
  ++pos;
  while (pos + 1 < bytes.size()) {
    const uint8_t marker = byteAt(bytes, pos + 1);
    // Outside marker segments (the entropy-coded data after SOS), a marker is 0xFF followed by
    // neither 0x00 (a stuffed 0xFF byte), 0xFF (fill) nor a restart marker (0xD0-0xD7).
    if (byteAt(bytes, pos) != 0xFF || marker == 0x00 || marker == 0xFF || (marker >= 0xD0 && marker <= 0xD7) ||
        marker == 0x01) {
      ++pos;
      continue;
    }
    if (marker == 0xD9) return;  // end of image
    const int64_t length = byteAt(bytes, pos + 2) << 8 | byteAt(bytes, pos + 3);
    if (marker != 0xC4) {
      pos += 2 + static_cast<size_t>(length);
      continue;
    }
    size_t p = pos + 4;
    for (int64_t left = length - 2; left > 0 && p < bytes.size();) {
      int64_t codes = 0;
      for (size_t i = 1; i <= 16; ++i) codes += byteAt(bytes, p + i);
      if (codes > 256)
        fail("readImage: ", path, ": cannot decode the image (corrupt JPEG: a Huffman table defines ", codes,
             " codes, at most 256 are possible)");
      p += 17 + static_cast<size_t>(codes);
      left -= 17 + codes;
    }
    pos = p;
  }
}

// The formats whose stb decoders are compiled out, by their signatures: refused by name.
void refuseUnsupportedFormat(const std::string& path, std::string_view bytes) {
  const char* format = bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a") ? "GIF"
                       : bytes.starts_with("8BPS")                                ? "PSD"
                       : bytes.starts_with("#?RADIANCE") || bytes.starts_with("#?RGBE") ? "HDR"
                       : bytes.starts_with("\x53\x80\xF6\x34")                   ? "PIC"
                                                                                  : nullptr;
  if (format)
    fail("readImage: ", path, ": ", format, " images are not supported (dlcam reads PNG, JPEG, BMP, PGM and PPM)");
}

Image decodeWithStb(const std::string& path, std::string_view bytes) {
  refuseUnsupportedFormat(path, bytes);
  checkJpegHuffmanTables(path, bytes);
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    fail("readImage: ", path, ": the file has ", bytes.size(), " bytes; stb_image reads at most 2 GB");
  int width = 0, height = 0, channels = 0;
  // The size the header declares, checked against the memory cap before stb allocates for it
  // (a few bytes of PNG or JPEG header can declare a 16384×16384 image).
  const auto* data8 = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int size = static_cast<int>(bytes.size());
  if (stbi_info_from_memory(data8, size, &width, &height, &channels)) {
    const int64_t bits = stbi_is_16_bit_from_memory(data8, size) ? 16 : 8;
    // stb's decoders hold the decoded samples (16-bit ones first as 16-bit) and, for PNG,
    // the filtered rows beside them; for JPEG, a plane per component and, when progressive,
    // 2-byte coefficients too: 4 bytes per sample.
    // stb's BMP header reader gives a top-down image's height as stored: negative.
    const int64_t h = std::llabs(int64_t{height}), w = std::llabs(int64_t{width});
    int64_t decoded = 0;
    const int64_t perSample = byteAt(bytes, 0) == 0xFF ? 4 : 2 * (bits / 8);
    if (__builtin_mul_overflow(w, h, &decoded) || __builtin_mul_overflow(decoded, channels * perSample, &decoded))
      decoded = -1;  // checkMemoryCap: "more than 8 EiB"
    checkMemoryCap(decoded, Device::CPU,
                   detail::cat("readImage: ", path, ": decoding a ", h, "×", w, " image with ", channels, " channels"));
  }
  // Channels as stored (0 asks for no conversion); 16-bit samples become 8-bit (stb keeps the
  // high byte).
  stbi_uc* data = stbi_load_from_memory(data8, size, &width, &height, &channels, 0);
  if (!data) {
    const std::string reason = stbi_failure_reason();
    fail("readImage: ", path, ": cannot decode the image (stb_image: ", reason, ")",
         reason.find("known type") != std::string::npos ? "; dlcam reads PNG, JPEG, BMP, PGM and PPM" : "");
  }
  const std::unique_ptr<stbi_uc, void (*)(void*)> owner(data, stbi_image_free);
  Image image(height, width, channels);
  if (stbi_is_16_bit_from_memory(data8, size)) image.bitsPerSample = 16;
  std::copy_n(data, image.pixels.size(), image.pixels.begin());
  return image;
}

// ITU-R BT.601 luma (0.299, 0.587, 0.114) in stb's 8-bit fixed point, so that a gray image
// from dlcam matches one that stb converts itself.
uint8_t luma(uint8_t r, uint8_t g, uint8_t b) { return static_cast<uint8_t>((r * 77 + g * 150 + b * 29) >> 8); }

// stb_image's channel conversions, done here for every format so that they are the same for
// all of them (stb's JPEG decoder, asked for gray, returns the JPEG's own luma instead).
Image convertStoredChannels(Image in, int64_t channels) {
  if (channels == in.channels) return in;
  Image out(in.height, in.width, channels);
  out.bitsPerSample = in.bitsPerSample;
  const bool color = in.channels >= 3, alpha = in.channels == 2 || in.channels == 4;
  const int64_t pixels = in.height * in.width;
  for (int64_t i = 0; i < pixels; ++i) {
    const uint8_t* p = in.pixels.data() + i * in.channels;
    uint8_t* q = out.pixels.data() + i * channels;
    const uint8_t gray = color ? luma(p[0], p[1], p[2]) : p[0];
    const uint8_t opacity = alpha ? p[in.channels - 1] : 255;
    if (channels <= 2) {
      q[0] = gray;
    } else {
      for (int k = 0; k < 3; ++k) q[k] = color ? p[k] : gray;
    }
    if (channels == 2 || channels == 4) q[channels - 1] = opacity;
  }
  return out;
}

}  // namespace

namespace {

// height·width·channels, checked before anything is allocated for it.
size_t pixelCount(int64_t height, int64_t width, int64_t channels) {
  if (height < 0 || width < 0 || channels < 1 || channels > 4)
    fail("Image: a ", height, "×", width, " image with ", channels, " channels is not valid (channels 1…4)");
  int64_t count = 0;
  if (__builtin_mul_overflow(height, width, &count) || __builtin_mul_overflow(count, channels, &count))
    fail("Image: a ", height, "×", width, "×", channels, " image is too large");
  return static_cast<size_t>(count);
}

}  // namespace

Image::Image(int64_t height, int64_t width, int64_t channels)
    : height(height), width(width), channels(channels), pixels(pixelCount(height, width, channels), 0) {}

void checkImage(const Image& image, const char* what) {
  const int64_t h = image.height, w = image.width, c = image.channels;
  if (c < 1 || c > 4) fail(what, ": an image has 1 to 4 channels, got ", c);
  if (h < 1 || w < 1) fail(what, ": the image is empty (", h, "×", w, " pixels)");
  int64_t count = 0;
  if (__builtin_mul_overflow(h, w, &count) || __builtin_mul_overflow(count, c, &count))
    fail(what, ": a ", h, "×", w, "×", c, " image is too large");
  if (image.pixels.size() != static_cast<size_t>(count))
    fail(what, ": a ", h, "×", w, "×", c, " image needs ", count, " pixel values, it holds ", image.pixels.size());
}

Image convertChannels(Image image, int channels) {
  if (channels < 1 || channels > 4) fail("convertChannels: channels must be 1 to 4, got ", channels);
  checkImage(image, "convertChannels");
  return convertStoredChannels(std::move(image), channels);
}

Image decodeImage(std::span<const uint8_t> bytes, int channels, const std::string& name) {
  if (channels < 0 || channels > 4)
    fail("readImage: ", name, ": channels must be 0 (as stored) or 1 to 4, got ", channels);
  if (bytes.empty()) fail("readImage: ", name, ": the file is empty");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.starts_with("P1") || text.starts_with("P4"))
    fail("readImage: ", name, ": PBM bitmaps (P1, P4) are not supported; save the image as PGM or PNG");
  Image image = PnmReader::handles(text) ? PnmReader(name, text).read() : decodeWithStb(name, text);
  return channels == 0 ? image : convertStoredChannels(std::move(image), channels);
}

Image readImage(const std::string& path, int channels) {
  if (channels < 0 || channels > 4)
    fail("readImage: ", path, ": channels must be 0 (as stored) or 1 to 4, got ", channels);
  const std::string bytes = readFileBytes(path);
  return decodeImage({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, channels, path);
}

void writePng(const std::string& path, const Image& image) {
  StagedFiles file;
  writePng(path, image, file);
  file.commit();
}

void writePng(const std::string& path, const Image& image, StagedFiles& files) {
  const std::string what = "writePng: " + path;
  checkImage(image, what.c_str());
  const int64_t h = image.height, w = image.width, c = image.channels;
  if (h > INT_MAX || w > INT_MAX / c) fail(what, ": a ", h, "×", w, " image is too large for a PNG");

  std::string png;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &png, static_cast<int>(w), static_cast<int>(h), static_cast<int>(c),
                              image.pixels.data(), static_cast<int>(w * c)))
    fail(what, ": encoding the PNG failed (out of memory)");
  files.stage(path, "writePng",
              [&](std::ostream& out) { out.write(png.data(), static_cast<std::streamsize>(png.size())); });
}

Tensor imageToTensor(const Image& image) {
  checkImage(image, "imageToTensor");
  Tensor t(Shape{image.height, image.width, image.channels});
  float* out = t.data<float>();
  for (int64_t c = 0; c < image.channels; ++c)
    for (int64_t x = 0; x < image.width; ++x)
      for (int64_t y = 0; y < image.height; ++y)
        out[y + image.height * (x + image.width * c)] = image.at(y, x, c);
  return t;
}

Image tensorToImage(const Tensor& hwc) {
  if (hwc.rank() != 2 && hwc.rank() != 3)
    fail("tensorToImage: expected an h×w or h×w×c tensor, got ", hwc.shape().str());
  const int64_t channels = hwc.rank() == 3 ? hwc.shape()[2] : 1;
  if (channels < 1 || channels > 4) fail("tensorToImage: an image has 1 to 4 channels, got ", hwc.shape().str());
  Image image(hwc.shape()[0], hwc.shape()[1], channels);
  Tensor t = hwc.to(DType::Float64);
  const double* in = t.data<double>();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t x = 0; x < image.width; ++x)
      for (int64_t y = 0; y < image.height; ++y) {
        double v = in[y + image.height * (x + image.width * c)];
        image.at(y, x, c) = std::isnan(v) ? 0 : static_cast<uint8_t>(std::clamp(std::round(v), 0.0, 255.0));
      }
  return image;
}

}  // namespace dlcam
