// Layers with freshly initialised learnables, for networks that are trained rather than
// imported (MATLAB's convolution2dLayer(…), fullyConnectedLayer(…)… with their default
// WeightsInitializer 'glorot' and zero biases).
//
//   Random rng(7);
//   net.add(imageInputLayer("input", {28, 28, 1}));
//   net.add(convolutionLayer("conv_1", {.filterSize = {3, 3}, .channels = 1, .filters = 8,
//                                       .conv = {.padding = ConvPadding::same()}}, rng));
//   net.add(batchNormalizationLayer("batchnorm_1", 8));
//   net.add(std::make_shared<ReluLayer>("relu_1"));
//
// Unlike MATLAB, the number of input channels is given: the layer is complete when made.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autodiff/conv.h"
#include "core/random.h"
#include "core/tensor.h"
#include "layers/conv_layer.h"
#include "layers/fully_connected_layer.h"
#include "layers/norm_layers.h"

namespace dlcam {

enum class Initializer {
  // Uniform in ±sqrt(6 / (fanIn + fanOut)) (Glorot and Bengio 2010; MATLAB's default).
  GlorotUniform,
  // Normal with standard deviation sqrt(2 / fanIn) (He et al. 2015; suits ReLU networks).
  HeNormal,
  // Normal with standard deviation 0.01 (MATLAB's 'narrow-normal').
  NarrowNormal,
  Zeros,
  Ones,
};

// A float32 tensor of `shape` drawn from `init`. fanIn and fanOut are the number of inputs
// and outputs of one unit: k_1·…·k_d·C/groups and k_1·…·k_d·F/groups for a convolution, I and
// O for a fully connected layer.
Tensor initialValues(Initializer init, const Shape& shape, int64_t fanIn, int64_t fanOut, Random& rng);

struct ConvolutionLayerSpec {
  std::vector<int64_t> filterSize{};  // k_1 … k_d: its length is the number of spatial dims (1, 2 or 3)
  int64_t channels = 0;               // C, the input's channel count
  int64_t filters = 0;                // F
  ConvOptions conv{};                 // stride, dilation, padding, groups
  Initializer weights = Initializer::GlorotUniform;
  bool bias = true;                   // zeros
};
std::shared_ptr<ConvolutionLayer> convolutionLayer(std::string name, const ConvolutionLayerSpec& spec, Random& rng);

struct FullyConnectedLayerSpec {
  int64_t inputs = 0;   // I: the flattened input size (h·w·c for an "SSCB" input)
  int64_t outputs = 0;  // O
  Initializer weights = Initializer::GlorotUniform;
  bool bias = true;  // zeros
};
std::shared_ptr<FullyConnectedLayer> fullyConnectedLayer(std::string name, const FullyConnectedLayerSpec& spec,
                                                         Random& rng);

// Offset 0, scale 1, trained mean 0, trained variance 1 (MATLAB's and PyTorch's defaults).
std::shared_ptr<BatchNormalizationLayer> batchNormalizationLayer(std::string name, int64_t channels);
// Offset 0, scale 1.
std::shared_ptr<LayerNormalizationLayer> layerNormalizationLayer(std::string name, int64_t channels,
                                                                 LayerNormDims dims = LayerNormDims::Auto);

}  // namespace dlcam
