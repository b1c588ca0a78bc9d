#include "kernels/reduce.h"

#ifdef DLCAM_HAVE_CUDA
#include "kernels/cuda/reduce.h"
#endif

namespace dlcam::kernels {

// Without the CUDA backend no tensor can be on the GPU, so every call takes the CPU branch.

Tensor sum(const Tensor& x, const std::vector<int>& dims) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(x) == Device::GPU) return cuda::sum(x, dims);
#endif
  return cpu::sum(x, dims);
}

MaxResult max(const Tensor& x, const std::vector<int>& dims) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(x) == Device::GPU) {
    cuda::MaxOnGpu r = cuda::max(x, dims);
    const int64_t count = r.values.numel();
    return {std::move(r.values), {{}, std::move(r.argmax), count}};
  }
#endif
  cpu::MaxResult r = cpu::max(x, dims);
  const auto count = static_cast<int64_t>(r.argmax.size());
  return {std::move(r.values), {std::move(r.argmax), nullptr, count}};
}

Tensor maxBackward(const Tensor& g, const Argmax& argmax, const Shape& shape) {
  DLCAM_ASSERT(g.numel() == argmax.count, "maxBackward: ", g.numel(), " gradients for ", argmax.count, " maxima");
#ifdef DLCAM_HAVE_CUDA
  // A GPU forward (argmax on the device; none at all when max had no outputs).
  if (argmax.device || (argmax.count == 0 && deviceOf(g) == Device::GPU))
    return cuda::maxBackward(onGpu(g), argmax.device.get(), shape);
#endif
  if (deviceOf(g) == Device::CPU) return cpu::maxBackward(g, argmax.host, shape);
  // A CPU forward whose gradient arrives on the GPU.
  return hostFallback("maxBackward", [&](const Tensor& h) { return cpu::maxBackward(h, argmax.host, shape); }, g);
}

}  // namespace dlcam::kernels
