#include "kernels/cpu/elementwise.h"

namespace dlcam::kernels::cpu {

Shape broadcastShape(const Shape& a, const Shape& b) {
  if (a.rank() != b.rank()) fail("cannot broadcast shapes ", a.str(), " and ", b.str(), ": ranks differ");
  std::vector<int64_t> dims(static_cast<size_t>(a.rank()));
  for (int d = 0; d < a.rank(); ++d) {
    if (a[d] != b[d] && a[d] != 1 && b[d] != 1)
      fail("cannot broadcast shapes ", a.str(), " and ", b.str(), ": dimension ", d, " is ", a[d], " vs ", b[d],
           " (sizes must match or one must be 1)");
    dims[static_cast<size_t>(d)] = a[d] == 1 ? b[d] : a[d];
  }
  return Shape(dims);
}

Tensor sumTo(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  DLCAM_ASSERT(g.rank() == shape.rank(), "sumTo ", g.shape().str(), " -> ", shape.str());
  Tensor out = Tensor::empty(shape, g.dtype());
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    // Accumulate in double: a float32 running sum of 10⁷ values is off by percents.
    std::vector<double> acc(static_cast<size_t>(shape.numel()), 0.0);
    const T* src = g.data<T>();
    forEachBroadcast(g.shape(), shape, [&](int64_t i, int64_t j) { acc[static_cast<size_t>(j)] += src[i]; });
    T* dst = out.data<T>();
    for (size_t j = 0; j < acc.size(); ++j) dst[j] = static_cast<T>(acc[j]);
  });
  return out;
}

Tensor broadcastTo(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  DLCAM_ASSERT(t.rank() == shape.rank(), "broadcastTo ", t.shape().str(), " -> ", shape.str());
  Tensor out = Tensor::empty(shape, t.dtype());
  visitFloat(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* src = t.data<T>();
    T* dst = out.data<T>();
    forEachBroadcast(shape, t.shape(), [&](int64_t i, int64_t j) { dst[i] = src[j]; });
  });
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) {
  return zipBroadcast(a, b, [](auto x, auto y) { return x + y; });
}

}  // namespace dlcam::kernels::cpu

