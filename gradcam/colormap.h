// Colormaps for Grad-CAM pictures: a value in [0, 1] to an RGB colour.
//
//   Jet      MATLAB's jet (dark blue, blue, cyan, yellow, red, dark red), the reference page's
//            choice and dlcam's default.
//   Turbo    Google's improved rainbow (smoother luminance than jet).
//   Viridis  perceptually uniform, readable in gray and by colour-blind readers.
//   Gray     black to white.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace dlcam {

enum class Colormap { Jet, Turbo, Viridis, Gray };

// "jet", "turbo", "viridis", "gray" (also "grey"). Throws dlcam::Error listing the names.
Colormap parseColormap(const std::string& name);
std::string colormapName(Colormap c);

// The colour of t (clamped to [0, 1]; NaN maps to 0) as 8-bit RGB.
std::array<uint8_t, 3> colormapColor(Colormap c, double t);

}  // namespace dlcam
