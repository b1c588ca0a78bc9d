// CUDA-side helpers for kernels/cuda: status checks that name the failing call, dlcam's
// stream and library handles, scratch memory from the pool, and launch sizes.
//
//   DLCAM_CUDA_CHECK(cudaMemcpyAsync(...));  // throws dlcam::Error "CUDA call cudaMemcpyAsync(...) failed: ..."
//   DLCAM_CUDNN_CHECK(cudnnConvolutionForward(cudnnHandle(), ...));
//   myKernel<<<blocksFor(n), kThreads, 0, stream()>>>(...);  DLCAM_CUDA_CHECK_LAUNCH("myKernel");
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstdint>

#include "core/error.h"
#include "core/tensor.h"
#include "kernels/cuda/runtime.h"

namespace dlcam::kernels::cuda {

namespace detail {
[[noreturn]] void failCall(const char* call, const char* library, const char* message, const char* file, int line);
}  // namespace detail

#define DLCAM_CUDA_CHECK(call)                                                                            \
  do {                                                                                                    \
    cudaError_t dlcam_status_ = (call);                                                                   \
    if (dlcam_status_ != cudaSuccess)                                                                     \
      ::dlcam::kernels::cuda::detail::failCall(#call, "CUDA", cudaGetErrorString(dlcam_status_), __FILE__, \
                                               __LINE__);                                                 \
  } while (0)

#define DLCAM_CUDNN_CHECK(call)                                                                              \
  do {                                                                                                       \
    cudnnStatus_t dlcam_status_ = (call);                                                                    \
    if (dlcam_status_ != CUDNN_STATUS_SUCCESS)                                                               \
      ::dlcam::kernels::cuda::detail::failCall(#call, "cuDNN", cudnnGetErrorString(dlcam_status_), __FILE__, \
                                               __LINE__);                                                    \
  } while (0)

#define DLCAM_CUBLAS_CHECK(call)                                                                                 \
  do {                                                                                                           \
    cublasStatus_t dlcam_status_ = (call);                                                                       \
    if (dlcam_status_ != CUBLAS_STATUS_SUCCESS)                                                                  \
      ::dlcam::kernels::cuda::detail::failCall(#call, "cuBLAS", cublasGetStatusString(dlcam_status_), __FILE__, \
                                               __LINE__);                                                        \
  } while (0)

// After a <<<...>>> launch: a bad configuration shows up here, not at a later call.
#define DLCAM_CUDA_CHECK_LAUNCH(kernelName)                                                                  \
  do {                                                                                                      \
    cudaError_t dlcam_status_ = cudaGetLastError();                                                         \
    if (dlcam_status_ != cudaSuccess)                                                                       \
      ::dlcam::kernels::cuda::detail::failCall("the launch of " kernelName, "CUDA",                         \
                                               cudaGetErrorString(dlcam_status_), __FILE__, __LINE__);       \
  } while (0)

// dlcam's stream: every kernel, library call and copy is issued on it (runtime.h says why).
cudaStream_t stream();
// Created on first use, bound to stream(). Kept until the process ends (not destroyed at
// exit: the CUDA context may already be gone by then).
cudnnHandle_t cudnnHandle();
cublasHandle_t cublasHandle();

// Scratch device memory from the pool for one operation (a cuDNN workspace, say), given back
// when it goes out of scope.
class Scratch {
 public:
  explicit Scratch(size_t bytes) : bytes_(bytes), p_(bytes ? allocate(bytes) : nullptr) {}
  ~Scratch() { if (p_) release(p_, bytes_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void* get() const { return p_; }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_;
  void* p_;
};

inline constexpr int kThreads = 256;
// Blocks of kThreads for n elements, for grid-stride loops (capped: the loop covers the rest).
inline unsigned blocksFor(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535 * 8 ? 65535 * 8 : b));
}

// The element type's cuDNN data type.
template <typename T> constexpr cudnnDataType_t cudnnType();
template <> constexpr cudnnDataType_t cudnnType<float>() { return CUDNN_DATA_FLOAT; }
template <> constexpr cudnnDataType_t cudnnType<double>() { return CUDNN_DATA_DOUBLE; }

// A new uninitialised GPU tensor.
inline Tensor emptyOnGpu(const Shape& shape, DType dtype) { return Tensor::empty(shape, dtype, Device::GPU); }

}  // namespace dlcam::kernels::cuda
