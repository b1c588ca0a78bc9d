#include "kernels/softmax.h"

#ifdef DLCAM_HAVE_CUDA
#include "kernels/cuda/softmax.h"
#endif

namespace dlcam::kernels {

// Without the CUDA backend no tensor can be on the GPU, so every call takes the CPU branch.
// On the GPU, cuDNN takes one sample (C × inner values) in 32-bit sizes: a larger one runs on
// the host.

#ifdef DLCAM_HAVE_CUDA
namespace {
cuda::SoftmaxLayout layoutOf(const SoftmaxParams& p) {
  return {p.geometry.inner, p.geometry.channels, p.geometry.outer, p.log};
}
}  // namespace
#endif

Tensor softmax(const Tensor& x, const SoftmaxParams& params) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(x) == Device::GPU) {
    if (cuda::softmaxFits(layoutOf(params))) return cuda::softmax(x, layoutOf(params));
    return hostFallback("softmax", [&](const Tensor& h) { return cpu::softmax(h, params); }, x);
  }
#endif
  return cpu::softmax(x, params);
}

Tensor softmaxBackward(const Tensor& g, const Tensor& y, const SoftmaxParams& params) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(g, y) == Device::GPU) {
    if (cuda::softmaxFits(layoutOf(params))) return cuda::softmaxBackward(onGpu(g), onGpu(y), layoutOf(params));
    return hostFallback(
        "softmaxBackward", [&](const Tensor& hg, const Tensor& hy) { return cpu::softmaxBackward(hg, hy, params); }, g,
        y);
  }
#endif
  return cpu::softmaxBackward(g, y, params);
}

}  // namespace dlcam::kernels
