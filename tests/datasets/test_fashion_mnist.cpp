#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/fashion_mnist.h"
#include "tests/support/fixture.h"
#include "tests/support/paths.h"
#include "tests/support/temp_dir.h"

using namespace dlcam;
using namespace dlcam::datasets;
namespace fs = std::filesystem;

namespace {

// Written by tests/fixtures/datasets/make_dataset_fixtures.py.
std::string fixture(const std::string& name) {
  return (test::fixturesDir() / "datasets" / name).string();
}

// tiny.idx: dims 3×4×5, row-major element L holds (7·L + 3) mod 256.
void checkTiny(const IdxBytes& idx) {
  CHECK(idx.dims == std::vector<int64_t>{3, 4, 5});
  REQUIRE(idx.values.size() == 60);
  for (size_t L = 0; L < 60; ++L) CHECK(idx.values[L] == (7 * L + 3) % 256);
}

std::string withBytes(const test::TempDir& dir, const std::string& name, const std::string& bytes) {
  const std::string path = dir.file(name);
  test::writeText(path, bytes);
  return path;
}

// The error readIdx throws for a file, which must name it.
std::string idxError(const std::string& path) {
  try {
    readIdx(path);
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK_MESSAGE(message.find(path) != std::string::npos, message);
    return message;
  }
  FAIL("readIdx accepted " << path);
  return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A tensor h×w×c (column-major) from a function of (y, x, c).
template <typename F>
Tensor image(int64_t h, int64_t w, int64_t c, F value) {
  Tensor t(Shape{h, w, c});
  float* p = t.data<float>();
  for (int64_t k = 0; k < c; ++k)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t y = 0; y < h; ++y) p[y + h * (x + w * k)] = static_cast<float>(value(y, x, k));
  return t;
}

float pixel(const Tensor& t, int64_t y, int64_t x, int64_t c = 0) {
  const int64_t h = t.shape()[0], w = t.shape()[1];
  return t.data<float>()[y + h * (x + w * c)];
}

}  // namespace

TEST_CASE("readIdx reads a plain IDX file") { checkTiny(readIdx(fixture("tiny.idx"))); }

TEST_CASE("readIdx reads gzip-compressed IDX files, with every optional gzip header field") {
  checkTiny(readIdx(fixture("tiny.idx.gz")));
  checkTiny(readIdx(fixture("tiny-all-fields.idx.gz")));
}

TEST_CASE("readIdx names the file when it is missing, not IDX, of another type or the wrong size") {
  test::TempDir dir("idx");
  const std::string plain = test::readText(fixture("tiny.idx"));
  CHECK(contains(idxError(dir.file("absent.idx")), "no such file"));
  CHECK(contains(idxError(withBytes(dir, "empty.idx", "")), "not an IDX file"));
  CHECK(contains(idxError(withBytes(dir, "zip.idx", "PK\x03\x04 not idx")), "not an IDX file"));
  std::string floats = plain;
  floats[2] = 0x0D;
  CHECK(contains(idxError(withBytes(dir, "float.idx", floats)), "element type 0xd (float), expected 0x08"));
  CHECK(contains(idxError(withBytes(dir, "header.idx", plain.substr(0, 10))), "truncated IDX header"));
  CHECK(contains(idxError(withBytes(dir, "short.idx", plain.substr(0, plain.size() - 1))),
                 "dimensions [3 4 5] but 59 value bytes follow (a truncated file)"));
  CHECK(contains(idxError(withBytes(dir, "long.idx", plain + "x")), "61 value bytes follow (extra bytes at the end)"));
  // A dimension so large that the product of all of them would overflow 64 bits.
  std::string huge = plain;
  huge[4] = huge[8] = huge[12] = '\xff';
  CHECK(contains(idxError(withBytes(dir, "huge.idx", huge)), "a truncated file"));
}

TEST_CASE("readIdx names the file for a truncated or corrupt gzip file") {
  test::TempDir dir("gzip");
  const std::string gz = test::readText(fixture("tiny.idx.gz"));
  const std::string all = test::readText(fixture("tiny-all-fields.idx.gz"));
  const auto changed = [](std::string bytes, size_t at, char value) {
    bytes[at] = value;
    return bytes;
  };
  // The trailer: CRC-32 then the length, each 4 bytes, little-endian, at the end.
  const size_t crcAt = gz.size() - 8, sizeAt = gz.size() - 4;
  CHECK(contains(idxError(withBytes(dir, "cut.gz", gz.substr(0, gz.size() - 12))), "gzip"));
  CHECK(contains(idxError(withBytes(dir, "tiny.gz", gz.substr(0, 12))), "truncated gzip file"));
  CHECK(contains(idxError(withBytes(dir, "method.gz", changed(gz, 2, 7))), "compression method 7, expected 8"));
  CHECK(contains(idxError(withBytes(dir, "flags.gz", changed(gz, 3, '\x28'))), "reserved flags set (0x28)"));
  CHECK(contains(idxError(withBytes(dir, "crc.gz", changed(gz, crcAt, char(gz[crcAt] ^ 1)))), "CRC-32 mismatch"));
  CHECK(contains(idxError(withBytes(dir, "size.gz", changed(gz, sizeAt, char(gz[sizeAt] + 1)))),
                 "the data inflates to 76"));
  // A byte flipped in the compressed data: the inflater fails or the CRC shows it.
  const std::string flipped = idxError(withBytes(dir, "flipped.gz", changed(gz, 30, char(gz[30] ^ 0x10))));
  CHECK((contains(flipped, "corrupt or truncated gzip data") || contains(flipped, "CRC-32 mismatch")));
  // all-fields: the comment "a comment" lies after the 10-byte header, the extra field and the name.
  const size_t commentAt = all.find("a comment");
  REQUIRE(commentAt != std::string::npos);
  CHECK(contains(idxError(withBytes(dir, "hcrc.gz", changed(all, commentAt, 'A'))), "gzip header CRC mismatch"));
  CHECK(contains(idxError(withBytes(dir, "extra.gz", changed(all, 10, '\x7f'))), "extra field runs past"));
  // A name field without its terminating zero before the trailer.
  const std::string unended =
      std::string("\x1f\x8b\x08\x08", 4) + std::string(6, '\x01') + "name" + std::string(8, '\x01');
  CHECK(contains(idxError(withBytes(dir, "unended.gz", unended)), "the file name has no end"));
}

TEST_CASE("readFashionMnist reads a folder in miniature, gzip-compressed and plain") {
  // fashion/: 3 training images 4×5 (gzip) labelled 9 0 3, 2 test images (plain) labelled 1 8;
  // image n's row-major pixel L holds (11·n + 5·L) mod 256.
  const std::string folder = fixture("fashion");
  const ImageSet train = readFashionMnist(Split::Train, -1, folder);
  CHECK(train.images.shape() == Shape{4, 5, 1, 3});
  CHECK(train.labels == std::vector<int64_t>{9, 0, 3});
  const float* p = train.images.data<float>();
  for (int64_t n = 0; n < 3; ++n)
    for (int64_t r = 0; r < 4; ++r)
      for (int64_t c = 0; c < 5; ++c) CHECK(p[r + 4 * c + 20 * n] == (11 * n + 5 * (5 * r + c)) % 256);

  const ImageSet test = readFashionMnist(Split::Test, -1, folder);
  CHECK(test.images.shape() == Shape{4, 5, 1, 2});
  CHECK(test.labels == std::vector<int64_t>{1, 8});
  CHECK(test.images.data<float>()[20 + 4 * 2 + 1] == (11 + 5 * 7) % 256);

  CHECK(readFashionMnist(Split::Train, 2, folder).images.shape() == Shape{4, 5, 1, 2});
  CHECK(readFashionMnist(Split::Train, 2, folder).labels == std::vector<int64_t>{9, 0});
  CHECK(readFashionMnist(Split::Train, 0, folder).images.shape() == Shape{4, 5, 1, 0});
  CHECK(readFashionMnist(Split::Train, 100, folder).labels.size() == 3);
}

TEST_CASE("readFashionMnist says which package installs a missing file, and names a file that does not fit") {
  test::TempDir dir("fashion");
  const std::string expected = (dir.path / "train-images-idx3-ubyte.gz").string();
  CHECK_THROWS_WITH_AS(
      readFashionMnist(Split::Train, -1, dir.path.string()),
      doctest::Contains((expected + ": no such file (install Debian's dataset-fashion-mnist package").c_str()), Error);

  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"})
    fs::copy_file(fixture("fashion/") + name, dir.file(name));
  // Two labels for three images; then a label that is no class.
  const std::string labels = dir.file("train-labels-idx1-ubyte");
  fs::remove(dir.file("train-labels-idx1-ubyte.gz"));
  test::writeText(labels, std::string("\0\0\x08\x01\0\0\0\x02\x09\x00", 10));
  CHECK_THROWS_WITH_AS(readFashionMnist(Split::Train, -1, dir.path.string()),
                       doctest::Contains((labels + ": 2 labels for 3 images").c_str()), Error);
  test::writeText(labels, std::string("\0\0\x08\x01\0\0\0\x03\x09\x0a\x00", 11));
  CHECK_THROWS_WITH_AS(readFashionMnist(Split::Train, -1, dir.path.string()),
                       doctest::Contains((labels + ": label 10 of image 1 is not a class (0…9)").c_str()), Error);
  // Labels where the images should be.
  fs::remove(dir.file("train-images-idx3-ubyte.gz"));
  fs::copy_file(labels, dir.file("train-images-idx3-ubyte"));
  CHECK_THROWS_WITH_AS(readFashionMnist(Split::Train, -1, dir.path.string()),
                       doctest::Contains("train-images-idx3-ubyte: expected images N×h×w (3 dimensions), got [3]"),
                       Error);
}

TEST_CASE("fashionMnistFolder is Debian's unless DLCAM_FASHION_MNIST names another") {
  const char* saved = std::getenv("DLCAM_FASHION_MNIST");
  const std::string savedValue = saved ? saved : "";
  ::unsetenv("DLCAM_FASHION_MNIST");
  CHECK(fashionMnistFolder() == "/usr/share/datasets/fashion-mnist");
  ::setenv("DLCAM_FASHION_MNIST", "/somewhere/else", 1);
  CHECK(fashionMnistFolder() == "/somewhere/else");
  if (saved)
    ::setenv("DLCAM_FASHION_MNIST", savedValue.c_str(), 1);
  else
    ::unsetenv("DLCAM_FASHION_MNIST");
  CHECK(fashionMnistClassNames().size() == 10);
  CHECK(fashionMnistClassNames()[0] == "T-shirt/top");
  CHECK(fashionMnistClassNames()[9] == "Ankle boot");
}

TEST_CASE("Fashion-MNIST from Debian's dataset-fashion-mnist package") {
  const std::string folder = fashionMnistFolder();
  if (!fs::exists(fs::path(folder) / "train-images-idx3-ubyte.gz")) {
    std::cout << "DLCAM_SKIPPED: no Fashion-MNIST in " << folder << " (apt-get install dataset-fashion-mnist)\n";
    return;
  }
  // Values from Python's gzip and NumPy reading the same files (make_dataset_fixtures.py prints them).
  struct Expected {
    Split split;
    int64_t count;
    std::vector<int64_t> firstLabels;
    int64_t lastLabel;
    float pixels[4];  // (n 0, row 14, col 14), (0, 5, 20), (1, 10, 3), (last, 20, 9)
    double sumFirst, sumLast;
  };
  for (const Expected& e : {Expected{Split::Train, 60000, {9, 0, 0, 3, 0}, 5, {217, 23, 106, 0}, 76247, 16684},
                            Expected{Split::Test, 10000, {9, 2, 1, 1, 6}, 5, {110, 0, 0, 54}, 33456, 24390}}) {
    const ImageSet set = readFashionMnist(e.split, -1, folder);
    REQUIRE(set.images.shape() == Shape{28, 28, 1, e.count});
    REQUIRE(set.labels.size() == static_cast<size_t>(e.count));
    CHECK(std::vector<int64_t>(set.labels.begin(), set.labels.begin() + 5) == e.firstLabels);
    CHECK(set.labels.back() == e.lastLabel);
    std::vector<int64_t> perClass(10, 0);
    for (int64_t label : set.labels) ++perClass[static_cast<size_t>(label)];
    CHECK(perClass == std::vector<int64_t>(10, e.count / 10));
    const float* p = set.images.data<float>();
    const auto at = [&](int64_t n, int64_t r, int64_t c) { return p[r + 28 * c + 784 * n]; };
    CHECK(at(0, 14, 14) == e.pixels[0]);
    CHECK(at(0, 5, 20) == e.pixels[1]);
    CHECK(at(1, 10, 3) == e.pixels[2]);
    CHECK(at(e.count - 1, 20, 9) == e.pixels[3]);
    double sumFirst = 0, sumLast = 0;
    for (int64_t i = 0; i < 784; ++i) {
      sumFirst += p[i];
      sumLast += p[784 * (e.count - 1) + i];
    }
    CHECK(sumFirst == e.sumFirst);
    CHECK(sumLast == e.sumLast);
  }
}

TEST_CASE("rotateImage by 0 and 360 degrees changes nothing, 180 twice neither") {
  const auto value = [](int64_t y, int64_t x, int64_t c) { return 10 * y + 3 * x * x + 50 * c + 1; };
  for (const auto& [h, w] : std::vector<std::pair<int64_t, int64_t>>{{5, 7}, {6, 4}}) {
    const Tensor img = image(h, w, 2, value);
    for (double degrees : {0.0, 360.0, -720.0}) {
      const Tensor same = rotateImage(img, degrees);
      for (int64_t i = 0; i < img.numel(); ++i) CHECK(same.at(i) == img.at(i));
    }
    const Tensor twice = rotateImage(rotateImage(img, 180), 180);
    for (int64_t i = 0; i < img.numel(); ++i) CHECK(twice.at(i) == img.at(i));
    const Tensor half = rotateImage(img, 180);
    CHECK(pixel(half, 0, 0, 1) == pixel(img, h - 1, w - 1, 1));
  }
}

TEST_CASE("rotateImage by 90 degrees turns counter-clockwise as displayed: exactly a transpose and a flip") {
  const Tensor img = image(5, 5, 2, [](int64_t y, int64_t x, int64_t c) { return 10 * y + 3 * x * x + 50 * c + 1; });
  const Tensor left = rotateImage(img, 90), right = rotateImage(img, -90), also = rotateImage(img, 450);
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t y = 0; y < 5; ++y)
      for (int64_t x = 0; x < 5; ++x) {
        CHECK(pixel(left, y, x, c) == pixel(img, x, 4 - y, c));  // MATLAB rot90: the last column becomes the top row
        CHECK(pixel(right, y, x, c) == pixel(img, 4 - x, y, c));
        CHECK(pixel(also, y, x, c) == pixel(left, y, x, c));
      }
  // A dot right of the centre goes up (row 0 is the top of the picture).
  const Tensor dot = image(5, 5, 1, [](int64_t y, int64_t x, int64_t) { return y == 2 && x == 4 ? 1.0 : 0.0; });
  CHECK(pixel(rotateImage(dot, 90), 0, 2) == 1.0f);
  CHECK(pixel(rotateImage(dot, -90), 4, 2) == 1.0f);
}

TEST_CASE("rotateImage matches a NumPy implementation of imrotate bilinear crop at other angles") {
  // rotate.txt: make_dataset_fixtures.py's NumPy reference, itself equal to torchvision's rotate
  // (bilinear, fill 0) within 1e-12; a 7×9×2 image by 30°, 8×6 by -75° with fill 5.5, 6×6 by 200°.
  const test::Fixture references = test::Fixture::read(fixture("rotate.txt"));
  for (const char* name : {"turn30", "turn-75-fill", "turn200"}) {
    CAPTURE(name);
    const test::FixtureCase& c = references[name];
    const Tensor input = c["input"].columnMajor().to(DType::Float32);
    const Tensor expected = c["output"].columnMajor();
    const Tensor out = rotateImage(input, c["degrees"].scalar(), static_cast<float>(c["fill"].scalar()));
    REQUIRE(out.shape() == expected.shape());
    CHECK(out.dtype() == DType::Float32);
    double worst = 0;
    for (int64_t i = 0; i < out.numel(); ++i) worst = std::max(worst, std::abs(out.at(i) - expected.at(i)));
    CHECK(worst < 2e-5);  // float32 results of values up to about 300
    // The same in double precision.
    const Tensor out64 =
        rotateImage(c["input"].columnMajor(), c["degrees"].scalar(), static_cast<float>(c["fill"].scalar()));
    CHECK(out64.dtype() == DType::Float64);
    double worst64 = 0;
    for (int64_t i = 0; i < out64.numel(); ++i) worst64 = std::max(worst64, std::abs(out64.at(i) - expected.at(i)));
    CHECK(worst64 < 1e-10);
  }
}

TEST_CASE("rotateImage rejects what is not an image and angles that are not finite") {
  CHECK_THROWS_WITH_AS(rotateImage(Tensor(Shape{5}), 10), doctest::Contains("expected an image"), Error);
  CHECK_THROWS_WITH_AS(rotateImage(Tensor(Shape{3, 3}), std::nan("")), doctest::Contains("must be finite"), Error);
}
