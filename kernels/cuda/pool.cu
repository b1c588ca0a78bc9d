// Max and average pooling with own kernels, not cuDNN's: cuDNN pads symmetrically, has no
// ceil-mode windows clipped at the padded end, breaks ties and NaNs its own way, and its max
// backward needs x and y again. Pooling is memory-bound, so a thread per output element
// (forward) or per input element (backward) is as fast as anything, and it can follow the
// CPU kernels (kernels/cpu/pool.cpp) to the bit:
//  - forward: the same window ranges and divisors, the same column-major order of compares
//    and additions, so values and argmax equal the CPU's exactly;
//  - backward: gathers instead of scatters (no atomics; deterministic). Each input element
//    adds up the outputs whose windows hold it, in increasing output order: for max pooling
//    that is the CPU's order, so its gradient is exact too; for average pooling the terms
//    are the CPU's, the order of addition differs slightly.
// 1-D and 2-D pooling run as 3-D pooling with trailing unit dims, as on the CPU.
#include "kernels/cuda/pool.h"

#include <limits>

#include "kernels/cuda/check.h"

namespace dlcam::kernels::cuda {

namespace {

struct Geometry {
  int64_t in[3], out[3], k[3], s[3], pb[3], pa[3];
  int64_t planes = 1, inPlane = 1, outPlane = 1;
};

// The CPU kernels' geometry and checks (kernels/cpu/pool.cpp).
Geometry geometry(const Shape& x, const PoolParams& p) {
  const size_t nd = p.window.size();
  DLCAM_ASSERT(nd >= 1 && nd <= 3 && p.stride.size() == nd && p.padBefore.size() == nd &&
                   p.padAfter.size() == nd && p.outSize.size() == nd && x.rank() >= static_cast<int>(nd),
               "pool geometry for ", nd, " dims on shape ", x.str());
  Geometry g{};
  for (size_t d = 0; d < 3; ++d) {
    const bool pooled = d < nd;
    g.in[d] = pooled ? x[static_cast<int>(d)] : 1;
    g.out[d] = pooled ? p.outSize[d] : 1;
    g.k[d] = pooled ? p.window[d] : 1;
    g.s[d] = pooled ? p.stride[d] : 1;
    g.pb[d] = pooled ? p.padBefore[d] : 0;
    g.pa[d] = pooled ? p.padAfter[d] : 0;
    DLCAM_ASSERT(g.k[d] >= 1 && g.s[d] >= 1 && g.pb[d] >= 0 && g.pa[d] >= 0 && g.out[d] >= 0, "pool params");
    DLCAM_ASSERT(g.out[d] == 0 || (g.in[d] > 0 && g.k[d] > g.pb[d] && (g.out[d] - 1) * g.s[d] - g.pb[d] < g.in[d]),
                 "pool window outside the input in dim ", d);
    g.inPlane *= g.in[d];
    g.outPlane *= g.out[d];
  }
  for (int d = static_cast<int>(nd); d < x.rank(); ++d) g.planes *= x[d];
  return g;
}

struct Range {
  int64_t lo, hi;  // window ∩ input, [lo, hi)
  int64_t padded;  // window ∩ padded input: the count-include-pad divisor along this dim
};

__device__ int64_t smaller(int64_t a, int64_t b) { return a < b ? a : b; }

__device__ Range windowRange(const Geometry& g, int d, int64_t o) {
  const int64_t start = o * g.s[d] - g.pb[d];
  const int64_t end = start + g.k[d];
  return {start > 0 ? start : 0, smaller(end, g.in[d]), smaller(end, g.in[d] + g.pa[d]) - start};
}

__device__ int64_t divisor(const Range& r, bool countIncludePad) { return countIncludePad ? r.padded : r.hi - r.lo; }

// The outputs along dim d whose windows hold input i: [lo, hi). Output o's window is
// [o·s − pb, o·s − pb + k), so o·s lies in [i + pb − k + 1, i + pb].
__device__ void outputsHolding(const Geometry& g, int d, int64_t i, int64_t& lo, int64_t& hi) {
  const int64_t first = i + g.pb[d] - g.k[d] + 1;
  lo = first <= 0 ? 0 : (first + g.s[d] - 1) / g.s[d];
  hi = smaller((i + g.pb[d]) / g.s[d] + 1, g.out[d]);
}

// Output j (column-major over [out_1, out_2, out_3, planes]) as its plane and position.
struct OutputIndex {
  int64_t plane, o[3];
};

__device__ OutputIndex outputIndex(const Geometry& g, int64_t j) {
  OutputIndex r;
  r.o[0] = j % g.out[0];
  j /= g.out[0];
  r.o[1] = j % g.out[1];
  j /= g.out[1];
  r.o[2] = j % g.out[2];
  r.plane = j / g.out[2];
  return r;
}

// "Not <=" means strictly greater or NaN, so ties keep the first maximum in column-major
// order; a NaN maximum (best != best) then stays. As kernels/cpu/pool.cpp.
template <typename T>
__device__ bool replaces(T v, T best) {
  return !(v <= best) && best == best;
}

template <typename T>
__global__ void maxPoolKernel(const T* x, T* y, int32_t* argmax, Geometry g, int64_t n) {
  for (int64_t j = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; j < n; j += int64_t{blockDim.x} * gridDim.x) {
    const OutputIndex oi = outputIndex(g, j);
    const Range r0 = windowRange(g, 0, oi.o[0]), r1 = windowRange(g, 1, oi.o[1]), r2 = windowRange(g, 2, oi.o[2]);
    const T* xp = x + oi.plane * g.inPlane;
    int64_t best = (r2.lo * g.in[1] + r1.lo) * g.in[0] + r0.lo;
    T bestValue = xp[best];
    for (int64_t i2 = r2.lo; i2 < r2.hi; ++i2)
      for (int64_t i1 = r1.lo; i1 < r1.hi; ++i1) {
        const int64_t line = (i2 * g.in[1] + i1) * g.in[0];
        for (int64_t i0 = r0.lo; i0 < r0.hi; ++i0)
          if (replaces(xp[line + i0], bestValue)) {
            best = line + i0;
            bestValue = xp[best];
          }
      }
    y[j] = bestValue;
    argmax[j] = static_cast<int32_t>(best);
  }
}

template <typename T>
__global__ void avgPoolKernel(const T* x, T* y, Geometry g, bool countIncludePad, int64_t n) {
  for (int64_t j = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; j < n; j += int64_t{blockDim.x} * gridDim.x) {
    const OutputIndex oi = outputIndex(g, j);
    const Range r0 = windowRange(g, 0, oi.o[0]), r1 = windowRange(g, 1, oi.o[1]), r2 = windowRange(g, 2, oi.o[2]);
    const T* xp = x + oi.plane * g.inPlane;
    T sum = 0;
    for (int64_t i2 = r2.lo; i2 < r2.hi; ++i2)
      for (int64_t i1 = r1.lo; i1 < r1.hi; ++i1) {
        const T* line = xp + (i2 * g.in[1] + i1) * g.in[0];
        for (int64_t i0 = r0.lo; i0 < r0.hi; ++i0) sum += line[i0];
      }
    const int64_t count =
        divisor(r0, countIncludePad) * (divisor(r1, countIncludePad) * divisor(r2, countIncludePad));
    y[j] = sum / static_cast<T>(count);
  }
}

// Input element i (column-major over [in_1, in_2, in_3, planes]) as its plane and position.
struct InputIndex {
  int64_t plane, inPlane, i[3];
};

__device__ InputIndex inputIndex(const Geometry& g, int64_t n) {
  InputIndex r;
  r.inPlane = n % g.inPlane;
  r.plane = n / g.inPlane;
  r.i[0] = r.inPlane % g.in[0];
  r.i[1] = r.inPlane / g.in[0] % g.in[1];
  r.i[2] = r.inPlane / (g.in[0] * g.in[1]);
  return r;
}

// gx(i) = Σ gy(o) over the outputs o whose argmax is i, in increasing o.
template <typename T>
__global__ void maxPoolBackwardKernel(const T* gy, const int32_t* argmax, T* gx, Geometry g, int64_t n) {
  for (int64_t e = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; e < n; e += int64_t{blockDim.x} * gridDim.x) {
    const InputIndex ii = inputIndex(g, e);
    int64_t lo[3], hi[3];
    for (int d = 0; d < 3; ++d) outputsHolding(g, d, ii.i[d], lo[d], hi[d]);
    const int64_t planeStart = ii.plane * g.outPlane;
    T sum = 0;
    for (int64_t o2 = lo[2]; o2 < hi[2]; ++o2)
      for (int64_t o1 = lo[1]; o1 < hi[1]; ++o1)
        for (int64_t o0 = lo[0]; o0 < hi[0]; ++o0) {
          const int64_t j = planeStart + (o2 * g.out[1] + o1) * g.out[0] + o0;
          if (argmax[j] == ii.inPlane) sum += gy[j];
        }
    gx[e] = sum;
  }
}

// gx(i) = Σ gy(o) / divisor(o) over the outputs o whose windows hold i (as inputs, not
// padding), in increasing o.
template <typename T>
__global__ void avgPoolBackwardKernel(const T* gy, T* gx, Geometry g, bool countIncludePad, int64_t n) {
  for (int64_t e = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; e < n; e += int64_t{blockDim.x} * gridDim.x) {
    const InputIndex ii = inputIndex(g, e);
    int64_t lo[3], hi[3];
    for (int d = 0; d < 3; ++d) outputsHolding(g, d, ii.i[d], lo[d], hi[d]);
    const T* gyp = gy + ii.plane * g.outPlane;
    T sum = 0;
    for (int64_t o2 = lo[2]; o2 < hi[2]; ++o2) {
      const int64_t c2 = divisor(windowRange(g, 2, o2), countIncludePad);
      for (int64_t o1 = lo[1]; o1 < hi[1]; ++o1) {
        const int64_t c12 = divisor(windowRange(g, 1, o1), countIncludePad) * c2;
        for (int64_t o0 = lo[0]; o0 < hi[0]; ++o0) {
          const int64_t count = divisor(windowRange(g, 0, o0), countIncludePad) * c12;
          sum += gyp[(o2 * g.out[1] + o1) * g.out[0] + o0] / static_cast<T>(count);
        }
      }
    }
    gx[e] = sum;
  }
}

// count int32 in GPU memory from the pool, given back with the last copy of the pointer. The
// pool may hand the block out again at once: dlcam's one stream orders any later writer after
// the kernels that still read it (kernels/cuda/runtime.h).
std::shared_ptr<int32_t> deviceIndices(int64_t count) {
  const size_t bytes = static_cast<size_t>(count) * sizeof(int32_t);
  return std::shared_ptr<int32_t>(static_cast<int32_t*>(allocate(bytes)), [bytes](int32_t* q) { release(q, bytes); });
}

}  // namespace

MaxPoolResult maxPool(const Tensor& x, const PoolParams& p) {
  const Geometry g = geometry(x.shape(), p);
  if (g.inPlane > std::numeric_limits<int32_t>::max())
    fail("maxPool: a pooled plane of ", g.inPlane, " elements is beyond the supported 2^31 - 1 (input ",
         x.shape().str(), ")");
  Tensor y = emptyOnGpu(cpu::pooledShape(x.shape(), p), x.dtype());
  const int64_t n = y.numel();
  std::shared_ptr<int32_t> argmax = deviceIndices(n);
  if (n > 0) {
    visitFloat(x.dtype(), [&](auto zero) {
      using T = decltype(zero);
      maxPoolKernel<T><<<blocksFor(n), kThreads, 0, stream()>>>(x.deviceData<T>(), y.deviceData<T>(), argmax.get(), g, n);
    });
    DLCAM_CUDA_CHECK_LAUNCH("maxPoolKernel");
  }
  return {std::move(y), std::move(argmax)};
}

Tensor maxPoolBackward(const Tensor& g, const int32_t* argmax, const Shape& inputShape, const PoolParams& p) {
  const Geometry geo = geometry(inputShape, p);
  DLCAM_ASSERT(g.shape() == cpu::pooledShape(inputShape, p), "maxPoolBackward: gradient ", g.shape().str(),
               " for input ", inputShape.str());
  Tensor gx = emptyOnGpu(inputShape, g.dtype());
  const int64_t n = gx.numel();
  if (n == 0) return gx;
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    maxPoolBackwardKernel<T><<<blocksFor(n), kThreads, 0, stream()>>>(g.deviceData<T>(), argmax, gx.deviceData<T>(),
                                                                       geo, n);
  });
  DLCAM_CUDA_CHECK_LAUNCH("maxPoolBackwardKernel");
  return gx;
}

Tensor avgPool(const Tensor& x, const PoolParams& p) {
  const Geometry g = geometry(x.shape(), p);
  Tensor y = emptyOnGpu(cpu::pooledShape(x.shape(), p), x.dtype());
  const int64_t n = y.numel();
  if (n == 0) return y;
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    avgPoolKernel<T><<<blocksFor(n), kThreads, 0, stream()>>>(x.deviceData<T>(), y.deviceData<T>(), g,
                                                               p.countIncludePad, n);
  });
  DLCAM_CUDA_CHECK_LAUNCH("avgPoolKernel");
  return y;
}

Tensor avgPoolBackward(const Tensor& g, const Shape& inputShape, const PoolParams& p) {
  const Geometry geo = geometry(inputShape, p);
  DLCAM_ASSERT(g.shape() == cpu::pooledShape(inputShape, p), "avgPoolBackward: gradient ", g.shape().str(),
               " for input ", inputShape.str());
  Tensor gx = emptyOnGpu(inputShape, g.dtype());
  const int64_t n = gx.numel();
  if (n == 0) return gx;
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    avgPoolBackwardKernel<T><<<blocksFor(n), kThreads, 0, stream()>>>(g.deviceData<T>(), gx.deviceData<T>(), geo,
                                                                       p.countIncludePad, n);
  });
  DLCAM_CUDA_CHECK_LAUNCH("avgPoolBackwardKernel");
  return gx;
}

}  // namespace dlcam::kernels::cuda
