// Data movement (permute, gather/scatter, concat, slice) on the CPU or the GPU: see
// kernels/cpu/layout.h for the semantics, kernels/dispatch.h for how the device is chosen.
#pragma once

#include "kernels/cpu/layout.h"
#include "kernels/dispatch.h"

namespace dlcam::kernels {

using cpu::DimSplit;
using cpu::splitAt;

Tensor permute(const Tensor& x, const std::vector<int>& order);
Tensor gather(const Tensor& x, int dim, const std::vector<int64_t>& indices);
Tensor scatterAdd(const Tensor& g, const Shape& shape, int dim, const std::vector<int64_t>& indices);
Tensor concat(const std::vector<Tensor>& parts, int dim);
Tensor slice(const Tensor& x, int dim, int64_t offset, int64_t size);

}  // namespace dlcam::kernels
