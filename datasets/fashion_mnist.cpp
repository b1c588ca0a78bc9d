#include "datasets/fashion_mnist.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numbers>

#include "core/error.h"
#include "datasets/gzip.h"
#include "io/file_check.h"

namespace dlcam::datasets {

namespace {

constexpr const char* kDefaultFolder = "/usr/share/datasets/fashion-mnist";
constexpr const char* kWhat = "readIdx";
constexpr uint8_t kUnsignedByte = 0x08;

std::string readFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(kWhat, ": ", path, ": cannot open the file (", std::strerror(errno), ")");
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) fail(kWhat, ": ", path, ": reading the file failed");
  return bytes;
}

const char* idxTypeName(uint8_t code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "short";
    case 0x0C: return "int";
    case 0x0D: return "float";
    case 0x0E: return "double";
    default: return "unknown";
  }
}

uint32_t readBe32(std::string_view bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

// The package's file for one split and one part: "train-images-idx3-ubyte.gz" and so on; the
// uncompressed file is taken when only it is there.
std::string splitFile(const std::string& folder, Split split, const char* part) {
  const std::string name = std::string(split == Split::Train ? "train" : "t10k") + "-" + part + "-ubyte";
  const std::string stem = (std::filesystem::path(folder) / name).string();
  if (std::filesystem::exists(stem + ".gz")) return stem + ".gz";
  if (std::filesystem::exists(stem)) return stem;
  fail("readFashionMnist: ", stem, ".gz: no such file (install Debian's dataset-fashion-mnist package, ",
       "or set DLCAM_FASHION_MNIST to a folder holding the Fashion-MNIST IDX files)");
}

// Exact cosine and sine at multiples of 90° (so quarter turns move pixels exactly).
std::pair<double, double> cosSinDegrees(double degrees) {
  const double turned = std::fmod(degrees, 360.0);
  if (turned == 0) return {1, 0};
  if (std::abs(turned) == 180) return {-1, 0};
  if (turned == 90 || turned == -270) return {0, 1};
  if (turned == -90 || turned == 270) return {0, -1};
  const double radians = degrees * std::numbers::pi / 180;
  return {std::cos(radians), std::sin(radians)};
}

}  // namespace

std::string fashionMnistFolder() {
  const char* env = std::getenv("DLCAM_FASHION_MNIST");
  return env && *env ? std::string(env) : std::string(kDefaultFolder);
}

const std::vector<std::string>& fashionMnistClassNames() {
  static const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

IdxBytes readIdx(const std::string& path) {
  requireReadableFile(path, "IDX file");
  std::string bytes = readFileBytes(path);
  if (detail::isGzip(bytes)) bytes = detail::gunzip(bytes, path, kWhat);

  // Magic number: two zero bytes, the element type, the number of dimensions; then one
  // big-endian 32-bit size per dimension and the values, row-major.
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0)
    fail(kWhat, ": ", path, ": not an IDX file (it does not start with two zero bytes)");
  const uint8_t type = static_cast<uint8_t>(bytes[2]);
  const size_t rank = static_cast<uint8_t>(bytes[3]);
  if (type != kUnsignedByte)
    fail(kWhat, ": ", path, ": IDX element type 0x", std::hex, int(type), std::dec, " (", idxTypeName(type),
         "), expected 0x08 (unsigned byte)");
  const size_t headerSize = 4 + 4 * rank;
  if (bytes.size() < headerSize)
    fail(kWhat, ": ", path, ": truncated IDX header (", rank, " dimensions need ", headerSize, " bytes, the file has ",
         bytes.size(), ")");

  IdxBytes idx;
  const uint64_t available = bytes.size() - headerSize;
  uint64_t count = 1;  // the values the dimensions call for, saturated at available + 1 (no overflow)
  for (size_t d = 0; d < rank; ++d) {
    const uint64_t size = readBe32(bytes, 4 + 4 * d);
    idx.dims.push_back(static_cast<int64_t>(size));
    count = size != 0 && count > (available + 1) / size ? available + 1 : count * size;
  }
  if (count != available)
    fail(kWhat, ": ", path, ": the IDX header gives dimensions ", dlcam::detail::bracketed(idx.dims), " but ",
         available, " value bytes follow (", count > available ? "a truncated file" : "extra bytes at the end", ")");
  idx.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(headerSize), bytes.end());
  return idx;
}

ImageSet readFashionMnist(Split split, int64_t limit, const std::string& folder) {
  const std::string imagesPath = splitFile(folder, split, "images-idx3");
  const std::string labelsPath = splitFile(folder, split, "labels-idx1");
  const IdxBytes images = readIdx(imagesPath);
  const IdxBytes labels = readIdx(labelsPath);
  if (images.dims.size() != 3)
    fail("readFashionMnist: ", imagesPath, ": expected images N×h×w (3 dimensions), got ",
         dlcam::detail::bracketed(images.dims));
  if (labels.dims.size() != 1)
    fail("readFashionMnist: ", labelsPath, ": expected labels N (1 dimension), got ",
         dlcam::detail::bracketed(labels.dims));
  if (labels.dims[0] != images.dims[0])
    fail("readFashionMnist: ", labelsPath, ": ", labels.dims[0], " labels for ", images.dims[0], " images in ",
         imagesPath);
  const int64_t classes = static_cast<int64_t>(fashionMnistClassNames().size());
  for (size_t i = 0; i < labels.values.size(); ++i)
    if (labels.values[i] >= classes)
      fail("readFashionMnist: ", labelsPath, ": label ", int(labels.values[i]), " of image ", i, " is not a class (0…",
           classes - 1, ")");

  const int64_t n = limit < 0 ? images.dims[0] : std::min(limit, images.dims[0]);
  const int64_t h = images.dims[1], w = images.dims[2];
  ImageSet set{Tensor(Shape{h, w, 1, n}), std::vector<int64_t>(labels.values.begin(), labels.values.begin() + n)};
  // IDX holds [n][r][c] (row-major); the tensor wants (r, c, 0, n) at r + h·c + h·w·n.
  float* out = set.images.data<float>();
  for (int64_t k = 0; k < n; ++k)
    for (int64_t r = 0; r < h; ++r)
      for (int64_t c = 0; c < w; ++c)
        out[r + h * c + h * w * k] = images.values[static_cast<size_t>((k * h + r) * w + c)];
  return set;
}

Tensor rotateImage(const Tensor& image, double degrees, float fill) {
  if (image.rank() < 2)
    fail("rotateImage: expected an image h×w or h×w×c…, got a tensor of shape ", image.shape().str());
  if (!std::isfinite(degrees)) fail("rotateImage: the angle must be finite, got ", degrees);
  const int64_t h = image.shape()[0], w = image.shape()[1];
  const int64_t planes = h * w == 0 ? 0 : image.numel() / (h * w);
  // Not a structured binding: clang before 16 cannot capture one in a lambda (the fuzz build).
  const auto turn = cosSinDegrees(degrees);
  const double cosA = turn.first, sinA = turn.second;
  const double cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
  Tensor out = Tensor::empty(image.shape(), image.dtype());
  visitFloat(image.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* in = image.data<T>();
    T* result = out.data<T>();
    for (int64_t x = 0; x < w; ++x)
      for (int64_t y = 0; y < h; ++y) {
        // Turning by +degrees counter-clockwise on screen (rows grow downwards) takes the offset
        // (dx, dy) to (dx·cos + dy·sin, −dx·sin + dy·cos); the source is the inverse turn.
        const double dx = x - cx, dy = y - cy;
        const double sx = cx + dx * cosA - dy * sinA, sy = cy + dx * sinA + dy * cosA;
        const double fx = std::floor(sx), fy = std::floor(sy);
        const double ax = sx - fx, ay = sy - fy;
        const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
        // Bilinear over the image extended by `fill`: the four neighbours, their weights, and
        // their offsets within a plane (-1 for one outside the image, which counts as fill).
        const double weight[4] = {(1 - ay) * (1 - ax), (1 - ay) * ax, ay * (1 - ax), ay * ax};
        int64_t offset[4];
        for (int k = 0; k < 4; ++k) {
          const int64_t yy = y0 + k / 2, xx = x0 + k % 2;
          offset[k] = yy >= 0 && yy < h && xx >= 0 && xx < w ? yy + h * xx : -1;
        }
        for (int64_t p = 0; p < planes; ++p) {
          const T* plane = in + p * h * w;
          double value = 0;
          for (int k = 0; k < 4; ++k)
            if (weight[k] != 0) value += weight[k] * (offset[k] >= 0 ? double(plane[offset[k]]) : double(fill));
          result[p * h * w + y + h * x] = static_cast<T>(value);
        }
      }
  });
  return out;
}

}  // namespace dlcam::datasets
