// Max and average pooling on the CPU or the GPU: see kernels/cpu/pool.h for the layout and
// semantics, kernels/dispatch.h for how the device is chosen.
//
// The one difference from the CPU interface: maxPool's argmax stays on the device the pooling
// ran on (a GPU pooling's indices never visit the host), and maxPoolBackward takes it in that
// form.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/cpu/pool.h"
#include "kernels/dispatch.h"

namespace dlcam::kernels {

using cpu::PoolParams;
using cpu::pooledShape;

// Per output element, the index within its input plane of the window's maximum (first one in
// column-major order on ties; a NaN wins). Exactly one of the two is set.
struct PoolArgmax {
  std::vector<int32_t> host;              // from a CPU pooling
  std::shared_ptr<const int32_t> device;  // from a GPU pooling: int32 in GPU memory
};

struct MaxPoolResult {
  Tensor values;
  PoolArgmax argmax;
};

MaxPoolResult maxPool(const Tensor& x, const PoolParams& p);
// Runs where argmax is: on the GPU (with g moved there) for a GPU pooling's indices.
Tensor maxPoolBackward(const Tensor& g, const PoolArgmax& argmax, const Shape& inputShape, const PoolParams& p);

Tensor avgPool(const Tensor& x, const PoolParams& p);
Tensor avgPoolBackward(const Tensor& g, const Shape& inputShape, const PoolParams& p);

}  // namespace dlcam::kernels
