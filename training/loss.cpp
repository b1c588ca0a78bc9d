#include "training/loss.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "autodiff/elementwise.h"
#include "autodiff/reduce.h"
#include "autodiff/shape_ops.h"
#include "autodiff/softmax.h"
#include "autodiff/tape.h"
#include "core/error.h"

namespace dlcam {

namespace {

// Checks that predictions and targets can meet in a loss and returns N, the number of
// observations.
int64_t observations(const Array& y, const Array& t, const char* fn) {
  if (!y.defined() || !t.defined()) fail(fn, ": the predictions or the targets have no value");
  if (y.format() != t.format() || y.shape() != t.shape())
    fail(fn, ": predictions and targets must have the same size and format, got ", y.shape().str(), " \"",
         y.format().str(), "\" and ", t.shape().str(), " \"", t.format().str(), "\"");
  if (y.format().find('C') < 0 || y.format().find('B') < 0)
    fail(fn, ": predictions need a C and a B dimension, got format \"", y.format().str(), "\"");
  return y.size(y.format().find('B'));
}

// −Σ t·log(y)/n in one node, so that the places where t = 0 contribute nothing even when y
// underflowed to 0 (0·log 0 would be NaN). y is clamped to the smallest normal number where
// t ≠ 0, as a probability of exactly 0 for the target class would give an infinite loss.
template <typename T>
Tensor crossEntropyValue(const Tensor& y, const Tensor& t, double n) {
  const T* yv = y.data<T>();
  const T* tv = t.data<T>();
  double total = 0;
  for (int64_t i = 0; i < y.numel(); ++i)
    if (tv[i] != 0) total -= static_cast<double>(tv[i]) * std::log(std::max<double>(yv[i], std::numeric_limits<T>::min()));
  return Tensor::scalar(total / n, y.dtype());
}

template <typename T>
Tensor crossEntropyGradient(const Tensor& y, const Tensor& t, double scale) {
  Tensor g(y.shape(), y.dtype());
  const T* yv = y.data<T>();
  const T* tv = t.data<T>();
  T* gv = g.data<T>();
  for (int64_t i = 0; i < y.numel(); ++i)
    if (tv[i] != 0) gv[i] = static_cast<T>(-scale * tv[i] / std::max<double>(yv[i], std::numeric_limits<T>::min()));
  return g;
}

// The targets as constants in the predictions' dtype.
Array constantTargets(const Array& targets, DType dtype) {
  return Array(targets.value().to(dtype), targets.format());
}

// The one element of a reduction as a rank-0 unformatted array, the shape every loss returns.
Array scalarOf(const Array& x) { return reshape(x, Shape{}, ""); }

}  // namespace

Array crossEntropy(const Array& probabilities, const Array& targets) {
  const double n = static_cast<double>(observations(probabilities, targets, "crossEntropy"));
  const Tensor y = probabilities.value();
  const Tensor t = targets.value().to(y.dtype());
  Array loss(visitFloat(y.dtype(), [&](auto zero) { return crossEntropyValue<decltype(zero)>(y, t, n); }));
  if (detail::anyTraced(probabilities, targets))
    detail::record(loss, "crossEntropy", {&probabilities, &targets},
                   [y, t, n](const Tensor& g, const std::vector<bool>& needed) {
                     if (needed[1]) fail("crossEntropy: no gradient with respect to the targets");
                     const double scale = g.at(0) / n;
                     return std::vector<Tensor>{
                         visitFloat(y.dtype(), [&](auto zero) { return crossEntropyGradient<decltype(zero)>(y, t, scale); }),
                         Tensor()};
                   });
  return loss;
}

Array softmaxCrossEntropy(const Array& scores, const Array& targets) {
  const double n = static_cast<double>(observations(scores, targets, "softmaxCrossEntropy"));
  return scalarOf(sum(logSoftmax(scores) * constantTargets(targets, scores.dtype())) * (-1.0 / n));
}

Array meanSquaredError(const Array& predictions, const Array& targets) {
  const double n = static_cast<double>(observations(predictions, targets, "meanSquaredError"));
  const Array difference = predictions - constantTargets(targets, predictions.dtype());
  return scalarOf(sum(difference * difference) * (0.5 / n));
}

Array oneHot(const std::vector<int64_t>& classes, int64_t numClasses) {
  if (numClasses <= 0) fail("oneHot: numClasses must be positive, got ", numClasses);
  const int64_t n = static_cast<int64_t>(classes.size());
  Tensor t(Shape{numClasses, n});
  float* v = t.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = classes[static_cast<size_t>(i)];
    if (k < 0 || k >= numClasses) fail("oneHot: class index ", k, " at position ", i, " is outside [0, ", numClasses, ")");
    v[k + numClasses * i] = 1.0f;
  }
  return Array(t, "CB");
}

}  // namespace dlcam
