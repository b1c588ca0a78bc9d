// A small bitmap font for the text in Grad-CAM pictures (tick labels, axis labels, titles,
// slice numbers), so that dlcam needs no font library.
//
// Each glyph is 5×9 cells: rows 0…6 stand on the baseline (capitals and digits are 7 rows
// high, lowercase letters 5), rows 7…8 hold descenders (g, j, p, q, y). Characters are 6 cells
// apart (one cell of space). At scale s every cell is an s×s block of pixels. Printable ASCII
// (32…126) is covered; any other byte is drawn as '?' (one '?' per UTF-8 character).
#pragma once

#include <cstdint>
#include <string_view>

#include "gradcam/draw.h"

namespace dlcam::detail {

inline constexpr int64_t kGlyphWidth = 5;
inline constexpr int64_t kGlyphHeight = 9;
inline constexpr int64_t kGlyphAdvance = 6;

// Width in pixels of text at this scale (no space after the last character).
int64_t textWidth(std::string_view text, int64_t scale);
// Height in pixels of a line of text at this scale, descenders included.
inline int64_t textHeight(int64_t scale) { return kGlyphHeight * scale; }

// Draws text with its top-left corner at (x, y).
void drawText(Image& image, int64_t x, int64_t y, std::string_view text, Rgb colour, int64_t scale);
// Draws text turned a quarter turn anticlockwise, reading from bottom to top (as a y axis
// label), in the box whose top-left corner is (x, y): textHeight(scale) wide and
// textWidth(text, scale) high.
void drawTextUp(Image& image, int64_t x, int64_t y, std::string_view text, Rgb colour, int64_t scale);

}  // namespace dlcam::detail
