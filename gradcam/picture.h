// Pictures of Grad-CAM maps: an overlay on an image, a figure for a sequence, a montage for a
// volume. Each returns an RGB Image (io/image.h) for writePng.
//
// Maps are rescaled to [0, 1] first (MATLAB rescale: (m - min) / (max - min); a constant map
// becomes all 0), because the map gradCAM returns is not normalised.
#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.h"
#include "gradcam/colormap.h"
#include "io/image.h"

namespace dlcam {

struct OverlayOptions {
  Colormap colormap = Colormap::Jet;
  // Weight of the colour-mapped map: pixel = (1 - alpha)·image + alpha·colour. In [0, 1].
  double alpha = 0.5;
};

// (m - min) / (max - min) over all of m (any rank, any dtype; NaN ignored for min/max and
// kept as NaN); all zeros when max == min. float32 result.
Tensor rescaleToUnit(const Tensor& m);

// The map (h×w, any size) over `image` (any size, 1…4 channels; gray is shown as gray RGB,
// alpha dropped), at the image's resolution: the map is resized to the image's height and
// width with bicubic interpolation (MATLAB imresize), rescaled to [0, 1], colour-mapped and
// alpha-blended. RGB result, image.height × image.width. Throws dlcam::Error when the map is
// not h×w (rank 2, or rank > 2 with trailing sizes 1), is empty, or alpha is outside [0, 1].
Image overlay(const Image& image, const Tensor& map, const OverlayOptions& options = {});

struct SequenceFigureOptions {
  int64_t width = 800;   // pixels, ≥ 200
  int64_t height = 500;  // pixels, ≥ 200
  std::string title{};   // drawn above the top panel when not empty
};

// The reference page's sequence figure: the input's features over time as lines (one colour
// per feature) in the top panel, and the Grad-CAM importance over time in the bottom panel,
// both against the time step (1…t), with axes, tick labels and the y ranges written. Text grows
// with the figure (twice the font's size at the default 800×500); the y label breaks into lines
// where it is longer than the panel. sequence: c×t (features × time steps); importance: 1×t or
// t (the same t). Non-finite values leave gaps in the lines. Throws dlcam::Error when the sizes
// differ, t == 0 or c == 0, or the figure is smaller than 200×200.
Image sequenceFigure(const Tensor& sequence, const Tensor& importance, const SequenceFigureOptions& options = {});

struct MontageOptions {
  OverlayOptions overlay{};
  int64_t columns = 0;  // slices per row (at most d); 0: the square root of the slice count, rounded up
  int64_t scale = 0;    // each slice enlarged this many times (nearest); 0: so that a slice
                        // is at least 96 pixels on its longer side
};

// The volume's depth slices in a grid, left to right and top to bottom, each the volume's
// slice (its channels averaged, rescaled to [0, 1] over the whole volume, shown in gray) with
// the map's slice overlaid; each slice is labelled with its depth index (1-based, as MATLAB's
// montage counts). volume: h×w×d or h×w×d×c; map: h×w×d (the same h, w, d, e.g. gradCAM's
// upsampled map). The map is rescaled over the whole volume, so slices compare. Tiles are
// h·scale × w·scale pixels with 2-pixel white lines between them, the number in the top-left
// corner; empty cells of the last row are white. Throws dlcam::Error when the sizes differ,
// the volume is empty, columns or scale is negative, or alpha is outside [0, 1].
Image volumeMontage(const Tensor& volume, const Tensor& map, const MontageOptions& options = {});

}  // namespace dlcam
