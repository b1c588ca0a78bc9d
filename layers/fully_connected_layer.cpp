#include "layers/fully_connected_layer.h"

#include "autodiff/linear.h"
#include "layers/simple_layers.h"

namespace dlcam {

FullyConnectedLayer::FullyConnectedLayer(std::string name, FullyConnectedOptions options) : Layer(std::move(name)) {
  const Array &w = options.weights, &b = options.bias;
  if (!w.defined()) failHere("the weights are missing");
  if (w.rank() != 2) failHere("the weights must be an O×I matrix, got shape " + w.shape().str());
  learnables_.push_back({"Weights", w});
  if (b.defined()) {
    if (b.numel() != w.size(0))
      failHere(detail::cat("the bias needs ", w.size(0), " values (one per output), got shape ", b.shape().str()));
    if (b.dtype() != w.dtype())
      failHere("the weights and the bias must have the same dtype, got " + dtypeName(w.dtype()) + " and " +
               dtypeName(b.dtype()));
    learnables_.push_back({"Bias", b});
  }
}

std::string FullyConnectedLayer::description() const { return detail::cat(outputSize(), " fully connected layer"); }

const Array& FullyConnectedLayer::bias() const {
  if (!hasBias()) failHere("the layer has no bias");
  return learnables_[1].value;
}

ActivationInfo FullyConnectedLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  const ActivationInfo& in = inputs[0];
  if (!detail::hasChannelDim(in.format)) failHere(detail::channelFormatProblem(in));
  const int c = in.format.find('C');
  int64_t features = 1;
  for (int d = 0; d <= c; ++d)
    if (__builtin_mul_overflow(features, in.size[d], &features))
      failHere("the input's S and C sizes multiply past int64, input " + in.str());
  if (features != inputSize())
    failHere(detail::cat("expects ", inputSize(), " input features (weights ", weights().shape().str(),
                         "), got ", features, " from input ", in.str(), c > 0 ? " (S dims and C flattened)" : ""));
  std::vector<int64_t> dims = {outputSize()};
  for (int d = c + 1; d < in.size.rank(); ++d) dims.push_back(in.size[d]);
  return {Shape(dims), DimFormat(in.format.str().substr(static_cast<size_t>(c)))};
}

Array FullyConnectedLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  const Array& x = inputs[0];
  const ActivationInfo info{x.shape(), x.format()};
  inferOutput(std::span(&info, 1));
  return fullyConnect(x, weights(), hasBias() ? bias() : Array());
}

}  // namespace dlcam
