// Softmax and log-softmax over the channel dimension, forward and backward.
//
// x is seen through its channel view (kernels/cpu/norm.h): inner × C × outer, column-major.
// Each of the inner·outer positions is normalised over its C values. With inner = 1 ("CB",
// "CBT") those values are contiguous; otherwise ("SSCB") they lie inner apart, and the
// kernels work on tiles of neighbouring positions so that both layouts stream memory.
#pragma once

#include "core/tensor.h"
#include "kernels/cpu/norm.h"

namespace dlcam::kernels::cpu {

struct SoftmaxParams {
  ChannelGeometry geometry;
  bool log = false;  // log-softmax
};

// softmax: exp(x − max) / Σ exp(x − max); log-softmax: x − max − log Σ exp(x − max).
Tensor softmax(const Tensor& x, const SoftmaxParams& params);

// The input gradient from the output gradient g and the forward's output y:
// softmax: y ⊙ (g − Σ_c g ⊙ y); log-softmax: g − exp(y) ⊙ Σ_c g.
Tensor softmaxBackward(const Tensor& g, const Tensor& y, const SoftmaxParams& params);

}  // namespace dlcam::kernels::cpu
