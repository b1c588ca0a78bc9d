// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 70000 28×28 gray images of clothing in 10
// classes, read from the IDX files Debian's dataset-fashion-mnist package installs
// (/usr/share/datasets/fashion-mnist/*-ubyte.gz); plus the rotation that makes the
// regression example's data (MATLAB's digit-rotation data, made from Fashion-MNIST here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace dlcam::datasets {

// The package's folder, or $DLCAM_FASHION_MNIST when set.
std::string fashionMnistFolder();

// "T-shirt/top", "Trouser", … "Ankle boot", in label order.
const std::vector<std::string>& fashionMnistClassNames();

struct ImageSet {
  Tensor images;                // h×w×1×N float32, values 0…255, MATLAB layout: images(r, c, 0, n)
  std::vector<int64_t> labels;  // N class indices
};

enum class Split { Train, Test };

// The first `limit` images of a split (all when limit < 0 or larger than the split). Reads
// "<folder>/train-images-idx3-ubyte.gz" and "train-labels-idx1-ubyte.gz" (Test: "t10k-…"), or
// the files without ".gz" when only those are there. Throws dlcam::Error naming the file and
// saying which package installs it when a file is missing, and naming the file for one that is
// not a valid (gzip-compressed or plain) IDX file of the expected type and size, or holds a
// label outside 0…9.
ImageSet readFashionMnist(Split split, int64_t limit = -1, const std::string& folder = fashionMnistFolder());

// An IDX file (plain or gzip-compressed): its dimensions and its unsigned-byte values in the
// file's (row-major) order. Throws dlcam::Error naming the file when it cannot be read or
// decompressed, or its element type is not unsigned byte.
struct IdxBytes {
  std::vector<int64_t> dims;
  std::vector<uint8_t> values;
};
IdxBytes readIdx(const std::string& path);

// The image (h×w×c, MATLAB layout) turned counter-clockwise by `degrees` about its centre,
// as MATLAB's imrotate(I, degrees, 'bilinear', 'crop'): same size, bilinear interpolation,
// `fill` where the turned image does not reach. The centre is ((h−1)/2, (w−1)/2) (0-based rows
// and columns, rows counted downwards as displayed); output pixel (y, x) takes the input at the
// inversely turned position, interpolated over the input surrounded by `fill` (MATLAB's
// imrotate pads with 0), so a border pixel of the turned image blends with `fill`. Multiples of
// 90° move pixels exactly. Any further dimensions (c, n…) are turned plane by plane; the dtype
// is kept. Throws dlcam::Error for a rank below 2 or an angle that is not finite.
Tensor rotateImage(const Tensor& image, double degrees, float fill = 0.0f);

}  // namespace dlcam::datasets
