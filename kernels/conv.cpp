#include "kernels/conv.h"

#ifdef DLCAM_HAVE_CUDA
#include "kernels/cuda/conv.h"
#endif

namespace dlcam::kernels {

// A GPU kernel that returns an undefined tensor found no cuDNN algorithm for the case: the
// CPU kernel runs instead (announced once, like any host fallback).

Tensor convForward(const Tensor& x, const Tensor& weights, const Tensor& bias, const ConvGeometry& geometry) {
  if (deviceOf(x, weights, bias) == Device::CPU) return cpu::convForward(x, weights, bias, geometry);
#ifdef DLCAM_HAVE_CUDA
  if (Tensor y = cuda::convForward(onGpu(x), onGpu(weights), onGpu(bias), geometry); y.defined()) return y;
#endif
  return hostFallback(
      "convForward",
      [&](const Tensor& hx, const Tensor& hw, const Tensor& hb) { return cpu::convForward(hx, hw, hb, geometry); }, x,
      weights, bias);
}

Tensor convBackwardData(const Tensor& gradOut, const Tensor& weights, const ConvGeometry& geometry) {
  if (deviceOf(gradOut, weights) == Device::CPU) return cpu::convBackwardData(gradOut, weights, geometry);
#ifdef DLCAM_HAVE_CUDA
  if (Tensor dx = cuda::convBackwardData(onGpu(gradOut), onGpu(weights), geometry); dx.defined()) return dx;
#endif
  return hostFallback(
      "convBackwardData",
      [&](const Tensor& hg, const Tensor& hw) { return cpu::convBackwardData(hg, hw, geometry); }, gradOut, weights);
}

Tensor convBackwardWeights(const Tensor& gradOut, const Tensor& x, const ConvGeometry& geometry) {
  if (deviceOf(gradOut, x) == Device::CPU) return cpu::convBackwardWeights(gradOut, x, geometry);
#ifdef DLCAM_HAVE_CUDA
  if (Tensor dw = cuda::convBackwardWeights(onGpu(gradOut), onGpu(x), geometry); dw.defined()) return dw;
#endif
  return hostFallback(
      "convBackwardWeights",
      [&](const Tensor& hg, const Tensor& hx) { return cpu::convBackwardWeights(hg, hx, geometry); }, gradOut, x);
}

Tensor convBackwardBias(const Tensor& gradOut, const ConvGeometry& geometry) {
  if (deviceOf(gradOut) == Device::CPU) return cpu::convBackwardBias(gradOut, geometry);
#ifdef DLCAM_HAVE_CUDA
  if (Tensor db = cuda::convBackwardBias(gradOut, geometry); db.defined()) return db;
#endif
  return hostFallback(
      "convBackwardBias", [&](const Tensor& hg) { return cpu::convBackwardBias(hg, geometry); }, gradOut);
}

}  // namespace dlcam::kernels
