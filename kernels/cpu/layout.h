// Data movement kernels: permute, slice/gather along a dimension, concatenate, pad.
// All tensors are contiguous and column-major; these kernels only move values.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace dlcam::kernels::cpu {

// A tensor seen around one dimension, column-major: `inner` elements of the dims before it
// form each contiguous block, `len` is its size, `outer` the product of the dims after it.
struct DimSplit {
  int64_t inner = 1, len = 1, outer = 1;
};
DimSplit splitAt(const Shape& shape, int dim);

// out dimension i is x dimension order[i] (MATLAB permute(x, order), 0-based).
Tensor permute(const Tensor& x, const std::vector<int>& order);

// Elements at `indices` along `dim` (any order, repeats allowed): out.shape[dim] = indices.size().
Tensor gather(const Tensor& x, int dim, const std::vector<int64_t>& indices);
// Adjoint of gather: a zero tensor of `shape` with g's slices added at `indices` along `dim`.
Tensor scatterAdd(const Tensor& g, const Shape& shape, int dim, const std::vector<int64_t>& indices);

// Concatenation along `dim`; all other sizes must match.
Tensor concat(const std::vector<Tensor>& parts, int dim);
// The block [offset, offset + size) along `dim`.
Tensor slice(const Tensor& x, int dim, int64_t offset, int64_t size);

}  // namespace dlcam::kernels::cpu
