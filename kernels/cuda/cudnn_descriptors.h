// RAII owners of cuDNN's legacy descriptors (tensor, filter, convolution), so that a descriptor
// is destroyed on every path, including the exceptions DLCAM_CUDNN_CHECK throws. CUDA-side
// header: include from .cu files only.
//
//   TensorDescriptor x;
//   x.setPacked(CUDNN_DATA_FLOAT, {n, c, h, w});   // packed NCHW (row-major) strides
//   cudnnConvolutionForward(cudnnHandle(), ..., x.get(), ...);
#pragma once

#include <cudnn.h>

#include <vector>

#include "kernels/cuda/check.h"

namespace dlcam::kernels::cuda {

template <typename Handle, cudnnStatus_t (*Create)(Handle*), cudnnStatus_t (*Destroy)(Handle)>
class CudnnDescriptor {
 public:
  CudnnDescriptor() { DLCAM_CUDNN_CHECK(Create(&handle_)); }
  ~CudnnDescriptor() { Destroy(handle_); }  // cannot fail for a created descriptor
  CudnnDescriptor(const CudnnDescriptor&) = delete;
  CudnnDescriptor& operator=(const CudnnDescriptor&) = delete;
  Handle get() const { return handle_; }

 private:
  Handle handle_ = nullptr;
};

// A fully packed tensor with dims given slowest first (N, C, [D,] H, W).
class TensorDescriptor
    : public CudnnDescriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor> {
 public:
  void setPacked(cudnnDataType_t type, const std::vector<int>& dims) {
    DLCAM_CUDNN_CHECK(cudnnSetTensorNdDescriptorEx(get(), CUDNN_TENSOR_NCHW, type, static_cast<int>(dims.size()),
                                                   dims.data()));
  }
};

// Filters K × C/groups × [T ×] R × S, packed (KCRS), slowest first.
class FilterDescriptor
    : public CudnnDescriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor> {
 public:
  void set(cudnnDataType_t type, const std::vector<int>& dims) {
    DLCAM_CUDNN_CHECK(
        cudnnSetFilterNdDescriptor(get(), type, CUDNN_TENSOR_NCHW, static_cast<int>(dims.size()), dims.data()));
  }
};

class ConvolutionDescriptor : public CudnnDescriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                                                     cudnnDestroyConvolutionDescriptor> {};

}  // namespace dlcam::kernels::cuda
