#include "kernels/cpu/softmax.h"

namespace dlcam::kernels::cpu {

namespace {
template <typename T>
using Vec = Eigen::Array<T, Eigen::Dynamic, 1>;
}  // namespace

Tensor softmax(const Tensor& x, const SoftmaxParams& p) {
  const ChannelGeometry& g = p.geometry;
  DLCAM_ASSERT(g.inner * g.channels * g.outer == x.numel(), "channel view of ", x.shape().str());
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  if (x.numel() == 0) return y;
  visitFloat(x.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    // Broadcasting and exp() are kept in separate statements: fused into one expression,
    // Eigen evaluates the broadcast operand element by element, several times slower.
    detail::forEachRowTile(g, [&](const auto& tile) {
      auto X = tile(xp);
      auto Y = tile(yp);
      Vec<T> m = X.rowwise().maxCoeff();
      Y = X.colwise() - m;
      if (p.log) {
        Vec<T> s = Y.exp().rowwise().sum();
        s = s.log();
        Y.colwise() -= s;
      } else {
        Y = Y.exp();
        Vec<T> s = Y.rowwise().sum();
        Y.colwise() /= s;
      }
    });
  });
  return y;
}

Tensor softmaxBackward(const Tensor& g, const Tensor& y, const SoftmaxParams& p) {
  DLCAM_ASSERT(g.shape() == y.shape() && g.dtype() == y.dtype(), "softmaxBackward ", g.shape().str(), " vs ",
               y.shape().str());
  Tensor dx = Tensor::empty(g.shape(), g.dtype());
  if (g.numel() == 0) return dx;
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    const T* gp = g.data<T>();
    const T* yp = y.data<T>();
    T* dp = dx.data<T>();
    detail::forEachRowTile(p.geometry, [&](const auto& tile) {
      auto G = tile(gp);
      auto Y = tile(yp);
      auto D = tile(dp);
      if (p.log) {
        Vec<T> s = G.rowwise().sum();
        D = Y.exp();
        D.colwise() *= s;
        D = G - D;
      } else {
        Vec<T> s = (G * Y).rowwise().sum();
        D = G.colwise() - s;
        D *= Y;
      }
    });
  });
  return dx;
}

}  // namespace dlcam::kernels::cpu
