#include "layers/simple_layers.h"

#include <functional>

#include "autodiff/dropout.h"
#include "autodiff/elementwise.h"
#include "autodiff/shape_ops.h"
#include "autodiff/softmax.h"

namespace dlcam {

namespace detail {

bool hasChannelDim(const DimFormat& f) { return f.find('C') >= 0 && f.count('U') == 0; }

std::string channelFormatProblem(const ActivationInfo& in) {
  return "expects input with a C dimension and no U (\"SSCB\", \"CB\", \"CBT\"...), got " + in.str() + " (\"" +
         in.format.str() + "\")";
}

}  // namespace detail

namespace {

ActivationInfo infoOf(const Array& x) { return {x.shape(), x.format()}; }

// "input 1: 4(S) × 4(S) × 8(C) × 1(B) ("SSCB"), input 2: ..."
std::string listInputs(std::span<const ActivationInfo> inputs) {
  std::string out;
  for (size_t i = 0; i < inputs.size(); ++i)
    out += detail::cat(i ? ", " : "", "input ", i + 1, ": ", inputs[i].str(), " (\"", inputs[i].format.str(), "\")");
  return out;
}

}  // namespace

ActivationInfo SoftmaxLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  if (!detail::hasChannelDim(inputs[0].format)) failHere(detail::channelFormatProblem(inputs[0]));
  return inputs[0];
}

Array SoftmaxLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  const ActivationInfo info = infoOf(inputs[0]);
  inferOutput(std::span(&info, 1));
  return softmax(inputs[0]);
}

DropoutLayer::DropoutLayer(std::string name, double probability) : Layer(std::move(name)), probability_(probability) {
  if (!(probability_ >= 0 && probability_ < 1)) failHere(detail::cat("probability must be in [0, 1), got ", probability_));
}

std::string DropoutLayer::description() const { return detail::cat(probability_ * 100, "% dropout"); }

ActivationInfo DropoutLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  return inputs[0];
}

Array DropoutLayer::forward(std::span<const Array> inputs, ForwardContext& context) const {
  expectInputs(inputs.size());
  if (!context.training) return inputs[0];
  // FNV-1a of the name, so that two dropout layers draw different masks; the same on every
  // platform (std::hash is not).
  uint64_t nameHash = 0xcbf29ce484222325ull;
  for (unsigned char ch : name_) nameHash = (nameHash ^ ch) * 0x100000001b3ull;
  const uint64_t seed = nameHash + 0x9E3779B97F4A7C15ull * (context.seed + 1);
  return dropout(inputs[0], {.probability = probability_, .training = true, .seed = seed});
}

AdditionLayer::AdditionLayer(std::string name, int numInputs) : Layer(std::move(name)), numInputs_(numInputs) {
  if (numInputs_ < 1) failHere(detail::cat("numInputs must be at least 1, got ", numInputs_));
}

std::string AdditionLayer::description() const { return detail::cat("Element-wise addition of ", numInputs_, " inputs"); }

ActivationInfo AdditionLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  for (const ActivationInfo& in : inputs)
    if (!(in == inputs[0]))
      failHere("the inputs must have the same size and format, got " + listInputs(inputs));
  return inputs[0];
}

Array AdditionLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  std::vector<ActivationInfo> infos;
  for (const Array& x : inputs) infos.push_back(infoOf(x));
  inferOutput(infos);
  Array sum = inputs[0];
  for (size_t i = 1; i < inputs.size(); ++i) sum = add(sum, inputs[i]);
  return sum;
}

DepthConcatenationLayer::DepthConcatenationLayer(std::string name, int numInputs)
    : Layer(std::move(name)), numInputs_(numInputs) {
  if (numInputs_ < 1) failHere(detail::cat("numInputs must be at least 1, got ", numInputs_));
}

std::string DepthConcatenationLayer::description() const {
  return detail::cat("Depth concatenation of ", numInputs_, " inputs");
}

ActivationInfo DepthConcatenationLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  const ActivationInfo& first = inputs[0];
  if (!detail::hasChannelDim(first.format)) failHere(detail::channelFormatProblem(first));
  const int c = first.format.find('C');
  ActivationInfo out = first;
  out.size[c] = 0;
  for (const ActivationInfo& in : inputs) {
    bool fits = in.format == first.format;
    for (int d = 0; fits && d < in.size.rank(); ++d) fits = d == c || in.size[d] == first.size[d];
    if (!fits)
      failHere("the inputs must have the same format and the same size in every dimension except C, got " +
               listInputs(inputs));
    out.size[c] += in.size[c];
  }
  return out;
}

Array DepthConcatenationLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  std::vector<ActivationInfo> infos;
  for (const Array& x : inputs) infos.push_back(infoOf(x));
  inferOutput(infos);
  return concat(std::vector<Array>(inputs.begin(), inputs.end()), inputs[0].format().find('C'));
}

ActivationInfo FlattenLayer::inferOutput(std::span<const ActivationInfo> inputs) const {
  expectInputs(inputs.size());
  const ActivationInfo& in = inputs[0];
  if (!detail::hasChannelDim(in.format)) failHere(detail::channelFormatProblem(in));
  const int c = in.format.find('C');
  int64_t channels = 1;
  for (int d = 0; d <= c; ++d) channels *= in.size[d];
  std::vector<int64_t> dims = {channels};
  for (int d = c + 1; d < in.size.rank(); ++d) dims.push_back(in.size[d]);
  return {Shape(dims), DimFormat(in.format.str().substr(static_cast<size_t>(c)))};
}

Array FlattenLayer::forward(std::span<const Array> inputs, ForwardContext&) const {
  expectInputs(inputs.size());
  const ActivationInfo info = infoOf(inputs[0]);
  inferOutput(std::span(&info, 1));
  return flatten(inputs[0]);
}

}  // namespace dlcam
