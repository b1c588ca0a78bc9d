// Resizing of images, volumes and sequences with MATLAB imresize / imresize3 semantics: the
// upsampling that gradCAM applies to its map.
//
// Resized dimensions: the S dimensions of x ("SSCB" h×w, "SSSCB" h×w×d, "SCB"), or, for
// sequence data without S dimensions ("CBT", "CT"), the T dimension. C, B (and a T beside S
// dimensions) are untouched: every channel and observation is resized independently. The
// output keeps x's format and dtype.
#pragma once

#include <cstdint>
#include <vector>

#include "core/array.h"
#include "kernels/resize.h"

namespace dlcam {

enum class ResizeMethod { Nearest, Linear, Cubic };
using kernels::ResizeBorder;

struct ResizeOptions {
  // Nearest: box kernel. Linear: triangle kernel (imresize "bilinear", imresize3 "linear").
  // Cubic: Keys kernel with a = -0.5 (imresize "bicubic", imresize3 "cubic").
  ResizeMethod method = ResizeMethod::Cubic;
  // MATLAB imresize's Antialiasing: when shrinking with Linear or Cubic, widen the kernel by
  // 1/scale (imresize's default is true). Has no effect when enlarging, or for Nearest.
  bool antialiasing = true;
  // Replicate (MATLAB imresize) or Symmetric (mirrored) borders; see kernels/cpu/resize.h.
  ResizeBorder border = ResizeBorder::Replicate;
};

// Resizes the S dims of x (or the T dim for sequence data "CBT"/"CT") to outputSize (one
// value per resized dim, in order, each > 0). Borders replicate the end samples (as imresize)
// unless options.border says otherwise, and the weights of each
// output sample sum to 1, as in imresize; dimensions are resized one after another, the one
// with the smallest scale first, and a dimension whose size does not change is left as is.
// The gradient flows to x. Throws dlcam::Error when x has no S or T dimension, when
// outputSize has the wrong length or a value <= 0, or when a resized dimension of x is empty.
Array resize(const Array& x, const std::vector<int64_t>& outputSize, const ResizeOptions& options = {});

}  // namespace dlcam
