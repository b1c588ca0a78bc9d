#include "kernels/cpu/norm.h"

#include <omp.h>

#include <cmath>
#include <vector>

#include "kernels/cpu/elementwise.h"

namespace dlcam::kernels::cpu {

namespace {

using detail::forEachRowTile;
using detail::RowTile;

template <typename T>
using Vec = Eigen::Array<T, Eigen::Dynamic, 1>;
template <typename T>
using RowVec = Eigen::Array<T, 1, Eigen::Dynamic>;
template <typename T>
using Block = Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic>;

bool worthThreads(const ChannelGeometry& g) { return g.inner * g.channels * g.outer > kParallelGrain; }

// acc += the column (per-channel) sums of a rows × C tile expression. A tile holds at most a
// few hundred rows, summed in T; the running total is double.
template <bool ChannelsContiguous, typename E>
void addChannelSums(const RowTile<ChannelsContiguous>&, const Eigen::ArrayBase<E>& terms, RowVec<double>& acc) {
  using T = typename E::Scalar;
  if constexpr (ChannelsContiguous) {
    // Row-major: adding whole rows streams memory; Eigen's colwise() would stride by C.
    RowVec<T> s = RowVec<T>::Zero(terms.cols());
    for (Eigen::Index r = 0; r < terms.rows(); ++r) s += terms.row(r);
    acc += s.template cast<double>();
  } else {
    acc += terms.colwise().sum().template cast<double>();
  }
}

// acc += per-channel Σ (x − mu_c)² over a tile. Written per row or per column: with the
// broadcast of mu inside the reduction, Eigen falls back to scalar code (about 6× slower).
template <bool ChannelsContiguous, typename M, typename T>
void addSquaredDeviations(const RowTile<ChannelsContiguous>&, const M& X, const Eigen::Map<const RowVec<T>>& mu,
                          RowVec<double>& acc) {
  if constexpr (ChannelsContiguous) {
    RowVec<T> s = RowVec<T>::Zero(X.cols());
    for (Eigen::Index r = 0; r < X.rows(); ++r) s += (X.row(r) - mu).square();
    acc += s.template cast<double>();
  } else {
    for (Eigen::Index c = 0; c < X.cols(); ++c) acc[c] += static_cast<double>((X.col(c) - mu[c]).square().sum());
  }
}

// Per-channel sums over the whole channel view: f(tile, acc) adds a tile's sums to acc.
// Each thread has its own accumulator and they are merged in thread order, so for a given
// thread count the result does not vary from run to run.
template <typename F>
std::vector<double> sumPerChannel(const ChannelGeometry& g, F f) {
  const int threads = omp_get_max_threads();
  std::vector<RowVec<double>> partial(static_cast<size_t>(threads), RowVec<double>::Zero(g.channels));
  forEachRowTile(g, [&](const auto& tile) { f(tile, partial[static_cast<size_t>(omp_get_thread_num())]); });
  std::vector<double> total(static_cast<size_t>(g.channels), 0.0);
  for (const RowVec<double>& p : partial)
    for (int64_t c = 0; c < g.channels; ++c) total[static_cast<size_t>(c)] += p[c];
  return total;
}

template <typename T>
Tensor channelTensor(const std::vector<double>& values, DType dtype) {
  Tensor t = Tensor::empty(Shape{static_cast<int64_t>(values.size())}, dtype);
  for (size_t c = 0; c < values.size(); ++c) t.data<T>()[c] = static_cast<T>(values[c]);
  return t;
}

template <typename T>
Eigen::Map<const RowVec<T>> channelRow(const Tensor& t) {
  return Eigen::Map<const RowVec<T>>(t.data<T>(), t.numel());
}

void checkChannelParam(const Tensor& p, const Tensor& x, int64_t channels) {
  DLCAM_ASSERT(p.numel() == channels && p.dtype() == x.dtype(), "per-channel tensor of shape ", p.shape().str(),
               " for ", channels, " channels");
}

// x̂ = (x − mean_c)·invStd_c and y = scale_c·x̂ + offset_c.
template <typename T>
void normalizeChannels(const Tensor& x, const Tensor& mean, const Tensor& invStd, const Tensor& scale,
                       const Tensor& offset, const ChannelGeometry& g, BatchNormResult& r) {
  const T* xp = x.data<T>();
  T* yp = r.y.data<T>();
  T* hp = r.normalized.defined() ? r.normalized.data<T>() : nullptr;
  const auto mu = channelRow<T>(mean), inv = channelRow<T>(invStd), gamma = channelRow<T>(scale),
             beta = channelRow<T>(offset);
  // Without x̂, scale·(x − mean)·invStd + offset folds into one multiply-add per element.
  const RowVec<T> a = gamma * inv, b = beta - a * mu;
  forEachRowTile(g, [&](const auto& tile) {
    if (hp) {
      tile(hp) = (tile(xp).rowwise() - mu).rowwise() * inv;
      tile(yp) = (tile(hp).rowwise() * gamma).rowwise() + beta;
    } else {
      tile(yp) = (tile(xp).rowwise() * a).rowwise() + b;
    }
  });
}

BatchNormResult allocateBatchNorm(const Tensor& x, const BatchNormParams& p) {
  BatchNormResult r;
  r.y = Tensor::empty(x.shape(), x.dtype());
  if (p.keepNormalized) r.normalized = Tensor::empty(x.shape(), x.dtype());
  r.invStd = Tensor::empty(Shape{p.geometry.channels}, x.dtype());
  return r;
}

}  // namespace

ChannelGeometry channelGeometry(const Shape& shape, int channelDim) {
  DLCAM_ASSERT(channelDim >= 0 && channelDim < shape.rank(), "channel dimension ", channelDim, " of ", shape.str());
  ChannelGeometry g;
  g.channels = shape[channelDim];
  for (int d = 0; d < channelDim; ++d) g.inner *= shape[d];
  for (int d = channelDim + 1; d < shape.rank(); ++d) g.outer *= shape[d];
  return g;
}

BatchNormResult batchNormInference(const Tensor& x, const Tensor& offset, const Tensor& scale, const Tensor& mean,
                                   const Tensor& variance, const BatchNormParams& p) {
  const ChannelGeometry& g = p.geometry;
  DLCAM_ASSERT(g.inner * g.channels * g.outer == x.numel(), "channel view of ", x.shape().str());
  for (const Tensor* t : {&offset, &scale, &mean, &variance}) checkChannelParam(*t, x, g.channels);
  BatchNormResult r = allocateBatchNorm(x, p);
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    T* inv = r.invStd.data<T>();
    const T* var = variance.data<T>();
    for (int64_t c = 0; c < g.channels; ++c)
      inv[c] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(var[c]) + p.epsilon));
    normalizeChannels<T>(x, mean, r.invStd, scale, offset, g, r);
  });
  return r;
}

BatchNormResult batchNormTraining(const Tensor& x, const Tensor& offset, const Tensor& scale,
                                  const BatchNormParams& p) {
  const ChannelGeometry& g = p.geometry;
  DLCAM_ASSERT(g.inner * g.channels * g.outer == x.numel(), "channel view of ", x.shape().str());
  for (const Tensor* t : {&offset, &scale}) checkChannelParam(*t, x, g.channels);
  BatchNormResult r = allocateBatchNorm(x, p);
  const double n = static_cast<double>(g.inner * g.outer);
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* xp = x.data<T>();
    // Two passes (mean, then squared deviations) so that a large mean does not cancel digits.
    std::vector<double> mu =
        sumPerChannel(g, [&](const auto& tile, RowVec<double>& acc) { addChannelSums(tile, tile(xp), acc); });
    for (double& m : mu) m /= n;
    r.mean = channelTensor<T>(mu, x.dtype());
    const auto muT = channelRow<T>(r.mean);
    std::vector<double> var = sumPerChannel(
        g, [&](const auto& tile, RowVec<double>& acc) { addSquaredDeviations(tile, tile(xp), muT, acc); });
    std::vector<double> inv(var.size()), unbiased(var.size());
    for (size_t c = 0; c < var.size(); ++c) {
      inv[c] = 1.0 / std::sqrt(var[c] / n + p.epsilon);
      unbiased[c] = var[c] / (n - 1);
    }
    r.variance = channelTensor<T>(unbiased, x.dtype());
    r.invStd = channelTensor<T>(inv, x.dtype());
    normalizeChannels<T>(x, r.mean, r.invStd, scale, offset, g, r);
  });
  return r;
}

NormGradients batchNormBackward(const Tensor& gy, const Tensor& normalized, const Tensor& invStd, const Tensor& scale,
                                const BatchNormBackwardParams& p) {
  const ChannelGeometry& g = p.geometry;
  const NormGradientsNeeded& need = p.needed;
  const bool needSumG = need.offset || (need.x && p.training);
  const bool needSumGX = need.scale || (need.x && p.training);
  DLCAM_ASSERT(!needSumGX || normalized.shape() == gy.shape(), "batchNormBackward needs x̂");
  const double n = static_cast<double>(g.inner * g.outer);
  NormGradients r;
  visitFloat(gy.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* gp = gy.data<T>();
    const T* hp = needSumGX ? normalized.data<T>() : nullptr;
    std::vector<double> sumG, sumGX;
    if (needSumG)
      sumG = sumPerChannel(g, [&](const auto& tile, RowVec<double>& acc) { addChannelSums(tile, tile(gp), acc); });
    if (needSumGX)
      sumGX = sumPerChannel(
          g, [&](const auto& tile, RowVec<double>& acc) { addChannelSums(tile, tile(gp) * tile(hp), acc); });
    if (need.offset) r.offset = channelTensor<T>(sumG, gy.dtype());
    if (need.scale) r.scale = channelTensor<T>(sumGX, gy.dtype());
    if (!need.x) return;
    r.x = Tensor::empty(gy.shape(), gy.dtype());
    T* dx = r.x.data<T>();
    const RowVec<T> a = channelRow<T>(scale) * channelRow<T>(invStd);
    if (!p.training) {
      forEachRowTile(g, [&](const auto& tile) { tile(dx) = tile(gp).rowwise() * a; });
      return;
    }
    // dx = scale·invStd·(g − mean(g) − x̂·mean(g·x̂)), the means over the channel's N values.
    RowVec<T> m1(g.channels), m2(g.channels);
    for (int64_t c = 0; c < g.channels; ++c) {
      m1[c] = static_cast<T>(sumG[static_cast<size_t>(c)] / n);
      m2[c] = static_cast<T>(sumGX[static_cast<size_t>(c)] / n);
    }
    const RowVec<T> am2 = a * m2;
    forEachRowTile(g, [&](const auto& tile) {
      tile(dx) = ((tile(gp).rowwise() - m1).rowwise() * a) - (tile(hp).rowwise() * am2);
    });
  });
  return r;
}

LayerNormResult layerNorm(const Tensor& x, const Tensor& offset, const Tensor& scale, const LayerNormParams& p) {
  const ChannelGeometry& g = p.geometry;
  DLCAM_ASSERT(g.inner * g.channels * g.outer == x.numel(), "channel view of ", x.shape().str());
  for (const Tensor* t : {&offset, &scale}) checkChannelParam(*t, x, g.channels);
  // With inner = 1 both groupings are the same, and the row tiles suit that layout better.
  const bool overInner = p.overInner && g.inner > 1;
  LayerNormResult r;
  r.y = Tensor::empty(x.shape(), x.dtype());
  if (p.keepNormalized) r.normalized = Tensor::empty(x.shape(), x.dtype());
  r.invStd = Tensor::empty(Shape{p.overInner ? g.outer : g.inner * g.outer}, x.dtype());
  if (x.numel() == 0) return r;
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* xp = x.data<T>();
    T* yp = r.y.data<T>();
    T* hp = p.keepNormalized ? r.normalized.data<T>() : nullptr;
    T* inv = r.invStd.data<T>();
    const auto gamma = channelRow<T>(scale), beta = channelRow<T>(offset);
    const T eps = static_cast<T>(p.epsilon);
    if (!overInner) {
      forEachRowTile(g, [&](const auto& tile) {
        auto X = tile(xp);
        using Plain = typename std::decay_t<decltype(X)>::PlainObject;  // the tile's layout
        Vec<T> mean = X.rowwise().mean();
        Plain xh = X.colwise() - mean;
        Vec<T> is = xh.square().rowwise().mean();
        is = (is + eps).rsqrt();
        xh.colwise() *= is;
        tile(yp) = (xh.rowwise() * gamma).rowwise() + beta;
        if (hp) tile(hp) = xh;
        Eigen::Map<Vec<T>>(inv + tile.firstRow, tile.rows) = is;
      });
      return;
    }
    // One group per outer position: a contiguous inner × C block, column sums in T, total
    // in double.
    const int64_t block = g.inner * g.channels;
    const double count = static_cast<double>(block);
#pragma omp parallel for if (worthThreads(g) && g.outer > 1) schedule(static)
    for (int64_t o = 0; o < g.outer; ++o) {
      Eigen::Map<const Block<T>> X(xp + o * block, g.inner, g.channels);
      const double mean = X.colwise().sum().template cast<double>().sum() / count;
      const T meanT = static_cast<T>(mean);
      const double var = (X - meanT).square().colwise().sum().template cast<double>().sum() / count;
      const T is = static_cast<T>(1.0 / std::sqrt(var + p.epsilon));
      Eigen::Map<Block<T>> Y(yp + o * block, g.inner, g.channels);
      if (hp) {
        Eigen::Map<Block<T>> XH(hp + o * block, g.inner, g.channels);
        XH = (X - meanT) * is;
        Y = (XH.rowwise() * gamma).rowwise() + beta;
      } else {
        const RowVec<T> a = gamma * is, b = beta - a * meanT;
        Y = (X.rowwise() * a).rowwise() + b;
      }
      inv[o] = is;
    }
  });
  return r;
}

NormGradients layerNormBackward(const Tensor& gy, const Tensor& normalized, const Tensor& invStd, const Tensor& scale,
                                const LayerNormBackwardParams& p) {
  const ChannelGeometry& g = p.geometry;
  const NormGradientsNeeded& need = p.needed;
  DLCAM_ASSERT(!(need.x || need.scale) || normalized.shape() == gy.shape(), "layerNormBackward needs x̂");
  NormGradients r;
  visitFloat(gy.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* gp = gy.data<T>();
    const T* hp = need.x || need.scale ? normalized.data<T>() : nullptr;
    if (need.offset)
      r.offset = channelTensor<T>(
          sumPerChannel(g, [&](const auto& tile, RowVec<double>& acc) { addChannelSums(tile, tile(gp), acc); }),
          gy.dtype());
    if (need.scale)
      r.scale = channelTensor<T>(
          sumPerChannel(g,
                        [&](const auto& tile, RowVec<double>& acc) { addChannelSums(tile, tile(gp) * tile(hp), acc); }),
          gy.dtype());
    if (!need.x) return;
    r.x = Tensor::empty(gy.shape(), gy.dtype());
    if (gy.numel() == 0) return;
    T* dx = r.x.data<T>();
    const T* inv = invStd.data<T>();
    const auto gamma = channelRow<T>(scale);
    // With h = scale·g per element: dx = invStd·(h − mean(h) − x̂·mean(h·x̂)) over each group.
    if (!p.overInner || g.inner == 1) {
      forEachRowTile(g, [&](const auto& tile) {
        auto XH = tile(hp);
        using Plain = typename std::decay_t<decltype(XH)>::PlainObject;
        Plain h = tile(gp).rowwise() * gamma;
        Vec<T> m1 = h.rowwise().mean();
        Vec<T> m2 = (h * XH).rowwise().mean();
        h.colwise() -= m1;
        Plain xm2 = XH.colwise() * m2;
        h -= xm2;
        h.colwise() *= Eigen::Map<const Vec<T>>(inv + tile.firstRow, tile.rows);
        tile(dx) = h;
      });
      return;
    }
    const int64_t block = g.inner * g.channels;
    const double count = static_cast<double>(block);
#pragma omp parallel for if (worthThreads(g) && g.outer > 1) schedule(static)
    for (int64_t o = 0; o < g.outer; ++o) {
      Eigen::Map<const Block<T>> G(gp + o * block, g.inner, g.channels), XH(hp + o * block, g.inner, g.channels);
      const RowVec<T> gammaInv = gamma * inv[o];
      // Σ h = Σ_c scale_c·(column sum of g), and the same for h·x̂.
      const T m1 =
          static_cast<T>((G.colwise().sum().template cast<double>() * gammaInv.template cast<double>()).sum() / count);
      const T m2 = static_cast<T>(
          ((G * XH).colwise().sum().template cast<double>() * gammaInv.template cast<double>()).sum() / count);
      Eigen::Map<Block<T>>(dx + o * block, g.inner, g.channels) = (G.rowwise() * gammaInv - m1) - XH * m2;
    }
  });
  return r;
}

}  // namespace dlcam::kernels::cpu
