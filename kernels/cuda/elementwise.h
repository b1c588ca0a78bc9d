// Elementwise kernels on GPU tensors (float32 and float64). Semantics as kernels/cpu/elementwise.h;
// every tensor argument must be on the GPU (kernels/elementwise.h moves them there).
//
// The templates are defined in elementwise.cu and instantiated there for the functors listed
// in kernels/functors.h (map: DLCAM_GPU_UNARY_FUNCTORS, zip and zipBroadcast: _BINARY_,
// zip3: _TERNARY_); other callables have no GPU kernel and fail to link.
#pragma once

#include "core/tensor.h"
#include "kernels/functors.h"

namespace dlcam::kernels::cuda {

// out[i] = f(x[i]).
template <typename F> Tensor map(const Tensor& x, F f);
// out[i] = f(x[i], y[i]); same shape and dtype.
template <typename F> Tensor zip(const Tensor& x, const Tensor& y, F f);
// out[i] = f(x[i], y[i], z[i]); same shape and dtype.
template <typename F> Tensor zip3(const Tensor& x, const Tensor& y, const Tensor& z, F f);
// out = f(x, y) broadcast: same rank, each dimension equal or 1 in one of them.
template <typename F> Tensor zipBroadcast(const Tensor& x, const Tensor& y, F f);

// g summed over the dimensions where `shape` is 1 and g is not (accumulated in double for
// both dtypes, as on the CPU). Same rank.
Tensor sumTo(const Tensor& g, const Shape& shape);
// t repeated along its size-1 dimensions up to `shape`. Same rank.
Tensor broadcastTo(const Tensor& t, const Shape& shape);

}  // namespace dlcam::kernels::cuda
