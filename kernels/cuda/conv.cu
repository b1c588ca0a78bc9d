// Convolution with cuDNN (legacy descriptor API), forward and backward, float32 and float64.
//
// Layout: dlcam's column-major x [in_1, in_2, C, B] is, read row-major, [B][C][in_2][in_1]:
// cuDNN's packed NCHW with H = in_2 and W = in_1 (and [B][C][in_3][in_2][in_1] = NCDHW in 3-D).
// The weights k_1 × k_2 × C/G × F are likewise KCRS with R = k_2, S = k_1. So no data moves:
// the spatial sizes, strides, pads and dilations are only listed in reverse. A 1-D
// convolution runs as a 2-D one with H = 1.
//
// Padding: cuDNN pads the same amount on both sides. Asymmetric padding ('same' with an even
// kernel, 'causal') is split into the common part, which cuDNN pads, and the excess, which is
// added explicitly: x is copied into a larger zeroed tensor (and the data gradient is cropped
// back). Symmetric padding, the usual case, copies nothing.
//
// Precision: float32 convolutions use CUDNN_FMA_MATH (no TF32 tensor cores; float64 has no
// reduced-precision mode and keeps the default math, as in PyTorch), and the FFT and Winograd
// algorithms are never used: GPU results are compared with the CPU backend's, and those
// algorithms lose float32 accuracy (and spread one NaN over a whole tile or plane).
// Algorithms are taken from cuDNN's heuristics (the *_v7 calls), deterministic ones first, so
// that repeated runs agree bit for bit, and cached per case; an algorithm that turns out to be
// unsupported is dropped and the next one tried.
#include "kernels/cuda/conv.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <string>
#include <map>
#include <mutex>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/cudnn_descriptors.h"

namespace dlcam::kernels::cuda {

namespace {

constexpr int kMaxDims = ConvGeometry::kMaxDims;
using Dims = std::array<int64_t, kMaxDims>;

// A workspace above this is not worth its memory: every direction has an algorithm that
// needs little or none.
constexpr size_t kMaxWorkspaceBytes = size_t{1} << 30;

void checkStatus(cudnnStatus_t status, const char* call) {
  if (status != CUDNN_STATUS_SUCCESS)
    detail::failCall(call, "cuDNN", cudnnGetErrorString(status), __FILE__, __LINE__);
}

bool notSupported(cudnnStatus_t status) { return CUDNN_STATUS_CATEGORY(status) == CUDNN_STATUS_NOT_SUPPORTED; }

// ---- Asymmetric padding ------------------------------------------------------------------

struct SplitPadding {
  ConvGeometry conv;  // what cuDNN runs: padBefore == padAfter, in = the explicitly padded size
  Dims extraBefore{0, 0, 0}, extraAfter{0, 0, 0};
  bool explicitPad = false;
};

SplitPadding splitPadding(const ConvGeometry& g) {
  SplitPadding s;
  s.conv = g;
  for (int a = 0; a < kMaxDims; ++a) {
    const int64_t common = std::min(g.padBefore[a], g.padAfter[a]);
    s.extraBefore[a] = g.padBefore[a] - common;
    s.extraAfter[a] = g.padAfter[a] - common;
    s.conv.in[a] = g.in[a] + s.extraBefore[a] + s.extraAfter[a];
    s.conv.padBefore[a] = s.conv.padAfter[a] = common;
    s.explicitPad = s.explicitPad || s.extraBefore[a] != 0 || s.extraAfter[a] != 0;
  }
  return s;
}

// Three sizes or offsets, by value into a kernel.
struct Box {
  int64_t d[kMaxDims];
};
Box box(const Dims& a) { return {{a[0], a[1], a[2]}}; }

// dst has `planes` planes of dstSize (first dim fastest), src as many of srcSize:
// dst(i) = src(i − shift) where that lies inside src, else 0. Pads x (shift = the extra
// padding before) and crops the padded data gradient back (shift = −that).
template <typename T>
__global__ void shiftCopyKernel(const T* src, Box srcSize, T* dst, Box dstSize, Box shift, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{blockDim.x} * gridDim.x) {
    int64_t rest = i;
    int64_t s[kMaxDims];
    bool inside = true;
    for (int a = 0; a < kMaxDims; ++a) {
      s[a] = rest % dstSize.d[a] - shift.d[a];
      rest /= dstSize.d[a];
      inside = inside && s[a] >= 0 && s[a] < srcSize.d[a];
    }
    const int64_t plane = rest;
    dst[i] = inside ? src[((plane * srcSize.d[2] + s[2]) * srcSize.d[1] + s[1]) * srcSize.d[0] + s[0]] : T(0);
  }
}

template <typename T>
Tensor shiftCopy(const Tensor& src, const Dims& srcSize, const Shape& dstShape, const Dims& dstSize, const Dims& shift) {
  Tensor dst = emptyOnGpu(dstShape, src.dtype());
  const int64_t n = dst.numel();
  if (n == 0) return dst;
  shiftCopyKernel<T><<<blocksFor(n), kThreads, 0, stream()>>>(src.deviceData<T>(), box(srcSize), dst.deviceData<T>(),
                                                              box(dstSize), box(shift), n);
  DLCAM_CUDA_CHECK_LAUNCH("shiftCopyKernel");
  return dst;
}

template <typename T>
Tensor padInput(const Tensor& x, const SplitPadding& s, const ConvGeometry& g) {
  return shiftCopy<T>(x, g.in, s.conv.inputShape(), s.conv.in, s.extraBefore);
}

template <typename T>
Tensor cropInput(const Tensor& padded, const SplitPadding& s, const ConvGeometry& g) {
  const Dims shift{-s.extraBefore[0], -s.extraBefore[1], -s.extraBefore[2]};
  return shiftCopy<T>(padded, s.conv.in, g.inputShape(), g.in, shift);
}

// ---- Bias --------------------------------------------------------------------------------

// y [P, F, B] (P = output positions) += bias[f]. One add per element; a plain kernel is as
// fast as cudnnAddTensor and needs no descriptors.
template <typename T>
__global__ void addBiasKernel(T* y, const T* bias, int64_t positions, int64_t filters, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{blockDim.x} * gridDim.x)
    y[i] += bias[(i / positions) % filters];
}

// db[f] = Σ_{b, p} dy[p, f, b]: one block per filter (grid-stride over filters), its threads
// over the (b, p) pairs with consecutive threads on consecutive positions (coalesced), then a
// tree reduction in shared memory. Accumulates in double for float32 too, and in a fixed
// order: the result is the same on every run.
template <typename T>
__global__ void biasGradientKernel(const T* dy, T* db, int64_t positions, int64_t filters, int64_t batch) {
  __shared__ double partial[kThreads];
  const int64_t pairs = positions * batch;
  for (int64_t f = blockIdx.x; f < filters; f += gridDim.x) {
    double s = 0;
    for (int64_t q = threadIdx.x; q < pairs; q += blockDim.x) {
      const int64_t b = q / positions, p = q % positions;
      s += static_cast<double>(dy[(b * filters + f) * positions + p]);
    }
    partial[threadIdx.x] = s;
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) db[f] = static_cast<T>(partial[0]);
    __syncthreads();  // partial[0] is read before the next filter overwrites it
  }
}

// ---- Descriptors ---------------------------------------------------------------------------

// cuDNN takes int sizes, and its legacy tensors hold at most 2^31 − 1 elements.
bool fitsInt(int64_t v) { return v >= 0 && v <= INT_MAX; }

bool fitsCudnn(const ConvGeometry& g) {
  bool ok = fitsInt(g.channels) && fitsInt(g.filters) && fitsInt(g.groups) && fitsInt(g.batch);
  for (int a = 0; a < kMaxDims; ++a)
    ok = ok && fitsInt(g.in[a]) && fitsInt(g.out[a]) && fitsInt(g.kernel[a]) && fitsInt(g.stride[a]) &&
         fitsInt(g.dilation[a]) && fitsInt(g.padBefore[a]);
  return ok && fitsInt(g.inputShape().numel()) && fitsInt(g.outputShape().numel()) &&
         fitsInt(g.weightShape().numel());
}

// cuDNN's dims are listed slowest first: N, C, then the spatial dims in reverse.
int cudnnRank(const ConvGeometry& g) { return g.spatialDims == 3 ? 5 : 4; }

std::vector<int> reversedSpatial(const Dims& v, int rank) {
  std::vector<int> out;
  for (int a = rank - 3; a >= 0; --a) out.push_back(static_cast<int>(v[static_cast<size_t>(a)]));
  return out;
}

std::vector<int> withLeading(int64_t first, int64_t second, const std::vector<int>& rest) {
  std::vector<int> dims{static_cast<int>(first), static_cast<int>(second)};
  dims.insert(dims.end(), rest.begin(), rest.end());
  return dims;
}

// The descriptors of one convolution (symmetric padding, sizes that fit: fitsCudnn), and the
// numbers set on them, which identify the case in the algorithm cache.
struct ConvDescriptors {
  TensorDescriptor x, y;
  FilterDescriptor w;
  ConvolutionDescriptor conv;
  std::vector<int> key;
  bool isFloat;

  ConvDescriptors(const ConvGeometry& g, cudnnDataType_t type) : isFloat(type == CUDNN_DATA_FLOAT) {
    const int rank = cudnnRank(g);
    const std::vector<int> xDims = withLeading(g.batch, g.channels, reversedSpatial(g.in, rank));
    const std::vector<int> yDims = withLeading(g.batch, g.filters, reversedSpatial(g.out, rank));
    const std::vector<int> wDims = withLeading(g.filters, g.channels / g.groups, reversedSpatial(g.kernel, rank));
    const std::vector<int> pads = reversedSpatial(g.padBefore, rank);
    const std::vector<int> strides = reversedSpatial(g.stride, rank);
    const std::vector<int> dilations = reversedSpatial(g.dilation, rank);
    x.setPacked(type, xDims);
    y.setPacked(type, yDims);
    w.set(type, wDims);
    DLCAM_CUDNN_CHECK(cudnnSetConvolutionNdDescriptor(conv.get(), rank - 2, pads.data(), strides.data(),
                                                      dilations.data(), CUDNN_CROSS_CORRELATION, type));
    DLCAM_CUDNN_CHECK(
        cudnnSetConvolutionMathType(conv.get(), type == CUDNN_DATA_FLOAT ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH));
    DLCAM_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv.get(), static_cast<int>(g.groups)));

    // The output size is dlcam's (autodiff/conv.cpp); cuDNN must agree, or the layouts differ.
    std::vector<int> cudnnOut(static_cast<size_t>(rank));
    DLCAM_CUDNN_CHECK(cudnnGetConvolutionNdForwardOutputDim(conv.get(), x.get(), w.get(), rank, cudnnOut.data()));
    DLCAM_ASSERT(cudnnOut == yDims, "cuDNN convolution: output size differs from the geometry's");

    key = {static_cast<int>(type), static_cast<int>(g.groups)};
    for (const std::vector<int>* part : {&xDims, &wDims, &pads, &strides, &dilations})
      key.insert(key.end(), part->begin(), part->end());
  }
};

// ---- Algorithm choice ----------------------------------------------------------------------

enum class Direction { Forward, BackwardData, BackwardFilter };

struct Candidate {
  int algo;
  size_t workspace;
};

// No FFT, no Winograd (see the top of the file), unless the environment variable
// DLCAM_CUDNN_ALGORITHMS is "any": then every algorithm cuDNN's heuristics offer, in their order
// (what PyTorch does without cudnn.benchmark), for speed at float32's accuracy within an FFT or
// Winograd tile rather than the CPU's.
bool anyAlgorithm() {
  static const bool any = [] {
    const char* v = std::getenv("DLCAM_CUDNN_ALGORITHMS");
    return v && std::string(v) == "any";
  }();
  return any;
}

bool allowed(Direction dir, int algo) {
  if (anyAlgorithm()) return true;
  switch (dir) {
    case Direction::Forward:
      return algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM || algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM ||
             algo == CUDNN_CONVOLUTION_FWD_ALGO_GEMM || algo == CUDNN_CONVOLUTION_FWD_ALGO_DIRECT;
    case Direction::BackwardData:
      return algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_0 || algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
    case Direction::BackwardFilter:
      return algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 || algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 ||
             algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3;
  }
  return false;
}

// The heuristics' results that are usable here, deterministic ones first, each otherwise in
// the heuristics' order (fastest expected first), with its workspace size.
// workspaceSize(algo, &bytes) asks cuDNN; an algorithm it cannot size is not a candidate.
template <typename Perf, typename WorkspaceSize>
std::vector<Candidate> candidates(Direction dir, const std::vector<Perf>& perf, bool isFloat,
                                  WorkspaceSize workspaceSize) {
  std::vector<Candidate> deterministic, other;
  for (const Perf& p : perf) {
    const int algo = static_cast<int>(p.algo);
    // Tensor-op (TF32) entries are variants that a float32 FMA_MATH descriptor never runs.
    const bool tensorOp = p.mathType == CUDNN_TENSOR_OP_MATH || p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    if (p.status != CUDNN_STATUS_SUCCESS || !allowed(dir, algo) || (isFloat && tensorOp)) continue;
    auto seen = [algo](const Candidate& c) { return c.algo == algo; };
    if (std::any_of(deterministic.begin(), deterministic.end(), seen) || std::any_of(other.begin(), other.end(), seen))
      continue;
    size_t bytes = 0;
    if (workspaceSize(algo, &bytes) != CUDNN_STATUS_SUCCESS || bytes > kMaxWorkspaceBytes) continue;
    (p.determinism == CUDNN_DETERMINISTIC || anyAlgorithm() ? deterministic : other).push_back({algo, bytes});
  }
  deterministic.insert(deterministic.end(), other.begin(), other.end());
  return deterministic;
}

std::vector<Candidate> findCandidates(Direction dir, const ConvDescriptors& d) {
  cudnnHandle_t h = cudnnHandle();
  int count = 0, returned = 0;
  switch (dir) {
    case Direction::Forward: {
      DLCAM_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &count));
      std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(static_cast<size_t>(std::max(count, 1)));
      DLCAM_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x.get(), d.w.get(), d.conv.get(), d.y.get(), count,
                                                               &returned, perf.data()));
      perf.resize(static_cast<size_t>(std::clamp(returned, 0, count)));
      return candidates(dir, perf, d.isFloat, [&](int algo, size_t* bytes) {
        return cudnnGetConvolutionForwardWorkspaceSize(h, d.x.get(), d.w.get(), d.conv.get(), d.y.get(),
                                                       static_cast<cudnnConvolutionFwdAlgo_t>(algo), bytes);
      });
    }
    case Direction::BackwardData: {
      DLCAM_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &count));
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(static_cast<size_t>(std::max(count, 1)));
      DLCAM_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(),
                                                                    count, &returned, perf.data()));
      perf.resize(static_cast<size_t>(std::clamp(returned, 0, count)));
      return candidates(dir, perf, d.isFloat, [&](int algo, size_t* bytes) {
        return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(),
                                                            static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), bytes);
      });
    }
    case Direction::BackwardFilter: {
      DLCAM_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &count));
      std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(static_cast<size_t>(std::max(count, 1)));
      DLCAM_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(),
                                                                      count, &returned, perf.data()));
      perf.resize(static_cast<size_t>(std::clamp(returned, 0, count)));
      return candidates(dir, perf, d.isFloat, [&](int algo, size_t* bytes) {
        return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(),
                                                              static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), bytes);
      });
    }
  }
  return {};
}

// Candidates per case (descriptor key + direction), found once.
class AlgorithmCache {
 public:
  std::vector<Candidate> get(Direction dir, const ConvDescriptors& d) {
    const std::vector<int> k = key(dir, d);
    {
      std::lock_guard lock(mutex_);
      if (auto it = cases_.find(k); it != cases_.end()) return it->second;
    }
    std::vector<Candidate> found = findCandidates(dir, d);  // cuDNN calls: outside the lock
    std::lock_guard lock(mutex_);
    return cases_.emplace(k, std::move(found)).first->second;
  }

  void drop(Direction dir, const ConvDescriptors& d, int algo) {
    std::lock_guard lock(mutex_);
    if (auto it = cases_.find(key(dir, d)); it != cases_.end())
      std::erase_if(it->second, [algo](const Candidate& c) { return c.algo == algo; });
  }

 private:
  static std::vector<int> key(Direction dir, const ConvDescriptors& d) {
    std::vector<int> k = d.key;
    k.push_back(static_cast<int>(dir));
    return k;
  }

  std::mutex mutex_;
  std::map<std::vector<int>, std::vector<Candidate>> cases_;
};

AlgorithmCache& algorithmCache() {
  static AlgorithmCache* cache = new AlgorithmCache;  // never destroyed, like the handles
  return *cache;
}

// Runs run(algo, workspace, bytes) with the case's candidates in turn until one is supported.
// False when none is.
template <typename Run>
bool runFirstSupported(Direction dir, const ConvDescriptors& d, const char* call, Run run) {
  for (const Candidate& c : algorithmCache().get(dir, d)) {
    Scratch workspace(c.workspace);
    const cudnnStatus_t status = run(c.algo, workspace.get(), c.workspace);
    if (status == CUDNN_STATUS_SUCCESS) return true;
    if (!notSupported(status)) checkStatus(status, call);
    algorithmCache().drop(dir, d, c.algo);
  }
  return false;
}

// ---- The four operations -------------------------------------------------------------------

void checkDtypes(const Tensor& a, const Tensor& b, const char* what) {
  DLCAM_ASSERT(a.dtype() == b.dtype(), "cuda::", what, ": dtypes ", dtypeName(a.dtype()), " and ", dtypeName(b.dtype()));
}

template <typename T>
Tensor forward(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeometry& g) {
  if (g.outputShape().numel() == 0) return emptyOnGpu(g.outputShape(), x.dtype());
  const SplitPadding s = splitPadding(g);
  Tensor y;
  if (x.numel() == 0) {  // no channels: the bias alone
    y = Tensor::zeros(g.outputShape(), x.dtype(), Device::GPU);
  } else {
    if (!fitsCudnn(s.conv)) return Tensor();
    y = emptyOnGpu(g.outputShape(), x.dtype());
    const Tensor xin = s.explicitPad ? padInput<T>(x, s, g) : x;
    const ConvDescriptors d(s.conv, cudnnType<T>());
    const T one = 1, zero = 0;
    const bool ran =
        runFirstSupported(Direction::Forward, d, "cudnnConvolutionForward", [&](int algo, void* ws, size_t bytes) {
          return cudnnConvolutionForward(cudnnHandle(), &one, d.x.get(), xin.deviceData<T>(), d.w.get(),
                                         w.deviceData<T>(), d.conv.get(), static_cast<cudnnConvolutionFwdAlgo_t>(algo),
                                         ws, bytes, &zero, d.y.get(), y.deviceData<T>());
        });
    if (!ran) return Tensor();
  }
  if (bias.defined()) {
    const int64_t n = y.numel();
    addBiasKernel<T><<<blocksFor(n), kThreads, 0, stream()>>>(y.deviceData<T>(), bias.deviceData<T>(),
                                                               g.outputVolume(), g.filters, n);
    DLCAM_CUDA_CHECK_LAUNCH("addBiasKernel");
  }
  return y;
}

template <typename T>
Tensor backwardData(const Tensor& dy, const Tensor& w, const ConvGeometry& g) {
  const SplitPadding s = splitPadding(g);
  if (g.inputShape().numel() == 0) return emptyOnGpu(g.inputShape(), dy.dtype());
  if (dy.numel() == 0) return Tensor::zeros(g.inputShape(), dy.dtype(), Device::GPU);
  if (!fitsCudnn(s.conv)) return Tensor();
  // Into the padded input's shape when cuDNN convolves a padded copy of x.
  Tensor dx = emptyOnGpu(s.conv.inputShape(), dy.dtype());
  const ConvDescriptors d(s.conv, cudnnType<T>());
  const T one = 1, zero = 0;
  const bool ran =
      runFirstSupported(Direction::BackwardData, d, "cudnnConvolutionBackwardData", [&](int algo, void* ws, size_t bytes) {
        return cudnnConvolutionBackwardData(cudnnHandle(), &one, d.w.get(), w.deviceData<T>(), d.y.get(),
                                            dy.deviceData<T>(), d.conv.get(),
                                            static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), ws, bytes, &zero,
                                            d.x.get(), dx.deviceData<T>());
      });
  if (!ran) return Tensor();
  return s.explicitPad ? cropInput<T>(dx, s, g) : dx;
}

template <typename T>
Tensor backwardWeights(const Tensor& dy, const Tensor& x, const ConvGeometry& g) {
  const SplitPadding s = splitPadding(g);
  if (g.weightShape().numel() == 0) return emptyOnGpu(g.weightShape(), dy.dtype());
  if (dy.numel() == 0 || x.numel() == 0) return Tensor::zeros(g.weightShape(), dy.dtype(), Device::GPU);
  if (!fitsCudnn(s.conv)) return Tensor();
  const Tensor xin = s.explicitPad ? padInput<T>(x, s, g) : x;
  Tensor dw = emptyOnGpu(g.weightShape(), dy.dtype());
  const ConvDescriptors d(s.conv, cudnnType<T>());
  const T one = 1, zero = 0;
  const bool ran = runFirstSupported(
      Direction::BackwardFilter, d, "cudnnConvolutionBackwardFilter", [&](int algo, void* ws, size_t bytes) {
        return cudnnConvolutionBackwardFilter(cudnnHandle(), &one, d.x.get(), xin.deviceData<T>(), d.y.get(),
                                              dy.deviceData<T>(), d.conv.get(),
                                              static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), ws, bytes, &zero,
                                              d.w.get(), dw.deviceData<T>());
      });
  return ran ? dw : Tensor();
}

template <typename T>
Tensor backwardBias(const Tensor& dy, const ConvGeometry& g) {
  Tensor db = emptyOnGpu(Shape{g.filters}, dy.dtype());
  if (g.filters == 0) return db;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(g.filters, 65535));
  biasGradientKernel<T><<<blocks, kThreads, 0, stream()>>>(dy.deviceData<T>(), db.deviceData<T>(), g.outputVolume(),
                                                            g.filters, g.batch);
  DLCAM_CUDA_CHECK_LAUNCH("biasGradientKernel");
  return db;
}

void checkSize(const Tensor& t, const Shape& expected, const char* what) {
  DLCAM_ASSERT(t.numel() == expected.numel(), "cuda conv: ", what, " has shape ", t.shape().str(), ", expected ",
               expected.str());
}

}  // namespace

Tensor convForward(const Tensor& x, const Tensor& weights, const Tensor& bias, const ConvGeometry& geometry) {
  checkSize(x, geometry.inputShape(), "x");
  checkSize(weights, geometry.weightShape(), "weights");
  checkDtypes(x, weights, "convForward");
  if (bias.defined()) {
    checkSize(bias, Shape{geometry.filters}, "bias");
    checkDtypes(x, bias, "convForward");
  }
  return visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    return forward<T>(x, weights, bias, geometry);
  });
}

Tensor convBackwardData(const Tensor& gradOut, const Tensor& weights, const ConvGeometry& geometry) {
  checkSize(gradOut, geometry.outputShape(), "gradOut");
  checkSize(weights, geometry.weightShape(), "weights");
  checkDtypes(gradOut, weights, "convBackwardData");
  return visitFloat(gradOut.dtype(), [&](auto zero) {
    using T = decltype(zero);
    return backwardData<T>(gradOut, weights, geometry);
  });
}

Tensor convBackwardWeights(const Tensor& gradOut, const Tensor& x, const ConvGeometry& geometry) {
  checkSize(gradOut, geometry.outputShape(), "gradOut");
  checkSize(x, geometry.inputShape(), "x");
  checkDtypes(gradOut, x, "convBackwardWeights");
  return visitFloat(gradOut.dtype(), [&](auto zero) {
    using T = decltype(zero);
    return backwardWeights<T>(gradOut, x, geometry);
  });
}

Tensor convBackwardBias(const Tensor& gradOut, const ConvGeometry& geometry) {
  checkSize(gradOut, geometry.outputShape(), "gradOut");
  return visitFloat(gradOut.dtype(), [&](auto zero) {
    using T = decltype(zero);
    return backwardBias<T>(gradOut, geometry);
  });
}

}  // namespace dlcam::kernels::cuda
