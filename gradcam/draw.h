// Drawing on RGB images for the Grad-CAM pictures: pixels, rectangles and lines. Everything
// clips at the image's edges, so callers may draw partly outside.
#pragma once

#include <array>
#include <cstdint>

#include "io/image.h"

namespace dlcam::detail {

using Rgb = std::array<uint8_t, 3>;

inline constexpr Rgb kWhite{255, 255, 255};
inline constexpr Rgb kBlack{0, 0, 0};

// A 3-channel image filled with one colour.
Image filledImage(int64_t height, int64_t width, Rgb colour);

void setPixel(Image& image, int64_t x, int64_t y, Rgb colour);
// The pixels x…x+width-1, y…y+height-1.
void fillRect(Image& image, int64_t x, int64_t y, int64_t width, int64_t height, Rgb colour);
// A one-pixel frame around the pixels x…x+width-1, y…y+height-1 (drawn on them).
void drawFrame(Image& image, int64_t x, int64_t y, int64_t width, int64_t height, Rgb colour);
// A straight line from (x0, y0) to (x1, y1), both ends included, drawn with a square pen
// penWidth pixels wide (Bresenham's algorithm moves the pen one pixel at a time).
void drawLine(Image& image, int64_t x0, int64_t y0, int64_t x1, int64_t y1, Rgb colour, int64_t penWidth = 1);

}  // namespace dlcam::detail
