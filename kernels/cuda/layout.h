// Data movement on the GPU (the device twins of kernels/cpu/layout.h; see there for the
// semantics). All tensors are GPU tensors, float32 or float64, contiguous and column-major.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace dlcam::kernels::cuda {

Tensor permute(const Tensor& x, const std::vector<int>& order);
Tensor gather(const Tensor& x, int dim, const std::vector<int64_t>& indices);
Tensor scatterAdd(const Tensor& g, const Shape& shape, int dim, const std::vector<int64_t>& indices);
Tensor concat(const std::vector<Tensor>& parts, int dim);
Tensor slice(const Tensor& x, int dim, int64_t offset, int64_t size);

}  // namespace dlcam::kernels::cuda
