#include "kernels/norm.h"

#ifdef DLCAM_HAVE_CUDA
#include "kernels/cuda/norm.h"
#endif

namespace dlcam::kernels {

// Without the CUDA backend no tensor can be on the GPU, so every call takes the CPU branch.

BatchNormResult batchNormInference(const Tensor& x, const Tensor& offset, const Tensor& scale, const Tensor& mean,
                                   const Tensor& variance, const BatchNormParams& params) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(x, offset, scale, mean, variance) == Device::GPU)
    return cuda::batchNormInference(onGpu(x), onGpu(offset), onGpu(scale), onGpu(mean), onGpu(variance), params);
#endif
  return cpu::batchNormInference(x, offset, scale, mean, variance, params);
}

BatchNormResult batchNormTraining(const Tensor& x, const Tensor& offset, const Tensor& scale,
                                  const BatchNormParams& params) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(x, offset, scale) == Device::GPU)
    return cuda::batchNormTraining(onGpu(x), onGpu(offset), onGpu(scale), params);
#endif
  return cpu::batchNormTraining(x, offset, scale, params);
}

NormGradients batchNormBackward(const Tensor& g, const Tensor& normalized, const Tensor& invStd, const Tensor& scale,
                                const BatchNormBackwardParams& params) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(g, normalized, invStd, scale) == Device::GPU)
    return cuda::batchNormBackward(onGpu(g), onGpu(normalized), onGpu(invStd), onGpu(scale), params);
#endif
  return cpu::batchNormBackward(g, normalized, invStd, scale, params);
}

LayerNormResult layerNorm(const Tensor& x, const Tensor& offset, const Tensor& scale, const LayerNormParams& params) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(x, offset, scale) == Device::GPU) return cuda::layerNorm(onGpu(x), onGpu(offset), onGpu(scale), params);
#endif
  return cpu::layerNorm(x, offset, scale, params);
}

NormGradients layerNormBackward(const Tensor& g, const Tensor& normalized, const Tensor& invStd, const Tensor& scale,
                                const LayerNormBackwardParams& params) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(g, normalized, invStd, scale) == Device::GPU)
    return cuda::layerNormBackward(onGpu(g), onGpu(normalized), onGpu(invStd), onGpu(scale), params);
#endif
  return cpu::layerNormBackward(g, normalized, invStd, scale, params);
}

}  // namespace dlcam::kernels
