#include "kernels/pool.h"

#ifdef DLCAM_HAVE_CUDA
#include "kernels/cuda/pool.h"
#endif

namespace dlcam::kernels {

MaxPoolResult maxPool(const Tensor& x, const PoolParams& p) {
  if (deviceOf(x) == Device::CPU) {
    cpu::MaxPoolResult r = cpu::maxPool(x, p);
    return {std::move(r.values), {std::move(r.argmax), nullptr}};
  }
#ifdef DLCAM_HAVE_CUDA
  cuda::MaxPoolResult r = cuda::maxPool(x, p);
  return {std::move(r.values), {{}, std::move(r.argmax)}};
#else
  fail("maxPool: a GPU tensor in a build without the CUDA backend");
#endif
}

Tensor maxPoolBackward(const Tensor& g, const PoolArgmax& argmax, const Shape& inputShape, const PoolParams& p) {
  if (argmax.device) {
#ifdef DLCAM_HAVE_CUDA
    return cuda::maxPoolBackward(onGpu(g), argmax.device.get(), inputShape, p);
#else
    fail("maxPoolBackward: GPU indices in a build without the CUDA backend");
#endif
  }
  // Host indices: the pooling ran on the CPU.
  if (deviceOf(g) == Device::CPU) return cpu::maxPoolBackward(g, argmax.host, inputShape, p);
  return hostFallback(
      "maxPoolBackward",
      [&](const Tensor& hg) { return cpu::maxPoolBackward(hg, argmax.host, inputShape, p); }, g);
}

Tensor avgPool(const Tensor& x, const PoolParams& p) {
  if (deviceOf(x) == Device::CPU) return cpu::avgPool(x, p);
#ifdef DLCAM_HAVE_CUDA
  return cuda::avgPool(x, p);
#else
  fail("avgPool: a GPU tensor in a build without the CUDA backend");
#endif
}

Tensor avgPoolBackward(const Tensor& g, const Shape& inputShape, const PoolParams& p) {
  if (deviceOf(g) == Device::CPU) return cpu::avgPoolBackward(g, inputShape, p);
#ifdef DLCAM_HAVE_CUDA
  return cuda::avgPoolBackward(g, inputShape, p);
#else
  fail("avgPoolBackward: a GPU tensor in a build without the CUDA backend");
#endif
}

}  // namespace dlcam::kernels
