// Elementwise kernels: map a function over one tensor, or over two tensors with
// broadcasting. Header templates, so that each differentiable function can state its
// forward and backward formulas as lambdas next to each other (autodiff/elementwise.cpp).
#pragma once

#include <algorithm>
#include <vector>

#include "core/tensor.h"

namespace dlcam::kernels::cpu {

// Work below this many elements is not worth waking a second thread for.
inline constexpr int64_t kParallelGrain = 1 << 15;

// out[i] = f(x[i]). f is a generic lambda: [](auto v) { return v * v; }.
template <typename F>
Tensor map(const Tensor& x, F f) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* a = x.data<T>();
    T* o = out.data<T>();
    const int64_t n = x.numel();
#pragma omp parallel for if (n > kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(f(a[i]));
  });
  return out;
}

// out[i] = f(x[i], y[i]) for tensors of the same shape (no broadcasting).
template <typename F>
Tensor zip(const Tensor& x, const Tensor& y, F f) {
  DLCAM_ASSERT(x.shape() == y.shape() && x.dtype() == y.dtype(), "zip of ", x.shape().str(), " and ", y.shape().str());
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* a = x.data<T>();
    const T* b = y.data<T>();
    T* o = out.data<T>();
    const int64_t n = x.numel();
#pragma omp parallel for if (n > kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(f(a[i], b[i]));
  });
  return out;
}

// out[i] = f(x[i], y[i], z[i]) for tensors of the same shape.
template <typename F>
Tensor zip3(const Tensor& x, const Tensor& y, const Tensor& z, F f) {
  DLCAM_ASSERT(x.shape() == y.shape() && x.shape() == z.shape(), "zip3 shape mismatch");
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* a = x.data<T>();
    const T* b = y.data<T>();
    const T* c = z.data<T>();
    T* o = out.data<T>();
    const int64_t n = x.numel();
#pragma omp parallel for if (n > kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(f(a[i], b[i], c[i]));
  });
  return out;
}

// Calls f(i, j) for every linear index i of `big` (column-major) with j the linear index of
// the same element in `small`, where `small` has size 1 or the same size as `big` in each
// dimension (broadcasting's index map).
template <typename F>
void forEachBroadcast(const Shape& big, const Shape& small, F f) {
  const int r = big.rank();
  std::vector<int64_t> step(static_cast<size_t>(r)), idx(static_cast<size_t>(r), 0);
  for (int d = 0; d < r; ++d) step[static_cast<size_t>(d)] = small[d] == 1 ? 0 : small.stride(d);
  int64_t j = 0;
  for (int64_t i = 0; i < big.numel(); ++i) {
    f(i, j);
    for (int d = 0; d < r; ++d) {
      auto du = static_cast<size_t>(d);
      j += step[du];
      if (++idx[du] < big[d]) break;
      j -= step[du] * big[d];
      idx[du] = 0;
    }
  }
}

// The shape two same-rank shapes broadcast to: each dimension equal, or 1 in one of them.
// Throws dlcam::Error naming both shapes otherwise.
Shape broadcastShape(const Shape& a, const Shape& b);

// out = f(x, y) with broadcasting: x and y have the same rank, and each dimension is equal
// or 1 in one of them.
template <typename F>
Tensor zipBroadcast(const Tensor& x, const Tensor& y, F f) {
  if (x.shape() == y.shape()) return zip(x, y, f);
  const Shape outShape = broadcastShape(x.shape(), y.shape());
  Tensor out = Tensor::empty(outShape, x.dtype());
  const int r = outShape.rank();
  std::vector<int64_t> sx(static_cast<size_t>(r)), sy(static_cast<size_t>(r));
  for (int d = 0; d < r; ++d) {
    sx[static_cast<size_t>(d)] = x.shape()[d] == 1 ? 0 : x.shape().stride(d);
    sy[static_cast<size_t>(d)] = y.shape()[d] == 1 ? 0 : y.shape().stride(d);
  }
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* a = x.data<T>();
    const T* b = y.data<T>();
    T* o = out.data<T>();
    const int64_t n = out.numel();
    const int64_t len0 = r ? outShape[0] : 1;
    const int64_t ax = r ? sx[0] : 0, by = r ? sy[0] : 0;
    std::vector<int64_t> idx(static_cast<size_t>(r), 0);
    int64_t offX = 0, offY = 0;
    for (int64_t i = 0; i < n; i += len0) {
      for (int64_t j = 0; j < len0; ++j) o[i + j] = static_cast<T>(f(a[offX + j * ax], b[offY + j * by]));
      for (int d = 1; d < r; ++d) {
        auto du = static_cast<size_t>(d);
        offX += sx[du];
        offY += sy[du];
        if (++idx[du] < outShape[d]) break;
        offX -= sx[du] * outShape[d];
        offY -= sy[du] * outShape[d];
        idx[du] = 0;
      }
    }
  });
  return out;
}

// Sums g over the dimensions where `shape` is 1 and g is not: the adjoint of broadcasting
// a tensor of `shape` up to g's shape. Same rank required.
// Sums are accumulated in double for both dtypes.
Tensor sumTo(const Tensor& g, const Shape& shape);
// t (sizes 1 or equal to shape's, same rank) repeated along its size-1 dimensions: the
// adjoint of sumTo.
Tensor broadcastTo(const Tensor& t, const Shape& shape);

Tensor add(const Tensor& a, const Tensor& b);  // broadcasting a + b

}  // namespace dlcam::kernels::cpu
