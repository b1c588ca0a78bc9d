// Layers without learnables that reshape, combine or normalise their inputs: softmax,
// dropout, addition, depth concatenation and flatten (MATLAB softmaxLayer, dropoutLayer,
// additionLayer, depthConcatenationLayer, flattenLayer; ONNX Softmax, Dropout, Add/Sum,
// Concat along channels, Flatten).
#pragma once

#include <cstdint>
#include <string>

#include "layers/layer.h"

namespace dlcam {

namespace detail {
// For the layers that take any format with a C dimension and no U (softmax, addition,
// flatten, batch normalization, fully connected...): whether `f` is one, and the error text
// when it is not ("expects input with a C dimension and no U (...), got <in>").
bool hasChannelDim(const DimFormat& f);
std::string channelFormatProblem(const ActivationInfo& in);
}  // namespace detail

// softmax over C. Input: any format with C (no U); output: the same size and format.
class SoftmaxLayer : public Layer {
 public:
  explicit SoftmaxLayer(std::string name) : Layer(std::move(name)) {}
  std::string type() const override { return "Softmax"; }
  std::string description() const override { return "softmax"; }
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;
};

// Inference: the identity. Training (context.training): inverted dropout with this
// probability; the mask is a function of the layer's name and context.seed (a training loop
// passes a new seed every step), so a run is reproduced from its seed. Any size and format.
class DropoutLayer : public Layer {
 public:
  // probability in [0, 1).
  explicit DropoutLayer(std::string name, double probability = 0.5);
  std::string type() const override { return "Dropout"; }
  // "50% dropout"
  std::string description() const override;
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;
  double probability() const { return probability_; }

 private:
  double probability_;
};

// Element-wise sum of numInputs inputs, which must have the same format and exactly the same
// size (MATLAB's rule: no broadcasting). Output: that size and format.
class AdditionLayer : public Layer {
 public:
  AdditionLayer(std::string name, int numInputs);
  std::string type() const override { return "Addition"; }
  // "Element-wise addition of 2 inputs"
  std::string description() const override;
  int numInputs() const override { return numInputs_; }
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;

 private:
  int numInputs_;
};

// Concatenation of numInputs inputs along C. They must have the same format, with C, and the
// same size in every other dimension. Output: that format, C the sum of the inputs' C.
class DepthConcatenationLayer : public Layer {
 public:
  DepthConcatenationLayer(std::string name, int numInputs);
  std::string type() const override { return "Depth concatenation"; }
  // "Depth concatenation of 2 inputs"
  std::string description() const override;
  int numInputs() const override { return numInputs_; }
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;

 private:
  int numInputs_;
};

// The S dims and C become one C dim (first S fastest, C slowest): "SSCB" h×w×c×n →
// "CB" (h·w·c)×n, "SSCBT" → "CBT". Input without S dims ("CB", "CBT") passes unchanged.
// Input: a format with C and no U.
class FlattenLayer : public Layer {
 public:
  explicit FlattenLayer(std::string name) : Layer(std::move(name)) {}
  std::string type() const override { return "Flatten"; }
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;
};

}  // namespace dlcam
