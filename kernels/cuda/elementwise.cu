// Elementwise kernels on the GPU: map/zip/zip3 over contiguous tensors, and the broadcasting
// trio zipBroadcast / broadcastTo / sumTo, which share one description of the index map.
//
// All kernels are grid-stride loops over int64 indices (a tensor may exceed 2³¹ elements).
// Broadcast shapes are first collapsed (BroadcastDims below) so that the per-element index
// arithmetic runs over few dimensions, usually one or two.
#include "kernels/cuda/elementwise.h"

#include <algorithm>

#include "kernels/cpu/elementwise.h"
#include "kernels/cuda/check.h"

namespace dlcam::kernels::cuda {

namespace {

// ---- Same-shape kernels ----------------------------------------------------------------------

template <typename T, typename F>
__global__ void mapKernel(const T* __restrict__ a, T* __restrict__ out, int64_t n, F f) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{blockDim.x} * gridDim.x)
    out[i] = f(a[i]);
}

template <typename T, typename F>
__global__ void zipKernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ out, int64_t n, F f) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{blockDim.x} * gridDim.x)
    out[i] = f(a[i], b[i]);
}

template <typename T, typename F>
__global__ void zip3Kernel(const T* __restrict__ a, const T* __restrict__ b, const T* __restrict__ c,
                           T* __restrict__ out, int64_t n, F f) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{blockDim.x} * gridDim.x)
    out[i] = f(a[i], b[i], c[i]);
}

void expectOnGpu(const Tensor& t, const char* op) {
  DLCAM_ASSERT(t.defined() && t.device() == Device::GPU, "cuda::", op, ": input not on the GPU");
}

void expectSame(const Tensor& x, const Tensor& y, const char* op) {
  DLCAM_ASSERT(x.shape() == y.shape() && x.dtype() == y.dtype(), "cuda::", op, " of ", x.shape().str(), " ",
               dtypeName(x.dtype()), " and ", y.shape().str(), " ", dtypeName(y.dtype()));
}

// ---- Broadcasting ------------------------------------------------------------------------------
//
// The index map of an output shape onto two operands of the same rank (sizes 1 or equal to
// the output's), with dimensions of size 1 dropped and neighbours merged where each operand
// is either broadcast in both or present in both: then the pair is one dimension of the
// product size, with the first one's stride. [H, W, C, N] + [1, 1, C, 1] becomes
// [H·W, C, N] with strides (0, 1, 0) for the bias. Passed to kernels by value.

constexpr int kMaxDims = 8;

struct BroadcastDims {
  int rank = 0;
  int64_t size[kMaxDims] = {};
  int64_t strideA[kMaxDims] = {};  // 0 where operand a is broadcast
  int64_t strideB[kMaxDims] = {};
};

BroadcastDims collapse(const Shape& out, const Shape& a, const Shape& b) {
  DLCAM_ASSERT(a.rank() == out.rank() && b.rank() == out.rank(), "broadcast of ", a.str(), " and ", b.str(), " to ",
               out.str());
  BroadcastDims dims;
  for (int d = 0; d < out.rank(); ++d) {
    if (out[d] == 1) continue;
    DLCAM_ASSERT((a[d] == 1 || a[d] == out[d]) && (b[d] == 1 || b[d] == out[d]), "broadcast of ", a.str(), " and ",
                 b.str(), " to ", out.str());
    const int64_t sa = a[d] == 1 ? 0 : a.stride(d), sb = b[d] == 1 ? 0 : b.stride(d);
    const int last = dims.rank - 1;
    if (last >= 0 && (dims.strideA[last] == 0) == (sa == 0) && (dims.strideB[last] == 0) == (sb == 0)) {
      dims.size[last] *= out[d];
      continue;
    }
    if (dims.rank == kMaxDims)
      fail("GPU broadcasting supports at most ", kMaxDims, " alternations of broadcast and full dimensions; ",
           a.str(), " and ", b.str(), " to ", out.str(), " have more");
    dims.size[dims.rank] = out[d];
    dims.strideA[dims.rank] = sa;
    dims.strideB[dims.rank] = sb;
    ++dims.rank;
  }
  return dims;
}

// Offsets into a and b of the element with column-major linear index i in the output.
__device__ inline void offsetsOf(int64_t i, const BroadcastDims& dims, int64_t& offA, int64_t& offB) {
  offA = 0;
  offB = 0;
  for (int d = 0; d < dims.rank; ++d) {
    const int64_t c = i % dims.size[d];
    i /= dims.size[d];
    offA += c * dims.strideA[d];
    offB += c * dims.strideB[d];
  }
}

template <typename T, typename F>
__global__ void zipBroadcastKernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ out, int64_t n,
                                   BroadcastDims dims, F f) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{blockDim.x} * gridDim.x) {
    int64_t offA, offB;
    offsetsOf(i, dims, offA, offB);
    out[i] = f(a[offA], b[offB]);
  }
}

// broadcastTo: the source is operand a; operand b is the output itself (unused).
template <typename T>
__global__ void broadcastKernel(const T* __restrict__ src, T* __restrict__ out, int64_t n, BroadcastDims dims) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{blockDim.x} * gridDim.x) {
    int64_t offSrc, unused;
    offsetsOf(i, dims, offSrc, unused);
    out[i] = src[offSrc];
  }
}

// ---- sumTo ---------------------------------------------------------------------------------
//
// The collapsed dimensions split into kept ones (present in the result: they enumerate its
// elements j in order) and reduced ones (summed over). Strides are g's.

struct Reduction {
  int keptRank = 0, reducedRank = 0;
  int64_t keptSize[kMaxDims] = {}, keptStride[kMaxDims] = {};
  int64_t reducedSize[kMaxDims] = {}, reducedStride[kMaxDims] = {};
  int64_t reducedCount = 1;  // elements summed into each result element
};

Reduction planReduction(const Shape& gShape, const Shape& shape) {
  // Operand a is the result (0 strides where it is reduced), b is g.
  const BroadcastDims dims = collapse(gShape, shape, gShape);
  Reduction r;
  for (int d = 0; d < dims.rank; ++d) {
    if (dims.strideA[d] != 0) {
      r.keptSize[r.keptRank] = dims.size[d];
      r.keptStride[r.keptRank++] = dims.strideB[d];
    } else {
      r.reducedSize[r.reducedRank] = dims.size[d];
      r.reducedStride[r.reducedRank++] = dims.strideB[d];
      r.reducedCount *= dims.size[d];
    }
  }
  return r;
}

__device__ inline int64_t offsetIn(int64_t i, int rank, const int64_t* size, const int64_t* stride) {
  int64_t off = 0;
  for (int d = 0; d < rank; ++d) {
    off += (i % size[d]) * stride[d];
    i /= size[d];
  }
  return off;
}

// One thread per result element, summing serially: for short reductions.
template <typename T>
__global__ void sumToPerThread(const T* __restrict__ g, T* __restrict__ out, int64_t nOut, Reduction r) {
  for (int64_t j = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; j < nOut; j += int64_t{blockDim.x} * gridDim.x) {
    const int64_t base = offsetIn(j, r.keptRank, r.keptSize, r.keptStride);
    double acc = 0;
    for (int64_t k = 0; k < r.reducedCount; ++k) acc += g[base + offsetIn(k, r.reducedRank, r.reducedSize, r.reducedStride)];
    out[j] = static_cast<T>(acc);
  }
}

// One block of kThreads per result element: threads take strided shares of the reduced
// elements (consecutive threads, consecutive elements), then a tree sum in shared memory.
// The loop over j is uniform within a block, so the barriers are reached by all threads.
template <typename T>
__global__ void sumToPerBlock(const T* __restrict__ g, T* __restrict__ out, int64_t nOut, Reduction r) {
  __shared__ double partial[kThreads];
  for (int64_t j = blockIdx.x; j < nOut; j += gridDim.x) {
    const int64_t base = offsetIn(j, r.keptRank, r.keptSize, r.keptStride);
    double acc = 0;
    for (int64_t k = threadIdx.x; k < r.reducedCount; k += blockDim.x)
      acc += g[base + offsetIn(k, r.reducedRank, r.reducedSize, r.reducedStride)];
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (unsigned s = kThreads / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
      __syncthreads();
    }
    if (threadIdx.x == 0) out[j] = static_cast<T>(partial[0]);
    __syncthreads();  // partial is rewritten for the next j
  }
}

// Below this many terms per result element a thread sums them alone.
constexpr int64_t kPerThreadReduction = 32;

}  // namespace

// ---- Entry points ----------------------------------------------------------------------------

template <typename F>
Tensor map(const Tensor& x, F f) {
  expectOnGpu(x, "map");
  Tensor out = emptyOnGpu(x.shape(), x.dtype());
  const int64_t n = x.numel();
  if (n == 0) return out;
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    mapKernel<<<blocksFor(n), kThreads, 0, stream()>>>(x.deviceData<T>(), out.deviceData<T>(), n, f);
    DLCAM_CUDA_CHECK_LAUNCH("mapKernel");
  });
  return out;
}

template <typename F>
Tensor zip(const Tensor& x, const Tensor& y, F f) {
  expectOnGpu(x, "zip");
  expectOnGpu(y, "zip");
  expectSame(x, y, "zip");
  Tensor out = emptyOnGpu(x.shape(), x.dtype());
  const int64_t n = x.numel();
  if (n == 0) return out;
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    zipKernel<<<blocksFor(n), kThreads, 0, stream()>>>(x.deviceData<T>(), y.deviceData<T>(), out.deviceData<T>(), n, f);
    DLCAM_CUDA_CHECK_LAUNCH("zipKernel");
  });
  return out;
}

template <typename F>
Tensor zip3(const Tensor& x, const Tensor& y, const Tensor& z, F f) {
  expectOnGpu(x, "zip3");
  expectOnGpu(y, "zip3");
  expectOnGpu(z, "zip3");
  expectSame(x, y, "zip3");
  expectSame(x, z, "zip3");
  Tensor out = emptyOnGpu(x.shape(), x.dtype());
  const int64_t n = x.numel();
  if (n == 0) return out;
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    zip3Kernel<<<blocksFor(n), kThreads, 0, stream()>>>(x.deviceData<T>(), y.deviceData<T>(), z.deviceData<T>(),
                                                        out.deviceData<T>(), n, f);
    DLCAM_CUDA_CHECK_LAUNCH("zip3Kernel");
  });
  return out;
}

template <typename F>
Tensor zipBroadcast(const Tensor& x, const Tensor& y, F f) {
  if (x.shape() == y.shape()) return zip(x, y, f);
  expectOnGpu(x, "zipBroadcast");
  expectOnGpu(y, "zipBroadcast");
  DLCAM_ASSERT(x.dtype() == y.dtype(), "cuda::zipBroadcast of ", dtypeName(x.dtype()), " and ", dtypeName(y.dtype()));
  const Shape outShape = cpu::broadcastShape(x.shape(), y.shape());
  Tensor out = emptyOnGpu(outShape, x.dtype());
  const int64_t n = out.numel();
  if (n == 0) return out;
  const BroadcastDims dims = collapse(outShape, x.shape(), y.shape());
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    zipBroadcastKernel<<<blocksFor(n), kThreads, 0, stream()>>>(x.deviceData<T>(), y.deviceData<T>(),
                                                                out.deviceData<T>(), n, dims, f);
    DLCAM_CUDA_CHECK_LAUNCH("zipBroadcastKernel");
  });
  return out;
}

Tensor broadcastTo(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  expectOnGpu(t, "broadcastTo");
  Tensor out = emptyOnGpu(shape, t.dtype());
  const int64_t n = out.numel();
  if (n == 0) return out;
  const BroadcastDims dims = collapse(shape, t.shape(), shape);
  visitFloat(t.dtype(), [&](auto zero) {
    using T = decltype(zero);
    broadcastKernel<<<blocksFor(n), kThreads, 0, stream()>>>(t.deviceData<T>(), out.deviceData<T>(), n, dims);
    DLCAM_CUDA_CHECK_LAUNCH("broadcastKernel");
  });
  return out;
}

Tensor sumTo(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  expectOnGpu(g, "sumTo");
  Tensor out = emptyOnGpu(shape, g.dtype());
  const int64_t nOut = out.numel();
  if (nOut == 0) return out;
  // A g with no elements has a reduced dimension of size 0: every sum is empty, and the
  // per-thread kernel writes the zeros.
  const Reduction r = planReduction(g.shape(), shape);
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if (r.reducedCount <= kPerThreadReduction) {
      sumToPerThread<<<blocksFor(nOut), kThreads, 0, stream()>>>(g.deviceData<T>(), out.deviceData<T>(), nOut, r);
      DLCAM_CUDA_CHECK_LAUNCH("sumToPerThread");
    } else {
      const auto blocks = static_cast<unsigned>(std::min<int64_t>(nOut, int64_t{65535} * 8));
      sumToPerBlock<<<blocks, kThreads, 0, stream()>>>(g.deviceData<T>(), out.deviceData<T>(), nOut, r);
      DLCAM_CUDA_CHECK_LAUNCH("sumToPerBlock");
    }
  });
  return out;
}

// ---- Instantiations for the functors listed in kernels/functors.h -----------------------------

#define DLCAM_INSTANTIATE_UNARY_(F) template Tensor map<fn::F>(const Tensor&, fn::F);
#define DLCAM_INSTANTIATE_BINARY_(F)                                \
  template Tensor zip<fn::F>(const Tensor&, const Tensor&, fn::F); \
  template Tensor zipBroadcast<fn::F>(const Tensor&, const Tensor&, fn::F);
#define DLCAM_INSTANTIATE_TERNARY_(F) template Tensor zip3<fn::F>(const Tensor&, const Tensor&, const Tensor&, fn::F);
DLCAM_GPU_UNARY_FUNCTORS(DLCAM_INSTANTIATE_UNARY_)
DLCAM_GPU_BINARY_FUNCTORS(DLCAM_INSTANTIATE_BINARY_)
DLCAM_GPU_TERNARY_FUNCTORS(DLCAM_INSTANTIATE_TERNARY_)

}  // namespace dlcam::kernels::cuda
