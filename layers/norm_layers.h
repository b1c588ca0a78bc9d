// Normalisation layers (MATLAB batchNormalizationLayer and layerNormalizationLayer; ONNX
// BatchNormalization and LayerNormalization), computed by autodiff/norm.h.
//
// Input: any format with a C dimension and no U ("SSCB", "SSSCB", "SCB", "CB", "CBT"...),
// with as many channels as the layer's parameters have values. Output: the input's size and
// format.
#pragma once

#include <string>

#include "autodiff/norm.h"
#include "layers/layer.h"

namespace dlcam {

struct BatchNormalizationOptions {
  // C values each (any shape: {C}, 1×1×C...); all four are required.
  Array offset{}, scale{}, trainedMean{}, trainedVariance{};
  double epsilon = 1e-5;                       // > 0
  double meanDecay = 0.1, varianceDecay = 0.1;  // in [0, 1]
};

// Learnables "Offset" and "Scale"; states "TrainedMean" and "TrainedVariance".
// Inference: batchNorm with the trained statistics. Training (context.training): batchNormTrain
// normalises with the batch's statistics, and the layer appends to context.stateUpdates
//   TrainedMean     ← meanDecay·(batch mean) + (1 − meanDecay)·TrainedMean
//   TrainedVariance ← varianceDecay·(batch variance) + (1 − varianceDecay)·TrainedVariance
// (MATLAB's rule; the batch variance is the unbiased one), each with its state's shape and dtype.
class BatchNormalizationLayer : public Layer {
 public:
  // Throws dlcam::Error naming the layer when a parameter is missing, the parameters have
  // different numbers of values, a variance is negative, epsilon <= 0 or a decay is outside [0, 1].
  BatchNormalizationLayer(std::string name, BatchNormalizationOptions options);

  std::string type() const override { return "Batch Normalization"; }
  // "Batch normalization with 16 channels"
  std::string description() const override;
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;

  int64_t numChannels() const { return channels_; }
  double epsilon() const { return epsilon_; }
  double meanDecay() const { return meanDecay_; }
  double varianceDecay() const { return varianceDecay_; }

 private:
  int64_t channels_ = 0;
  double epsilon_, meanDecay_, varianceDecay_;
};

struct LayerNormalizationOptions {
  Array offset{}, scale{};  // C values each; both required
  double epsilon = 1e-5;
  LayerNormDims dims = LayerNormDims::Auto;  // MATLAB's OperationDimension
};

// Learnables "Offset" and "Scale"; layerNorm over the dims options.dims selects.
class LayerNormalizationLayer : public Layer {
 public:
  LayerNormalizationLayer(std::string name, LayerNormalizationOptions options);

  std::string type() const override { return "Layer Normalization"; }
  // "Layer normalization with 16 channels"
  std::string description() const override;
  ActivationInfo inferOutput(std::span<const ActivationInfo> inputs) const override;
  Array forward(std::span<const Array> inputs, ForwardContext& context) const override;

  int64_t numChannels() const { return channels_; }
  double epsilon() const { return epsilon_; }
  LayerNormDims dims() const { return dims_; }

 private:
  int64_t channels_ = 0;
  double epsilon_;
  LayerNormDims dims_;
};

}  // namespace dlcam
