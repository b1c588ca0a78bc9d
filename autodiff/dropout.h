// Dropout (MATLAB dropoutLayer, PyTorch nn.Dropout): inverted dropout, so that inference
// needs no rescaling.
#pragma once

#include <cstdint>

#include "core/array.h"

namespace dlcam {

struct DropoutOptions {
  double probability = 0.5;  // of dropping an element; 0 <= p < 1
  bool training = false;     // false: inference, dropout is the identity
  // Training: which elements are dropped is a fixed function of (seed, linear element index
  // in x's column-major order): the same seed and shape give the same mask on every call,
  // machine and thread count. Use a new seed per training step for fresh masks.
  uint64_t seed = 0;
};

// Inference (training = false) or p = 0: returns x itself; no randomness, nothing recorded.
// Training: keeps each element with probability 1 − p and scales kept ones by 1/(1 − p),
// dropped ones become 0 (NaN and Inf become NaN, as x·0 does). The gradient is the output
// gradient times the same mask and scale. Any shape and format; output like x.
// Throws dlcam::Error when p is outside [0, 1).
Array dropout(const Array& x, const DropoutOptions& options = {});

}  // namespace dlcam
