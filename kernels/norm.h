// Batch and layer normalisation on the CPU or the GPU: see kernels/cpu/norm.h for the
// semantics (the channel view inner × C × outer, what the results and gradients hold),
// kernels/dispatch.h for how the device is chosen. Results and gradients are on the device
// the op ran on.
#pragma once

#include "kernels/cpu/norm.h"
#include "kernels/dispatch.h"

namespace dlcam::kernels {

using cpu::BatchNormBackwardParams;
using cpu::BatchNormParams;
using cpu::BatchNormResult;
using cpu::ChannelGeometry;
using cpu::channelGeometry;
using cpu::LayerNormBackwardParams;
using cpu::LayerNormParams;
using cpu::LayerNormResult;
using cpu::NormGradients;
using cpu::NormGradientsNeeded;

BatchNormResult batchNormInference(const Tensor& x, const Tensor& offset, const Tensor& scale, const Tensor& mean,
                                   const Tensor& variance, const BatchNormParams& params);
BatchNormResult batchNormTraining(const Tensor& x, const Tensor& offset, const Tensor& scale,
                                  const BatchNormParams& params);
NormGradients batchNormBackward(const Tensor& g, const Tensor& normalized, const Tensor& invStd, const Tensor& scale,
                                const BatchNormBackwardParams& params);
LayerNormResult layerNorm(const Tensor& x, const Tensor& offset, const Tensor& scale, const LayerNormParams& params);
NormGradients layerNormBackward(const Tensor& g, const Tensor& normalized, const Tensor& invStd, const Tensor& scale,
                                const LayerNormBackwardParams& params);

}  // namespace dlcam::kernels
