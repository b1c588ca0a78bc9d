// Reductions (sum, max) on the CPU or the GPU: see kernels/cpu/reduce.h for the semantics,
// kernels/dispatch.h for how the device is chosen.
#pragma once

#include <memory>

#include "kernels/cpu/reduce.h"
#include "kernels/dispatch.h"

namespace dlcam::kernels {

using cpu::reducedShape;

// Σ over `dims` (kept as size 1), accumulated in double for both dtypes.
Tensor sum(const Tensor& x, const std::vector<int>& dims);

// Where each maximum of max() came from: per output element, the linear index in x of its
// maximum (first on ties). It stays on x's device, so that the backward pass of a GPU max
// needs no copy: `host` for a CPU x; for a GPU x, `device` points to `count` int64 values in
// GPU memory (given back to the pool with the last copy of this struct).
struct Argmax {
  std::vector<int64_t> host;
  std::shared_ptr<const int64_t> device;
  int64_t count = 0;
};

struct MaxResult {
  Tensor values;  // reduced shape, on x's device
  Argmax argmax;
};
MaxResult max(const Tensor& x, const std::vector<int>& dims);
// Adjoint of max: g's values placed at the argmax positions of a zero tensor of `shape`, on
// the argmax's device.
Tensor maxBackward(const Tensor& g, const Argmax& argmax, const Shape& shape);

}  // namespace dlcam::kernels
