#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "autodiff/resize.h"
#include "core/error.h"
#include "gradcam/colormap.h"
#include "gradcam/picture.h"
#include "io/image.h"

using namespace dlcam;

namespace {

using Rgb = std::array<uint8_t, 3>;

Tensor tensorOf(Shape shape, const std::vector<double>& values) {
  return Tensor::fromValues(std::move(shape), std::span<const double>(values));
}

Rgb pixel(const Image& image, int64_t y, int64_t x) {
  return {image.at(y, x, 0), image.at(y, x, 1), image.at(y, x, 2)};
}

// (1 - alpha)·base + alpha·colour, rounded: the blend written out independently of picture.cpp.
Rgb mix(Rgb base, Rgb colour, double alpha) {
  Rgb out;
  for (int k = 0; k < 3; ++k)
    out[k] = static_cast<uint8_t>(std::floor((1 - alpha) * base[k] + alpha * colour[k] + 0.5));
  return out;
}

Image rgbImage(int64_t h, int64_t w, const std::vector<Rgb>& rowMajor) {
  Image image(h, w, 3);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) image.at(y, x, c) = rowMajor[static_cast<size_t>(y * w + x)][c];
  return image;
}

}  // namespace

// ---- rescaleToUnit ----

TEST_CASE("picture rescaleToUnit: (m - min)/(max - min) by hand") {
  const Tensor r = rescaleToUnit(tensorOf({2, 2}, {2, 4, 3, 6}));
  CHECK(r.shape() == Shape{2, 2});
  CHECK(r.dtype() == DType::Float32);
  CHECK(r.at(0) == doctest::Approx(0.0));
  CHECK(r.at(1) == doctest::Approx(0.5));
  CHECK(r.at(2) == doctest::Approx(0.25));
  CHECK(r.at(3) == doctest::Approx(1.0));
  // float64 input, negative values, rank 3.
  const Tensor d = rescaleToUnit(tensorOf({1, 3, 1}, {-1, 1, 0}).to(DType::Float64));
  CHECK(d.shape() == Shape{1, 3, 1});
  CHECK(d.at(0) == 0.0);
  CHECK(d.at(1) == 1.0);
  CHECK(d.at(2) == 0.5);
}

TEST_CASE("picture rescaleToUnit: a constant map becomes zeros, NaN is ignored and kept") {
  const Tensor c = rescaleToUnit(Tensor::full({3, 2}, 7.5));
  for (int64_t i = 0; i < 6; ++i) CHECK(c.at(i) == 0.0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor n = rescaleToUnit(tensorOf({4}, {nan, 10, 20, 15}));
  CHECK(std::isnan(n.at(0)));
  CHECK(n.at(1) == 0.0);
  CHECK(n.at(2) == 1.0);
  CHECK(n.at(3) == doctest::Approx(0.5));
  const Tensor allNan = rescaleToUnit(tensorOf({2}, {nan, nan}));
  CHECK(std::isnan(allNan.at(0)));
  CHECK(std::isnan(allNan.at(1)));
  CHECK_THROWS_AS(rescaleToUnit(Tensor()), dlcam::Error);
}

// ---- overlay ----

TEST_CASE("picture overlay: map the image's size, blended by hand for alpha 0, 0.5, 1") {
  // 2×2 RGB image, row-major pixels.
  const Image image = rgbImage(2, 2, {{10, 20, 30}, {200, 100, 0}, {255, 255, 255}, {0, 0, 0}});
  // The map, column-major h×w: m(0,0) = 0, m(1,0) = 0.5, m(0,1) = 1, m(1,1) = 0.25. Already in
  // [0, 1], and a map of the image's size is not resized.
  const Tensor map = tensorOf({2, 2}, {0, 0.5, 1, 0.25});
  // jet at 0, 1, 0.5, 0.25: [0 0 .5], [.5 0 0], [.5 1 .5], [0 .5 1] in 8 bits.
  SUBCASE("alpha 0.5") {
    const Image out = overlay(image, map);
    REQUIRE(out.channels == 3);
    REQUIRE(out.height == 2);
    REQUIRE(out.width == 2);
    CHECK(pixel(out, 0, 0) == Rgb{5, 10, 79});      // (10 20 30 + 0 0 128)/2
    CHECK(pixel(out, 0, 1) == Rgb{164, 50, 0});     // (200 100 0 + 128 0 0)/2
    CHECK(pixel(out, 1, 0) == Rgb{192, 255, 192});  // (255 255 255 + 128 255 128)/2 = 191.5 → 192
    CHECK(pixel(out, 1, 1) == Rgb{0, 64, 128});     // (0 0 0 + 0 128 255)/2 = 127.5 → 128
  }
  SUBCASE("alpha 0 is the image") {
    const Image out = overlay(image, map, {.alpha = 0});
    CHECK(out.pixels == image.pixels);
  }
  SUBCASE("alpha 1 is the colours") {
    const Image out = overlay(image, map, {.alpha = 1});
    CHECK(pixel(out, 0, 0) == Rgb{0, 0, 128});
    CHECK(pixel(out, 0, 1) == Rgb{128, 0, 0});
    CHECK(pixel(out, 1, 0) == Rgb{128, 255, 128});
    CHECK(pixel(out, 1, 1) == Rgb{0, 128, 255});
  }
  SUBCASE("the map is rescaled first, in any dtype, with trailing singleton dimensions") {
    const Tensor scaled = tensorOf({2, 2, 1}, {3, 5, 7, 4}).to(DType::Float64);  // (m - 3)/4: the same map
    CHECK(overlay(image, scaled).pixels == overlay(image, map).pixels);
  }
  SUBCASE("gray colormap") {
    const Image out = overlay(image, map, {.colormap = Colormap::Gray, .alpha = 1});
    CHECK(pixel(out, 1, 1) == Rgb{64, 64, 64});  // 0.25·255 = 63.75
  }
}

TEST_CASE("picture overlay: a small map is resized bicubically to the image, then rescaled") {
  const int64_t h = 40, w = 60;
  // A 5×6 map with its peak in cell (1, 4); every other cell lower.
  std::vector<double> values(30);
  for (int64_t x = 0; x < 6; ++x)
    for (int64_t y = 0; y < 5; ++y)
      values[static_cast<size_t>(y + 5 * x)] = 1.0 / (1 + (y - 1) * (y - 1) + (x - 4) * (x - 4));
  const Tensor map = tensorOf({5, 6}, values);
  Image black(h, w, 3);
  const Image out = overlay(black, map, {.alpha = 1});

  // The same steps done directly: resize (MATLAB imresize bicubic), rescale, colour.
  const Tensor resized = resize(Array(map, "SS"), {h, w}, {.method = ResizeMethod::Cubic}).value();
  const Tensor unit = rescaleToUnit(resized);
  int64_t mismatches = 0;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) mismatches += pixel(out, y, x) != colormapColor(Colormap::Jet, unit.at(y + h * x));
  CHECK(mismatches == 0);

  // The hot spot (jet's last colour) lies inside the peak cell's 8×10 pixel block, rows
  // 8…15, columns 40…49, and is there.
  int64_t hottest = 0;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      if (pixel(out, y, x) == Rgb{128, 0, 0}) {
        CAPTURE(y);
        CAPTURE(x);
        CHECK((y >= 8 && y <= 15 && x >= 40 && x <= 49));
        ++hottest;
      }
  CHECK(hottest > 0);
  // The coldest colour is far from the peak: in the bottom-left corner's cell.
  CHECK(pixel(out, 39, 0) == Rgb{0, 0, 128});
}

TEST_CASE("picture overlay: gray and RGBA images") {
  const Tensor map = tensorOf({1, 2}, {0, 1});
  SUBCASE("gray is shown as gray RGB") {
    Image gray(1, 2, 1);
    gray.at(0, 0, 0) = 100;
    gray.at(0, 1, 0) = 50;
    const Image out = overlay(gray, map);
    CHECK(out.channels == 3);
    CHECK(pixel(out, 0, 0) == mix({100, 100, 100}, {0, 0, 128}, 0.5));
    CHECK(pixel(out, 0, 1) == mix({50, 50, 50}, {128, 0, 0}, 0.5));
  }
  SUBCASE("gray with alpha: the alpha channel is dropped") {
    Image ga(1, 2, 2);
    ga.at(0, 0, 0) = 100;
    ga.at(0, 0, 1) = 7;
    ga.at(0, 1, 0) = 50;
    ga.at(0, 1, 1) = 255;
    const Image out = overlay(ga, map);
    CHECK(pixel(out, 0, 0) == mix({100, 100, 100}, {0, 0, 128}, 0.5));
    CHECK(pixel(out, 0, 1) == mix({50, 50, 50}, {128, 0, 0}, 0.5));
  }
  SUBCASE("RGBA: the alpha channel is dropped") {
    Image rgba(1, 2, 4);
    const uint8_t values[] = {10, 20, 30, 0, 40, 50, 60, 128};
    std::copy(std::begin(values), std::end(values), rgba.pixels.begin());
    const Image out = overlay(rgba, map, {.alpha = 0.25});
    CHECK(out.channels == 3);
    CHECK(pixel(out, 0, 0) == mix({10, 20, 30}, {0, 0, 128}, 0.25));
    CHECK(pixel(out, 0, 1) == mix({40, 50, 60}, {128, 0, 0}, 0.25));
  }
}

TEST_CASE("picture overlay: errors") {
  const Image image(4, 4, 3);
  const Tensor map = Tensor::full({2, 2}, 1.0);
  CHECK_THROWS_WITH_AS(overlay(image, map, {.alpha = 1.5}), doctest::Contains("alpha must be in [0, 1], got 1.5"),
                       dlcam::Error);
  CHECK_THROWS_AS(overlay(image, map, {.alpha = -0.1}), dlcam::Error);
  CHECK_THROWS_AS(overlay(image, map, {.alpha = std::numeric_limits<double>::quiet_NaN()}), dlcam::Error);
  CHECK_THROWS_WITH_AS(overlay(image, Tensor::full({2, 2, 2}, 1.0)), doctest::Contains("must be h×w, got 2x2x2"),
                       dlcam::Error);
  CHECK_THROWS_AS(overlay(image, Tensor::full({4}, 1.0)), dlcam::Error);
  CHECK_THROWS_AS(overlay(image, Tensor({0, 3})), dlcam::Error);
  CHECK_THROWS_AS(overlay(image, Tensor()), dlcam::Error);
  CHECK_THROWS_AS(overlay(Image(), map), dlcam::Error);
  Image broken(4, 4, 3);
  broken.pixels.pop_back();
  CHECK_THROWS_AS(overlay(broken, map), dlcam::Error);
}

// ---- sequenceFigure ----

namespace {

// The figure's plotted colour for the first line: MATLAB's first line colour [0 0.447 0.741].
constexpr Rgb kFirstLineColour{0, 114, 189};

struct Found {
  int64_t left = -1, right = -1, top = -1;  // extremes of the colour's pixels
  double topColumn = 0;                     // mean column of the topmost row's pixels
};

// Where `colour` is drawn in rows y0…height-1.
Found findColour(const Image& image, Rgb colour, int64_t y0) {
  Found f;
  int64_t topCount = 0;
  for (int64_t y = y0; y < image.height; ++y)
    for (int64_t x = 0; x < image.width; ++x) {
      if (pixel(image, y, x) != colour) continue;
      f.left = f.left < 0 ? x : std::min(f.left, x);
      f.right = std::max(f.right, x);
      if (f.top < 0) f.top = y;
      if (y == f.top) {
        f.topColumn += static_cast<double>(x);
        ++topCount;
      }
    }
  if (topCount > 0) f.topColumn /= static_cast<double>(topCount);
  return f;
}

}  // namespace

TEST_CASE("picture sequenceFigure: size, and the importance peak drawn at its time step") {
  const int64_t c = 3, t = 10;
  std::vector<double> seq(static_cast<size_t>(c * t));
  for (int64_t i = 0; i < c * t; ++i) seq[static_cast<size_t>(i)] = std::sin(0.7 * static_cast<double>(i));
  const Tensor sequence = tensorOf({c, t}, seq);
  // Importance peaks at time step 7 (index 6).
  const Tensor importance = tensorOf({1, t}, {0.1, 0.2, 0.1, 0.3, 0.5, 0.8, 1.7, 0.9, 0.4, 0.2});

  const Image image = sequenceFigure(sequence, importance);
  CHECK(image.height == 500);
  CHECK(image.width == 800);
  CHECK(image.channels == 3);
  const Image custom = sequenceFigure(sequence, importance, {.width = 640, .height = 360, .title = "Observation 1"});
  CHECK(custom.height == 360);
  CHECK(custom.width == 640);

  for (const Image* figure : {&image, &custom}) {
    // The bottom panel lies in the lower half. Its curve spans time steps 1…t from its leftmost to
    // its rightmost pixel; its topmost pixels are at the peak's time step.
    const Found f = findColour(*figure, kFirstLineColour, figure->height / 2);
    REQUIRE(f.top >= 0);
    const double stepWidth = static_cast<double>(f.right - f.left) / static_cast<double>(t - 1);
    const double expected = static_cast<double>(f.left) + 6 * stepWidth;
    CHECK(std::abs(f.topColumn - expected) <= 2.0);
    CHECK(stepWidth > 20);  // the curve is spread over the panel, so a step off would show
  }

  // A 1-D importance is accepted the same way.
  CHECK(sequenceFigure(sequence, importance.reshaped(Shape{t})).pixels == image.pixels);
}

TEST_CASE("picture sequenceFigure: a constant and a NaN-holed importance still draw") {
  const Tensor sequence = Tensor::full({2, 5}, 1.0);
  const Image flat = sequenceFigure(sequence, Tensor::zeros({1, 5}));
  const Found f = findColour(flat, kFirstLineColour, flat.height / 2);
  REQUIRE(f.top >= 0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Image holed = sequenceFigure(sequence, tensorOf({1, 5}, {1, nan, 3, 2, nan}));
  CHECK(findColour(holed, kFirstLineColour, holed.height / 2).top >= 0);
}

TEST_CASE("picture sequenceFigure: errors") {
  const Tensor sequence = Tensor::full({3, 8}, 1.0);
  CHECK_THROWS_WITH_AS(sequenceFigure(sequence, Tensor::zeros({1, 7})),
                       doctest::Contains("the sequence's t = 8 time steps, got 1x7"), dlcam::Error);
  CHECK_THROWS_AS(sequenceFigure(sequence, Tensor::zeros({8, 1})), dlcam::Error);
  CHECK_THROWS_AS(sequenceFigure(sequence, Tensor()), dlcam::Error);
  CHECK_THROWS_WITH_AS(sequenceFigure(Tensor({3, 0}), Tensor({1, 0})), doctest::Contains("no time steps"),
                       dlcam::Error);
  CHECK_THROWS_AS(sequenceFigure(Tensor::full({3, 8, 2}, 1.0), Tensor::zeros({1, 8})), dlcam::Error);
  CHECK_THROWS_WITH_AS(sequenceFigure(sequence, Tensor::zeros({1, 8}), {.width = 199}),
                       doctest::Contains("at least 200×200 pixels, got 199×500"), dlcam::Error);
}

// ---- volumeMontage ----

TEST_CASE("picture volumeMontage: grid, and the hottest voxel where it belongs") {
  const int64_t h = 6, w = 8, d = 5;
  // The map's brightest voxel is (y 2, x 5, slice 3); every other voxel is lower.
  std::vector<double> m(static_cast<size_t>(h * w * d));
  for (int64_t z = 0; z < d; ++z)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t y = 0; y < h; ++y)
        m[static_cast<size_t>(y + h * (x + w * z))] = -std::abs(y - 2) - std::abs(x - 5) - std::abs(z - 3);
  const Tensor map = tensorOf({h, w, d}, m);
  const Tensor volume = Tensor::full({h, w, d}, 3.0);  // constant: gray level 0 everywhere

  const Image image = volumeMontage(volume, map, {.scale = 4});
  // 5 slices: 3 columns, 2 rows of 24×32-pixel tiles with 2-pixel lines between them.
  CHECK(image.height == 2 * 24 + 2);
  CHECK(image.width == 3 * 32 + 2 * 2);

  // Slice 3 is row 1, column 0: its tile starts at pixel (26, 0); voxel (2, 5) covers rows
  // 26 + 8…11 and columns 20…23. Jet's hottest colour half over black is (64, 0, 0), and it
  // appears nowhere else.
  const Rgb hot = mix({0, 0, 0}, colormapColor(Colormap::Jet, 1), 0.5);
  int64_t count = 0;
  for (int64_t y = 0; y < image.height; ++y)
    for (int64_t x = 0; x < image.width; ++x)
      if (pixel(image, y, x) == hot) {
        CAPTURE(y);
        CAPTURE(x);
        CHECK((y >= 34 && y <= 37 && x >= 20 && x <= 23));
        ++count;
      }
  CHECK(count == 16);

  // Automatic scale: a slice at least 96 pixels on its longer side (8 · 12).
  const Image automatic = volumeMontage(volume, map);
  CHECK(automatic.width == 3 * 96 + 2 * 2);
  CHECK(automatic.height == 2 * 72 + 2);
  // Explicit columns.
  const Image oneRow = volumeMontage(volume, map, {.columns = 5, .scale = 1});
  CHECK(oneRow.height == h);
  CHECK(oneRow.width == 5 * w + 4 * 2);
}

TEST_CASE("picture volumeMontage: channels averaged and rescaled over the volume into gray") {
  const int64_t h = 2, w = 2, d = 2, c = 2;
  // Channel 0 holds 0…7, channel 1 holds 2·(0…7): the mean is 1.5·(0…7), rescaled i/7.
  std::vector<double> v(static_cast<size_t>(h * w * d * c));
  for (int64_t i = 0; i < 8; ++i) {
    v[static_cast<size_t>(i)] = static_cast<double>(i);
    v[static_cast<size_t>(i + 8)] = 2.0 * static_cast<double>(i);
  }
  const Tensor volume = tensorOf({h, w, d, c}, v);
  const Image image =
      volumeMontage(volume, Tensor::zeros({h, w, d}), {.overlay = {.alpha = 0}, .columns = 2, .scale = 16});
  // Voxel (y 1, x 1, slice 1) is linear index 7: white. Voxel (1, 0, slice 0) is index 1:
  // 255/7 = 36.4 → 36. Pixel centres of their blocks, away from the slice labels.
  CHECK(pixel(image, 24, 32 + 2 + 16 + 8) == Rgb{255, 255, 255});
  CHECK(pixel(image, 24, 8) == Rgb{36, 36, 36});
  // The white line between the two slices.
  CHECK(pixel(image, 24, 32) == Rgb{255, 255, 255});
  CHECK(pixel(image, 24, 33) == Rgb{255, 255, 255});
}

TEST_CASE("picture volumeMontage: errors") {
  const Tensor volume = Tensor::full({4, 4, 3}, 1.0);
  CHECK_THROWS_WITH_AS(volumeMontage(volume, Tensor::zeros({4, 4, 2})),
                       doctest::Contains("must have the volume's h×w×d = 4×4×3"), dlcam::Error);
  CHECK_THROWS_AS(volumeMontage(volume, Tensor::zeros({4, 5, 3})), dlcam::Error);
  CHECK_THROWS_AS(volumeMontage(Tensor::full({4, 4, 3, 2, 2}, 1.0), Tensor::zeros({4, 4, 3})), dlcam::Error);
  CHECK_THROWS_AS(volumeMontage(volume, Tensor::zeros({4, 4, 3}), {.columns = -1}), dlcam::Error);
  CHECK_THROWS_AS(volumeMontage(volume, Tensor::zeros({4, 4, 3}), {.overlay = {.alpha = 2}}), dlcam::Error);
  CHECK_THROWS_AS(volumeMontage(Tensor({4, 4, 0}), Tensor({4, 4, 0})), dlcam::Error);
}

// ---- pictures to look at ----

// Writes the three pictures for synthetic inputs, for a person to look at:
//   DLCAM_WRITE_PICTURES=/tmp/dlcam-pictures build/tests/dlcam_tests -tc='picture files*'
TEST_CASE("picture files for a person to look at") {
  const char* folder = std::getenv("DLCAM_WRITE_PICTURES");
  if (folder == nullptr || *folder == '\0') {
    std::cout << "DLCAM_SKIPPED: set DLCAM_WRITE_PICTURES to a folder to write the example pictures\n";
    return;
  }
  std::filesystem::create_directories(folder);
  const std::string dir = std::string(folder) + "/";

  // A 224×224 scene: sky, grass, and a brown blob where the map is hot.
  Image scene(224, 224, 3);
  for (int64_t y = 0; y < 224; ++y)
    for (int64_t x = 0; x < 224; ++x) {
      Rgb c = y < 120 ? Rgb{static_cast<uint8_t>(150 + y / 3), static_cast<uint8_t>(190 + y / 4), 235}
                      : Rgb{70, static_cast<uint8_t>(140 - (y - 120) / 3), 50};
      const double dy = static_cast<double>(y - 115) / 45, dx = static_cast<double>(x - 140) / 60;
      if (dx * dx + dy * dy < 1) c = {140, 95, 55};
      for (int k = 0; k < 3; ++k) scene.at(y, x, k) = c[k];
    }
  std::vector<double> heat(13 * 13);
  for (int64_t x = 0; x < 13; ++x)
    for (int64_t y = 0; y < 13; ++y)
      heat[static_cast<size_t>(y + 13 * x)] = std::exp(-((y - 6.5) * (y - 6.5) + (x - 8.0) * (x - 8.0)) / 6.0) +
                                              0.3 * std::exp(-((y - 3.0) * (y - 3.0) + (x - 3.0) * (x - 3.0)) / 3.0);
  writePng(dir + "overlay.png", overlay(scene, tensorOf({13, 13}, heat)));

  // 12 features over 19 time steps, the network looking at the later ones.
  const int64_t c = 12, t = 19;
  std::vector<double> seq(static_cast<size_t>(c * t));
  for (int64_t f = 0; f < c; ++f)
    for (int64_t i = 0; i < t; ++i)
      seq[static_cast<size_t>(f + c * i)] =
          0.15 * static_cast<double>(f) - 0.8 + 0.4 * std::sin(0.35 * static_cast<double>(i) + static_cast<double>(f));
  std::vector<double> importance(static_cast<size_t>(t));
  for (int64_t i = 0; i < t; ++i) importance[static_cast<size_t>(i)] = 0.02 * std::exp(-(i - 14.0) * (i - 14.0) / 10.0);
  writePng(dir + "sequence.png",
           sequenceFigure(tensorOf({c, t}, seq), tensorOf({1, t}, importance), {.title = "Test Observation 1"}));

  // A 24×24×9 volume with a bright ball, the map hot off its centre.
  const int64_t n = 24, depth = 9;
  std::vector<double> vol(static_cast<size_t>(n * n * depth)), map(vol.size());
  for (int64_t z = 0; z < depth; ++z)
    for (int64_t x = 0; x < n; ++x)
      for (int64_t y = 0; y < n; ++y) {
        const double r2 = (y - 12.0) * (y - 12.0) + (x - 12.0) * (x - 12.0) + 4 * (z - 4.0) * (z - 4.0);
        vol[static_cast<size_t>(y + n * (x + n * z))] = r2 < 80 ? 1.0 - r2 / 160 : 0.1;
        map[static_cast<size_t>(y + n * (x + n * z))] =
            std::exp(-((y - 8.0) * (y - 8.0) + (x - 15.0) * (x - 15.0) + 6 * (z - 5.0) * (z - 5.0)) / 20);
      }
  writePng(dir + "montage.png", volumeMontage(tensorOf({n, n, depth}, vol), tensorOf({n, n, depth}, map)));
}
