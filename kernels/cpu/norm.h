// Normalisation kernels: batch normalisation (inference and training) and layer
// normalisation, forward and backward.
//
// Every kernel sees x through its channel view: x is inner × C × outer, column-major, where
// inner is the product of the dimensions before the channel dimension and outer the product
// of those after it ("SSCB" h×w×c×n: inner = h·w, outer = n; "CBT": inner = 1, outer = b·t).
// Per-channel parameters (offset, scale, mean, variance) are {C} tensors of x's dtype.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <type_traits>

#include "core/tensor.h"

namespace dlcam::kernels::cpu {

struct ChannelGeometry {
  int64_t inner = 1;
  int64_t channels = 1;
  int64_t outer = 1;
};

// The channel view of a tensor of `shape` whose channel dimension is `channelDim`.
ChannelGeometry channelGeometry(const Shape& shape, int channelDim);

// Which gradients a backward kernel computes; the others come back undefined.
struct NormGradientsNeeded {
  bool x = true;
  bool offset = true;
  bool scale = true;
};

struct NormGradients {
  Tensor x;       // x's shape
  Tensor offset;  // {C}
  Tensor scale;   // {C}
};

struct BatchNormParams {
  ChannelGeometry geometry;
  double epsilon = 1e-5;
  bool keepNormalized = true;  // fill BatchNormResult::normalized (needed by backward)
};

struct BatchNormResult {
  Tensor y;           // x's shape
  Tensor normalized;  // x̂ = (x − mean)/sqrt(var + ε), x's shape; undefined unless kept
  Tensor invStd;      // 1/sqrt(var + ε), {C}
  Tensor mean;        // training only: the batch mean, {C}
  Tensor variance;    // training only: the unbiased batch variance (divides by N − 1), {C}
};

// y = scale·(x − mean)/sqrt(variance + ε) + offset with the given statistics.
BatchNormResult batchNormInference(const Tensor& x, const Tensor& offset, const Tensor& scale, const Tensor& mean,
                                   const Tensor& variance, const BatchNormParams& params);
// The same with the statistics of x itself: per channel over its inner·outer = N values,
// normalised with the biased variance (divides by N). N must be at least 2.
BatchNormResult batchNormTraining(const Tensor& x, const Tensor& offset, const Tensor& scale,
                                  const BatchNormParams& params);

struct BatchNormBackwardParams {
  ChannelGeometry geometry;
  bool training = false;  // true: differentiate through the batch mean and variance
  NormGradientsNeeded needed;
};

// Gradients of batch normalisation from the output gradient g and the forward's x̂ and 1/σ.
// `normalized` may be undefined when neither the scale gradient nor (in training) the x
// gradient is needed.
NormGradients batchNormBackward(const Tensor& g, const Tensor& normalized, const Tensor& invStd, const Tensor& scale,
                                const BatchNormBackwardParams& params);

struct LayerNormParams {
  ChannelGeometry geometry;
  // false: one group per (inner, outer) position, normalised over C.
  // true: one group per outer position, normalised over inner × C.
  bool overInner = false;
  double epsilon = 1e-5;
  bool keepNormalized = true;
};

struct LayerNormResult {
  Tensor y;           // x's shape
  Tensor normalized;  // x̂, x's shape; undefined unless kept
  Tensor invStd;      // 1/sqrt(var + ε) per group: {inner·outer} or {outer}
};

// y = scale_c·x̂ + offset_c, x̂ normalised with the mean and biased variance of its group.
LayerNormResult layerNorm(const Tensor& x, const Tensor& offset, const Tensor& scale, const LayerNormParams& params);

struct LayerNormBackwardParams {
  ChannelGeometry geometry;
  bool overInner = false;
  NormGradientsNeeded needed;
};

NormGradients layerNormBackward(const Tensor& g, const Tensor& normalized, const Tensor& invStd, const Tensor& scale,
                                const LayerNormBackwardParams& params);

namespace detail {

// Views a block of `rows` consecutive (inner, outer) positions × all C channels of a tensor
// as an Eigen array, rows × C. With inner = 1 the channels of a row are contiguous
// (row-major map); otherwise rows are contiguous and channels lie `inner` apart.
template <bool ChannelsContiguous>
struct RowTile {
  int64_t offset = 0;  // element offset of row 0, channel 0
  int64_t rows = 0;
  int64_t firstRow = 0;  // index of row 0 among all inner·outer rows
  int64_t channels = 0;
  int64_t inner = 1;

  template <typename P>
  auto operator()(P* data) const {
    using S = std::remove_const_t<P>;
    if constexpr (ChannelsContiguous) {
      using A = Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
      using M = std::conditional_t<std::is_const_v<P>, const A, A>;
      return Eigen::Map<M>(data + offset, rows, channels);
    } else {
      using A = Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic>;
      using M = std::conditional_t<std::is_const_v<P>, const A, A>;
      return Eigen::Map<M, 0, Eigen::OuterStride<>>(data + offset, rows, channels, Eigen::OuterStride<>(inner));
    }
  }
};

// Calls f(tile) for tiles covering every (inner, outer) row of the channel view, in
// parallel. Reductions over C are then rowwise Eigen reductions on tile(ptr).
template <typename F>
void forEachRowTile(const ChannelGeometry& g, F f) {
  constexpr int64_t kTileRows = 256;
  const int64_t C = g.channels;
  const bool parallel = g.inner * C * g.outer > (1 << 15);
  if (g.inner == 1) {
    const int64_t tiles = (g.outer + kTileRows - 1) / kTileRows;
#pragma omp parallel for if (parallel) schedule(static)
    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t r0 = t * kTileRows;
      f(RowTile<true>{r0 * C, std::min(kTileRows, g.outer - r0), r0, C, 1});
    }
  } else {
    const int64_t perBlock = (g.inner + kTileRows - 1) / kTileRows;
    const int64_t tiles = perBlock * g.outer;
#pragma omp parallel for if (parallel) schedule(static)
    for (int64_t t = 0; t < tiles; ++t) {
      const int64_t o = t / perBlock, i0 = (t % perBlock) * kTileRows;
      f(RowTile<false>{o * g.inner * C + i0, std::min(kTileRows, g.inner - i0), o * g.inner + i0, C, g.inner});
    }
  }
}

}  // namespace detail

}  // namespace dlcam::kernels::cpu
