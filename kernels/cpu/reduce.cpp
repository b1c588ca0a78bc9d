#include "kernels/cpu/reduce.h"

#include <cmath>

#include "kernels/cpu/elementwise.h"

namespace dlcam::kernels::cpu {

Shape reducedShape(const Shape& x, const std::vector<int>& dims) {
  std::vector<int64_t> out = x.dims();
  for (int d : dims) {
    if (d < 0 || d >= x.rank()) fail("cannot reduce over dimension ", d, " of an array of shape ", x.str());
    out[static_cast<size_t>(d)] = 1;
  }
  return Shape(out);
}

// Summing is the adjoint of broadcasting, which sumTo already implements.
Tensor sum(const Tensor& x, const std::vector<int>& dims) { return sumTo(x, reducedShape(x.shape(), dims)); }

MaxResult max(const Tensor& x, const std::vector<int>& dims) {
  const Shape outShape = reducedShape(x.shape(), dims);
  if (x.numel() == 0 && outShape.numel() > 0)
    fail("max: the reduced dimensions of the input (", x.shape().str(), ") are empty");
  MaxResult r{Tensor::empty(outShape, x.dtype()), std::vector<int64_t>(static_cast<size_t>(outShape.numel()), -1)};
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* src = x.data<T>();
    T* dst = r.values.data<T>();
    forEachBroadcast(x.shape(), outShape, [&](int64_t i, int64_t off) {
      int64_t& best = r.argmax[static_cast<size_t>(off)];
      // NaN propagates: a NaN becomes the maximum and stays.
      if (best < 0 || (!std::isnan(dst[off]) && (src[i] > dst[off] || std::isnan(src[i])))) {
        best = i;
        dst[off] = src[i];
      }
    });
  });
  return r;
}

Tensor maxBackward(const Tensor& g, const std::vector<int64_t>& argmax, const Shape& shape) {
  Tensor out(shape, g.dtype());
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* src = g.data<T>();
    T* dst = out.data<T>();
    for (size_t i = 0; i < argmax.size(); ++i) dst[argmax[i]] += src[i];
  });
  return out;
}

}  // namespace dlcam::kernels::cpu
