#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "core/error.h"
#include "gradcam/colormap.h"

using namespace dlcam;

namespace {

using Rgb = std::array<uint8_t, 3>;

Rgb to8bit(double r, double g, double b) {
  return {static_cast<uint8_t>(std::lround(r * 255)), static_cast<uint8_t>(std::lround(g * 255)),
          static_cast<uint8_t>(std::lround(b * 255))};
}

// Each channel within `tolerance` 8-bit steps.
bool near(Rgb a, Rgb b, int tolerance) {
  for (int k = 0; k < 3; ++k)
    if (std::abs(static_cast<int>(a[k]) - static_cast<int>(b[k])) > tolerance) return false;
  return true;
}

}  // namespace

TEST_CASE("colormap jet at t = i/8 is MATLAB's jet(8)") {
  // MATLAB: jet(8)
  const double jet8[8][3] = {{0, 0, 1}, {0, 0.5, 1}, {0, 1, 1}, {0.5, 1, 0.5},
                             {1, 1, 0}, {1, 0.5, 0}, {1, 0, 0}, {0.5, 0, 0}};
  for (int i = 1; i <= 8; ++i) {
    CAPTURE(i);
    const double* want = jet8[i - 1];
    CHECK(colormapColor(Colormap::Jet, i / 8.0) == to8bit(want[0], want[1], want[2]));
  }
}

TEST_CASE("colormap jet at t = (i - 1/2)/4 is MATLAB's jet(4)") {
  // MATLAB: jet(4). The rows of jet(m) for m = 4·odd sit half a step lower than for m = 8·k.
  const double jet4[4][3] = {{0, 0, 1}, {0, 1, 1}, {1, 1, 0}, {1, 0, 0}};
  for (int i = 1; i <= 4; ++i) {
    CAPTURE(i);
    const double* want = jet4[i - 1];
    CHECK(colormapColor(Colormap::Jet, (i - 0.5) / 4) == to8bit(want[0], want[1], want[2]));
  }
}

TEST_CASE("colormap jet ends: t = 1/256 is MATLAB's jet(256) first row, t = 0 and 1 are half-dark blue and red") {
  // MATLAB: jet(256)(1,:) = [0 0 0.515625]
  CHECK(colormapColor(Colormap::Jet, 1.0 / 256) == to8bit(0, 0, 0.515625));
  CHECK(colormapColor(Colormap::Jet, 0) == Rgb{0, 0, 128});
  CHECK(colormapColor(Colormap::Jet, 1) == Rgb{128, 0, 0});
}

TEST_CASE("colormap gray is t, clamped, NaN as 0") {
  CHECK(colormapColor(Colormap::Gray, 0) == Rgb{0, 0, 0});
  CHECK(colormapColor(Colormap::Gray, 1) == Rgb{255, 255, 255});
  CHECK(colormapColor(Colormap::Gray, 0.5) == Rgb{128, 128, 128});  // 127.5 rounds up
  CHECK(colormapColor(Colormap::Gray, 0.2) == Rgb{51, 51, 51});
  CHECK(colormapColor(Colormap::Gray, -3) == Rgb{0, 0, 0});
  CHECK(colormapColor(Colormap::Gray, 7) == Rgb{255, 255, 255});
  CHECK(colormapColor(Colormap::Gray, std::numeric_limits<double>::quiet_NaN()) == Rgb{0, 0, 0});
  CHECK(colormapColor(Colormap::Jet, std::numeric_limits<double>::quiet_NaN()) == colormapColor(Colormap::Jet, 0));
}

// Reference colours printed by matplotlib 3.6.3 (matplotlib.colormaps[name].colors[k], the
// 256-entry tables; entry k lies at t = k/255), rounded to 8 bits. colormap.cpp interpolates
// 65 samples of these tables; the table entries below are mostly not among the samples.
TEST_CASE("colormap viridis and turbo match matplotlib's tables within one 8-bit step") {
  struct Entry {
    int k;
    Rgb rgb;
  };
  const Entry viridis[] = {{0, {68, 1, 84}},      {37, {70, 51, 127}},   {100, {42, 118, 142}},
                           {128, {33, 145, 140}}, {200, {112, 207, 87}}, {255, {253, 231, 37}}};
  const Entry turbo[] = {{0, {48, 18, 59}},     {37, {71, 120, 240}},  {100, {63, 246, 138}},
                         {128, {164, 252, 60}}, {200, {244, 102, 23}}, {255, {122, 4, 3}}};
  for (const Entry& e : viridis) {
    CAPTURE(e.k);
    CHECK(near(colormapColor(Colormap::Viridis, e.k / 255.0), e.rgb, 1));
  }
  for (const Entry& e : turbo) {
    CAPTURE(e.k);
    CHECK(near(colormapColor(Colormap::Turbo, e.k / 255.0), e.rgb, 1));
  }
  // The ends are samples themselves: exact.
  CHECK(colormapColor(Colormap::Viridis, 0) == Rgb{68, 1, 84});
  CHECK(colormapColor(Colormap::Viridis, 1) == Rgb{253, 231, 37});
  CHECK(colormapColor(Colormap::Turbo, 0) == Rgb{48, 18, 59});
  CHECK(colormapColor(Colormap::Turbo, 1) == Rgb{122, 4, 3});
}

TEST_CASE("colormap viridis gets lighter all the way") {
  // Rec. 709 luma of the 8-bit colours at 33 evenly spaced t: strictly increasing (viridis is
  // designed so; jet is not, its cyan is lighter than its red).
  double previous = -1;
  for (int i = 0; i <= 32; ++i) {
    const Rgb c = colormapColor(Colormap::Viridis, i / 32.0);
    const double luma = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    CAPTURE(i);
    CHECK(luma > previous);
    previous = luma;
  }
  const Rgb cyan = colormapColor(Colormap::Jet, 3.0 / 8), red = colormapColor(Colormap::Jet, 7.0 / 8);
  CHECK(0.2126 * cyan[0] + 0.7152 * cyan[1] + 0.0722 * cyan[2] > 0.2126 * red[0] + 0.7152 * red[1] + 0.0722 * red[2]);
}

TEST_CASE("colormap continuity: neighbouring t give neighbouring colours") {
  // A wrong sample row or a broken interpolation index shows as a jump. The steepest channels
  // (jet's ramps, 4 per unit of t; turbo's blue, 7.3) move less than two 8-bit steps per 0.001,
  // so rounded colours differ by at most 2.
  for (Colormap map : {Colormap::Jet, Colormap::Turbo, Colormap::Viridis, Colormap::Gray}) {
    CAPTURE(colormapName(map));
    for (int i = 0; i < 1000; ++i) CHECK(near(colormapColor(map, i / 1000.0), colormapColor(map, (i + 1) / 1000.0), 2));
  }
}

TEST_CASE("colormap names") {
  CHECK(parseColormap("jet") == Colormap::Jet);
  CHECK(parseColormap("Turbo") == Colormap::Turbo);
  CHECK(parseColormap("viridis") == Colormap::Viridis);
  CHECK(parseColormap("gray") == Colormap::Gray);
  CHECK(parseColormap("GREY") == Colormap::Gray);
  for (Colormap map : {Colormap::Jet, Colormap::Turbo, Colormap::Viridis, Colormap::Gray})
    CHECK(parseColormap(colormapName(map)) == map);
  CHECK_THROWS_WITH_AS(parseColormap("hot"), doctest::Contains("\"hot\": expected jet, turbo, viridis or gray"),
                       dlcam::Error);
  CHECK_THROWS_AS(parseColormap(""), dlcam::Error);
}
