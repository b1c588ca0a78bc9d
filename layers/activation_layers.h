// Activation layers: elementwise functions (MATLAB reluLayer, leakyReluLayer,
// clippedReluLayer, sigmoidLayer, tanhLayer; ONNX Relu, LeakyRelu, Sigmoid, Tanh,
// HardSigmoid, HardSwish, Clip). Input: any size and format; output: the same size and format.
// No learnables.
#pragma once

#include <string>

#include "layers/layer.h"

namespace dlcam {

// What the activation layers share: one input, output like the input, forward = apply().
class ActivationLayer : public Layer {
 public:
  using Layer::Layer;
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;

 protected:
  virtual Array apply(const Array& x) const = 0;
};

// max(x, 0)
class ReluLayer : public ActivationLayer {
 public:
  explicit ReluLayer(std::string name) : ActivationLayer(std::move(name)) {}
  std::string type() const override { return "ReLU"; }

 protected:
  Array apply(const Array& x) const override;
};

// x for x > 0, scale·x otherwise.
class LeakyReluLayer : public ActivationLayer {
 public:
  explicit LeakyReluLayer(std::string name, double scale = 0.01);
  std::string type() const override { return "Leaky ReLU"; }
  // "Leaky ReLU with scale 0.01"
  std::string description() const override;
  double scale() const { return scale_; }

 protected:
  Array apply(const Array& x) const override;

 private:
  double scale_;
};

// min(max(x, 0), ceiling); ceiling > 0.
class ClippedReluLayer : public ActivationLayer {
 public:
  ClippedReluLayer(std::string name, double ceiling);
  std::string type() const override { return "Clipped ReLU"; }
  // "Clipped ReLU with ceiling 6"
  std::string description() const override;
  double ceiling() const { return ceiling_; }

 protected:
  Array apply(const Array& x) const override;

 private:
  double ceiling_;
};

// 1 / (1 + exp(−x))
class SigmoidLayer : public ActivationLayer {
 public:
  explicit SigmoidLayer(std::string name) : ActivationLayer(std::move(name)) {}
  std::string type() const override { return "Sigmoid"; }
  std::string description() const override { return "sigmoid"; }

 protected:
  Array apply(const Array& x) const override;
};

class TanhLayer : public ActivationLayer {
 public:
  explicit TanhLayer(std::string name) : ActivationLayer(std::move(name)) {}
  std::string type() const override { return "Tanh"; }
  std::string description() const override { return "Hyperbolic tangent"; }

 protected:
  Array apply(const Array& x) const override;
};

// max(0, min(1, alpha·x + beta)), ONNX HardSigmoid (PyTorch's Hardsigmoid is alpha = 1/6).
class HardSigmoidLayer : public ActivationLayer {
 public:
  explicit HardSigmoidLayer(std::string name, double alpha = 0.2, double beta = 0.5);
  std::string type() const override { return "Hard Sigmoid"; }
  // "Hard sigmoid with alpha 0.2 and beta 0.5"
  std::string description() const override;
  double alpha() const { return alpha_; }
  double beta() const { return beta_; }

 protected:
  Array apply(const Array& x) const override;

 private:
  double alpha_, beta_;
};

// x · max(0, min(1, x/6 + 1/2)), ONNX HardSwish.
class HardSwishLayer : public ActivationLayer {
 public:
  explicit HardSwishLayer(std::string name) : ActivationLayer(std::move(name)) {}
  std::string type() const override { return "Hard Swish"; }
  std::string description() const override { return "Hard swish"; }

 protected:
  Array apply(const Array& x) const override;
};

// min(max(x, min), max), ONNX Clip. Either bound may be infinite (−∞ / +∞ for none);
// min <= max, neither NaN.
class ClipLayer : public ActivationLayer {
 public:
  ClipLayer(std::string name, double min, double max);
  std::string type() const override { return "Clip"; }
  // "Clip to [0, 6]"
  std::string description() const override;
  double min() const { return min_; }
  double max() const { return max_; }

 protected:
  Array apply(const Array& x) const override;

 private:
  double min_, max_;
};

}  // namespace dlcam
