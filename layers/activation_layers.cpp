#include "layers/activation_layers.h"

#include <cmath>

#include "autodiff/elementwise.h"

namespace dlcam {

ActivationInfo ActivationLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  return inputs[0];
}

Array ActivationLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  if (!inputs[0].defined()) failHere("the input has no value");
  return apply(inputs[0]);
}

Array ReluLayer::apply(const Array& x) const { return relu(x); }

LeakyReluLayer::LeakyReluLayer(std::string name, double scale) : ActivationLayer(std::move(name)), scale_(scale) {
  if (!std::isfinite(scale_)) failHere(detail::cat("the scale must be finite, got ", scale_));
}

std::string LeakyReluLayer::description() const { return detail::cat("Leaky ReLU with scale ", scale_); }

Array LeakyReluLayer::apply(const Array& x) const { return leakyRelu(x, scale_); }

ClippedReluLayer::ClippedReluLayer(std::string name, double ceiling)
    : ActivationLayer(std::move(name)), ceiling_(ceiling) {
  if (!(ceiling_ > 0)) failHere(detail::cat("the ceiling must be positive, got ", ceiling_));
}

std::string ClippedReluLayer::description() const { return detail::cat("Clipped ReLU with ceiling ", ceiling_); }

Array ClippedReluLayer::apply(const Array& x) const { return clippedRelu(x, ceiling_); }

Array SigmoidLayer::apply(const Array& x) const { return sigmoid(x); }

Array TanhLayer::apply(const Array& x) const { return tanh(x); }

HardSigmoidLayer::HardSigmoidLayer(std::string name, double alpha, double beta)
    : ActivationLayer(std::move(name)), alpha_(alpha), beta_(beta) {
  if (!std::isfinite(alpha_) || !std::isfinite(beta_))
    failHere(detail::cat("alpha and beta must be finite, got ", alpha_, " and ", beta_));
}

std::string HardSigmoidLayer::description() const {
  return detail::cat("Hard sigmoid with alpha ", alpha_, " and beta ", beta_);
}

// clippedRelu clips to [0, 1] and carries the gradient alpha inside.
Array HardSigmoidLayer::apply(const Array& x) const { return clippedRelu(x * alpha_ + beta_, 1.0); }

Array HardSwishLayer::apply(const Array& x) const { return x * clippedRelu(x * (1.0 / 6.0) + 0.5, 1.0); }

ClipLayer::ClipLayer(std::string name, double min, double max) : ActivationLayer(std::move(name)), min_(min), max_(max) {
  if (std::isnan(min_) || std::isnan(max_) || min_ > max_ || min_ == INFINITY || max_ == -INFINITY)
    failHere(detail::cat("needs min <= max, neither NaN nor min = +Inf nor max = −Inf; got min ", min_, ", max ", max_));
}

std::string ClipLayer::description() const { return detail::cat("Clip to [", min_, ", ", max_, "]"); }

// Built from relu and clippedRelu so that the gradient comes with them: 1 between the bounds,
// 0 outside.
Array ClipLayer::apply(const Array& x) const {
  const bool lo = std::isfinite(min_), hi = std::isfinite(max_);
  if (lo && hi) {
    if (max_ == min_) return x * 0.0 + min_;
    return clippedRelu(x - min_, max_ - min_) + min_;
  }
  if (lo) return relu(x - min_) + min_;
  if (hi) return max_ - relu(max_ - x);
  return x;
}

}  // namespace dlcam
