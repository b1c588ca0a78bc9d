#include "kernels/cpu/layout.h"

#include <cstring>

namespace dlcam::kernels::cpu {

DimSplit splitAt(const Shape& s, int dim) {
  DimSplit p;
  for (int d = 0; d < s.rank(); ++d) {
    if (d < dim) p.inner *= s[d];
    else if (d == dim) p.len = s[d];
    else p.outer *= s[d];
  }
  return p;
}

Tensor permute(const Tensor& x, const std::vector<int>& order) {
  const int r = x.rank();
  DLCAM_ASSERT(static_cast<int>(order.size()) == r, "permute order of ", order.size(), " for rank ", r);
  std::vector<int64_t> outDims(static_cast<size_t>(r));
  std::vector<int64_t> srcStride(static_cast<size_t>(r));  // stride in x of out dim i
  for (int i = 0; i < r; ++i) {
    outDims[static_cast<size_t>(i)] = x.shape()[order[static_cast<size_t>(i)]];
    srcStride[static_cast<size_t>(i)] = x.shape().stride(order[static_cast<size_t>(i)]);
  }
  Tensor out = Tensor::empty(Shape(outDims), x.dtype());
  const int64_t n = out.numel();
  if (n == 0) return out;
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* src = x.data<T>();
    T* dst = out.data<T>();
    const int64_t len0 = r ? outDims[0] : 1, step0 = r ? srcStride[0] : 0;
    std::vector<int64_t> idx(static_cast<size_t>(r), 0);
    int64_t srcOff = 0;
    for (int64_t o = 0; o < n; o += len0) {
      for (int64_t i = 0; i < len0; ++i) dst[o + i] = src[srcOff + i * step0];
      for (int d = 1; d < r; ++d) {  // advance the multi-index over dims 1..r-1
        auto du = static_cast<size_t>(d);
        srcOff += srcStride[du];
        if (++idx[du] < outDims[du]) break;
        srcOff -= srcStride[du] * outDims[du];
        idx[du] = 0;
      }
    }
  });
  return out;
}

Tensor gather(const Tensor& x, int dim, const std::vector<int64_t>& indices) {
  DimSplit p = splitAt(x.shape(), dim);
  for (int64_t i : indices)
    if (i < 0 || i >= p.len) fail("index ", i, " is out of range for dimension ", dim, " of size ", p.len);
  std::vector<int64_t> dims = x.shape().dims();
  dims[static_cast<size_t>(dim)] = static_cast<int64_t>(indices.size());
  Tensor out = Tensor::empty(Shape(dims), x.dtype());
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* src = x.data<T>();
    T* dst = out.data<T>();
    const auto k = static_cast<int64_t>(indices.size());
    for (int64_t o = 0; o < p.outer; ++o)
      for (int64_t j = 0; j < k; ++j)
        std::memcpy(dst + (o * k + j) * p.inner, src + (o * p.len + indices[static_cast<size_t>(j)]) * p.inner,
                    sizeof(T) * static_cast<size_t>(p.inner));
  });
  return out;
}

Tensor scatterAdd(const Tensor& g, const Shape& shape, int dim, const std::vector<int64_t>& indices) {
  DimSplit p = splitAt(shape, dim);
  Tensor out(shape, g.dtype());
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* src = g.data<T>();
    T* dst = out.data<T>();
    const auto k = static_cast<int64_t>(indices.size());
    for (int64_t o = 0; o < p.outer; ++o)
      for (int64_t j = 0; j < k; ++j) {
        T* d = dst + (o * p.len + indices[static_cast<size_t>(j)]) * p.inner;
        const T* s = src + (o * k + j) * p.inner;
        for (int64_t i = 0; i < p.inner; ++i) d[i] += s[i];
      }
  });
  return out;
}

Tensor concat(const std::vector<Tensor>& parts, int dim) {
  DLCAM_ASSERT(!parts.empty(), "concat of nothing");
  std::vector<int64_t> dims = parts[0].shape().dims();
  int64_t total = 0;
  for (const Tensor& t : parts) {
    DLCAM_ASSERT(t.rank() == parts[0].rank() && t.dtype() == parts[0].dtype(), "concat rank/dtype mismatch");
    for (int d = 0; d < t.rank(); ++d)
      if (d != dim && t.shape()[d] != parts[0].shape()[d])
        fail("cannot concatenate along dimension ", dim, ": sizes ", parts[0].shape().str(), " and ",
             t.shape().str(), " differ in dimension ", d);
    total += t.shape()[dim];
  }
  dims[static_cast<size_t>(dim)] = total;
  Tensor out = Tensor::empty(Shape(dims), parts[0].dtype());
  DimSplit po = splitAt(out.shape(), dim);
  visitFloat(out.dtype(), [&](auto zero) {
    using T = decltype(zero);
    T* dst = out.data<T>();
    int64_t offset = 0;
    for (const Tensor& t : parts) {
      DimSplit pt = splitAt(t.shape(), dim);
      const T* src = t.data<T>();
      for (int64_t o = 0; o < pt.outer; ++o)
        std::memcpy(dst + (o * po.len + offset) * po.inner, src + o * pt.len * pt.inner,
                    sizeof(T) * static_cast<size_t>(pt.len * pt.inner));
      offset += pt.len;
    }
  });
  return out;
}

Tensor slice(const Tensor& x, int dim, int64_t offset, int64_t size) {
  DimSplit p = splitAt(x.shape(), dim);
  if (offset < 0 || size < 0 || offset + size > p.len)
    fail("slice [", offset, ", ", offset + size, ") is out of range for dimension ", dim, " of size ", p.len);
  std::vector<int64_t> dims = x.shape().dims();
  dims[static_cast<size_t>(dim)] = size;
  Tensor out = Tensor::empty(Shape(dims), x.dtype());
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* src = x.data<T>();
    T* dst = out.data<T>();
    for (int64_t o = 0; o < p.outer; ++o)
      std::memcpy(dst + o * size * p.inner, src + (o * p.len + offset) * p.inner,
                  sizeof(T) * static_cast<size_t>(size * p.inner));
  });
  return out;
}

}  // namespace dlcam::kernels::cpu
