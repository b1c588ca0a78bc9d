// Data movement on the GPU: permute, gather and its adjoint scatterAdd, concat, slice.
//
// Each kernel writes every output element once, from one thread, in output order (so writes
// are coalesced) and works out where the element comes from. Tensors are seen around one
// dimension as inner × len × outer (cpu::DimSplit); permute walks the source with the output's
// strides (index_walk.cuh). scatterAdd gathers too: each output element sums its sources in
// index order, the order of the CPU's running sum, so results match it exactly and no atomics
// are needed. Index lists are copied to pool memory for the call.
#include "kernels/cpu/layout.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/index_walk.cuh"
#include "kernels/cuda/layout.h"

namespace dlcam::kernels::cuda {

namespace {

using cpu::DimSplit;
using cpu::splitAt;

#define DLCAM_FOR_EACH_ELEMENT(e, n) \
  for (int64_t e = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; e < (n); e += int64_t{blockDim.x} * gridDim.x)

template <typename T>
__global__ void permuteKernel(const T* x, T* out, int64_t n, IndexWalk source) {
  DLCAM_FOR_EACH_ELEMENT(e, n) out[e] = x[source.offset(e)];
}

// out (inner × k × outer) = x (inner × len × outer) at indices along the middle dimension.
template <typename T>
__global__ void gatherKernel(const T* x, T* out, const int64_t* indices, DimSplit p, int64_t k, int64_t n) {
  DLCAM_FOR_EACH_ELEMENT(e, n) {
    const int64_t i = e % p.inner, rest = e / p.inner;
    const int64_t j = rest % k, o = rest / k;
    out[e] = x[(o * p.len + indices[j]) * p.inner + i];
  }
}

// out (inner × len × outer): position l along the middle dimension sums g's slices
// sources[start[l] .. start[l+1]) (g is inner × k × outer).
template <typename T>
__global__ void scatterAddKernel(const T* g, T* out, const int64_t* start, const int64_t* sources, DimSplit p,
                                 int64_t k, int64_t n) {
  DLCAM_FOR_EACH_ELEMENT(e, n) {
    const int64_t i = e % p.inner, rest = e / p.inner;
    const int64_t l = rest % p.len, o = rest / p.len;
    T acc = 0;
    for (int64_t s = start[l]; s < start[l + 1]; ++s) acc += g[(o * k + sources[s]) * p.inner + i];
    out[e] = acc;
  }
}

// `rows` rows of `width` elements: dst[r·dstPitch + c] = src[r·srcPitch + c].
template <typename T>
__global__ void copyRowsKernel(const T* src, int64_t srcPitch, T* dst, int64_t dstPitch, int64_t width, int64_t n) {
  DLCAM_FOR_EACH_ELEMENT(e, n) {
    const int64_t r = e / width, c = e % width;
    dst[r * dstPitch + c] = src[r * srcPitch + c];
  }
}

#undef DLCAM_FOR_EACH_ELEMENT

// Copies `rows` rows of `width` elements from src (from element srcStart on, rows srcPitch
// apart) into dst (from dstStart, rows dstPitch apart).
void copyRows(const Tensor& src, int64_t srcStart, int64_t srcPitch, Tensor& dst, int64_t dstStart,
              int64_t dstPitch, int64_t width, int64_t rows) {
  const int64_t n = width * rows;
  if (n == 0) return;
  visitFloat(src.dtype(), [&](auto zero) {
    using T = decltype(zero);
    copyRowsKernel<T><<<blocksFor(n), kThreads, 0, stream()>>>(src.deviceData<T>() + srcStart, srcPitch,
                                                              dst.deviceData<T>() + dstStart, dstPitch, width, n);
    DLCAM_CUDA_CHECK_LAUNCH("copyRowsKernel");
  });
}

// A copy of `values` in pool memory, for the length of one operation.
struct DeviceList {
  explicit DeviceList(const std::vector<int64_t>& values) : memory(values.size() * sizeof(int64_t)) {
    copyToDevice(memory.get(), values.data(), memory.bytes());  // waits: `values` may go right after
  }
  const int64_t* get() const { return static_cast<const int64_t*>(memory.get()); }
  Scratch memory;
};

}  // namespace

Tensor permute(const Tensor& x, const std::vector<int>& order) {
  const int r = x.rank();
  DLCAM_ASSERT(static_cast<int>(order.size()) == r, "permute order of ", order.size(), " for rank ", r);
  std::vector<int64_t> outDims(static_cast<size_t>(r));
  IndexWalk source;  // over the output in its order, with x's strides
  for (int i = 0; i < r; ++i) {
    const int from = order[static_cast<size_t>(i)];
    outDims[static_cast<size_t>(i)] = x.shape()[from];
    source.push(x.shape()[from], x.shape().stride(from), "permute");
  }
  Tensor out = emptyOnGpu(Shape(outDims), x.dtype());
  const int64_t n = out.numel();
  if (n == 0) return out;
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    permuteKernel<T><<<blocksFor(n), kThreads, 0, stream()>>>(x.deviceData<T>(), out.deviceData<T>(), n, source);
    DLCAM_CUDA_CHECK_LAUNCH("permuteKernel");
  });
  return out;
}

Tensor gather(const Tensor& x, int dim, const std::vector<int64_t>& indices) {
  const DimSplit p = splitAt(x.shape(), dim);
  for (int64_t i : indices)
    if (i < 0 || i >= p.len) fail("index ", i, " is out of range for dimension ", dim, " of size ", p.len);
  std::vector<int64_t> dims = x.shape().dims();
  const auto k = static_cast<int64_t>(indices.size());
  dims[static_cast<size_t>(dim)] = k;
  Tensor out = emptyOnGpu(Shape(dims), x.dtype());
  const int64_t n = out.numel();
  if (n == 0) return out;
  const DeviceList onDevice(indices);
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    gatherKernel<T><<<blocksFor(n), kThreads, 0, stream()>>>(x.deviceData<T>(), out.deviceData<T>(), onDevice.get(),
                                                            p, k, n);
    DLCAM_CUDA_CHECK_LAUNCH("gatherKernel");
  });
  return out;
}

Tensor scatterAdd(const Tensor& g, const Shape& shape, int dim, const std::vector<int64_t>& indices) {
  const DimSplit p = splitAt(shape, dim);
  const auto k = static_cast<int64_t>(indices.size());
  DLCAM_ASSERT(g.numel() == p.inner * k * p.outer, "scatterAdd of ", g.shape().str(), " into ", shape.str());
  Tensor out = emptyOnGpu(shape, g.dtype());
  const int64_t n = out.numel();
  if (n == 0) return out;
  // For each position along dim, the slices of g that land there, in increasing order (CSR).
  std::vector<int64_t> start(static_cast<size_t>(p.len + 1), 0), sources(static_cast<size_t>(k));
  for (int64_t i : indices) {
    DLCAM_ASSERT(i >= 0 && i < p.len, "scatterAdd index ", i, " for dimension ", dim, " of size ", p.len);
    ++start[static_cast<size_t>(i + 1)];
  }
  for (size_t l = 0; l + 1 < start.size(); ++l) start[l + 1] += start[l];
  std::vector<int64_t> fill(start.begin(), start.end() - 1);
  for (int64_t j = 0; j < k; ++j) {
    const auto l = static_cast<size_t>(indices[static_cast<size_t>(j)]);
    sources[static_cast<size_t>(fill[l]++)] = j;
  }
  const DeviceList startOnDevice(start), sourcesOnDevice(sources);
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    scatterAddKernel<T><<<blocksFor(n), kThreads, 0, stream()>>>(g.deviceData<T>(), out.deviceData<T>(),
                                                                startOnDevice.get(), sourcesOnDevice.get(), p, k, n);
    DLCAM_CUDA_CHECK_LAUNCH("scatterAddKernel");
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
  Tensor out = emptyOnGpu(Shape(dims), parts[0].dtype());
  const DimSplit po = splitAt(out.shape(), dim);
  int64_t offset = 0;
  for (const Tensor& t : parts) {
    const DimSplit pt = splitAt(t.shape(), dim);
    // Each of the outer rows of t (len·inner elements) goes to its row of out, after the parts before it.
    copyRows(t, 0, pt.len * pt.inner, out, offset * po.inner, po.len * po.inner, pt.len * pt.inner, pt.outer);
    offset += pt.len;
  }
  return out;
}

Tensor slice(const Tensor& x, int dim, int64_t offset, int64_t size) {
  const DimSplit p = splitAt(x.shape(), dim);
  if (offset < 0 || size < 0 || offset + size > p.len)
    fail("slice [", offset, ", ", offset + size, ") is out of range for dimension ", dim, " of size ", p.len);
  std::vector<int64_t> dims = x.shape().dims();
  dims[static_cast<size_t>(dim)] = size;
  Tensor out = emptyOnGpu(Shape(dims), x.dtype());
  copyRows(x, offset * p.inner, p.len * p.inner, out, 0, size * p.inner, size * p.inner, p.outer);
  return out;
}

}  // namespace dlcam::kernels::cuda
