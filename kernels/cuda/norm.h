// GPU normalisation kernels: the operations of kernels/cpu/norm.h, with the same parameters,
// results and channel view (x is inner × C × outer, column-major), on GPU tensors of float32
// or float64. Every tensor argument is on the GPU; so are the results. Called through
// kernels/norm.h.
#pragma once

#include "kernels/cpu/norm.h"

namespace dlcam::kernels::cuda {

cpu::BatchNormResult batchNormInference(const Tensor& x, const Tensor& offset, const Tensor& scale, const Tensor& mean,
                                        const Tensor& variance, const cpu::BatchNormParams& params);
cpu::BatchNormResult batchNormTraining(const Tensor& x, const Tensor& offset, const Tensor& scale,
                                       const cpu::BatchNormParams& params);
cpu::NormGradients batchNormBackward(const Tensor& g, const Tensor& normalized, const Tensor& invStd,
                                     const Tensor& scale, const cpu::BatchNormBackwardParams& params);
cpu::LayerNormResult layerNorm(const Tensor& x, const Tensor& offset, const Tensor& scale,
                               const cpu::LayerNormParams& params);
cpu::NormGradients layerNormBackward(const Tensor& g, const Tensor& normalized, const Tensor& invStd,
                                     const Tensor& scale, const cpu::LayerNormBackwardParams& params);

}  // namespace dlcam::kernels::cuda
