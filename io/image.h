// Image files: reading PNG, JPEG, BMP and PGM/PPM, and writing PNG, with Debian's stb
// (libstb-dev). GIF, PSD, TGA, HDR and PIC, which stb_image could read, are refused: their
// decoders are compiled out (io/image.cpp says why).
//
//   Image img = readImage("dog.jpg");          // as stored: 1 (gray), 2, 3 (RGB) or 4 channels
//   Image rgb = readImage("dog.jpg", 3);        // converted to RGB (gray is replicated)
//   Tensor x = imageToTensor(rgb);              // h×w×3 float32, values 0…255 (MATLAB single(imread(...)))
//   writePng("out.png", tensorToImage(x));
//
// Pixels are 8-bit. An Image is interleaved and row-major (pixel (y, x), channel c is
// pixels[(y·width + x)·channels + c]), as image files and stb hold them; a Tensor is
// column-major h×w×c, as MATLAB holds an image.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace dlcam {

class StagedFiles;

struct Image {
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;         // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
  std::vector<uint8_t> pixels;  // height·width·channels, interleaved, row-major
  int bitsPerSample = 8;        // as stored in the file (16: read as 8-bit); 8 for a made image

  Image() = default;
  // A black image (all zeros) of this size. Throws dlcam::Error, before allocating anything,
  // for a negative height or width, channels outside 1…4, or a size that cannot be allocated.
  Image(int64_t height, int64_t width, int64_t channels);
  uint8_t& at(int64_t y, int64_t x, int64_t c) { return pixels[static_cast<size_t>((y * width + x) * channels + c)]; }
  uint8_t at(int64_t y, int64_t x, int64_t c) const { return pixels[static_cast<size_t>((y * width + x) * channels + c)]; }
};

// Reads an image file. channels 0 keeps the file's channels; 1…4 converts, the same way for
// every format: RGB to gray uses stb's weights (77·R + 150·G + 29·B) / 256, rounded down; gray
// is replicated to RGB; alpha is dropped, or set to 255 when added. A palette image reads as RGB
// (RGBA with transparency). 16-bit PNG samples keep their high byte (stb's 8-bit conversion).
// PGM/PPM files, plain (P2, P3) and raw (P5, P6), 8- or 16-bit, are read by dlcam itself (stb
// reads neither the plain ones nor 16-bit raw ones correctly): samples are scaled from
// 0…maxval to 0…255 and rounded. Throws dlcam::Error, one line naming the path, when the file
// is missing ("no such file"), empty or unreadable, when stb cannot decode it (with stb's
// reason), for a GIF, PSD, HDR or PIC file, for a malformed or truncated PGM/PPM, when the
// decoded image would not fit under the memory cap (core/limits.h), or when channels is
// outside 0…4.
Image readImage(const std::string& path, int channels = 0);
// The same for an image file's bytes held in memory; `name` stands for the path in messages.
// The size an image's header declares is checked against the memory cap (core/limits.h)
// before any pixel is allocated.
Image decodeImage(std::span<const uint8_t> bytes, int channels = 0, const std::string& name = "<memory>");

// The image with `channels` (1…4) channels, converted as readImage converts. Throws
// dlcam::Error for a channel count outside 1…4.
Image convertChannels(Image image, int channels);

// Throws dlcam::Error "<what>: <why>" unless the image is non-empty (height and width ≥ 1) with
// 1 to 4 channels and height·width·channels pixel values.
void checkImage(const Image& image, const char* what);

// Writes an 8-bit PNG (1…4 channels: gray, gray+alpha, RGB, RGBA). The file appears complete or
// not at all: it is written to a temporary file beside `path` and renamed, replacing any file
// there; on failure no file is left behind. Throws dlcam::Error naming the path when the image
// fails checkImage or the file cannot be written.
void writePng(const std::string& path, const Image& image);
// The same, staged in `files`: `path` is replaced when files.commit() runs (io/atomic_write.h).
void writePng(const std::string& path, const Image& image, StagedFiles& files);

// h×w×c float32 tensor (column-major), values 0…255. Throws dlcam::Error when the image fails
// checkImage.
Tensor imageToTensor(const Image& image);
// The inverse for a rank-2 (h×w, gray) or rank-3 (h×w×c, c in 1…4) tensor of any dtype: values
// are rounded to the nearest integer and clamped to 0…255 (NaN becomes 0). Throws dlcam::Error
// for other ranks or channel counts.
Image tensorToImage(const Tensor& hwc);

}  // namespace dlcam
