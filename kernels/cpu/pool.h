// Max and average pooling over the leading 1 to 3 dimensions of a contiguous tensor.
//
// Layout: [pooled dims… (first fastest), rest…]. Everything after the pooled dims (C, B, T…)
// is a stack of independent planes, each contiguous, so the kernels loop over planes. The
// geometry (output sizes, padding) is resolved by the caller (autodiff/pool.cpp); the kernels
// only check that it is consistent.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace dlcam::kernels::cpu {

struct PoolParams {
  // One value per pooled dimension, all of the same length (1 to 3).
  std::vector<int64_t> window, stride, padBefore, padAfter;
  std::vector<int64_t> outSize;
  // Average only: divide by window ∩ padded input (true) or window ∩ input (false).
  // A ceil-mode window that runs past padAfter is clipped in both cases.
  bool countIncludePad = true;
};

// x's shape with the pooled dimensions replaced by p.outSize.
Shape pooledShape(const Shape& x, const PoolParams& p);

struct MaxPoolResult {
  Tensor values;
  // Per output element, the index within its input plane of the maximum (first one in
  // column-major order on ties; a NaN wins). int32 because no plane reaches 2^31 elements
  // in practice; maxPool checks.
  std::vector<int32_t> argmax;
};

MaxPoolResult maxPool(const Tensor& x, const PoolParams& p);
// Adjoint of maxPool: g's values added at the argmax positions of a zero tensor of inputShape.
Tensor maxPoolBackward(const Tensor& g, const std::vector<int32_t>& argmax, const Shape& inputShape,
                       const PoolParams& p);

Tensor avgPool(const Tensor& x, const PoolParams& p);
// Adjoint of avgPool: each output gradient spread evenly (by the same divisor) over its window.
Tensor avgPoolBackward(const Tensor& g, const Shape& inputShape, const PoolParams& p);

}  // namespace dlcam::kernels::cpu
