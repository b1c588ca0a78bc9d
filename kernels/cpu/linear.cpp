#include "kernels/cpu/linear.h"

#include <Eigen/Core>

namespace dlcam::kernels::cpu {

namespace {
template <typename T>
using Mat = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>;
template <typename T>
using CMat = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>;
}  // namespace

Tensor gemm(const Tensor& a, const Tensor& b, const GemmParams& p) {
  const int64_t rowsA = p.rowsA, colsA = p.colsA, rowsB = p.rowsB, colsB = p.colsB, pages = p.pages;
  const int64_t m = p.transposeA ? colsA : rowsA, k = p.transposeA ? rowsA : colsA;
  const int64_t kb = p.transposeB ? colsB : rowsB, n = p.transposeB ? rowsB : colsB;
  if (k != kb) fail("matrix product: inner sizes differ (", m, "x", k, " times ", kb, "x", n, ")");
  Tensor c = Tensor::empty(Shape{m, n, pages}, a.dtype());
  visitFloat(a.dtype(), [&](auto zero) {
    using T = decltype(zero);
    for (int64_t pg = 0; pg < pages; ++pg) {
      CMat<T> A(a.data<T>() + pg * rowsA * colsA, rowsA, colsA);
      CMat<T> B(b.data<T>() + pg * rowsB * colsB, rowsB, colsB);
      Mat<T> C(c.data<T>() + pg * m * n, m, n);
      if (!p.transposeA && !p.transposeB) C.noalias() = A * B;
      else if (p.transposeA && !p.transposeB) C.noalias() = A.transpose() * B;
      else if (!p.transposeA) C.noalias() = A * B.transpose();
      else C.noalias() = A.transpose() * B.transpose();
    }
  });
  return c;
}

Tensor fullyConnect(const Tensor& x, const FullyConnectParams& p, const Tensor& w, const Tensor& bias) {
  const int64_t inputs = p.inputs, columns = p.columns, outputs = p.outputs;
  Tensor y = gemm(w, x, {.rowsA = outputs, .colsA = inputs, .rowsB = inputs, .colsB = columns});
  if (bias.defined()) {
    visitFloat(y.dtype(), [&](auto zero) {
      using T = decltype(zero);
      Mat<T> Y(y.data<T>(), outputs, columns);
      Y.colwise() += Eigen::Map<const Eigen::Vector<T, Eigen::Dynamic>>(bias.data<T>(), outputs);
    });
  }
  return y;
}

Tensor rowSums(const Tensor& g, int64_t rows, int64_t cols) {
  Tensor out = Tensor::empty(Shape{rows}, g.dtype());
  visitFloat(g.dtype(), [&](auto zero) {
    using T = decltype(zero);
    Eigen::Map<Eigen::Vector<T, Eigen::Dynamic>>(out.data<T>(), rows) = CMat<T>(g.data<T>(), rows, cols).rowwise().sum();
  });
  return out;
}

}  // namespace dlcam::kernels::cpu
