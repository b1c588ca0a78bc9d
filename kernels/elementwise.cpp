#include "kernels/elementwise.h"

namespace dlcam::kernels {

// Without the CUDA backend no tensor can be on the GPU.

Tensor sumTo(const Tensor& g, const Shape& shape) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(g) == Device::GPU) return cuda::sumTo(g, shape);
#endif
  return cpu::sumTo(g, shape);
}

Tensor broadcastTo(const Tensor& t, const Shape& shape) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(t) == Device::GPU) return cuda::broadcastTo(t, shape);
#endif
  return cpu::broadcastTo(t, shape);
}

Tensor add(const Tensor& a, const Tensor& b) { return zipBroadcast(a, b, fn::Add{}); }

}  // namespace dlcam::kernels
