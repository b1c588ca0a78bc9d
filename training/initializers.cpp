#include "training/initializers.h"

#include <cmath>

#include "core/error.h"

namespace dlcam {

Tensor initialValues(Initializer init, const Shape& shape, int64_t fanIn, int64_t fanOut, Random& rng) {
  if (fanIn <= 0 || fanOut <= 0) fail("initialValues: fan-in and fan-out must be positive, got ", fanIn, " and ", fanOut);
  Tensor t(shape);
  float* v = t.data<float>();
  const int64_t n = t.numel();
  switch (init) {
    case Initializer::GlorotUniform: {
      const double bound = std::sqrt(6.0 / static_cast<double>(fanIn + fanOut));
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(rng.uniform(-bound, bound));
      break;
    }
    case Initializer::HeNormal: {
      const double sigma = std::sqrt(2.0 / static_cast<double>(fanIn));
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(rng.normal(0.0, sigma));
      break;
    }
    case Initializer::NarrowNormal:
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(rng.normal(0.0, 0.01));
      break;
    case Initializer::Zeros:
      break;
    case Initializer::Ones:
      for (int64_t i = 0; i < n; ++i) v[i] = 1.0f;
      break;
  }
  return t;
}

std::shared_ptr<ConvolutionLayer> convolutionLayer(std::string name, const ConvolutionLayerSpec& spec, Random& rng) {
  const int dims = static_cast<int>(spec.filterSize.size());
  if (dims < 1 || dims > 3)
    fail("convolutionLayer '", name, "': filterSize needs 1, 2 or 3 values (one per spatial dimension), got ", dims);
  const int64_t groups = spec.conv.groups;
  if (spec.channels <= 0 || spec.filters <= 0 || groups <= 0 || spec.channels % groups != 0 ||
      spec.filters % groups != 0)
    fail("convolutionLayer '", name, "': channels (", spec.channels, ") and filters (", spec.filters,
         ") must be positive multiples of groups (", groups, ")");
  int64_t window = 1;
  std::vector<int64_t> dimsOfWeights;
  for (int64_t k : spec.filterSize) {
    if (k <= 0) fail("convolutionLayer '", name, "': filter sizes must be positive, got ", k);
    window *= k;
    dimsOfWeights.push_back(k);
  }
  dimsOfWeights.push_back(spec.channels / groups);
  dimsOfWeights.push_back(spec.filters);
  const Shape weightShape(dimsOfWeights);
  Array weights(initialValues(spec.weights, weightShape, window * spec.channels / groups,
                              window * spec.filters / groups, rng));
  Array bias = spec.bias ? Array(Tensor(Shape{spec.filters})) : Array();
  return std::make_shared<ConvolutionLayer>(
      std::move(name), ConvolutionOptions{.spatialDims = dims, .weights = weights, .bias = bias, .conv = spec.conv});
}

std::shared_ptr<FullyConnectedLayer> fullyConnectedLayer(std::string name, const FullyConnectedLayerSpec& spec,
                                                         Random& rng) {
  if (spec.inputs <= 0 || spec.outputs <= 0)
    fail("fullyConnectedLayer '", name, "': inputs and outputs must be positive, got ", spec.inputs, " and ",
         spec.outputs);
  Array weights(initialValues(spec.weights, Shape{spec.outputs, spec.inputs}, spec.inputs, spec.outputs, rng));
  Array bias = spec.bias ? Array(Tensor(Shape{spec.outputs})) : Array();
  return std::make_shared<FullyConnectedLayer>(std::move(name), FullyConnectedOptions{.weights = weights, .bias = bias});
}

std::shared_ptr<BatchNormalizationLayer> batchNormalizationLayer(std::string name, int64_t channels) {
  if (channels <= 0) fail("batchNormalizationLayer '", name, "': channels must be positive, got ", channels);
  const Shape c{channels};
  return std::make_shared<BatchNormalizationLayer>(
      std::move(name), BatchNormalizationOptions{.offset = Array(Tensor::zeros(c)),
                                                 .scale = Array(Tensor::full(c, 1.0)),
                                                 .trainedMean = Array(Tensor::zeros(c)),
                                                 .trainedVariance = Array(Tensor::full(c, 1.0))});
}

std::shared_ptr<LayerNormalizationLayer> layerNormalizationLayer(std::string name, int64_t channels,
                                                                 LayerNormDims dims) {
  if (channels <= 0) fail("layerNormalizationLayer '", name, "': channels must be positive, got ", channels);
  const Shape c{channels};
  return std::make_shared<LayerNormalizationLayer>(
      std::move(name),
      LayerNormalizationOptions{.offset = Array(Tensor::zeros(c)), .scale = Array(Tensor::full(c, 1.0)), .dims = dims});
}

}  // namespace dlcam
