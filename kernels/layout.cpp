#include "kernels/layout.h"

#ifdef DLCAM_HAVE_CUDA
#include "kernels/cuda/layout.h"
#endif

namespace dlcam::kernels {

// Without the CUDA backend no tensor can be on the GPU, so every call takes the CPU branch.

Tensor permute(const Tensor& x, const std::vector<int>& order) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(x) == Device::GPU) return cuda::permute(x, order);
#endif
  return cpu::permute(x, order);
}

Tensor gather(const Tensor& x, int dim, const std::vector<int64_t>& indices) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(x) == Device::GPU) return cuda::gather(x, dim, indices);
#endif
  return cpu::gather(x, dim, indices);
}

Tensor scatterAdd(const Tensor& g, const Shape& shape, int dim, const std::vector<int64_t>& indices) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(g) == Device::GPU) return cuda::scatterAdd(g, shape, dim, indices);
#endif
  return cpu::scatterAdd(g, shape, dim, indices);
}

Tensor concat(const std::vector<Tensor>& parts, int dim) {
#ifdef DLCAM_HAVE_CUDA
  bool gpu = false;
  for (const Tensor& p : parts) gpu = gpu || deviceOf(p) == Device::GPU;
  if (gpu) {
    std::vector<Tensor> onDevice;
    for (const Tensor& p : parts) onDevice.push_back(onGpu(p));
    return cuda::concat(onDevice, dim);
  }
#endif
  return cpu::concat(parts, dim);
}

Tensor slice(const Tensor& x, int dim, int64_t offset, int64_t size) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(x) == Device::GPU) return cuda::slice(x, dim, offset, size);
#endif
  return cpu::slice(x, dim, offset, size);
}

}  // namespace dlcam::kernels
