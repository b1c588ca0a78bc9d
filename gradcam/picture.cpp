#include "gradcam/picture.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "autodiff/reduce.h"
#include "autodiff/resize.h"
#include "core/error.h"
#include "gradcam/draw.h"
#include "gradcam/font.h"

namespace dlcam {

using detail::Rgb;

namespace {

// ---- checks shared by the pictures ----

void checkAlpha(const char* what, double alpha) {
  if (!(alpha >= 0 && alpha <= 1)) fail(what, ": alpha must be in [0, 1], got ", alpha);
}

// The first n sizes of t (missing ones are 1, as MATLAB drops trailing singleton dimensions),
// or an error naming `expected` when t has fewer than minRank dimensions or a size other
// than 1 after the first n.
std::vector<int64_t> leadingSizes(const char* what, const char* name, const Tensor& t, int minRank, int n,
                                  const char* expected) {
  if (!t.defined()) fail(what, ": ", name, " is an undefined tensor, expected ", expected);
  bool ok = t.rank() >= minRank;
  for (int d = n; d < t.rank(); ++d) ok = ok && t.shape()[d] == 1;
  if (!ok) fail(what, ": ", name, " must be ", expected, ", got ", t.shape().str());
  std::vector<int64_t> sizes(static_cast<size_t>(n), 1);
  for (int d = 0; d < std::min(n, t.rank()); ++d) sizes[static_cast<size_t>(d)] = t.shape()[d];
  return sizes;
}

std::vector<double> valuesOf(const Tensor& t) {
  const Tensor d = t.to(DType::Float64);
  const double* v = d.data<double>();
  return std::vector<double>(v, v + d.numel());
}

// (1 - alpha)·base + alpha·colour, rounded, channel by channel.
Rgb blend(Rgb base, Rgb colour, double alpha) {
  Rgb out;
  for (int k = 0; k < 3; ++k) out[k] = static_cast<uint8_t>(std::lround((1 - alpha) * base[k] + alpha * colour[k]));
  return out;
}

// The RGB colour of an image pixel: gray (1 or 2 channels) is repeated, alpha is dropped.
Rgb rgbAt(const Image& image, int64_t y, int64_t x) {
  if (image.channels <= 2) return {image.at(y, x, 0), image.at(y, x, 0), image.at(y, x, 0)};
  return {image.at(y, x, 0), image.at(y, x, 1), image.at(y, x, 2)};
}

// ---- the sequence figure ----

// MATLAB's default line colour order (axes ColorOrder), cycled through for more lines.
constexpr double kLineColourOrder[][3] = {{0, 0.447, 0.741},     {0.850, 0.325, 0.098}, {0.929, 0.694, 0.125},
                                          {0.494, 0.184, 0.556}, {0.466, 0.674, 0.188}, {0.301, 0.745, 0.933},
                                          {0.635, 0.078, 0.184}};
constexpr Rgb kAxisColour{38, 38, 38};  // MATLAB's axes and labels: [0.15 0.15 0.15]

Rgb lineColour(size_t i) {
  const double* c = kLineColourOrder[i % std::size(kLineColourOrder)];
  return {static_cast<uint8_t>(std::lround(c[0] * 255)), static_cast<uint8_t>(std::lround(c[1] * 255)),
          static_cast<uint8_t>(std::lround(c[2] * 255))};
}

std::string tickText(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

// The smallest of 1, 2, 5, 10, 20, 50, … that is at least `minimum`.
int64_t niceStep(double minimum) {
  for (int64_t decade = 1;; decade *= 10)
    for (int64_t m : {1, 2, 5})
      if (static_cast<double>(m * decade) >= minimum) return m * decade;
}

// One panel of the figure: an axes box and what is plotted in it.
struct Panel {
  int64_t left = 0, top = 0, width = 0, height = 0;  // the axes box, frame included
  std::vector<std::vector<double>> lines;            // each t values (non-finite: a gap)
  std::vector<Rgb> colours;                          // one per line
  std::vector<std::string> yLabel;                   // lines of the y axis label (may be empty)

  // The range of the finite values; lo > hi when there are none.
  std::pair<double, double> range() const {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& line : lines)
      for (double v : line)
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    return {lo, hi};
  }
  // The y tick labels: the minimum and the maximum, or one value for constant data.
  std::vector<double> yTicks() const {
    const auto [lo, hi] = range();
    if (lo > hi) return {};
    return hi > lo ? std::vector<double>{lo, hi} : std::vector<double>{lo};
  }
  int64_t yTickWidth(int64_t scale) const {
    int64_t width = 0;
    for (double v : yTicks()) width = std::max(width, detail::textWidth(tickText(v), scale));
    return width;
  }
};

// Sizes that follow from the font scale s.
struct Metrics {
  int64_t s, text, gap, tick, pen, inset, margin;
  explicit Metrics(int64_t scale)
      : s(scale),
        text(detail::textHeight(scale)),
        gap(3 * scale),
        tick(3 * scale),
        pen(scale),
        inset(5 * scale),
        margin(4 * scale) {}
};

// Splits a label into lines that are at most maxWidth pixels long, breaking at spaces; a word
// longer than that gets a line of its own.
std::vector<std::string> wrapText(const std::string& text, int64_t scale, int64_t maxWidth) {
  std::vector<std::string> lines;
  std::string line;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(' ', start), text.size());
    const std::string word = text.substr(start, end - start);
    const std::string joined = line.empty() ? word : line + " " + word;
    if (!line.empty() && detail::textWidth(joined, scale) > maxWidth) {
      lines.push_back(line);
      line = word;
    } else {
      line = joined;
    }
    start = end + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// Draws the panel: data lines, frame, x ticks at time steps 1…t (thinned to fit), the data's
// minimum and maximum on the y axis, the x label below and the y label on the left.
void drawPanel(Image& image, const Panel& panel, int64_t t, const Metrics& m) {
  // Data coordinates to pixels, inset from the frame so that lines do not lie on it.
  const int64_t x0 = panel.left + m.inset, x1 = panel.left + panel.width - 1 - m.inset;
  const int64_t y0 = panel.top + m.inset, y1 = panel.top + panel.height - 1 - m.inset;
  // Not a structured binding: clang before 16 cannot capture one in a lambda (the fuzz build).
  const auto range = panel.range();
  const double lo = range.first, hi = range.second;
  auto xOf = [&](int64_t step) {  // step 0-based
    if (t == 1) return (x0 + x1) / 2;
    return x0 + static_cast<int64_t>(std::lround(static_cast<double>(step) * (x1 - x0) / (t - 1)));
  };
  auto yOf = [&](double v) {
    if (!(hi > lo)) return (y0 + y1) / 2;
    return y1 - static_cast<int64_t>(std::lround((v - lo) / (hi - lo) * static_cast<double>(y1 - y0)));
  };

  for (size_t k = 0; k < panel.lines.size(); ++k) {
    const std::vector<double>& v = panel.lines[k];
    for (int64_t i = 0; i < t; ++i) {
      if (!std::isfinite(v[i])) continue;
      const bool nextOk = i + 1 < t && std::isfinite(v[i + 1]);
      const bool prevOk = i > 0 && std::isfinite(v[i - 1]);
      if (nextOk)
        detail::drawLine(image, xOf(i), yOf(v[i]), xOf(i + 1), yOf(v[i + 1]), panel.colours[k], m.pen);
      else if (!prevOk)  // a point with gaps on both sides: a dot three pens wide
        detail::drawLine(image, xOf(i), yOf(v[i]), xOf(i), yOf(v[i]), panel.colours[k], 3 * m.pen);
    }
  }
  detail::drawFrame(image, panel.left, panel.top, panel.width, panel.height, kAxisColour);

  // x ticks at every step-th time step, far enough apart for their labels.
  const int64_t bottom = panel.top + panel.height;
  const double pixelsPerStep = t > 1 ? static_cast<double>(x1 - x0) / (t - 1) : 1e9;
  const int64_t labelRoom = detail::textWidth(std::to_string(t), m.s) + 3 * detail::kGlyphAdvance * m.s;
  const int64_t step = niceStep(static_cast<double>(labelRoom) / pixelsPerStep);
  for (int64_t k = 1; k <= t; ++k) {
    if (k % step != 0) continue;
    const int64_t x = xOf(k - 1);
    const std::string label = std::to_string(k);
    detail::fillRect(image, x, bottom - 1 - m.tick, 1, m.tick, kAxisColour);
    detail::drawText(image, x - detail::textWidth(label, m.s) / 2, bottom + m.gap, label, kAxisColour, m.s);
  }
  const std::string xLabel = "Time Step";
  detail::drawText(image, panel.left + (panel.width - detail::textWidth(xLabel, m.s)) / 2, bottom + 2 * m.gap + m.text,
                   xLabel, kAxisColour, m.s);

  // y ticks at the data's minimum and maximum (one in the middle for constant data), the
  // labels centred on them (on the digits' middle row).
  for (double v : panel.yTicks()) {
    const int64_t y = yOf(v);
    const std::string label = tickText(v);
    detail::fillRect(image, panel.left + 1, y, m.tick, 1, kAxisColour);
    detail::drawText(image, panel.left - m.gap - detail::textWidth(label, m.s), y - 3 * m.s, label, kAxisColour, m.s);
  }

  // The y label, turned to read upwards, left of the tick labels; several lines stack left to
  // right, the first outermost.
  const int64_t lineCount = static_cast<int64_t>(panel.yLabel.size());
  int64_t x = panel.left - 2 * m.gap - panel.yTickWidth(m.s) - lineCount * (m.text + m.s);
  for (const std::string& line : panel.yLabel) {
    const int64_t length = detail::textWidth(line, m.s);
    detail::drawTextUp(image, x, panel.top + (panel.height - length) / 2, line, kAxisColour, m.s);
    x += m.text + m.s;
  }
}

// ---- the montage ----

// The font scale for slice numbers: about a tenth of the tile's height, at least 1.
int64_t labelScale(int64_t tileHeight) { return std::max<int64_t>(1, tileHeight / (10 * detail::kGlyphHeight)); }

// White text with a black outline, readable on any colour.
void drawOutlinedText(Image& image, int64_t x, int64_t y, const std::string& text, int64_t s) {
  for (int64_t dy = -1; dy <= 1; ++dy)
    for (int64_t dx = -1; dx <= 1; ++dx)
      if (dx != 0 || dy != 0) detail::drawText(image, x + dx * s, y + dy * s, text, detail::kBlack, s);
  detail::drawText(image, x, y, text, detail::kWhite, s);
}

}  // namespace

Tensor rescaleToUnit(const Tensor& m) {
  if (!m.defined()) fail("rescaleToUnit: the map is an undefined tensor");
  const std::vector<double> v = valuesOf(m);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double x : v)
    if (!std::isnan(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  Tensor out(m.shape());
  float* o = out.data<float>();
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(v[i]))
      o[i] = std::numeric_limits<float>::quiet_NaN();
    else
      o[i] = hi > lo ? static_cast<float>((v[i] - lo) / (hi - lo)) : 0.0f;
  }
  return out;
}

Image overlay(const Image& image, const Tensor& map, const OverlayOptions& options) {
  checkAlpha("overlay", options.alpha);
  checkImage(image, "overlay");
  const std::vector<int64_t> hw = leadingSizes("overlay", "the map", map, 2, 2, "h×w");
  if (hw[0] == 0 || hw[1] == 0) fail("overlay: the map is empty (", map.shape().str(), ")");

  // Resize first, then rescale: bicubic interpolation overshoots, and the colours should
  // still span the whole colormap.
  const Array map2d(map.to(DType::Float32).reshaped(Shape{hw[0], hw[1]}), "SS");
  const Tensor resized = resize(map2d, {image.height, image.width}, {.method = ResizeMethod::Cubic}).value();
  const Tensor unit = rescaleToUnit(resized);
  const float* u = unit.data<float>();

  Image out(image.height, image.width, 3);
  for (int64_t y = 0; y < image.height; ++y)
    for (int64_t x = 0; x < image.width; ++x) {
      const Rgb colour = colormapColor(options.colormap, u[y + image.height * x]);  // column-major map
      const Rgb mixed = blend(rgbAt(image, y, x), colour, options.alpha);
      for (int c = 0; c < 3; ++c) out.at(y, x, c) = mixed[c];
    }
  return out;
}

Image sequenceFigure(const Tensor& sequence, const Tensor& importance, const SequenceFigureOptions& options) {
  const char* what = "sequenceFigure";
  if (options.width < 200 || options.height < 200)
    fail(what, ": the figure must be at least 200×200 pixels, got ", options.width, "×", options.height);
  const std::vector<int64_t> ct = leadingSizes(what, "the sequence", sequence, 2, 2, "c×t (features × time steps)");
  const int64_t c = ct[0], t = ct[1];
  if (t == 0 || c == 0)
    fail(what, ": the sequence has no ", t == 0 ? "time steps" : "features", " (", sequence.shape().str(), ")");
  const bool importanceOk = importance.defined() && importance.numel() == t &&
                            (importance.rank() == 1 || (importance.rank() >= 2 && importance.shape()[0] == 1));
  if (!importanceOk)
    fail(what, ": the importance must be 1×t or t with the sequence's t = ", t, " time steps, got ",
         importance.defined() ? importance.shape().str() : "an undefined tensor", " (sequence ", sequence.shape().str(),
         ")");

  // Text scales with the figure: 2 at the default 800×500.
  const Metrics m(std::clamp<int64_t>(std::min(options.width / 400, options.height / 250), 1, 4));
  Image image = detail::filledImage(options.height, options.width, detail::kWhite);

  // Vertical layout: [title] box, tick labels, x label; box, tick labels, x label.
  const int64_t top = m.margin + (options.title.empty() ? 0 : m.text + 2 * m.gap);
  const int64_t below = 2 * m.gap + 2 * m.text + 3 * m.gap;  // under each box
  const int64_t boxHeight = (options.height - top - 2 * below) / 2;

  Panel features, importances;
  const std::vector<double> x = valuesOf(sequence), w = valuesOf(importance);
  for (int64_t f = 0; f < c; ++f) {
    std::vector<double> line(static_cast<size_t>(t));
    for (int64_t i = 0; i < t; ++i) line[static_cast<size_t>(i)] = x[static_cast<size_t>(f + c * i)];
    features.lines.push_back(std::move(line));
    features.colours.push_back(lineColour(static_cast<size_t>(f)));
  }
  importances.lines.push_back(w);
  importances.colours.push_back(lineColour(0));
  importances.yLabel = wrapText("Grad-CAM Importance", m.s, boxHeight);

  // Horizontal layout, shared by both panels so that their time axes line up: y label lines,
  // tick labels, box, room for the last x tick label.
  const int64_t tickWidth = std::max(features.yTickWidth(m.s), importances.yTickWidth(m.s));
  const int64_t labelLines = static_cast<int64_t>(importances.yLabel.size());
  const int64_t left = m.margin + labelLines * (m.text + m.s) + 2 * m.gap + tickWidth;
  const int64_t right = m.margin + detail::textWidth(std::to_string(t), m.s);
  for (Panel* p : {&features, &importances}) {
    p->left = left;
    p->width = options.width - left - right;
  }
  features.top = top;
  importances.top = top + boxHeight + below;
  features.height = importances.height = boxHeight;

  if (!options.title.empty())
    detail::drawText(image, left + (features.width - detail::textWidth(options.title, m.s)) / 2, m.margin,
                     options.title, kAxisColour, m.s);
  drawPanel(image, features, t, m);
  drawPanel(image, importances, t, m);
  return image;
}

Image volumeMontage(const Tensor& volume, const Tensor& map, const MontageOptions& options) {
  const char* what = "volumeMontage";
  checkAlpha(what, options.overlay.alpha);
  if (options.columns < 0 || options.scale < 0)
    fail(what, ": columns and scale must be >= 0 (0: automatic), got columns ", options.columns, ", scale ",
         options.scale);
  const std::vector<int64_t> vs = leadingSizes(what, "the volume", volume, 2, 4, "h×w×d or h×w×d×c");
  const std::vector<int64_t> ms = leadingSizes(what, "the map", map, 2, 3, "h×w×d");
  const int64_t h = vs[0], w = vs[1], d = vs[2], c = vs[3];
  if (ms[0] != h || ms[1] != w || ms[2] != d)
    fail(what, ": the map (", map.shape().str(), ") must have the volume's h×w×d = ", h, "×", w, "×", d, " (volume ",
         volume.shape().str(), ")");
  if (h == 0 || w == 0 || d == 0 || c == 0) fail(what, ": the volume is empty (", volume.shape().str(), ")");

  // The volume as gray levels: channels averaged, rescaled over the whole volume.
  const Array channels(volume.to(DType::Float64).reshaped(Shape{h, w, d, c}), "SSSC");
  const Tensor gray = rescaleToUnit(mean(channels, {3}).value());
  const Tensor heat = rescaleToUnit(map);
  const float* g = gray.data<float>();
  const float* u = heat.data<float>();

  // Grid: columns × rows of tiles, each slice enlarged `scale` times, 2-pixel white lines between.
  const int64_t columns = options.columns > 0 ? std::min(options.columns, d)
                                              : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(d))));
  const int64_t rows = (d + columns - 1) / columns;
  const int64_t scale = options.scale > 0 ? options.scale : (96 + std::max(h, w) - 1) / std::max(h, w);
  const int64_t tileH = h * scale, tileW = w * scale, separator = 2;
  Image image = detail::filledImage(rows * tileH + (rows - 1) * separator, columns * tileW + (columns - 1) * separator,
                                    detail::kWhite);

  const int64_t s = labelScale(tileH);
  for (int64_t z = 0; z < d; ++z) {
    const int64_t top = (z / columns) * (tileH + separator), left = (z % columns) * (tileW + separator);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const int64_t i = y + h * (x + w * z);  // column-major h×w×d
        const float level = std::isnan(g[i]) ? 0.0f : g[i];
        const auto base = static_cast<uint8_t>(std::lround(level * 255));
        const Rgb colour = colormapColor(options.overlay.colormap, u[i]);
        detail::fillRect(image, left + x * scale, top + y * scale, scale, scale,
                         blend({base, base, base}, colour, options.overlay.alpha));
      }
    drawOutlinedText(image, left + 2 * s, top + 2 * s, std::to_string(z + 1), s);
  }
  return image;
}

}  // namespace dlcam
