// GPU batch and layer normalisation: own kernels reproducing kernels/cpu/norm.cpp.
//
// x is inner × C × outer, column-major: element (i, c, o) is at k = i + inner·(c + C·o), and
// the channel of element k is (k / inner) mod C. Three kinds of kernel:
//  - elementwise (normalising, the x gradient of batch norm): a thread per element in a
//    grid-stride loop, reading the per-channel values it needs;
//  - per-channel sums (batch statistics, the offset and scale gradients of both norms): a
//    channel's N = inner·outer values are cut into chunks, one block per (channel, chunk)
//    writes a partial sum and a second kernel adds a channel's partials in order. Sums are in
//    double as on the CPU, and without atomics the result does not depend on timing;
//  - per-group (layer norm): each group is reduced and normalised by a team of threads, a
//    single thread, a warp or a block depending on how the group lies in memory (teamFor).
// Formulas, epsilon and where values are rounded to T follow the CPU kernels; only the
// summation order differs.

// kernels/cpu/norm.h (for the parameter and result structs) includes Eigen, whose defaulted
// __host__ __device__ members make nvcc warn (#20012) about an annotation it ignores. Nothing
// here uses Eigen.
#pragma nv_diag_suppress 20012
#include "kernels/cuda/norm.h"
#pragma nv_diag_default 20012

#include <algorithm>
#include <climits>
#include <type_traits>

#include "kernels/cuda/check.h"

namespace dlcam::kernels::cuda {

using cpu::BatchNormResult;
using cpu::ChannelGeometry;
using cpu::LayerNormResult;
using cpu::NormGradients;

namespace {

constexpr int kWarp = 32;

__device__ inline int64_t firstIndex() { return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; }
__device__ inline int64_t gridStride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }
__device__ inline int64_t channelOf(int64_t k, const ChannelGeometry& g) { return (k / g.inner) % g.channels; }

// The sum of v over a team of Team consecutive threads (1, a warp, or the whole block of
// kThreads), returned to every thread of the team. Every thread of the team must call it.
template <int Team>
__device__ double teamSum(double v) {
  if constexpr (Team == 1) {
    return v;
  } else {
    // Butterfly: lanes l and l^offset add the same two values, so every lane ends with the
    // same sum.
    for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    if constexpr (Team == kWarp) {
      return v;
    } else {
      static_assert(Team == kThreads && kThreads % kWarp == 0, "a team is a thread, a warp or a block");
      __shared__ double warpSums[kThreads / kWarp];
      __syncthreads();  // the previous call's readers are done with warpSums
      if (threadIdx.x % kWarp == 0) warpSums[threadIdx.x / kWarp] = v;
      __syncthreads();
      double total = 0;
      for (int w = 0; w < kThreads / kWarp; ++w) total += warpSums[w];
      return total;
    }
  }
}

// ---- Batch normalisation: elementwise -------------------------------------------------------

// y = scale·x̂ + offset with x̂ = (x − mean)·invStd, per channel; x̂ is stored when xh is not
// null. Without x̂ the per-channel values fold into y = a·x + (offset − a·mean), as on the CPU.
template <typename T>
__global__ void normalizeChannels(const T* x, const T* mean, const T* invStd, const T* scale, const T* offset,
                                  ChannelGeometry g, int64_t n, T* y, T* xh) {
  for (int64_t k = firstIndex(); k < n; k += gridStride()) {
    const int64_t c = channelOf(k, g);
    if (xh) {
      const T h = (x[k] - mean[c]) * invStd[c];
      xh[k] = h;
      y[k] = h * scale[c] + offset[c];
    } else {
      const T a = scale[c] * invStd[c];
      y[k] = x[k] * a + (offset[c] - a * mean[c]);
    }
  }
}

// invStd = 1/sqrt(variance + ε) per channel, computed in double.
template <typename T>
__global__ void invStdOfVariance(const T* variance, int64_t channels, double epsilon, T* invStd) {
  for (int64_t c = firstIndex(); c < channels; c += gridStride())
    invStd[c] = static_cast<T>(1.0 / sqrt(static_cast<double>(variance[c]) + epsilon));
}

// The x gradient. Training: dx = a·(g − meanG) − x̂·(a·meanGX) with a = scale·invStd and the
// channel means of g and g·x̂. Inference (meanG null): dx = a·g.
template <typename T>
__global__ void batchNormBackwardX(const T* g, const T* xh, const T* scale, const T* invStd, const T* meanG,
                                   const T* meanGX, ChannelGeometry geometry, int64_t n, T* dx) {
  for (int64_t k = firstIndex(); k < n; k += gridStride()) {
    const int64_t c = channelOf(k, geometry);
    const T a = scale[c] * invStd[c];
    dx[k] = meanG ? (g[k] - meanG[c]) * a - xh[k] * (a * meanGX[c]) : g[k] * a;
  }
}

// ---- Per-channel sums -----------------------------------------------------------------------

// Terms of a per-channel sum: term(k, c) is element k's contribution to channel c's sum.
template <typename T>
struct Value {
  const T* x;
  __device__ double operator()(int64_t k, int64_t) const { return static_cast<double>(x[k]); }
};

// (x − mean_c)², the difference taken in T as on the CPU.
template <typename T>
struct SquaredDeviation {
  const T* x;
  const T* mean;
  __device__ double operator()(int64_t k, int64_t c) const {
    const double d = static_cast<double>(x[k] - mean[c]);
    return d * d;
  }
};

template <typename T>
struct Product {
  const T* a;
  const T* b;
  __device__ double operator()(int64_t k, int64_t) const { return static_cast<double>(a[k]) * b[k]; }
};

// Block (blockIdx.x = channel c, blockIdx.y = chunk) sums the terms of elements
// [chunk·chunkLength, (chunk + 1)·chunkLength) of channel c's N values, j = i + inner·o, and
// writes partial[c·chunks + chunk].
template <typename Term>
__global__ void channelPartialSums(ChannelGeometry g, int64_t chunkLength, Term term, double* partial) {
  const int64_t c = blockIdx.x, chunk = blockIdx.y;
  const int64_t n = g.inner * g.outer;
  const int64_t begin = chunk * chunkLength;
  const int64_t end = begin + chunkLength < n ? begin + chunkLength : n;
  double acc = 0;
  for (int64_t j = begin + threadIdx.x; j < end; j += blockDim.x) {
    const int64_t o = j / g.inner, i = j - o * g.inner;
    acc += term(i + g.inner * (c + g.channels * o), c);
  }
  acc = teamSum<kThreads>(acc);
  if (threadIdx.x == 0) partial[c * gridDim.y + chunk] = acc;
}

// sums[c] = Σ_chunk partial[c·chunks + chunk], in chunk order.
__global__ void addPartials(const double* partial, int64_t chunks, int64_t channels, double* sums) {
  for (int64_t c = firstIndex(); c < channels; c += gridStride()) {
    double s = 0;
    for (int64_t k = 0; k < chunks; ++k) s += partial[c * chunks + k];
    sums[c] = s;
  }
}

// Per-channel sums of term over each channel's inner·outer elements: a {C} float64 GPU tensor.
template <typename Term>
Tensor channelSums(const ChannelGeometry& g, Term term) {
  Tensor sums = emptyOnGpu(Shape{g.channels}, DType::Float64);
  if (g.channels == 0) return sums;
  DLCAM_ASSERT(g.channels <= INT_MAX, "GPU normalisation: ", g.channels, " channels");
  const int64_t n = g.inner * g.outer;
  // Chunks enough for about 2048 blocks over all channels (a few channels of many values must
  // still fill the GPU), but no fewer than about 4 values per thread in a chunk.
  const int64_t wanted = std::max<int64_t>(1, 2048 / g.channels);
  const int64_t useful = (n + 4 * kThreads - 1) / (4 * kThreads);
  const int64_t chunks = std::clamp<int64_t>(std::min(wanted, useful), 1, 65535);
  const int64_t chunkLength = (n + chunks - 1) / chunks;
  Tensor partial = emptyOnGpu(Shape{g.channels * chunks}, DType::Float64);
  const dim3 grid(static_cast<unsigned>(g.channels), static_cast<unsigned>(chunks));
  channelPartialSums<<<grid, kThreads, 0, stream()>>>(g, chunkLength, term, partial.deviceData<double>());
  DLCAM_CUDA_CHECK_LAUNCH("channelPartialSums");
  addPartials<<<blocksFor(g.channels), kThreads, 0, stream()>>>(partial.deviceData<double>(), chunks, g.channels,
                                                                 sums.deviceData<double>());
  DLCAM_CUDA_CHECK_LAUNCH("addPartials");
  return sums;
}

template <typename T>
__global__ void divideSums(const double* sums, int64_t channels, double divisor, T* out) {
  for (int64_t c = firstIndex(); c < channels; c += gridStride()) out[c] = static_cast<T>(sums[c] / divisor);
}

// sums / divisor in T: a {C} GPU tensor.
template <typename T>
Tensor channelValues(const Tensor& sums, double divisor) {
  const int64_t channels = sums.numel();
  Tensor out = emptyOnGpu(Shape{channels}, dtypeOf<T>());
  divideSums<T><<<blocksFor(channels), kThreads, 0, stream()>>>(sums.deviceData<double>(), channels, divisor,
                                                                out.deviceData<T>());
  DLCAM_CUDA_CHECK_LAUNCH("divideSums");
  return out;
}

// From the per-channel Σ (x − mean)² over n values: invStd = 1/sqrt(biased variance + ε) and
// the unbiased variance (divides by n − 1).
template <typename T>
__global__ void batchStatistics(const double* squares, int64_t channels, double n, double epsilon, T* invStd,
                                T* unbiased) {
  for (int64_t c = firstIndex(); c < channels; c += gridStride()) {
    invStd[c] = static_cast<T>(1.0 / sqrt(squares[c] / n + epsilon));
    unbiased[c] = static_cast<T>(squares[c] / (n - 1));
  }
}

// ---- Layer normalisation: groups ------------------------------------------------------------

// How layer-norm groups lie in memory. Over C (overInner false): one group per (i, o), group
// number i + inner·o, its C elements `inner` apart. Over inner × C: one group per o, a
// contiguous block of inner·C elements. Element j of group grp is at base(grp) + j·stride.
struct Groups {
  int64_t inner = 1, channels = 1, outer = 1;
  bool overInner = false;
  int64_t count = 0;   // elements per group
  int64_t number = 0;  // groups
  int64_t stride = 1;

  __device__ int64_t base(int64_t grp) const {
    return overInner ? grp * count : grp % inner + inner * channels * (grp / inner);
  }
  __device__ int64_t channel(int64_t j) const { return overInner ? j / inner : j; }
};

Groups groupsOf(const ChannelGeometry& g, bool overInner) {
  Groups G{g.inner, g.channels, g.outer, overInner};
  G.count = overInner ? g.inner * g.channels : g.channels;
  G.number = overInner ? g.outer : g.inner * g.outer;
  G.stride = overInner ? 1 : g.inner;
  return G;
}

// The team size for a group: a block for an inner × C block; a warp for C contiguous values
// (inner = 1) when C can keep its lanes busy; otherwise one thread per group, where the
// threads of a warp take neighbouring positions i, so each of their loads is one contiguous
// run of memory.
int teamFor(const Groups& G) {
  if (G.overInner) return kThreads;
  if (G.inner == 1 && G.channels >= kWarp) return kWarp;
  return 1;
}

// Calls f(std::integral_constant<int, team>).
template <typename F>
void withTeam(int team, F f) {
  if (team == 1)
    f(std::integral_constant<int, 1>{});
  else if (team == kWarp)
    f(std::integral_constant<int, kWarp>{});
  else
    f(std::integral_constant<int, kThreads>{});
}

// Blocks of kThreads for `groups` teams of `team` threads (the grid-stride loop covers more).
unsigned groupBlocks(int64_t groups, int team) {
  const int64_t perBlock = kThreads / team;
  return static_cast<unsigned>(std::clamp<int64_t>((groups + perBlock - 1) / perBlock, 1, 65535 * 8));
}

// The team's group number and the grid-stride step, in groups.
template <int Team>
__device__ inline int64_t firstGroup() {
  return blockIdx.x * static_cast<int64_t>(kThreads / Team) + threadIdx.x / Team;
}
template <int Team>
__device__ inline int64_t groupStride() {
  return static_cast<int64_t>(gridDim.x) * (kThreads / Team);
}

// Per group: mean and biased variance (two passes, in double), invStd = 1/sqrt(var + ε),
// x̂ = (x − mean)·invStd and y = scale_c·x̂ + offset_c. xh may be null.
template <typename T, int Team>
__global__ void layerNormGroups(const T* x, const T* scale, const T* offset, Groups G, double epsilon, T* y, T* xh,
                                T* invStd) {
  const int lane = threadIdx.x % Team;
  for (int64_t grp = firstGroup<Team>(); grp < G.number; grp += groupStride<Team>()) {
    const int64_t base = G.base(grp);
    double s = 0;
    for (int64_t j = lane; j < G.count; j += Team) s += static_cast<double>(x[base + j * G.stride]);
    const double mean = teamSum<Team>(s) / static_cast<double>(G.count);
    double q = 0;
    for (int64_t j = lane; j < G.count; j += Team) {
      const double d = static_cast<double>(x[base + j * G.stride]) - mean;
      q += d * d;
    }
    const double variance = teamSum<Team>(q) / static_cast<double>(G.count);
    const T inv = static_cast<T>(1.0 / sqrt(variance + epsilon));
    const T meanT = static_cast<T>(mean);
    for (int64_t j = lane; j < G.count; j += Team) {
      const int64_t k = base + j * G.stride, c = G.channel(j);
      const T h = (x[k] - meanT) * inv;
      if (xh) xh[k] = h;
      y[k] = h * scale[c] + offset[c];
    }
    if (lane == 0) invStd[grp] = inv;
  }
}

// Per group, with h = scale_c·g: dx = invStd·(h − mean(h) − x̂·mean(h·x̂)), the means in double.
template <typename T, int Team>
__global__ void layerNormBackwardGroups(const T* g, const T* xh, const T* scale, const T* invStd, Groups G, T* dx) {
  const int lane = threadIdx.x % Team;
  for (int64_t grp = firstGroup<Team>(); grp < G.number; grp += groupStride<Team>()) {
    const int64_t base = G.base(grp);
    double s1 = 0, s2 = 0;
    for (int64_t j = lane; j < G.count; j += Team) {
      const int64_t k = base + j * G.stride;
      const double h = static_cast<double>(scale[G.channel(j)]) * static_cast<double>(g[k]);
      s1 += h;
      s2 += h * static_cast<double>(xh[k]);
    }
    const T m1 = static_cast<T>(teamSum<Team>(s1) / static_cast<double>(G.count));
    const T m2 = static_cast<T>(teamSum<Team>(s2) / static_cast<double>(G.count));
    const T inv = invStd[grp];
    for (int64_t j = lane; j < G.count; j += Team) {
      const int64_t k = base + j * G.stride;
      dx[k] = (scale[G.channel(j)] * g[k] - m1 - xh[k] * m2) * inv;
    }
  }
}

// ---- Checks and allocation ------------------------------------------------------------------

void checkChannelParam(const Tensor& p, const Tensor& x, int64_t channels) {
  DLCAM_ASSERT(p.numel() == channels && p.dtype() == x.dtype() && p.device() == Device::GPU,
               "per-channel GPU tensor of shape ", p.shape().str(), " for ", channels, " channels");
}

void checkView(const Tensor& x, const ChannelGeometry& g) {
  DLCAM_ASSERT(g.inner * g.channels * g.outer == x.numel() && x.device() == Device::GPU, "channel view of ",
               x.shape().str());
}

BatchNormResult allocateBatchNorm(const Tensor& x, const cpu::BatchNormParams& p) {
  BatchNormResult r;
  r.y = emptyOnGpu(x.shape(), x.dtype());
  if (p.keepNormalized) r.normalized = emptyOnGpu(x.shape(), x.dtype());
  r.invStd = emptyOnGpu(Shape{p.geometry.channels}, x.dtype());
  return r;
}

template <typename T>
void normalize(const Tensor& x, const Tensor& mean, const Tensor& invStd, const Tensor& scale, const Tensor& offset,
               const ChannelGeometry& g, BatchNormResult& r) {
  const int64_t n = x.numel();
  normalizeChannels<T><<<blocksFor(n), kThreads, 0, stream()>>>(
      x.deviceData<T>(), mean.deviceData<T>(), invStd.deviceData<T>(), scale.deviceData<T>(), offset.deviceData<T>(),
      g, n, r.y.deviceData<T>(), r.normalized.defined() ? r.normalized.deviceData<T>() : nullptr);
  DLCAM_CUDA_CHECK_LAUNCH("normalizeChannels");
}

}  // namespace

BatchNormResult batchNormInference(const Tensor& x, const Tensor& offset, const Tensor& scale, const Tensor& mean,
                                   const Tensor& variance, const cpu::BatchNormParams& p) {
  const ChannelGeometry& g = p.geometry;
  checkView(x, g);
  for (const Tensor* t : {&offset, &scale, &mean, &variance}) checkChannelParam(*t, x, g.channels);
  BatchNormResult r = allocateBatchNorm(x, p);
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    invStdOfVariance<T><<<blocksFor(g.channels), kThreads, 0, stream()>>>(variance.deviceData<T>(), g.channels,
                                                                          p.epsilon, r.invStd.deviceData<T>());
    DLCAM_CUDA_CHECK_LAUNCH("invStdOfVariance");
    normalize<T>(x, mean, r.invStd, scale, offset, g, r);
  });
  return r;
}

BatchNormResult batchNormTraining(const Tensor& x, const Tensor& offset, const Tensor& scale,
                                  const cpu::BatchNormParams& p) {
  const ChannelGeometry& g = p.geometry;
  checkView(x, g);
  for (const Tensor* t : {&offset, &scale}) checkChannelParam(*t, x, g.channels);
  BatchNormResult r = allocateBatchNorm(x, p);
  const double n = static_cast<double>(g.inner * g.outer);
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* xp = x.deviceData<T>();
    // Two passes (mean, then squared deviations from the mean rounded to T) as on the CPU.
    r.mean = channelValues<T>(channelSums(g, Value<T>{xp}), n);
    const Tensor squares = channelSums(g, SquaredDeviation<T>{xp, r.mean.deviceData<T>()});
    r.variance = emptyOnGpu(Shape{g.channels}, x.dtype());
    batchStatistics<T><<<blocksFor(g.channels), kThreads, 0, stream()>>>(
        squares.deviceData<double>(), g.channels, n, p.epsilon, r.invStd.deviceData<T>(), r.variance.deviceData<T>());
    DLCAM_CUDA_CHECK_LAUNCH("batchStatistics");
    normalize<T>(x, r.mean, r.invStd, scale, offset, g, r);
  });
  return r;
}

NormGradients batchNormBackward(const Tensor& gy, const Tensor& normalized, const Tensor& invStd, const Tensor& scale,
                                const cpu::BatchNormBackwardParams& p) {
  const ChannelGeometry& g = p.geometry;
  const cpu::NormGradientsNeeded& need = p.needed;
  const bool needSumG = need.offset || (need.x && p.training);
  const bool needSumGX = need.scale || (need.x && p.training);
  checkView(gy, g);
  DLCAM_ASSERT(!needSumGX || normalized.shape() == gy.shape(), "batchNormBackward needs x̂");
  const double n = static_cast<double>(g.inner * g.outer);
  NormGradients r;
  visitFloat(gy.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* gp = gy.deviceData<T>();
    const T* hp = needSumGX ? normalized.deviceData<T>() : nullptr;
    Tensor sumG, sumGX;
    if (needSumG) sumG = channelSums(g, Value<T>{gp});
    if (needSumGX) sumGX = channelSums(g, Product<T>{gp, hp});
    if (need.offset) r.offset = channelValues<T>(sumG, 1.0);
    if (need.scale) r.scale = channelValues<T>(sumGX, 1.0);
    if (!need.x) return;
    checkChannelParam(scale, gy, g.channels);
    checkChannelParam(invStd, gy, g.channels);
    r.x = emptyOnGpu(gy.shape(), gy.dtype());
    Tensor meanG, meanGX;
    if (p.training) {
      meanG = channelValues<T>(sumG, n);
      meanGX = channelValues<T>(sumGX, n);
    }
    const int64_t count = gy.numel();
    batchNormBackwardX<T><<<blocksFor(count), kThreads, 0, stream()>>>(
        gp, p.training ? hp : nullptr, scale.deviceData<T>(), invStd.deviceData<T>(),
        p.training ? meanG.deviceData<T>() : nullptr, p.training ? meanGX.deviceData<T>() : nullptr, g, count,
        r.x.deviceData<T>());
    DLCAM_CUDA_CHECK_LAUNCH("batchNormBackwardX");
  });
  return r;
}

LayerNormResult layerNorm(const Tensor& x, const Tensor& offset, const Tensor& scale,
                          const cpu::LayerNormParams& p) {
  const ChannelGeometry& g = p.geometry;
  checkView(x, g);
  for (const Tensor* t : {&offset, &scale}) checkChannelParam(*t, x, g.channels);
  LayerNormResult r;
  r.y = emptyOnGpu(x.shape(), x.dtype());
  if (p.keepNormalized) r.normalized = emptyOnGpu(x.shape(), x.dtype());
  r.invStd = emptyOnGpu(Shape{p.overInner ? g.outer : g.inner * g.outer}, x.dtype());
  if (x.numel() == 0) return r;
  // With inner = 1 both groupings are the same (as on the CPU).
  const Groups G = groupsOf(g, p.overInner && g.inner > 1);
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    withTeam(teamFor(G), [&](auto team) {
      constexpr int Team = decltype(team)::value;
      layerNormGroups<T, Team><<<groupBlocks(G.number, Team), kThreads, 0, stream()>>>(
          x.deviceData<T>(), scale.deviceData<T>(), offset.deviceData<T>(), G, p.epsilon, r.y.deviceData<T>(),
          p.keepNormalized ? r.normalized.deviceData<T>() : nullptr, r.invStd.deviceData<T>());
      DLCAM_CUDA_CHECK_LAUNCH("layerNormGroups");
    });
  });
  return r;
}

NormGradients layerNormBackward(const Tensor& gy, const Tensor& normalized, const Tensor& invStd, const Tensor& scale,
                                const cpu::LayerNormBackwardParams& p) {
  const ChannelGeometry& g = p.geometry;
  const cpu::NormGradientsNeeded& need = p.needed;
  checkView(gy, g);
  DLCAM_ASSERT(!(need.x || need.scale) || normalized.shape() == gy.shape(), "layerNormBackward needs x̂");
  NormGradients r;
  visitFloat(gy.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* gp = gy.deviceData<T>();
    const T* hp = need.x || need.scale ? normalized.deviceData<T>() : nullptr;
    if (need.offset) r.offset = channelValues<T>(channelSums(g, Value<T>{gp}), 1.0);
    if (need.scale) r.scale = channelValues<T>(channelSums(g, Product<T>{gp, hp}), 1.0);
    if (!need.x) return;
    r.x = emptyOnGpu(gy.shape(), gy.dtype());
    if (gy.numel() == 0) return;
    checkChannelParam(scale, gy, g.channels);
    const Groups G = groupsOf(g, p.overInner && g.inner > 1);
    DLCAM_ASSERT(invStd.numel() == G.number && invStd.dtype() == gy.dtype() && invStd.device() == Device::GPU,
                 "layerNormBackward: invStd ", invStd.shape().str(), " for ", G.number, " groups");
    withTeam(teamFor(G), [&](auto team) {
      constexpr int Team = decltype(team)::value;
      layerNormBackwardGroups<T, Team><<<groupBlocks(G.number, Team), kThreads, 0, stream()>>>(
          gp, hp, scale.deviceData<T>(), invStd.deviceData<T>(), G, r.x.deviceData<T>());
      DLCAM_CUDA_CHECK_LAUNCH("layerNormBackwardGroups");
    });
  });
  return r;
}

}  // namespace dlcam::kernels::cuda
