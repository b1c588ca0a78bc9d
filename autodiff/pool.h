// Max and average pooling (MATLAB maxpool/avgpool, ONNX MaxPool/AveragePool/Global*Pool).
//
// Pooled dimensions: the S dimensions of x (1, 2 or 3 of them, e.g. "SCB", "SSCB", "SSSCB";
// C, B and a T beside them are independent), or, for sequence data without S dimensions
// ("CBT", "CT"), the T dimension. The output keeps x's format and dtype; only the pooled
// dimensions change size.
#pragma once

#include <cstdint>
#include <vector>

#include "core/array.h"

namespace dlcam {

struct PoolPadding {
  enum class Mode { Explicit, Same } mode = Mode::Explicit;
  // Explicit: per pooled dimension, in the order of the pooled dimensions. Empty means no
  // padding; a single value applies to every pooled dimension. Each value must be smaller
  // than the window along its dimension.
  std::vector<int64_t> before{}, after{};

  // MATLAB 'same': output size ceil(in / stride); the total padding
  // max((out - 1)·stride + window − in, 0) is split with floor(total / 2) before and the
  // rest after.
  static PoolPadding same();
  static PoolPadding explicitPad(std::vector<int64_t> before, std::vector<int64_t> after);
};

struct PoolOptions {
  // Window per pooled dimension; a single value applies to every pooled dimension.
  std::vector<int64_t> size{};
  // Step per pooled dimension; a single value applies to all. Empty means the window size,
  // as in ONNX and PyTorch. MATLAB's maxpool/avgpool default to a stride of 1: callers that
  // reproduce MATLAB pass the stride explicitly.
  std::vector<int64_t> stride{};
  PoolPadding padding{};
  // Average pooling only. true: padded positions count in the divisor as zeros (MATLAB
  // averagePooling layers with PaddingValue 0, ONNX count_include_pad=1). false: divide by
  // the number of real input elements in the window (ONNX AveragePool default).
  bool countIncludePad = true;
  // ONNX/PyTorch ceil_mode (explicit padding only): output size rounds up, so a last window
  // may run past the padded input; it is clipped, and it must start inside the input or the
  // leading padding (otherwise it is dropped).
  bool ceilMode = false;
};

// Maximum over each window; padding never wins (it acts as −∞). NaN propagates. The gradient
// of each window goes to its first maximum (column-major order) on ties.
Array maxPool(const Array& x, const PoolOptions& options);
// Mean over each window, with the divisor chosen by options.countIncludePad.
Array avgPool(const Array& x, const PoolOptions& options);

// Mean / maximum over all S dimensions (or T for sequence data), which keep their labels with
// size 1: "SSCB" h×w×c×n → 1×1×c×n, "CBT" c×n×t → c×n×1.
Array globalAvgPool(const Array& x);
Array globalMaxPool(const Array& x);

}  // namespace dlcam
