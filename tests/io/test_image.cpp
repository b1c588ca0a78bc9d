#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "io/image.h"
#include "tests/support/paths.h"
#include "tests/support/temp_dir.h"

using namespace dlcam;
namespace fs = std::filesystem;

namespace {

// Fixtures written by Pillow: see tests/io/make_image_fixtures.py.
std::string fixture(const std::string& name) {
  return (test::fixturesDir() / "images" / name).string();
}

using test::TempDir;

using test::readText;
using test::writeText;

std::string bytesOf(const std::vector<int>& values) {
  std::string s;
  for (int v : values) s += static_cast<char>(v);
  return s;
}

// An image whose every sample differs from its neighbours in y, x and c.
Image patterned(int64_t h, int64_t w, int64_t c) {
  Image image(h, w, c);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t k = 0; k < c; ++k) image.at(y, x, k) = static_cast<uint8_t>((y * 31 + x * 7 + k * 50 + 3) % 256);
  return image;
}

void checkImage(const Image& image, int64_t h, int64_t w, int64_t c, const std::vector<int>& interleaved) {
  CHECK(image.height == h);
  CHECK(image.width == w);
  CHECK(image.channels == c);
  REQUIRE(image.pixels.size() == interleaved.size());
  for (size_t i = 0; i < interleaved.size(); ++i) {
    CAPTURE(i);
    CHECK(static_cast<int>(image.pixels[i]) == interleaved[i]);
  }
}

// The message of the dlcam::Error that f throws; fails the test when it throws none.
template <typename F>
std::string errorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("expected a dlcam::Error");
  return "";
}

// One-line message naming the path and containing `expected`.
void checkMessage(const std::string& message, const std::string& path, const std::string& expected) {
  CAPTURE(message);
  CHECK(message.find(path) != std::string::npos);
  CHECK(message.find(expected) != std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE("writePng writes 1 to 4 channels as the matching PNG colour type and readImage reads them back exactly") {
  TempDir dir("roundtrip");
  // PNG colour types (PNG spec, IHDR): 0 gray, 4 gray+alpha, 2 RGB, 6 RGBA; bit depth 8.
  const int colourType[] = {0, 0, 4, 2, 6};
  for (int64_t c = 1; c <= 4; ++c) {
    CAPTURE(c);
    const Image image = patterned(5, 7, c);
    const std::string path = dir.file("c" + std::to_string(c) + ".png");
    writePng(path, image);

    const std::string png = readText(path);
    REQUIRE(png.size() > 33);
    CHECK(png.substr(0, 8) == "\x89PNG\r\n\x1a\n");
    CHECK(png.substr(12, 4) == "IHDR");
    CHECK(png.substr(16, 8) == bytesOf({0, 0, 0, 7, 0, 0, 0, 5}));  // width, height (big-endian)
    CHECK(static_cast<int>(png[24]) == 8);
    CHECK(static_cast<int>(png[25]) == colourType[c]);

    const Image back = readImage(path);
    CHECK(back.height == 5);
    CHECK(back.width == 7);
    CHECK(back.channels == c);
    CHECK(back.pixels == image.pixels);
  }
  // writePng replaces an existing file and leaves nothing else in the directory.
  writePng(dir.file("c1.png"), patterned(2, 3, 3));
  CHECK(readImage(dir.file("c1.png")).pixels == patterned(2, 3, 3).pixels);
  CHECK(dir.entries() == std::set<std::string>{"c1.png", "c2.png", "c3.png", "c4.png"});
}

TEST_CASE("readImage reads hand-made binary and plain PGM and PPM files") {
  TempDir dir("pnm");
  // 3 wide, 2 high, row by row: the PGM/PPM raster order is the Image's interleaved order.
  const std::vector<int> gray = {0, 10, 20, 30, 40, 255};
  const std::vector<int> rgb = {255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 100, 150, 200, 9, 99, 199};

  SUBCASE("P5 binary gray, with a header comment") {
    writeText(dir.file("a.pgm"), "P5\n# made by hand\n3 2\n255\n" + bytesOf(gray));
    checkImage(readImage(dir.file("a.pgm")), 2, 3, 1, gray);
  }
  SUBCASE("P2 plain gray, irregular whitespace and comments") {
    writeText(dir.file("a.pgm"), "P2 3\t2 # size\n255\n0 10 20\n30   40\r\n255\n");
    checkImage(readImage(dir.file("a.pgm")), 2, 3, 1, gray);
  }
  SUBCASE("P6 binary colour") {
    writeText(dir.file("a.ppm"), "P6 3 2 255\n" + bytesOf(rgb));
    checkImage(readImage(dir.file("a.ppm")), 2, 3, 3, rgb);
  }
  SUBCASE("P3 plain colour") {
    std::string text = "P3\n3 2\n255\n";
    for (int v : rgb) text += std::to_string(v) + " ";
    writeText(dir.file("a.ppm"), text);
    checkImage(readImage(dir.file("a.ppm")), 2, 3, 3, rgb);
  }
  SUBCASE("samples scale from 0..maxval to 0..255, rounded") {
    // maxval 10: 255·v/10 for v = 0, 1, 3, 5, 10 is 0, 25.5, 76.5, 127.5, 255.
    writeText(dir.file("m10.pgm"), "P2 5 1 10 0 1 3 5 10");
    checkImage(readImage(dir.file("m10.pgm")), 1, 5, 1, {0, 26, 77, 128, 255});
    // 16-bit raw samples are big-endian: 0x1234 = 4660 and 0xABCD = 43981 scale to 18.1 and
    // 171.1 (their high bytes, 0x12 and 0xAB; stb_image 2.27 would return the low bytes 52 and 205).
    writeText(dir.file("16.pgm"), "P5 4 1 65535\n" + bytesOf({0x12, 0x34, 0xAB, 0xCD, 0xFF, 0xFF, 0, 0}));
    checkImage(readImage(dir.file("16.pgm")), 1, 4, 1, {18, 171, 255, 0});
    // maxval 1000 (16-bit): 500 → 127.5 → 128, 999 → 254.7 → 255, 2 → 0.51 → 1.
    writeText(dir.file("16.ppm"), "P6 1 1 1000\n" + bytesOf({0x01, 0xF4, 0x03, 0xE7, 0x00, 0x02}));
    checkImage(readImage(dir.file("16.ppm")), 1, 1, 3, {128, 255, 1});
  }
}

TEST_CASE("readImage reads hand-made 24-bit BMP files, bottom-up and top-down") {
  TempDir dir("bmp");
  // 3×2 pixels: rows of 9 bytes padded to 12; pixels stored blue, green, red.
  const std::vector<int> top = {10, 20, 30, 40, 50, 60, 70, 80, 90};     // RGB row y = 0
  const std::vector<int> bottom = {1, 2, 3, 4, 5, 6, 7, 8, 9};           // RGB row y = 1
  auto row = [](const std::vector<int>& rgbRow) {
    std::vector<int> out;
    for (size_t i = 0; i < rgbRow.size(); i += 3) out.insert(out.end(), {rgbRow[i + 2], rgbRow[i + 1], rgbRow[i]});
    out.insert(out.end(), {0, 0, 0});  // padding to a multiple of 4 bytes
    return bytesOf(out);
  };
  auto le32 = [](int64_t v) {
    return bytesOf({static_cast<int>(v & 0xff), static_cast<int>((v >> 8) & 0xff), static_cast<int>((v >> 16) & 0xff),
                    static_cast<int>((v >> 24) & 0xff)});
  };
  auto bmp = [&](int64_t height, const std::string& pixelRows) {
    const std::string info = le32(40) + le32(3) + le32(height) + bytesOf({1, 0, 24, 0}) + le32(0) +
                             le32(static_cast<int64_t>(pixelRows.size())) + le32(2835) + le32(2835) + le32(0) + le32(0);
    const int64_t offset = 14 + static_cast<int64_t>(info.size());
    return "BM" + le32(offset + static_cast<int64_t>(pixelRows.size())) + le32(0) + le32(offset) + info + pixelRows;
  };
  std::vector<int> expected = top;
  expected.insert(expected.end(), bottom.begin(), bottom.end());

  writeText(dir.file("up.bmp"), bmp(2, row(bottom) + row(top)));  // positive height: last row first
  checkImage(readImage(dir.file("up.bmp")), 2, 3, 3, expected);
  writeText(dir.file("down.bmp"), bmp(-2, row(top) + row(bottom)));  // negative height: first row first
  checkImage(readImage(dir.file("down.bmp")), 2, 3, 3, expected);
}

TEST_CASE("readImage reads Pillow's JPEG and PNG files") {
  const int64_t H = 12, W = 16;
  // The formulas of make_image_fixtures.py. JPEG is lossy: Pillow's own decoder is 5 levels off
  // them for the RGB file and 1 for the gray one (printed when the fixtures were made), and
  // stb_image's decode is held to the same bounds. The ramps differ by 6 to 20 levels per
  // pixel and channel, so a transposed, flipped or channel-swapped decode exceeds them.
  SUBCASE("RGB JPEG, quality 95, 4:4:4") {
    const Image image = readImage(fixture("rgb_q95.jpg"));
    REQUIRE(image.height == H);
    REQUIRE(image.width == W);
    REQUIRE(image.channels == 3);
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        const int64_t expected[3] = {16 * x, 20 * y, 255 - 8 * x - 6 * y};
        for (int c = 0; c < 3; ++c) {
          CAPTURE(y);
          CAPTURE(x);
          CAPTURE(c);
          CHECK(std::abs(image.at(y, x, c) - expected[c]) <= 5);
        }
      }
  }
  SUBCASE("gray JPEG") {
    const Image image = readImage(fixture("gray_q95.jpg"));
    REQUIRE(image.channels == 1);
    REQUIRE(image.height == H);
    REQUIRE(image.width == W);
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) CHECK(std::abs(image.at(y, x, 0) - (10 * x + 5 * y)) <= 1);
  }
  SUBCASE("16-bit gray PNG: the high byte of each sample") {
    const Image image = readImage(fixture("gray16.png"));
    REQUIRE(image.channels == 1);
    REQUIRE(image.height == H);
    REQUIRE(image.width == W);
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) CHECK(image.at(y, x, 0) == (4000 * x + 257 * y + 18) >> 8);
  }
  SUBCASE("palette PNG: expanded to RGB") {
    const Image image = readImage(fixture("palette.png"));
    REQUIRE(image.channels == 3);
    REQUIRE(image.height == H);
    REQUIRE(image.width == W);
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        const int64_t k = (x + y) % 8;
        CHECK(image.at(y, x, 0) == 10 * k);
        CHECK(image.at(y, x, 1) == 255 - 10 * k);
        CHECK(image.at(y, x, 2) == 3 * k);
      }
  }
}

TEST_CASE("readImage converts channels: luma weights 77 150 29 over 256, gray replicated, alpha dropped or 255") {
  TempDir dir("convert");
  // RGB (200, 100, 50): (200·77 + 100·150 + 50·29) / 256 = 31850 / 256 = 124.4 → 124.
  // RGB (0, 255, 0): 255·150 / 256 = 149.4 → 149.
  writeText(dir.file("rgb.ppm"), "P6 2 1 255\n" + bytesOf({200, 100, 50, 0, 255, 0}));
  checkImage(readImage(dir.file("rgb.ppm"), 1), 1, 2, 1, {124, 149});
  checkImage(readImage(dir.file("rgb.ppm"), 2), 1, 2, 2, {124, 255, 149, 255});
  checkImage(readImage(dir.file("rgb.ppm"), 3), 1, 2, 3, {200, 100, 50, 0, 255, 0});
  checkImage(readImage(dir.file("rgb.ppm"), 4), 1, 2, 4, {200, 100, 50, 255, 0, 255, 0, 255});

  writeText(dir.file("gray.pgm"), "P5 2 1 255\n" + bytesOf({77, 3}));
  checkImage(readImage(dir.file("gray.pgm"), 2), 1, 2, 2, {77, 255, 3, 255});
  checkImage(readImage(dir.file("gray.pgm"), 3), 1, 2, 3, {77, 77, 77, 3, 3, 3});
  checkImage(readImage(dir.file("gray.pgm"), 4), 1, 2, 4, {77, 77, 77, 255, 3, 3, 3, 255});

  // RGBA (10, 20, 30, 40): (770 + 3000 + 870) / 256 = 18.1 → 18.
  Image rgba(1, 1, 4);
  rgba.pixels = {10, 20, 30, 40};
  writePng(dir.file("rgba.png"), rgba);
  checkImage(readImage(dir.file("rgba.png"), 1), 1, 1, 1, {18});
  checkImage(readImage(dir.file("rgba.png"), 2), 1, 1, 2, {18, 40});
  checkImage(readImage(dir.file("rgba.png"), 3), 1, 1, 3, {10, 20, 30});

  Image grayAlpha(1, 1, 2);
  grayAlpha.pixels = {90, 7};
  writePng(dir.file("ga.png"), grayAlpha);
  checkImage(readImage(dir.file("ga.png"), 1), 1, 1, 1, {90});
  checkImage(readImage(dir.file("ga.png"), 3), 1, 1, 3, {90, 90, 90});
  checkImage(readImage(dir.file("ga.png"), 4), 1, 1, 4, {90, 90, 90, 7});

  // A colour JPEG asked for gray gets the same luma of its decoded RGB as any other format.
  const Image jpegRgb = readImage(fixture("rgb_q95.jpg"));
  const Image jpegGray = readImage(fixture("rgb_q95.jpg"), 1);
  REQUIRE(jpegGray.channels == 1);
  for (int64_t y = 0; y < jpegRgb.height; ++y)
    for (int64_t x = 0; x < jpegRgb.width; ++x)
      CHECK(jpegGray.at(y, x, 0) ==
            (jpegRgb.at(y, x, 0) * 77 + jpegRgb.at(y, x, 1) * 150 + jpegRgb.at(y, x, 2) * 29) / 256);
}

TEST_CASE("readImage rejects missing, empty, corrupt and truncated files with a one-line message naming the file") {
  TempDir dir("bad");
  const std::string missing = dir.file("missing.png");
  checkMessage(errorOf([&] { readImage(missing); }), missing, "no such file");
  checkMessage(errorOf([&] { readImage(dir.path.string()); }), dir.path.string(), "is a directory");

  writeText(dir.file("empty.png"), "");
  checkMessage(errorOf([&] { readImage(dir.file("empty.png")); }), dir.file("empty.png"), "empty");

  writeText(dir.file("text.png"), "this is not an image\n");
  checkMessage(errorOf([&] { readImage(dir.file("text.png")); }), dir.file("text.png"), "cannot decode");

  writePng(dir.file("whole.png"), patterned(20, 30, 3));
  const std::string png = readText(dir.file("whole.png"));
  writeText(dir.file("truncated.png"), png.substr(0, png.size() / 2));
  checkMessage(errorOf([&] { readImage(dir.file("truncated.png")); }), dir.file("truncated.png"), "cannot decode");

  for (int channels : {5, -1}) {
    CAPTURE(channels);
    checkMessage(errorOf([&] { readImage(dir.file("whole.png"), channels); }), dir.file("whole.png"),
                 "channels must be 0 (as stored) or 1 to 4, got " + std::to_string(channels));
  }

  // Netpbm files that dlcam's own reader rejects.
  const std::vector<std::pair<std::string, std::string>> pnm = {
      {"P5 3 2 255\n" + bytesOf({1, 2, 3, 4, 5}), "truncated PGM file: the samples need 6 bytes, the file has 5"},
      {"P2 3 2 255 1 2 3 4 5", "truncated PGM file: expected 6 samples, found 5"},
      {"P2 2 1 9 3 10", "sample 1 is 10, above the file's maxval 9"},
      {"P6 2 x 255", "expected the height, found 'x'"},
      {"P5 0 1 255\n", "the width must be at least 1"},
      {"P5 2 1 70000\n", "the maxval is larger than 65535"},
      {"P5 99999999 99999999 255\n", "the width is larger than 16777216"},
      {"P5 2 1", "the file ends before the maxval"},
      {"P5 2 1 255xx", "expected one whitespace character after maxval"},
      {"P5\x01 2 1 255\n", "expected whitespace after the magic number"},
      {"P5 3x2 255\n", "expected the height, found 'x'"},
      {"P1 2 1 0 1", "PBM bitmaps (P1, P4) are not supported"},
  };
  for (const auto& file : pnm) {
    CAPTURE(file.first);
    writeText(dir.file("bad.pgm"), file.first);
    checkMessage(errorOf([&] { readImage(dir.file("bad.pgm")); }), dir.file("bad.pgm"), file.second);
  }
}

TEST_CASE("writePng leaves no file behind when it fails, and no temporary file ever") {
  TempDir dir("write");
  const std::string nowhere = dir.file("no/such/dir/out.png");
  checkMessage(errorOf([&] { writePng(nowhere, patterned(2, 2, 3)); }), nowhere, "does not exist");
  CHECK(dir.entries().empty());

  // The temporary file is created beside the target, and renaming it over a directory fails.
  fs::create_directory(dir.path / "taken.png");
  checkMessage(errorOf([&] { writePng(dir.file("taken.png"), patterned(2, 2, 3)); }), dir.file("taken.png"),
               "cannot replace the file");
  CHECK(dir.entries() == std::set<std::string>{"taken.png"});
  CHECK(fs::is_directory(dir.path / "taken.png"));

  // Images that cannot be written are rejected before any file is created.
  Image empty;
  empty.channels = 3;
  checkMessage(errorOf([&] { writePng(dir.file("empty.png"), empty); }), dir.file("empty.png"), "the image is empty");
  Image five = patterned(2, 2, 4);
  five.channels = 5;
  checkMessage(errorOf([&] { writePng(dir.file("five.png"), five); }), dir.file("five.png"),
               "an image has 1 to 4 channels, got 5");
  Image short_ = patterned(2, 2, 3);
  short_.pixels.pop_back();
  checkMessage(errorOf([&] { writePng(dir.file("short.png"), short_); }), dir.file("short.png"),
               "a 2×2×3 image needs 12 pixel values, it holds 11");
  CHECK(dir.entries() == std::set<std::string>{"taken.png"});
}

TEST_CASE("imageToTensor and tensorToImage convert interleaved row-major pixels to column-major h×w×c") {
  // 2 rows, 3 columns, 3 channels; sample (y, x, c) = 100c + 10y + x.
  Image image(2, 3, 3);
  for (int64_t y = 0; y < 2; ++y)
    for (int64_t x = 0; x < 3; ++x)
      for (int64_t c = 0; c < 3; ++c) image.at(y, x, c) = static_cast<uint8_t>(100 * c + 10 * y + x);
  // The interleaved order, written out: pixel (0, 0) RGB, pixel (0, 1) RGB, …
  CHECK(image.pixels[0] == 0);
  CHECK(image.pixels[1] == 100);
  CHECK(image.pixels[3] == 1);
  CHECK(image.pixels[9] == 10);
  CHECK(image.pixels[17] == 212);

  const Tensor t = imageToTensor(image);
  CHECK(t.shape() == Shape{2, 3, 3});
  CHECK(t.dtype() == DType::Float32);
  // Column-major: y fastest, then x, then c.
  const std::vector<double> columnMajor = {0,   10,  1,   11,  2,   12,  100, 110, 101,
                                           111, 102, 112, 200, 210, 201, 211, 202, 212};
  for (int64_t i = 0; i < 18; ++i) CHECK(t.at(i) == columnMajor[static_cast<size_t>(i)]);

  const Image back = tensorToImage(t);
  CHECK(back.height == 2);
  CHECK(back.width == 3);
  CHECK(back.channels == 3);
  CHECK(back.pixels == image.pixels);
}

TEST_CASE("tensorToImage rounds halves away from zero, clamps to 0..255, maps NaN to 0 and checks its input") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> values = {2.5, 2.4999, -0.5, -3, 254.5, 300, std::nan(""), inf, -inf, 127.5};
  const std::vector<int> expected = {3, 2, 0, 0, 255, 255, 0, 255, 0, 128};
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtypeName(dtype));
    // A 2×5 gray map (rank 2) and the same values as 2×5×1.
    for (const Shape& shape : {Shape{2, 5}, Shape{2, 5, 1}}) {
      const Tensor t = Tensor::fromValues(shape, std::span<const double>(values), dtype);
      const Image image = tensorToImage(t);
      REQUIRE(image.channels == 1);
      REQUIRE(image.height == 2);
      for (int64_t i = 0; i < 10; ++i) CHECK(image.at(i % 2, i / 2, 0) == expected[static_cast<size_t>(i)]);
    }
  }
  CHECK_THROWS_WITH_AS(tensorToImage(Tensor(Shape{4})), doctest::Contains("expected an h×w or h×w×c tensor"), Error);
  CHECK_THROWS_WITH_AS(tensorToImage(Tensor(Shape{2, 2, 3, 1})), doctest::Contains("h×w×c"), Error);
  CHECK_THROWS_WITH_AS(tensorToImage(Tensor(Shape{2, 2, 5})), doctest::Contains("1 to 4 channels"), Error);
}

TEST_CASE("Image checks its size before allocating, and checkImage and imageToTensor check an image's pixels") {
  CHECK_THROWS_WITH_AS(Image(-1, 5, 3), doctest::Contains("a -1×5 image with 3 channels is not valid"), Error);
  CHECK_THROWS_WITH_AS(Image(5, -1, 3), doctest::Contains("is not valid"), Error);
  CHECK_THROWS_WITH_AS(Image(2, 2, 5), doctest::Contains("channels 1…4"), Error);
  const int64_t huge = int64_t{1} << 40;
  CHECK_THROWS_WITH_AS(Image(huge, huge, 3), doctest::Contains("is too large"), Error);
  CHECK(Image(0, 4, 1).pixels.empty());

  Image image = patterned(2, 3, 3);
  CHECK_NOTHROW(dlcam::checkImage(image, "test"));
  image.pixels.pop_back();
  CHECK_THROWS_WITH_AS(dlcam::checkImage(image, "test"), "test: a 2×3×3 image needs 18 pixel values, it holds 17",
                       Error);
  CHECK_THROWS_WITH_AS(imageToTensor(image), "imageToTensor: a 2×3×3 image needs 18 pixel values, it holds 17", Error);
  image.pixels.resize(1000);
  CHECK_THROWS_AS(imageToTensor(image), Error);
  Image empty(0, 3, 1);
  CHECK_THROWS_WITH_AS(dlcam::checkImage(empty, "test"), "test: the image is empty (0×3 pixels)", Error);
  Image five = patterned(1, 1, 4);
  five.channels = 5;
  CHECK_THROWS_WITH_AS(dlcam::checkImage(five, "test"), "test: an image has 1 to 4 channels, got 5", Error);
  Image overflowing;
  overflowing.height = overflowing.width = huge;
  overflowing.channels = 3;
  CHECK_THROWS_WITH_AS(dlcam::checkImage(overflowing, "test"), doctest::Contains("is too large"), Error);
}
