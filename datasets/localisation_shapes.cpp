// The shapes set: 64×64 RGB images with one circle, square, triangle or cross among clutter,
// the data the bundled shapes classifier (examples/shapes) is trained and tested on.
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "datasets/localisation_detail.h"

namespace dlcam::datasets::detail {

namespace {

constexpr int64_t kSize = 64;  // image height and width
constexpr int64_t kPixels = kSize * kSize;
constexpr int kSupersample = 4;               // subpixels per pixel edge when measuring coverage
constexpr double kMinColourDistance = 110.0;  // between the object and the mean colour under it

enum class Outline { Circle, Square, Triangle, Cross };  // in classNames(Shapes) order

using Colour = std::array<double, 3>;

// Coordinates are in pixels, x to the right and y down; pixel (y, x) covers [x, x+1) × [y, y+1),
// so its centre is (x + 0.5, y + 0.5). Images and masks are column-major: (y, x) at y + 64·x,
// channel c of an image at + 4096·c.
double centreOf(int64_t i) { return static_cast<double>(i) + 0.5; }

// Whether the point (u, v), in the object's own frame (its centre at 0, v down), is inside an
// object that fits a square of half side h.
bool insideShape(Outline shape, double u, double v, double h) {
  switch (shape) {
    case Outline::Circle: return u * u + v * v <= h * h;
    case Outline::Square: return std::abs(u) <= h && std::abs(v) <= h;
    case Outline::Triangle: return v <= h && 2 * u - v <= h && -2 * u - v <= h;  // apex up, base at the bottom
    case Outline::Cross: {  // a plus sign with arms a third of the size thick
      const double t = h / 3;
      return (std::abs(u) <= h && std::abs(v) <= t) || (std::abs(u) <= t && std::abs(v) <= h);
    }
  }
  return false;
}

// The fraction of each pixel the object covers: it fits a size×size square centred on
// (cx, cy) before it is turned by `angle` radians. Each pixel near the object is split into
// kSupersample² subpixels.
std::vector<double> objectCoverage(Outline shape, double cx, double cy, double size, double angle) {
  std::vector<double> coverage(kPixels, 0.0);
  const double reach = size / 2 * std::numbers::sqrt2 + 1;
  const int64_t x0 = std::max<int64_t>(static_cast<int64_t>(cx - reach), 0);
  const int64_t y0 = std::max<int64_t>(static_cast<int64_t>(cy - reach), 0);
  const int64_t x1 = std::min<int64_t>(static_cast<int64_t>(cx + reach) + 1, kSize);
  const int64_t y1 = std::min<int64_t>(static_cast<int64_t>(cy + reach) + 1, kSize);
  const double c = std::cos(angle), s = std::sin(angle);
  for (int64_t x = x0; x < x1; ++x)
    for (int64_t y = y0; y < y1; ++y) {
      int inside = 0;
      for (int j = 0; j < kSupersample; ++j)
        for (int i = 0; i < kSupersample; ++i) {
          const double dx = x + (i + 0.5) / kSupersample - cx, dy = y + (j + 0.5) / kSupersample - cy;
          inside += insideShape(shape, c * dx + s * dy, -s * dx + c * dy, size / 2);
        }
      coverage[y + kSize * x] = static_cast<double>(inside) / (kSupersample * kSupersample);
    }
  return coverage;
}

Colour randomColour(Random& rng) { return {rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)}; }

// Paints `colour` over the image with opacity alpha (per pixel, 0…1).
template <typename Alpha>
void blend(std::vector<double>& image, const Colour& colour, Alpha alpha) {
  for (int64_t p = 0; p < kPixels; ++p) {
    const double a = alpha(p % kSize, p / kSize);
    if (a == 0) continue;
    for (int c = 0; c < 3; ++c) image[p + kPixels * c] += a * (colour[c] - image[p + kPixels * c]);
  }
}

// A linear gradient between two random colours in a random direction.
void paintBackground(std::vector<double>& image, Random& rng) {
  const Colour c0 = randomColour(rng), c1 = randomColour(rng);
  const double theta = rng.uniform(0, 2 * std::numbers::pi);
  std::vector<double> t(kPixels);
  for (int64_t p = 0; p < kPixels; ++p)
    t[p] = std::cos(theta) * centreOf(p / kSize) + std::sin(theta) * centreOf(p % kSize);
  const auto [lo, hi] = std::minmax_element(t.begin(), t.end());
  const double tMin = *lo, tRange = *hi - *lo;
  for (int64_t p = 0; p < kPixels; ++p)
    for (int c = 0; c < 3; ++c) image[p + kPixels * c] = c0[c] + (t[p] - tMin) / tRange * (c1[c] - c0[c]);
}

// 1–3 thin straight lines and 1–3 soft Gaussian blobs, each of a random colour.
void paintDistractors(std::vector<double>& image, Random& rng) {
  for (int64_t n = rng.between(1, 3); n > 0; --n) {
    const double xa = rng.uniform(0, kSize), ya = rng.uniform(0, kSize);
    const double xb = rng.uniform(0, kSize), yb = rng.uniform(0, kSize);
    const double width = rng.uniform(1, 2.5);
    const double dx = xb - xa, dy = yb - ya, length2 = std::max(dx * dx + dy * dy, 1e-9);
    blend(image, randomColour(rng), [&](int64_t y, int64_t x) {
      // Distance from the pixel's centre to the segment; the line is anti-aliased over 1 px.
      const double px = centreOf(x) - xa, py = centreOf(y) - ya;
      const double t = std::clamp((px * dx + py * dy) / length2, 0.0, 1.0);
      return std::clamp(width / 2 + 0.5 - std::hypot(px - t * dx, py - t * dy), 0.0, 1.0);
    });
  }
  for (int64_t n = rng.between(1, 3); n > 0; --n) {
    const double bx = rng.uniform(0, kSize), by = rng.uniform(0, kSize);
    const double sigma = rng.uniform(2, 5), opacity = rng.uniform(0.5, 0.9);
    blend(image, randomColour(rng), [&](int64_t y, int64_t x) {
      const double ex = centreOf(x) - bx, ey = centreOf(y) - by;
      return opacity * std::exp(-(ex * ex + ey * ey) / (2 * sigma * sigma));
    });
  }
}

// A random colour at least kMinColourDistance (RGB) from the mean colour under the object, so
// that every object is visible and colour never tells the class.
Colour contrastingColour(const std::vector<double>& image, const std::vector<double>& coverage, Random& rng) {
  Colour under{};
  double total = 0;
  for (int64_t p = 0; p < kPixels; ++p) {
    total += coverage[p];
    for (int c = 0; c < 3; ++c) under[c] += coverage[p] * image[p + kPixels * c];
  }
  for (double& u : under) u /= total;
  // The farthest corner of the RGB cube is at least 127.5·√3 ≈ 221 away, so this ends.
  while (true) {
    const Colour colour = randomColour(rng);
    const double distance = std::hypot(colour[0] - under[0], colour[1] - under[1], colour[2] - under[2]);
    if (distance >= kMinColourDistance) return colour;
  }
}

}  // namespace

LocalisationSample drawShapes(int64_t label, Random& objectRng, Random& sceneRng, const DrawOptions& options) {
  // The object: 12…24 px, turned by up to ±15° (circles do not turn), its turned outline at
  // least 2 px inside the image.
  const Outline shape = static_cast<Outline>(label);
  const double size = objectRng.uniform(12, 24);
  const double angle =
      shape == Outline::Circle ? 0.0 : objectRng.uniform(-std::numbers::pi / 12, std::numbers::pi / 12);
  const double reach = size / 2 * std::numbers::sqrt2 + 2;
  const double cx = objectRng.uniform(reach, kSize - reach), cy = objectRng.uniform(reach, kSize - reach);
  const std::vector<double> coverage = objectCoverage(shape, cx, cy, size, angle);

  std::vector<double> image(3 * kPixels, 0.0);
  if (options.background) paintBackground(image, sceneRng);
  if (options.distractors) paintDistractors(image, sceneRng);
  if (options.object) {
    const Colour colour = options.background ? contrastingColour(image, coverage, sceneRng) : Colour{255, 255, 255};
    blend(image, colour, [&](int64_t y, int64_t x) { return coverage[y + kSize * x]; });
  }
  if (options.background) {
    const double noise = sceneRng.uniform(4, 16);
    for (double& v : image) v += sceneRng.normal(0, noise);
  }

  // Whole values 0…255, as an 8-bit image file holds them (a sample survives a PNG unchanged).
  LocalisationSample sample{Tensor(Shape{kSize, kSize, 3}), label, boxAtLeast(coverage.data(), {kSize, kSize}, 0.5)};
  float* out = sample.input.data<float>();
  for (size_t i = 0; i < image.size(); ++i)
    out[i] = static_cast<float>(std::clamp(std::nearbyint(image[i]), 0.0, 255.0));
  return sample;
}

}  // namespace dlcam::datasets::detail
