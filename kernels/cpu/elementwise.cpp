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
  Tensor out(shape, g.dtype());
  const int r = g.rank();
  std::vector<int64_t> so(static_cast<size_t>(r));
  for (int d = 0; d < r; ++d) so[static_cast<size_t>(d)] = shape[d] == 1 ? 0 : shape.stride(d);
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* src = g.data<T>();
    T* dst = out.data<T>();
    std::vector<int64_t> idx(static_cast<size_t>(r), 0);
    int64_t off = 0;
    for (int64_t i = 0; i < g.numel(); ++i) {
      dst[off] += src[i];
      for (int d = 0; d < r; ++d) {
        auto du = static_cast<size_t>(d);
        off += so[du];
        if (++idx[du] < g.shape()[d]) break;
        off -= so[du] * g.shape()[d];
        idx[du] = 0;
      }
    }
  });
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) {
  return zipBroadcast(a, b, [](auto x, auto y) { return x + y; });
}

}  // namespace dlcam::kernels::cpu

