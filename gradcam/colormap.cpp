#include "gradcam/colormap.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.h"

namespace dlcam {

namespace {

using Rgb01 = std::array<double, 3>;  // a colour with channels in [0, 1]

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

// MATLAB's jet as a continuous function of t in [0, 1]: each channel is a trapezoid that rises
// with slope 4 (a ramp a quarter of the range wide), stays 1 over a quarter, and falls with
// slope 4; blue is centred at t = 1/4, green at 1/2, red at 3/4. Blue starts at 0.5 (dark blue)
// and red ends at 0.5 (dark red).
//
// Where MATLAB's jet(m) rows lie on it: for m a multiple of 8 (jet(8), the default jet(256)),
// row i (1-based) is this function at t = i/m, so jet(8) is t = 1/8, 2/8, ..., 1 and
// jet(256)(1,:) = [0 0 0.515625] is t = 1/256. (For m = 4·odd, e.g. jet(4), the rows sit at
// t = (i - 1/2)/m.) imagesc shows a value v scaled to [0, 1] with row min(floor(256·v), 255) + 1
// of jet(256), that is t = (floor(256·v) + 1)/256: this continuous version differs from it by
// less than 1/256 in t, at most 4/256 in a channel.
Rgb01 jet(double t) {
  return {clamp01(1.5 - std::abs(4 * t - 3)), clamp01(1.5 - std::abs(4 * t - 2)), clamp01(1.5 - std::abs(4 * t - 1))};
}

// Turbo and viridis as 65 samples at t = 0, 1/64, ..., 1, linearly interpolated in between.
// The samples were taken at development time from matplotlib 3.6.3's 256-entry tables (entry k
// at t = k/255, linearly interpolated), rounded to 4 decimals. Viridis (Stéfan van der Walt,
// Nathaniel Smith, Eric Firing) is in the public domain (CC0); turbo (Anton Mikhailov, Google)
// is under the Apache License 2.0. Against those tables, interpolating these samples is off by
// at most 0.0017 (viridis) and 0.0019 (turbo) in a channel, under half an 8-bit step: after
// rounding to 8 bits the colours match the tables' within 1.
constexpr int kSamples = 65;

constexpr Rgb01 kViridis[kSamples] = {
    {0.2670, 0.0049, 0.3294}, {0.2726, 0.0255, 0.3530}, {0.2770, 0.0502, 0.3755}, {0.2802, 0.0732, 0.3969},
    {0.2823, 0.0946, 0.4170}, {0.2832, 0.1153, 0.4358}, {0.2829, 0.1354, 0.4530}, {0.2815, 0.1553, 0.4688},
    {0.2789, 0.1749, 0.4830}, {0.2753, 0.1942, 0.4956}, {0.2708, 0.2133, 0.5066}, {0.2654, 0.2321, 0.5162},
    {0.2593, 0.2507, 0.5244}, {0.2525, 0.2689, 0.5313}, {0.2454, 0.2867, 0.5370}, {0.2379, 0.3042, 0.5417},
    {0.2302, 0.3213, 0.5455}, {0.2225, 0.3381, 0.5486}, {0.2148, 0.3545, 0.5510}, {0.2073, 0.3706, 0.5530},
    {0.2000, 0.3864, 0.5545}, {0.1929, 0.4019, 0.5557}, {0.1861, 0.4173, 0.5567}, {0.1796, 0.4324, 0.5574},
    {0.1733, 0.4474, 0.5579}, {0.1672, 0.4623, 0.5581}, {0.1613, 0.4770, 0.5581}, {0.1554, 0.4918, 0.5579},
    {0.1497, 0.5064, 0.5573}, {0.1440, 0.5211, 0.5564}, {0.1384, 0.5358, 0.5551}, {0.1331, 0.5504, 0.5533},
    {0.1281, 0.5651, 0.5509}, {0.1239, 0.5798, 0.5479}, {0.1209, 0.5945, 0.5442}, {0.1195, 0.6091, 0.5397},
    {0.1203, 0.6238, 0.5343}, {0.1240, 0.6383, 0.5280}, {0.1310, 0.6529, 0.5208}, {0.1414, 0.6673, 0.5126},
    {0.1554, 0.6815, 0.5032}, {0.1727, 0.6956, 0.4928}, {0.1930, 0.7096, 0.4812}, {0.2160, 0.7232, 0.4685},
    {0.2415, 0.7366, 0.4545}, {0.2691, 0.7497, 0.4394}, {0.2986, 0.7624, 0.4230}, {0.3299, 0.7748, 0.4054},
    {0.3629, 0.7867, 0.3866}, {0.3972, 0.7981, 0.3665}, {0.4330, 0.8091, 0.3453}, {0.4700, 0.8194, 0.3228},
    {0.5081, 0.8292, 0.2992}, {0.5472, 0.8384, 0.2745}, {0.5873, 0.8470, 0.2489}, {0.6280, 0.8549, 0.2224},
    {0.6694, 0.8622, 0.1954}, {0.7110, 0.8689, 0.1685}, {0.7529, 0.8751, 0.1427}, {0.7946, 0.8808, 0.1196},
    {0.8359, 0.8861, 0.1025}, {0.8766, 0.8912, 0.0953}, {0.9166, 0.8961, 0.1008}, {0.9554, 0.9011, 0.1182},
    {0.9932, 0.9062, 0.1439}
};

constexpr Rgb01 kTurbo[kSamples] = {
    {0.1900, 0.0718, 0.2322}, {0.2085, 0.1178, 0.3456}, {0.2249, 0.1632, 0.4502}, {0.2390, 0.2078, 0.5458},
    {0.2509, 0.2517, 0.6324}, {0.2606, 0.2948, 0.7102}, {0.2680, 0.3373, 0.7790}, {0.2732, 0.3789, 0.8388},
    {0.2762, 0.4199, 0.8897}, {0.2770, 0.4601, 0.9317}, {0.2755, 0.4996, 0.9648}, {0.2713, 0.5385, 0.9885},
    {0.2594, 0.5777, 0.9986}, {0.2399, 0.6173, 0.9953}, {0.2153, 0.6567, 0.9806}, {0.1879, 0.6955, 0.9566},
    {0.1602, 0.7332, 0.9252}, {0.1344, 0.7693, 0.8884}, {0.1130, 0.8034, 0.8482}, {0.0983, 0.8349, 0.8065},
    {0.0927, 0.8634, 0.7655}, {0.0986, 0.8885, 0.7270}, {0.1179, 0.9101, 0.6900}, {0.1499, 0.9298, 0.6472},
    {0.1922, 0.9474, 0.5993}, {0.2427, 0.9628, 0.5482}, {0.2992, 0.9758, 0.4953}, {0.3593, 0.9861, 0.4424},
    {0.4210, 0.9935, 0.3912}, {0.4820, 0.9979, 0.3434}, {0.5400, 0.9991, 0.3005}, {0.5929, 0.9969, 0.2643},
    {0.6384, 0.9910, 0.2365}, {0.6796, 0.9810, 0.2179}, {0.7205, 0.9669, 0.2073}, {0.7607, 0.9490, 0.2033},
    {0.7994, 0.9277, 0.2042}, {0.8362, 0.9036, 0.2085}, {0.8704, 0.8768, 0.2146}, {0.9016, 0.8479, 0.2210},
    {0.9290, 0.8173, 0.2261}, {0.9523, 0.7853, 0.2283}, {0.9707, 0.7523, 0.2262}, {0.9837, 0.7185, 0.2183},
    {0.9921, 0.6810, 0.2059}, {0.9962, 0.6396, 0.1904}, {0.9963, 0.5952, 0.1724}, {0.9926, 0.5490, 0.1528},
    {0.9853, 0.5018, 0.1324}, {0.9747, 0.4546, 0.1119}, {0.9610, 0.4084, 0.0921}, {0.9445, 0.3642, 0.0737},
    {0.9253, 0.3229, 0.0577}, {0.9036, 0.2855, 0.0447}, {0.8797, 0.2521, 0.0349}, {0.8528, 0.2206, 0.0265},
    {0.8230, 0.1909, 0.0195}, {0.7903, 0.1629, 0.0137}, {0.7547, 0.1367, 0.0093}, {0.7161, 0.1122, 0.0062},
    {0.6747, 0.0895, 0.0045}, {0.6303, 0.0684, 0.0040}, {0.5830, 0.0492, 0.0049}, {0.5327, 0.0316, 0.0071},
    {0.4796, 0.0158, 0.0106}
};

Rgb01 sampled(const Rgb01 (&table)[kSamples], double t) {
  const double pos = t * (kSamples - 1);
  const int i = std::min(static_cast<int>(pos), kSamples - 2);
  const double f = pos - i;
  Rgb01 c;
  for (int k = 0; k < 3; ++k) c[k] = (1 - f) * table[i][k] + f * table[i + 1][k];
  return c;
}

}  // namespace

Colormap parseColormap(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (lower == "jet") return Colormap::Jet;
  if (lower == "turbo") return Colormap::Turbo;
  if (lower == "viridis") return Colormap::Viridis;
  if (lower == "gray" || lower == "grey") return Colormap::Gray;
  fail("unknown colormap \"", name, "\": expected jet, turbo, viridis or gray");
}

std::string colormapName(Colormap c) {
  switch (c) {
    case Colormap::Jet: return "jet";
    case Colormap::Turbo: return "turbo";
    case Colormap::Viridis: return "viridis";
    case Colormap::Gray: return "gray";
  }
  DLCAM_ASSERT(false, "unknown Colormap ", static_cast<int>(c));
  return {};
}

std::array<uint8_t, 3> colormapColor(Colormap c, double t) {
  t = std::isnan(t) ? 0.0 : clamp01(t);
  Rgb01 rgb{t, t, t};
  switch (c) {
    case Colormap::Jet: rgb = jet(t); break;
    case Colormap::Turbo: rgb = sampled(kTurbo, t); break;
    case Colormap::Viridis: rgb = sampled(kViridis, t); break;
    case Colormap::Gray: break;
  }
  std::array<uint8_t, 3> out;
  for (int k = 0; k < 3; ++k) out[k] = static_cast<uint8_t>(std::lround(clamp01(rgb[k]) * 255));
  return out;
}

}  // namespace dlcam
