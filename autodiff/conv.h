// Convolution (MATLAB dlconv, ONNX Conv, PyTorch conv1d/2d/3d): 1-D, 2-D and 3-D, with
// stride, dilation, padding ('same', 'causal' or explicit) and groups. Cross-correlation:
// the kernel is not flipped.
//
//   Array y = conv(x, w, b, {.stride = {2}, .padding = ConvPadding::same()});
//
// x        "S…C" or "S…CB" with 1, 2 or 3 S dims, or a sequence "CT" / "CBT" (convolved over T).
// weights  k_1 × … × k_d × (C/groups) × F, MATLAB's layout, any labels (the values are read in
//          storage order; trailing singleton dims may be omitted). Filters [g·F/G, (g+1)·F/G)
//          belong to group g, which sees channels [g·C/G, (g+1)·C/G).
// bias     F elements in any shape, or Array() for none.
// Returns  an array with x's format: the S (or T) sizes are the output sizes and C is F.
//
// All three inputs must have the same dtype. Gradients flow to x, weights and bias.
#pragma once

#include <cstdint>
#include <vector>

#include "core/array.h"

namespace dlcam {

struct ConvPadding {
  enum class Mode { Explicit, Same, Causal };
  Mode mode = Mode::Explicit;
  // Explicit mode: zeros added before / after each spatial dim. Empty means 0; a single
  // value applies to every dim.
  std::vector<int64_t> before{}, after{};

  // MATLAB 'same': output size ceil(in / stride); the total padding
  // max((out − 1)·stride + (k − 1)·dilation + 1 − in, 0) is split with the extra one at the end.
  static ConvPadding same() { return ConvPadding{Mode::Same, {}, {}}; }
  // 1-D only: (k − 1)·dilation zeros before, none after, so output t sees inputs ≤ t.
  static ConvPadding causal() { return ConvPadding{Mode::Causal, {}, {}}; }
  static ConvPadding explicitPad(std::vector<int64_t> before, std::vector<int64_t> after) {
    return ConvPadding{Mode::Explicit, std::move(before), std::move(after)};
  }
};

struct ConvOptions {
  std::vector<int64_t> stride{};    // per spatial dim; empty = all 1; one value applies to all dims
  std::vector<int64_t> dilation{};  // same rules
  ConvPadding padding{};
  int64_t groups = 1;             // depthwise convolution: groups == C
};

Array conv(const Array& x, const Array& weights, const Array& bias, const ConvOptions& options = {});

}  // namespace dlcam
