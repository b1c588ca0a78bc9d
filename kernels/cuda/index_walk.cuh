// IndexWalk: the strided walk that the data-movement and reduction kernels (layout.cu,
// reduce.cu) use to turn a linear position into an element offset of a column-major tensor.
//
// A walk is up to kMaxWalkDims (size, stride) pairs, first dimension fastest: position k has
// the digits k_d of k in the mixed radix of the sizes, and offset(k) = Σ k_d · stride_d. It is
// passed to kernels by value (a few hundred bytes of kernel parameters), so no shape data has
// to be copied to the device. Host code builds walks with dimensions of size 1 dropped and
// neighbouring dimensions merged where the strides allow, which keeps the rank (and the
// divisions per element) small.
#pragma once

#include <cstdint>

#include "core/error.h"

namespace dlcam::kernels::cuda {

inline constexpr int kMaxWalkDims = 12;

struct IndexWalk {
  int rank = 0;
  int64_t size[kMaxWalkDims] = {};
  int64_t stride[kMaxWalkDims] = {};

  // Appends a dimension; merges it into the last one when it continues it (the last one's
  // stride times its size is this one's stride), and skips it when its size is 1.
  void push(int64_t n, int64_t step, const char* op) {
    if (n == 1) return;
    if (rank > 0 && stride[rank - 1] * size[rank - 1] == step) {
      size[rank - 1] *= n;
      return;
    }
    if (rank == kMaxWalkDims)
      fail(op, " on the GPU supports arrays whose dimensions collapse to at most ", kMaxWalkDims,
           " strided ones");
    size[rank] = n;
    stride[rank] = step;
    ++rank;
  }

  __host__ __device__ int64_t offset(int64_t k) const {
    int64_t off = 0;
    for (int d = 0; d < rank && k > 0; ++d) {
      off += (k % size[d]) * stride[d];
      k /= size[d];
    }
    return off;
  }
};

}  // namespace dlcam::kernels::cuda
