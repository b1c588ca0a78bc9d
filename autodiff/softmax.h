// Softmax and log-softmax over the channel dimension (MATLAB softmax on a formatted dlarray).
//
// x must have a C dimension ("CB", "CBT", "SSCB", ...); every other position (observation,
// time step, pixel) is normalised over its C values. The output has x's shape, format and
// dtype. Both are computed stably (the maximum over C is subtracted first), so large inputs
// do not overflow; NaN and Inf in x give NaN for their position.
#pragma once

#include "core/array.h"

namespace dlcam {

// exp(x_c) / Σ_k exp(x_k): positive values that sum to 1 over C.
Array softmax(const Array& x);
// log(softmax(x)) = x_c − log Σ_k exp(x_k), without forming softmax (no log of 0 underflow).
Array logSoftmax(const Array& x);

}  // namespace dlcam
