#include "kernels/linear.h"

#ifdef DLCAM_HAVE_CUDA
#include "kernels/cuda/linear.h"
#endif

namespace dlcam::kernels {

// Without the CUDA backend no tensor can be on the GPU, so every call takes the CPU branch.

Tensor gemm(const Tensor& a, const Tensor& b, const GemmParams& params) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(a, b) == Device::GPU) return cuda::gemm(onGpu(a), onGpu(b), params);
#endif
  return cpu::gemm(a, b, params);
}

Tensor fullyConnect(const Tensor& x, const FullyConnectParams& params, const Tensor& w, const Tensor& bias) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(x, w, bias) == Device::GPU) return cuda::fullyConnect(onGpu(x), params, onGpu(w), onGpu(bias));
#endif
  return cpu::fullyConnect(x, params, w, bias);
}

Tensor rowSums(const Tensor& g, int64_t rows, int64_t cols) {
#ifdef DLCAM_HAVE_CUDA
  if (deviceOf(g) == Device::GPU) return cuda::rowSums(g, rows, cols);
#endif
  return cpu::rowSums(g, rows, cols);
}

}  // namespace dlcam::kernels
