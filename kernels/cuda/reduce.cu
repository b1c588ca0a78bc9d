// Reductions on the GPU: sum and max (with argmax) over any set of dimensions.
//
// x is seen as two strided walks (index_walk.cuh): `kept` runs over the output elements,
// `reduced` over the elements that each output combines, so any set of dims, adjacent or not,
// is one kernel. Two launch shapes:
//  - one thread per output when there are many outputs or each combines few values (the
//    channel means of Grad-CAM's gradients over a 7×7 map);
//  - one block per output when there are few outputs of many values each (a loss, a class
//    score), the block's threads striding over the values and combining them in a tree.
// Neither uses atomics: results do not depend on scheduling. Sums run in double for both
// dtypes, as on the CPU (a float32 running sum of 10⁷ values is off by percents).
#include <algorithm>

#include "kernels/cpu/reduce.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/index_walk.cuh"
#include "kernels/cuda/reduce.h"

namespace dlcam::kernels::cuda {

namespace {

// x's dimensions split into the walk over outputs and the walk within one output.
struct ReducePlan {
  Shape outShape;
  IndexWalk kept, reduced;
  int64_t outputs = 1;    // elements of the result
  int64_t perOutput = 1;  // elements of x combined into each
};

ReducePlan planReduce(const Shape& s, const std::vector<int>& dims, const char* op) {
  ReducePlan p;
  p.outShape = cpu::reducedShape(s, dims);  // checks dims
  for (int d = 0; d < s.rank(); ++d) {
    if (p.outShape[d] == s[d]) {
      p.kept.push(s[d], s.stride(d), op);
      p.outputs *= s[d];
    } else {
      p.reduced.push(s[d], s.stride(d), op);
      p.perOutput *= s[d];
    }
  }
  return p;
}

// Below this many outputs one thread each would leave most of the GPU idle, unless each thread
// has only a few values to combine anyway.
constexpr int64_t kManyOutputs = 8192, kFewValues = 64;
bool threadPerOutput(const ReducePlan& p) { return p.outputs >= kManyOutputs || p.perOutput <= kFewValues; }
unsigned blocksForOutputs(int64_t outputs) { return static_cast<unsigned>(std::min<int64_t>(outputs, 65535 * 8)); }

template <typename T>
__device__ bool isNan(T v) {
  return v != v;
}

// Whether the candidate value v at linear index i of x takes the place of the best so far
// (`best` at `at`; at < 0: none yet; i < 0: no candidate). The CPU keeps the first maximum in
// index order and lets the first NaN win over everything; comparing indices makes that rule
// independent of the order in which threads meet the values.
template <typename T>
__device__ bool beats(T v, int64_t i, T best, int64_t at) {
  if (i < 0) return false;
  if (at < 0) return true;
  const bool vNan = isNan(v), bestNan = isNan(best);
  if (vNan != bestNan) return vNan;
  if (!vNan && v != best) return v > best;
  return i < at;
}

// ---- sum ----------------------------------------------------------------------------------

template <typename T>
__global__ void sumThreadPerOutput(const T* x, T* out, int64_t outputs, int64_t perOutput, IndexWalk kept,
                                   IndexWalk reduced) {
  for (int64_t o = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; o < outputs; o += int64_t{blockDim.x} * gridDim.x) {
    const T* base = x + kept.offset(o);
    double acc = 0;
    for (int64_t r = 0; r < perOutput; ++r) acc += static_cast<double>(base[reduced.offset(r)]);
    out[o] = static_cast<T>(acc);
  }
}

// Launched with kThreads threads per block (a power of two, for the tree).
template <typename T>
__global__ void sumBlockPerOutput(const T* x, T* out, int64_t outputs, int64_t perOutput, IndexWalk kept,
                                  IndexWalk reduced) {
  __shared__ double partial[kThreads];
  const int t = static_cast<int>(threadIdx.x);
  for (int64_t o = blockIdx.x; o < outputs; o += gridDim.x) {
    const T* base = x + kept.offset(o);
    double acc = 0;
    for (int64_t r = t; r < perOutput; r += kThreads) acc += static_cast<double>(base[reduced.offset(r)]);
    partial[t] = acc;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (t < half) partial[t] += partial[t + half];
      __syncthreads();
    }
    if (t == 0) out[o] = static_cast<T>(partial[0]);
    __syncthreads();  // partial is rewritten for the next output
  }
}

// ---- max ----------------------------------------------------------------------------------

template <typename T>
__global__ void maxThreadPerOutput(const T* x, T* out, int64_t* argmax, int64_t outputs, int64_t perOutput,
                                   IndexWalk kept, IndexWalk reduced) {
  for (int64_t o = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; o < outputs; o += int64_t{blockDim.x} * gridDim.x) {
    const int64_t base = kept.offset(o);
    T best = 0;
    int64_t at = -1;
    for (int64_t r = 0; r < perOutput; ++r) {
      const int64_t i = base + reduced.offset(r);
      if (beats(x[i], i, best, at)) {
        best = x[i];
        at = i;
      }
    }
    out[o] = best;
    argmax[o] = at;
  }
}

template <typename T>
__global__ void maxBlockPerOutput(const T* x, T* out, int64_t* argmax, int64_t outputs, int64_t perOutput,
                                  IndexWalk kept, IndexWalk reduced) {
  __shared__ T bestValue[kThreads];
  __shared__ int64_t bestAt[kThreads];
  const int t = static_cast<int>(threadIdx.x);
  for (int64_t o = blockIdx.x; o < outputs; o += gridDim.x) {
    const int64_t base = kept.offset(o);
    T best = 0;
    int64_t at = -1;  // stays -1 in threads that get no value (perOutput < kThreads)
    for (int64_t r = t; r < perOutput; r += kThreads) {
      const int64_t i = base + reduced.offset(r);
      if (beats(x[i], i, best, at)) {
        best = x[i];
        at = i;
      }
    }
    bestValue[t] = best;
    bestAt[t] = at;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (t < half && beats(bestValue[t + half], bestAt[t + half], bestValue[t], bestAt[t])) {
        bestValue[t] = bestValue[t + half];
        bestAt[t] = bestAt[t + half];
      }
      __syncthreads();
    }
    if (t == 0) {
      out[o] = bestValue[0];
      argmax[o] = bestAt[0];
    }
    __syncthreads();
  }
}

// out[argmax[j]] = g[j] on a zeroed out. The indices are distinct (each lies in its own
// output's group), so plain stores do not race.
template <typename T>
__global__ void placeAtArgmax(const T* g, const int64_t* argmax, T* out, int64_t n) {
  for (int64_t j = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; j < n; j += int64_t{blockDim.x} * gridDim.x)
    out[argmax[j]] = g[j];
}

// n int64 values of pool memory, given back when the last copy of the pointer goes.
std::shared_ptr<const int64_t> deviceIndices(int64_t n) {
  const size_t bytes = static_cast<size_t>(n) * sizeof(int64_t);
  auto* p = static_cast<int64_t*>(allocate(bytes));
  return std::shared_ptr<const int64_t>(p, [bytes](const int64_t* q) { release(const_cast<int64_t*>(q), bytes); });
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int>& dims) {
  const ReducePlan p = planReduce(x.shape(), dims, "sum");
  if (p.outShape == x.shape()) return x;
  if (p.outputs == 0) return emptyOnGpu(p.outShape, x.dtype());
  if (p.perOutput == 0) return Tensor::zeros(p.outShape, x.dtype(), Device::GPU);
  Tensor out = emptyOnGpu(p.outShape, x.dtype());
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if (threadPerOutput(p)) {
      sumThreadPerOutput<T><<<blocksFor(p.outputs), kThreads, 0, stream()>>>(
          x.deviceData<T>(), out.deviceData<T>(), p.outputs, p.perOutput, p.kept, p.reduced);
      DLCAM_CUDA_CHECK_LAUNCH("sumThreadPerOutput");
    } else {
      sumBlockPerOutput<T><<<blocksForOutputs(p.outputs), kThreads, 0, stream()>>>(
          x.deviceData<T>(), out.deviceData<T>(), p.outputs, p.perOutput, p.kept, p.reduced);
      DLCAM_CUDA_CHECK_LAUNCH("sumBlockPerOutput");
    }
  });
  return out;
}

MaxOnGpu max(const Tensor& x, const std::vector<int>& dims) {
  const ReducePlan p = planReduce(x.shape(), dims, "max");
  if (x.numel() == 0 && p.outShape.numel() > 0)
    fail("max: the reduced dimensions of the input (", x.shape().str(), ") are empty");
  MaxOnGpu r{emptyOnGpu(p.outShape, x.dtype()), nullptr};
  if (p.outputs == 0) return r;
  r.argmax = deviceIndices(p.outputs);
  auto* argmax = const_cast<int64_t*>(r.argmax.get());  // written once here, read-only after
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if (threadPerOutput(p)) {
      maxThreadPerOutput<T><<<blocksFor(p.outputs), kThreads, 0, stream()>>>(
          x.deviceData<T>(), r.values.deviceData<T>(), argmax, p.outputs, p.perOutput, p.kept, p.reduced);
      DLCAM_CUDA_CHECK_LAUNCH("maxThreadPerOutput");
    } else {
      maxBlockPerOutput<T><<<blocksForOutputs(p.outputs), kThreads, 0, stream()>>>(
          x.deviceData<T>(), r.values.deviceData<T>(), argmax, p.outputs, p.perOutput, p.kept, p.reduced);
      DLCAM_CUDA_CHECK_LAUNCH("maxBlockPerOutput");
    }
  });
  return r;
}

Tensor maxBackward(const Tensor& g, const int64_t* argmax, const Shape& shape) {
  Tensor out = Tensor::zeros(shape, g.dtype(), Device::GPU);
  const int64_t n = g.numel();
  if (n == 0) return out;
  DLCAM_ASSERT(argmax != nullptr && n <= shape.numel(), "maxBackward of ", g.shape().str(), " into ", shape.str());
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    placeAtArgmax<T><<<blocksFor(n), kThreads, 0, stream()>>>(g.deviceData<T>(), argmax, out.deviceData<T>(), n);
    DLCAM_CUDA_CHECK_LAUNCH("placeAtArgmax");
  });
  return out;
}

}  // namespace dlcam::kernels::cuda
