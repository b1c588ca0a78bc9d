// Max and average pooling on the GPU: the same operations, layouts and results as
// kernels/cpu/pool.h (read that first), including the first-maximum-wins tie rule, NaN
// winning, and the divisors of padded and ceil-mode windows. Tensors are on the GPU.
#pragma once

#include <cstdint>
#include <memory>

#include "core/tensor.h"
#include "kernels/cpu/pool.h"

namespace dlcam::kernels::cuda {

using cpu::PoolParams;

struct MaxPoolResult {
  Tensor values;
  // As cpu::MaxPoolResult::argmax, one int32 per element of values, in GPU memory (given
  // back to the pool with the last copy of this pointer).
  std::shared_ptr<const int32_t> argmax;
};

MaxPoolResult maxPool(const Tensor& x, const PoolParams& p);
// argmax: the device indices of the maxPool call that gave g's shape.
Tensor maxPoolBackward(const Tensor& g, const int32_t* argmax, const Shape& inputShape, const PoolParams& p);

Tensor avgPool(const Tensor& x, const PoolParams& p);
Tensor avgPoolBackward(const Tensor& g, const Shape& inputShape, const PoolParams& p);

}  // namespace dlcam::kernels::cuda
