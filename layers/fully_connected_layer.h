// Fully connected layer (MATLAB fullyConnectedLayer; ONNX Gemm / MatMul + Add), computed by
// fullyConnect() of autodiff/linear.h.
//
// Input: a format with C and no U. The S dims and C are flattened (first S fastest, C
// slowest) into I input features: "SSCB" h×w×c×n gives I = h·w·c; "CB" and "CBT" give I = c.
// Output: "CB" (or "CBT", "C"...: the dims after C are kept) with C = O.
// Learnables: "Weights" (O×I) and "Bias" (O values; absent when the layer has no bias).
#pragma once

#include <cstdint>
#include <string>

#include "layers/layer.h"

namespace dlcam {

struct FullyConnectedOptions {
  Array weights{};  // O×I (MATLAB's layout): row o holds output o's weights
  Array bias{};    // O values, or Array() for none
};

class FullyConnectedLayer : public Layer {
 public:
  // Throws dlcam::Error naming the layer when the weights are not a matrix or the bias does
  // not have O values.
  FullyConnectedLayer(std::string name, FullyConnectedOptions options);

  std::string type() const override { return "Fully Connected"; }
  // "10 fully connected layer" (MATLAB's words)
  std::string description() const override;
  // Throws dlcam::Error naming the layer when the flattened input size is not I.
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;

  int64_t outputSize() const { return weights().size(0); }  // O
  int64_t inputSize() const { return weights().size(1); }   // I
  const Array& weights() const { return learnables_[0].value; }
  bool hasBias() const { return learnables_.size() > 1; }
  const Array& bias() const;  // throws when the layer has no bias
};

}  // namespace dlcam
