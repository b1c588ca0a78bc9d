#include "layers/norm_layers.h"

#include "autodiff/elementwise.h"
#include "layers/simple_layers.h"

namespace dlcam {

namespace {

// Why `in` does not fit a layer with `channels` channels, or "" when it does.
std::string channelMismatch(const ActivationInfo& in, int64_t channels) {
  if (!detail::hasChannelDim(in.format)) return detail::channelFormatProblem(in);
  const int c = in.format.find('C');
  if (in.size[c] != channels)
    return detail::cat("expects ", channels, " channels, got ", in.size[c], " in input ", in.str());
  return "";
}

// Why a per-channel parameter is unusable, or "" when it is fine.
std::string parameterProblem(const Array& p, const char* what, int64_t channels) {
  if (!p.defined()) return detail::cat(what, " is missing");
  if (p.numel() != channels)
    return detail::cat(what, " has ", p.numel(), " values (shape ", p.shape().str(), "), but offset has ", channels);
  return "";
}

}  // namespace

BatchNormalizationLayer::BatchNormalizationLayer(std::string name, BatchNormalizationOptions options)
    : Layer(std::move(name)),
      epsilon_(options.epsilon),
      meanDecay_(options.meanDecay),
      varianceDecay_(options.varianceDecay) {
  if (!options.offset.defined()) failHere("offset is missing");
  channels_ = options.offset.numel();
  for (auto [p, what] : {std::pair{&options.scale, "scale"}, std::pair{&options.trainedMean, "trainedMean"},
                         std::pair{&options.trainedVariance, "trainedVariance"}}) {
    const std::string problem = parameterProblem(*p, what, channels_);
    if (!problem.empty()) failHere(problem);
  }
  const Tensor& var = options.trainedVariance.value();
  for (int64_t c = 0; c < channels_; ++c)
    if (!(var.at(c) >= 0)) failHere(detail::cat("trainedVariance must be non-negative, got ", var.at(c), " for channel ", c));
  if (!(epsilon_ > 0)) failHere(detail::cat("epsilon must be positive, got ", epsilon_));
  for (auto [decay, what] : {std::pair{meanDecay_, "meanDecay"}, std::pair{varianceDecay_, "varianceDecay"}})
    if (!(decay >= 0 && decay <= 1)) failHere(detail::cat(what, " must be in [0, 1], got ", decay));
  learnables_ = {{"Offset", options.offset}, {"Scale", options.scale}};
  states_ = {{"TrainedMean", options.trainedMean}, {"TrainedVariance", options.trainedVariance}};
}

std::string BatchNormalizationLayer::description() const {
  return detail::cat("Batch normalization with ", channels_, " channels");
}

ActivationInfo BatchNormalizationLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  const std::string problem = channelMismatch(inputs[0], channels_);
  if (!problem.empty()) failHere(problem);
  return inputs[0];
}

namespace {

// decay·batch + (1 − decay)·old, with old's shape, dtype and device.
Tensor runningUpdate(const Tensor& old, const Tensor& batch, double decay) {
  if (old.device() == Device::GPU) {
    // With the state on the GPU the update stays there (elementwise ops, no copy to the host).
    const Array b(batch.to(Device::GPU).to(old.dtype()).reshaped(old.shape())), o(old);
    return add(multiply(b, decay), multiply(o, 1 - decay)).value();
  }
  // The batch statistics come from the GPU when x was there: C values, copied once.
  const Tensor hostBatch = batch.to(Device::CPU);
  Tensor out(old.shape(), old.dtype());
  visitFloat(old.dtype(), [&](auto zero) {
    using T = decltype(zero);
    T* o = out.data<T>();
    for (int64_t i = 0; i < old.numel(); ++i)
      o[i] = static_cast<T>(decay * hostBatch.at(i) + (1 - decay) * old.at(i));
  });
  return out;
}

}  // namespace

Array BatchNormalizationLayer::forward(std::span<const Array> inputs, ForwardContext& context) const {
  expectInputs(inputs.size());
  const Array& x = inputs[0];
  const ActivationInfo info{x.shape(), x.format()};
  inferOutput(std::span(&info, 1));
  const Array &offset = learnables_[0].value, &scale = learnables_[1].value;
  const Array &mean = states_[0].value, &variance = states_[1].value;
  if (!context.training) return batchNorm(x, offset, scale, mean, variance, {epsilon_});

  if (channels_ > 0 && x.numel() / channels_ < 2)
    failHere(detail::cat("training needs at least 2 values per channel for the batch statistics, got input ", info.str()));
  BatchNormTrainResult r = batchNormTrain(x, offset, scale, {epsilon_});
  context.stateUpdates.push_back({name_, "TrainedMean", runningUpdate(mean.value(), r.mean, meanDecay_)});
  context.stateUpdates.push_back({name_, "TrainedVariance", runningUpdate(variance.value(), r.variance, varianceDecay_)});
  return r.y;
}

LayerNormalizationLayer::LayerNormalizationLayer(std::string name, LayerNormalizationOptions options)
    : Layer(std::move(name)), epsilon_(options.epsilon), dims_(options.dims) {
  if (!options.offset.defined()) failHere("offset is missing");
  channels_ = options.offset.numel();
  const std::string problem = parameterProblem(options.scale, "scale", channels_);
  if (!problem.empty()) failHere(problem);
  if (!(epsilon_ > 0)) failHere(detail::cat("epsilon must be positive, got ", epsilon_));
  learnables_ = {{"Offset", options.offset}, {"Scale", options.scale}};
}

std::string LayerNormalizationLayer::description() const {
  return detail::cat("Layer normalization with ", channels_, " channels");
}

ActivationInfo LayerNormalizationLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  const std::string problem = channelMismatch(inputs[0], channels_);
  if (!problem.empty()) failHere(problem);
  return inputs[0];
}

Array LayerNormalizationLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  const Array& x = inputs[0];
  const ActivationInfo info{x.shape(), x.format()};
  inferOutput(std::span(&info, 1));
  return layerNorm(x, learnables_[0].value, learnables_[1].value, {epsilon_, dims_});
}

}  // namespace dlcam
