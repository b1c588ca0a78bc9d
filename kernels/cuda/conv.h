// Convolution on the GPU with cuDNN: the same operations, layouts and geometry as
// kernels/cpu/conv.h (read that first). All tensors are on the GPU, contiguous, of one dtype
// (float32 or float64).
//
// An undefined result means cuDNN has no usable algorithm for this case (or a size is beyond
// its 32-bit descriptors); kernels/conv.cpp then runs the CPU kernel instead.
#pragma once

#include "core/tensor.h"
#include "kernels/cpu/conv.h"

namespace dlcam::kernels::cuda {

using cpu::ConvGeometry;

Tensor convForward(const Tensor& x, const Tensor& weights, const Tensor& bias, const ConvGeometry& geometry);
Tensor convBackwardData(const Tensor& gradOut, const Tensor& weights, const ConvGeometry& geometry);
Tensor convBackwardWeights(const Tensor& gradOut, const Tensor& x, const ConvGeometry& geometry);
Tensor convBackwardBias(const Tensor& gradOut, const ConvGeometry& geometry);

}  // namespace dlcam::kernels::cuda
