// Reductions over chosen dimensions, keeping them as size 1.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace dlcam::kernels::cpu {

// x's shape with the listed dimensions set to 1.
Shape reducedShape(const Shape& x, const std::vector<int>& dims);

Tensor sum(const Tensor& x, const std::vector<int>& dims);

struct MaxResult {
  Tensor values;                // reduced shape
  std::vector<int64_t> argmax;  // per output element, the linear index in x of its maximum (first one on ties)
};
MaxResult max(const Tensor& x, const std::vector<int>& dims);
// Adjoint of max: g's values placed at the argmax positions of a zero tensor of `shape`.
Tensor maxBackward(const Tensor& g, const std::vector<int64_t>& argmax, const Shape& shape);

}  // namespace dlcam::kernels::cpu
