// Convolution on the CPU or the GPU: see kernels/cpu/conv.h for the layouts and semantics,
// kernels/dispatch.h for how the device is chosen. On the GPU it runs cuDNN
// (kernels/cuda/conv.h).
#pragma once

#include "kernels/cpu/conv.h"
#include "kernels/dispatch.h"

namespace dlcam::kernels {

using cpu::ConvGeometry;

Tensor convForward(const Tensor& x, const Tensor& weights, const Tensor& bias, const ConvGeometry& geometry);
Tensor convBackwardData(const Tensor& gradOut, const Tensor& weights, const ConvGeometry& geometry);
Tensor convBackwardWeights(const Tensor& gradOut, const Tensor& x, const ConvGeometry& geometry);
Tensor convBackwardBias(const Tensor& gradOut, const ConvGeometry& geometry);

}  // namespace dlcam::kernels
