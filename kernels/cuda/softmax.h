// Softmax and log-softmax over the channel dimension on the GPU (the device twins of
// kernels/cpu/softmax.h; see there for the semantics), through cuDNN.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace dlcam::kernels::cuda {

// cpu::SoftmaxParams in plain values (its header brings in Eigen, which nvcc is not given):
// the tensor is inner × channels × outer, column-major, normalised over channels.
struct SoftmaxLayout {
  int64_t inner = 1;
  int64_t channels = 1;
  int64_t outer = 1;
  bool log = false;  // log-softmax
};

// Whether cuDNN can take this layout: one sample, channels·inner values, must fit its int
// sizes (the outer dimension is split into as many calls as needed).
bool softmaxFits(const SoftmaxLayout& layout);

// x on the GPU; y: the same shape.
Tensor softmax(const Tensor& x, const SoftmaxLayout& layout);
// g, y (the forward's output) on the GPU, x's shape; the result too.
Tensor softmaxBackward(const Tensor& g, const Tensor& y, const SoftmaxLayout& layout);

}  // namespace dlcam::kernels::cuda
