#include "gradcam/font.h"

#include <array>

namespace dlcam::detail {

namespace {

// One glyph: rows top to bottom, '#' for ink; rows left out at the end are blank.
struct Glyph {
  char ch;
  std::array<std::string_view, kGlyphHeight> rows;
};

// dlcam's own 5×9 font. Rows 0…6 stand on the baseline, rows 7…8 are descenders.
constexpr Glyph kGlyphs[] = {
    {' ', {}},
    {'!', {"  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "     ", "  #  "}},
    {'"', {" # # ", " # # ", " # # "}},
    {'#', {" # # ", " # # ", "#####", " # # ", "#####", " # # ", " # # "}},
    {'$', {"  #  ", " ####", "# #  ", " ### ", "  # #", "#### ", "  #  "}},
    {'%', {"##   ", "##  #", "   # ", "  #  ", " #   ", "#  ##", "   ##"}},
    {'&', {" ##  ", "#  # ", "# #  ", " #   ", "# # #", "#  # ", " ## #"}},
    {'\'', {"  #  ", "  #  ", " #   "}},
    {'(', {"   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # "}},
    {')', {" #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   "}},
    {'*', {"     ", "  #  ", "# # #", " ### ", "# # #", "  #  "}},
    {'+', {"     ", "  #  ", "  #  ", "#####", "  #  ", "  #  "}},
    {',', {"     ", "     ", "     ", "     ", "     ", " ##  ", " ##  ", "  #  ", " #   "}},
    {'-', {"     ", "     ", "     ", " ### "}},
    {'.', {"     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "}},
    {'/', {"    #", "    #", "   # ", "  #  ", " #   ", "#    ", "#    "}},
    {'0', {" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "}},
    {'1', {"  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
    {'2', {" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"}},
    {'3', {"#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "}},
    {'4', {"   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "}},
    {'5', {"#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "}},
    {'6', {"  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "}},
    {'7', {"#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "}},
    {'8', {" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "}},
    {'9', {" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "}},
    {':', {"     ", " ##  ", " ##  ", "     ", " ##  ", " ##  "}},
    {';', {"     ", " ##  ", " ##  ", "     ", " ##  ", " ##  ", "  #  ", " #   "}},
    {'<', {"   # ", "  #  ", " #   ", "#    ", " #   ", "  #  ", "   # "}},
    {'=', {"     ", "     ", "#####", "     ", "#####"}},
    {'>', {" #   ", "  #  ", "   # ", "    #", "   # ", "  #  ", " #   "}},
    {'?', {" ### ", "#   #", "    #", "   # ", "  #  ", "     ", "  #  "}},
    {'@', {" ### ", "#   #", "# ###", "# # #", "# ###", "#    ", " ####"}},
    {'A', {" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"}},
    {'B', {"#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "}},
    {'C', {" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "}},
    {'D', {"#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "}},
    {'E', {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"}},
    {'F', {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "}},
    {'G', {" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"}},
    {'H', {"#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"}},
    {'I', {" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
    {'J', {"  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "}},
    {'K', {"#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"}},
    {'L', {"#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"}},
    {'M', {"#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"}},
    {'N', {"#   #", "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #"}},
    {'O', {" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "}},
    {'P', {"#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "}},
    {'Q', {" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"}},
    {'R', {"#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"}},
    {'S', {" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "}},
    {'T', {"#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "}},
    {'U', {"#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "}},
    {'V', {"#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "}},
    {'W', {"#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # "}},
    {'X', {"#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"}},
    {'Y', {"#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "}},
    {'Z', {"#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"}},
    {'[', {" ### ", " #   ", " #   ", " #   ", " #   ", " #   ", " ### "}},
    {'\\', {"#    ", "#    ", " #   ", "  #  ", "   # ", "    #", "    #"}},
    {']', {" ### ", "   # ", "   # ", "   # ", "   # ", "   # ", " ### "}},
    {'^', {"  #  ", " # # ", "#   #"}},
    {'_', {"     ", "     ", "     ", "     ", "     ", "     ", "     ", "#####"}},
    {'`', {" #   ", "  #  "}},
    {'a', {"     ", "     ", " ### ", "    #", " ####", "#   #", " ####"}},
    {'b', {"#    ", "#    ", "# ## ", "##  #", "#   #", "#   #", "#### "}},
    {'c', {"     ", "     ", " ### ", "#    ", "#    ", "#   #", " ### "}},
    {'d', {"    #", "    #", " ## #", "#  ##", "#   #", "#   #", " ####"}},
    {'e', {"     ", "     ", " ### ", "#   #", "#####", "#    ", " ### "}},
    {'f', {"  ## ", " #  #", " #   ", "###  ", " #   ", " #   ", " #   "}},
    {'g', {"     ", "     ", " ####", "#   #", "#   #", "#   #", " ####", "    #", " ### "}},
    {'h', {"#    ", "#    ", "# ## ", "##  #", "#   #", "#   #", "#   #"}},
    {'i', {"  #  ", "     ", " ##  ", "  #  ", "  #  ", "  #  ", " ### "}},
    {'j', {"   # ", "     ", "  ## ", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "}},
    {'k', {"#    ", "#    ", "#  # ", "# #  ", "##   ", "# #  ", "#  # "}},
    {'l', {" ##  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
    {'m', {"     ", "     ", "## # ", "# # #", "# # #", "# # #", "# # #"}},
    {'n', {"     ", "     ", "# ## ", "##  #", "#   #", "#   #", "#   #"}},
    {'o', {"     ", "     ", " ### ", "#   #", "#   #", "#   #", " ### "}},
    {'p', {"     ", "     ", "#### ", "#   #", "#   #", "#   #", "#### ", "#    ", "#    "}},
    {'q', {"     ", "     ", " ####", "#   #", "#   #", "#   #", " ####", "    #", "    #"}},
    {'r', {"     ", "     ", "# ## ", "##  #", "#    ", "#    ", "#    "}},
    {'s', {"     ", "     ", " ####", "#    ", " ### ", "    #", "#### "}},
    {'t', {" #   ", " #   ", "###  ", " #   ", " #   ", " #  #", "  ## "}},
    {'u', {"     ", "     ", "#   #", "#   #", "#   #", "#  ##", " ## #"}},
    {'v', {"     ", "     ", "#   #", "#   #", "#   #", " # # ", "  #  "}},
    {'w', {"     ", "     ", "#   #", "#   #", "# # #", "# # #", " # # "}},
    {'x', {"     ", "     ", "#   #", " # # ", "  #  ", " # # ", "#   #"}},
    {'y', {"     ", "     ", "#   #", "#   #", "#   #", "#   #", " ####", "    #", " ### "}},
    {'z', {"     ", "     ", "#####", "   # ", "  #  ", " #   ", "#####"}},
    {'{', {"   ##", "  #  ", "  #  ", " #   ", "  #  ", "  #  ", "   ##"}},
    {'|', {"  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "}},
    {'}', {"##   ", "  #  ", "  #  ", "   # ", "  #  ", "  #  ", "##   "}},
    {'~', {"     ", "     ", " #   ", "# # #", "   # "}},
};

// The table lists printable ASCII in order, so a character's glyph is found by its code.
constexpr char kFirst = ' ';
constexpr char kLast = '~';
static_assert(std::size(kGlyphs) == kLast - kFirst + 1, "one glyph per printable ASCII character");
constexpr bool inCodeOrder() {
  for (size_t i = 0; i < std::size(kGlyphs); ++i)
    if (kGlyphs[i].ch != kFirst + static_cast<char>(i)) return false;
  return true;
}
static_assert(inCodeOrder(), "glyphs must be listed in ASCII order");

const Glyph& glyphOf(char ch) {
  if (ch < kFirst || ch > kLast) ch = '?';
  return kGlyphs[ch - kFirst];
}

// UTF-8 continuation bytes (10xxxxxx) belong to the character before them: a multi-byte
// character is drawn as one '?'.
bool isContinuationByte(char ch) { return (static_cast<unsigned char>(ch) & 0xC0) == 0x80; }

// Calls cell(col, row) for every inked cell of every character of text, col counted from the
// left edge of the text, row from its top.
template <typename Cell>
void forEachInkedCell(std::string_view text, Cell&& cell) {
  int64_t left = 0;
  for (char ch : text) {
    if (isContinuationByte(ch)) continue;
    const Glyph& glyph = glyphOf(ch);
    for (int64_t row = 0; row < kGlyphHeight; ++row) {
      std::string_view bits = glyph.rows[static_cast<size_t>(row)];
      for (int64_t col = 0; col < static_cast<int64_t>(bits.size()); ++col)
        if (bits[static_cast<size_t>(col)] == '#') cell(left + col, row);
    }
    left += kGlyphAdvance;
  }
}

}  // namespace

int64_t textWidth(std::string_view text, int64_t scale) {
  int64_t characters = 0;
  for (char ch : text) characters += isContinuationByte(ch) ? 0 : 1;
  return characters == 0 ? 0 : (characters * kGlyphAdvance - (kGlyphAdvance - kGlyphWidth)) * scale;
}

void drawText(Image& image, int64_t x, int64_t y, std::string_view text, Rgb colour, int64_t scale) {
  forEachInkedCell(text, [&](int64_t col, int64_t row) {
    fillRect(image, x + col * scale, y + row * scale, scale, scale, colour);
  });
}

void drawTextUp(Image& image, int64_t x, int64_t y, std::string_view text, Rgb colour, int64_t scale) {
  // Turned anticlockwise: the text's left edge is at the box's bottom, its top at the box's left.
  const int64_t bottom = y + textWidth(text, scale);
  forEachInkedCell(text, [&](int64_t col, int64_t row) {
    fillRect(image, x + row * scale, bottom - (col + 1) * scale, scale, scale, colour);
  });
}

}  // namespace dlcam::detail
