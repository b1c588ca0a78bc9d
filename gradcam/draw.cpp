#include "gradcam/draw.h"

#include <algorithm>
#include <cstdlib>

#include "core/error.h"

namespace dlcam::detail {

Image filledImage(int64_t height, int64_t width, Rgb colour) {
  Image image(height, width, 3);
  for (size_t i = 0; i < image.pixels.size(); i += 3) std::copy(colour.begin(), colour.end(), &image.pixels[i]);
  return image;
}

void setPixel(Image& image, int64_t x, int64_t y, Rgb colour) {
  DLCAM_ASSERT(image.channels == 3, "drawing needs an RGB image, got ", image.channels, " channels");
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  for (int c = 0; c < 3; ++c) image.at(y, x, c) = colour[c];
}

void fillRect(Image& image, int64_t x, int64_t y, int64_t width, int64_t height, Rgb colour) {
  const int64_t x0 = std::max<int64_t>(x, 0), x1 = std::min(x + width, image.width);
  const int64_t y0 = std::max<int64_t>(y, 0), y1 = std::min(y + height, image.height);
  for (int64_t yy = y0; yy < y1; ++yy)
    for (int64_t xx = x0; xx < x1; ++xx) setPixel(image, xx, yy, colour);
}

void drawFrame(Image& image, int64_t x, int64_t y, int64_t width, int64_t height, Rgb colour) {
  fillRect(image, x, y, width, 1, colour);
  fillRect(image, x, y + height - 1, width, 1, colour);
  fillRect(image, x, y, 1, height, colour);
  fillRect(image, x + width - 1, y, 1, height, colour);
}

void drawLine(Image& image, int64_t x0, int64_t y0, int64_t x1, int64_t y1, Rgb colour, int64_t penWidth) {
  // The pen covers penWidth pixels around its position, centred (the extra pixel of an even
  // width goes left and up).
  const int64_t before = penWidth / 2;
  const int64_t dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  const int64_t stepX = x0 < x1 ? 1 : -1, stepY = y0 < y1 ? 1 : -1;
  // Bresenham: err tracks how far the true line is from the pixel centre, in units that keep it
  // an integer; each step moves in x, in y, or in both, whichever keeps |err| smallest.
  int64_t err = dx + dy;
  for (;;) {
    fillRect(image, x0 - before, y0 - before, penWidth, penWidth, colour);
    if (x0 == x1 && y0 == y1) break;
    const int64_t twice = 2 * err;
    if (twice >= dy) {
      err += dy;
      x0 += stepX;
    }
    if (twice <= dx) {
      err += dx;
      y0 += stepY;
    }
  }
}

}  // namespace dlcam::detail
