// Reductions on the GPU (the device twins of kernels/cpu/reduce.h; see there for the
// semantics). All tensors are GPU tensors, float32 or float64, column-major.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/tensor.h"

namespace dlcam::kernels::cuda {

// Σ over `dims` (kept as size 1), accumulated in double for both dtypes. x itself when no
// dimension of size > 1 is reduced, as on the CPU.
Tensor sum(const Tensor& x, const std::vector<int>& dims);

struct MaxOnGpu {
  Tensor values;                         // the reduced shape
  std::shared_ptr<const int64_t> argmax;  // values.numel() linear indices into x, in GPU memory
};
// The maximum over `dims` and where it is (first on ties; a NaN is the maximum).
MaxOnGpu max(const Tensor& x, const std::vector<int>& dims);
// A zero tensor of `shape` with g's values placed at argmax (g.numel() device indices).
Tensor maxBackward(const Tensor& g, const int64_t* argmax, const Shape& shape);

}  // namespace dlcam::kernels::cuda
